#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if.h>
#include <linux/netlink.h>

#include "cni.h"
#include "ipam.h"
#include "netconf.h"
#include "netns.h"
#include "nl.h"
#include "rtnl.h"
#include "util.h"

const char *const cni_versions[] = { "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0", NULL };
#define V_040 2		/* CHECK from here on */
#define V_100 3		/* results without ips[].version */
#define V_110 4		/* GC and STATUS */
#define V_NEWEST "1.1.0"

static int version_index(const char *v)
{
	for (int i = 0; cni_versions[i]; i++)
		if (!strcmp(v, cni_versions[i]))
			return i;
	return -1;
}

/* Maps a lib/ errno onto the spec's codes. */
static int code_of(int err)
{
	switch (err < 0 ? -err : err) {
	case EAGAIN:
	case EBUSY:
	case EINTR:
		return CNI_ERR_AGAIN;
	case EIO:
	case EROFS:
	case EDQUOT:
		return CNI_ERR_IO;
	default:
		return CNI_ERR_INTERNAL;
	}
}

static void fmt_mac(const struct rtnl_link *l, char out[18])
{
	const unsigned char *m = l->hwaddr;
	if (l->hwaddr_len != 6)
		out[0] = 0;
	else
		snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

struct find_link {
	const char *name;
	struct rtnl_link l;
	bool found;
};

static int find_link_cb(const struct rtnl_link *l, void *arg)
{
	struct find_link *f = arg;
	if (!strcmp(l->name, f->name)) {
		f->l = *l;
		f->found = true;
	}
	return 0;
}

/* The link named name in the netns of nl; -ENODEV when it is not there. */
static int get_link(struct nl *nl, const char *name, struct rtnl_link *out, struct err *e)
{
	struct find_link f = { .name = name };
	int r = rtnl_link_list(nl, find_link_cb, &f, e);
	if (r < 0)
		return r;
	if (!f.found)
		return err_set(e, ENODEV, "link %s: No such device", name);
	*out = f.l;
	return 0;
}

struct ctx {
	const struct cni_env *env;
	const char *root;
	struct json j;
	char version[16];
	int vi;
	struct net_config c;
	struct ipam_owner owner;
	struct ipam_net in;
};

static int need_attachment(struct ctx *x, bool netns, struct err *e)
{
	const struct cni_env *env = x->env;
	if (!env->container_id || !env->container_id[0])
		return err_set(e, EINVAL, "CNI_CONTAINERID is not set"), CNI_ERR_ENV;
	if (!valid_name(env->container_id, IPAM_NAME_MAX))
		return err_set(e, EINVAL, "CNI_CONTAINERID '%s': want 1..%d of [A-Za-z0-9_.-]",
			       env->container_id, IPAM_NAME_MAX), CNI_ERR_ENV;
	if (!env->ifname || !env->ifname[0])
		return err_set(e, EINVAL, "CNI_IFNAME is not set"), CNI_ERR_ENV;
	if (!rtnl_valid_ifname(env->ifname))
		return err_set(e, EINVAL, "CNI_IFNAME '%s': not an interface name", env->ifname),
		       CNI_ERR_ENV;
	if (netns && (!env->netns || !env->netns[0]))
		return err_set(e, EINVAL, "CNI_NETNS is not set"), CNI_ERR_ENV;
	if (env->netns && env->netns[0] && env->netns[0] != '/')
		return err_set(e, EINVAL, "CNI_NETNS '%s': want an absolute path", env->netns),
		       CNI_ERR_ENV;
	x->owner = (struct ipam_owner){ .kind = IPAM_OWNER_CONTAINER };
	snprintf(x->owner.sandbox, sizeof(x->owner.sandbox), "%s", env->container_id);
	snprintf(x->owner.ifname, sizeof(x->owner.ifname), "%s", env->ifname);
	return 0;
}

/* The netns of the attachment; CNI_ERR_CONTAINER when it is not there. */
static int open_netns(struct ctx *x, int *fd, struct err *e)
{
	*fd = netns_open(x->env->netns, e);
	if (*fd >= 0)
		return 0;
	return err_set(e, -*fd, "netns %s: %s", x->env->netns, strerror(-*fd)),
	       *fd == -ENOENT ? CNI_ERR_CONTAINER : CNI_ERR_ENV;
}

static void write_result(struct ctx *x, struct jw *w, const struct rtnl_link *br,
			 const struct rtnl_link *host, const struct rtnl_link *cont, uint32_t addr)
{
	char mac[18], a[16], cidr[20];

	jw_obj(w);
	jw_key(w, "cniVersion");
	jw_str(w, x->version);
	jw_key(w, "interfaces");
	jw_arr(w);
	const struct rtnl_link *ls[3] = { br, host, cont };
	for (int i = 0; i < 3; i++) {
		jw_obj(w);
		jw_key(w, "name");
		jw_str(w, ls[i]->name);
		fmt_mac(ls[i], mac);
		if (mac[0]) {
			jw_key(w, "mac");
			jw_str(w, mac);
		}
		if (i == 2) {
			jw_key(w, "sandbox");
			jw_str(w, x->env->netns);
		}
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_key(w, "ips");
	jw_arr(w);
	jw_obj(w);
	if (x->vi < V_100) {
		jw_key(w, "version");
		jw_str(w, "4");
	}
	jw_key(w, "interface");
	jw_i64(w, 2);
	ipam_fmt_addr(addr, a);
	snprintf(cidr, sizeof(cidr), "%s/%u", a, x->c.subnet.prefix);
	jw_key(w, "address");
	jw_str(w, cidr);
	ipam_fmt_addr(x->c.gateway, a);
	jw_key(w, "gateway");
	jw_str(w, a);
	jw_obj_end(w);
	jw_arr_end(w);
	if (x->c.default_route) {
		jw_key(w, "routes");
		jw_arr(w);
		jw_obj(w);
		jw_key(w, "dst");
		jw_str(w, "0.0.0.0/0");
		/* isDefaultGateway names the gateway in its route, as the bridge plugin does */
		uint32_t rgw = x->c.route_gw ? x->c.route_gw : x->c.is_default_gw ? x->c.gateway : 0;
		if (rgw) {
			ipam_fmt_addr(rgw, a);
			jw_key(w, "gw");
			jw_str(w, a);
		}
		jw_obj_end(w);
		jw_arr_end(w);
	}
	jw_key(w, "dns");
	jw_obj(w);
	jw_obj_end(w);
	jw_obj_end(w);
}

static int cmd_add(struct ctx *x, struct jw *out, struct err *e)
{
	struct net_attachment a;
	struct rtnl_link br, host, cont;
	struct nl nl;
	int fd, r;

	if ((r = need_attachment(x, true, e)) || (r = open_netns(x, &fd, e)))
		return r;
	r = net_host_setup(&x->c, x->root, e);
	if (r == 0)
		r = net_attach(&x->c, x->root, fd, x->env->ifname, &x->owner, 0, &a, e);
	if (r < 0) {
		close(fd);
		return code_of(r);
	}
	/* What the result reports is read back from the kernel. */
	if ((r = nl_open(&nl, NETLINK_ROUTE, e)) == 0) {
		r = get_link(&nl, x->c.bridge, &br, e);
		if (r == 0)
			r = get_link(&nl, a.host_if, &host, e);
		nl_close(&nl);
	}
	if (r == 0 && (r = nl_open_in(&nl, NETLINK_ROUTE, fd, e)) == 0) {
		r = get_link(&nl, x->env->ifname, &cont, e);
		nl_close(&nl);
	}
	if (r < 0) {
		struct err ignored;
		if (nl_open_in(&nl, NETLINK_ROUTE, fd, &ignored) == 0) {
			rtnl_link_del(&nl, x->env->ifname, &ignored);
			nl_close(&nl);
		}
		net_detach(&x->c, x->root, &a, false, &ignored);
		close(fd);
		return code_of(r);
	}
	close(fd);
	write_result(x, out, &br, &host, &cont, a.addr);
	return 0;
}

static int cmd_del(struct ctx *x, struct err *e)
{
	struct nl nl;
	int fd, r;

	if ((r = need_attachment(x, false, e)))
		return r;
	/* The netns may be gone (then so is the interface): only the lease is left. */
	if (x->env->netns && x->env->netns[0] && (fd = netns_open(x->env->netns, e)) >= 0) {
		r = nl_open_in(&nl, NETLINK_ROUTE, fd, e);
		close(fd);
		if (r < 0)
			return code_of(r);
		r = rtnl_link_del(&nl, x->env->ifname, e);
		nl_close(&nl);
		if (r < 0 && r != -ENODEV)
			return code_of(r);
	}
	r = ipam_release(&x->in, 0, &x->owner, NULL, e);
	return r < 0 ? code_of(r) : 0;
}

/* ---- CHECK ---- */

struct check_state {
	int ifindex;
	uint32_t want;		/* host order */
	unsigned prefix;
	uint32_t gw;
	bool have_addr, have_route;
};

static int check_addr_cb(int ifindex, const struct rtnl_prefix *a, void *arg)
{
	struct check_state *s = arg;
	uint32_t v;
	memcpy(&v, a->addr, 4);
	if (ifindex == s->ifindex && a->family == AF_INET && ntohl(v) == s->want &&
	    (unsigned)a->len == s->prefix)
		s->have_addr = true;
	return 0;
}

static int check_route_cb(const struct rtnl_route *rt, void *arg)
{
	struct check_state *s = arg;
	uint32_t v;
	memcpy(&v, rt->gw.addr, 4);
	if (rt->dst.len == 0 && rt->oif == s->ifindex && rt->gw.family == AF_INET &&
	    ntohl(v) == s->gw)
		s->have_route = true;
	return 0;
}

static int cmd_check(struct ctx *x, struct err *e)
{
	char buf[64];
	struct ipam_subnet sn;
	struct rtnl_link l;
	struct nl nl;
	int fd, r;

	if (x->vi < V_040)
		return err_set(e, EINVAL, "CHECK needs cniVersion 0.4.0 or later, config is %s",
			       x->version), CNI_ERR_VERSION;
	if ((r = need_attachment(x, true, e)))
		return r;
	/* The address is the one prevResult reports for our interface. */
	int prev = json_get(&x->j, 0, "prevResult");
	if (json_type(&x->j, prev) != JSON_OBJECT)
		return err_set(e, EINVAL, "CHECK: no prevResult in the network config"), CNI_ERR_CONFIG;
	int ips = json_get(&x->j, prev, "ips"), ip = json_at(&x->j, ips, 0);
	int at = json_get(&x->j, ip, "address");
	char *slash;
	if (at < 0 || json_str(&x->j, at, buf, sizeof(buf), e) < 0 || !(slash = strchr(buf, '/')))
		return err_set(e, EINVAL, "CHECK: prevResult.ips[0].address: want ADDR/PREFIX"),
		       CNI_ERR_CONFIG;
	*slash = 0;
	struct check_state s = { .gw = x->c.gateway };
	uint64_t plen;
	if (ipam_parse_addr(buf, &s.want, e) < 0 || parse_u64(slash + 1, 0, 32, &plen, NULL) < 0)
		return err_set(e, EINVAL, "CHECK: prevResult address '%s': want ADDR/PREFIX", buf),
		       CNI_ERR_CONFIG;
	s.prefix = (unsigned)plen;
	sn = x->c.subnet;
	if (!ipam_contains(&sn, s.want) || s.prefix != sn.prefix)
		return err_set(e, EINVAL, "CHECK: address %s/%u is not in the network's subnet",
			       buf, s.prefix), CNI_ERR_INTERNAL;

	/* Host side: the lease is ours, the bridge is up. */
	struct ipam_lease *v = NULL;
	size_t n = 0;
	bool leased = false;
	r = ipam_list(&x->in, &v, &n, e);
	if (r < 0 && r != -ENOENT)
		return code_of(r);
	for (size_t i = 0; i < n; i++)
		if (v[i].addr == s.want && v[i].owner.kind == IPAM_OWNER_CONTAINER &&
		    !strcmp(v[i].owner.sandbox, x->owner.sandbox) &&
		    !strcmp(v[i].owner.ifname, x->owner.ifname))
			leased = true;
	free(v);
	if (!leased)
		return err_set(e, ENOENT, "CHECK: %s is not leased to %s/%s", buf,
			       x->owner.sandbox, x->owner.ifname), CNI_ERR_INTERNAL;
	if ((r = nl_open(&nl, NETLINK_ROUTE, e)) < 0)
		return code_of(r);
	r = get_link(&nl, x->c.bridge, &l, e);
	nl_close(&nl);
	if (r < 0)
		return CNI_ERR_INTERNAL;
	if (!(l.flags & IFF_UP) || strcmp(l.kind, "bridge"))
		return err_set(e, EINVAL, "CHECK: %s is not an up bridge", l.name), CNI_ERR_INTERNAL;

	/* Container side: the link is up, holds the address, routes via the gateway. */
	if ((r = open_netns(x, &fd, e)))
		return r;
	r = nl_open_in(&nl, NETLINK_ROUTE, fd, e);
	close(fd);
	if (r < 0)
		return code_of(r);
	r = get_link(&nl, x->env->ifname, &l, e);
	if (r == 0 && (!(l.flags & IFF_UP) || strcmp(l.kind, "veth")))
		r = err_set(e, EINVAL, "CHECK: %s is not an up veth", l.name);
	s.ifindex = l.index;
	if (r == 0)
		r = rtnl_addr_list(&nl, AF_INET, check_addr_cb, &s, e);
	if (r == 0 && !s.have_addr)
		r = err_set(e, ENOENT, "CHECK: %s has no address %s/%u", l.name, buf, s.prefix);
	if (r == 0 && x->c.default_route) {
		r = rtnl_route_list(&nl, AF_INET, check_route_cb, &s, e);
		ipam_fmt_addr(s.gw, buf);
		if (r == 0 && !s.have_route)
			r = err_set(e, ENOENT, "CHECK: no default route via %s dev %s", buf, l.name);
	}
	nl_close(&nl);
	return r < 0 ? CNI_ERR_INTERNAL : 0;
}

/* ---- GC ---- */

static bool listed(const struct json *j, int atts, const struct ipam_owner *o)
{
	for (int i = 0, t; (t = json_at(j, atts, i)) >= 0; i++)
		if (json_str_eq(j, json_get(j, t, "containerID"), o->sandbox) &&
		    json_str_eq(j, json_get(j, t, "ifname"), o->ifname))
			return true;
	return false;
}

static int cmd_gc(struct ctx *x, struct err *e)
{
	struct ipam_lease *v = NULL;
	size_t n = 0;

	if (x->vi < V_110)
		return err_set(e, EINVAL, "GC needs cniVersion 1.1.0, config is %s", x->version),
		       CNI_ERR_VERSION;
	/* Missing is not "none": dropping every lease on a malformed call
	 * would cut off every container. */
	int atts = json_get(&x->j, 0, "cni.dev/valid-attachments");
	if (json_type(&x->j, atts) != JSON_ARRAY)
		return err_set(e, EINVAL, "GC: cni.dev/valid-attachments: want an array"),
		       CNI_ERR_CONFIG;
	int r = ipam_list(&x->in, &v, &n, e);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return code_of(r);
	for (size_t i = 0; i < n && r == 0; i++)
		if (v[i].owner.kind == IPAM_OWNER_CONTAINER && !listed(&x->j, atts, &v[i].owner))
			r = ipam_release(&x->in, 0, &v[i].owner, NULL, e);
	free(v);
	/* and the leases of gone sandboxes and processes, as every change may */
	if (r == 0)
		r = ipam_gc(&x->in, NULL, e);
	return r < 0 && r != -ENOENT ? code_of(r) : 0;
}

static int cmd_version(struct ctx *x, struct jw *out)
{
	jw_obj(out);
	jw_key(out, "cniVersion");
	jw_str(out, x->vi >= 0 ? x->version : V_NEWEST);
	jw_key(out, "supportedVersions");
	jw_arr(out);
	for (int i = 0; cni_versions[i]; i++)
		jw_str(out, cni_versions[i]);
	jw_arr_end(out);
	jw_obj_end(out);
	return 0;
}

int cni_exec(const struct cni_env *env, const char *conf, size_t len, const char *root,
	     struct jw *out, struct err *e)
{
	struct ctx x = { .env = env, .root = root, .vi = -1 };
	int r;

	if (!env->command || !env->command[0])
		return err_set(e, EINVAL, "CNI_COMMAND is not set"), CNI_ERR_ENV;
	const char *cmd = env->command;
	bool version = !strcmp(cmd, "VERSION");
	if (!version && strcmp(cmd, "ADD") && strcmp(cmd, "DEL") && strcmp(cmd, "CHECK") &&
	    strcmp(cmd, "GC") && strcmp(cmd, "STATUS"))
		return err_set(e, EINVAL, "unknown CNI_COMMAND: %s", cmd), CNI_ERR_ENV;
	if (json_parse(&x.j, conf, len, e) < 0) {
		if (version)	/* it says what it speaks whatever it is given */
			return cmd_version(&x, out);
		return err_set(e, EINVAL, "network config: %s", e->msg), CNI_ERR_DECODE;
	}
	int t = json_get(&x.j, 0, "cniVersion");
	if (t >= 0 && json_str(&x.j, t, x.version, sizeof(x.version), NULL) == 0)
		x.vi = version_index(x.version);
	if (version) {
		r = cmd_version(&x, out);
		goto out;
	}
	if (t < 0) {
		r = (err_set(e, EINVAL, "network config: no cniVersion"), CNI_ERR_CONFIG);
		goto out;
	}
	if (x.vi < 0) {
		r = (err_set(e, EINVAL, "incompatible CNI versions: config is '%s', plugin supports "
			    "0.3.0 0.3.1 0.4.0 1.0.0 1.1.0", x.version), CNI_ERR_VERSION);
		goto out;
	}
	if ((r = net_config_parse_cni(conf, len, &x.c, e)) < 0) {
		r = r == -EOPNOTSUPP ? CNI_ERR_FIELD : CNI_ERR_CONFIG;
		goto out;
	}
	x.in = (struct ipam_net){ .root = x.c.data_dir[0] ? x.c.data_dir : root,
				  .name = x.c.name, .subnet = x.c.subnet, .gateway = x.c.gateway };
	if (!strcmp(cmd, "ADD"))
		r = cmd_add(&x, out, e);
	else if (!strcmp(cmd, "DEL"))
		r = cmd_del(&x, e);
	else if (!strcmp(cmd, "CHECK"))
		r = cmd_check(&x, e);
	else if (!strcmp(cmd, "GC"))
		r = cmd_gc(&x, e);
	else if (x.vi < V_110)	/* STATUS */
		r = (err_set(e, EINVAL, "STATUS needs cniVersion 1.1.0, config is %s", x.version),
		     CNI_ERR_VERSION);
	else
		r = 0;	/* ready: nothing to wait for, leases are made on demand */
out:
	json_free(&x.j);
	return r;
}

void cni_error(struct jw *out, const char *conf, size_t len, int code, const char *msg)
{
	struct json j;
	char v[16] = V_NEWEST;

	if (conf && json_parse(&j, conf, len, NULL) == 0) {
		char cv[16];
		int t = json_get(&j, 0, "cniVersion");
		if (t >= 0 && json_str(&j, t, cv, sizeof(cv), NULL) == 0 && version_index(cv) >= 0)
			memcpy(v, cv, sizeof(v));
		json_free(&j);
	}
	jw_obj(out);
	jw_key(out, "cniVersion");
	jw_str(out, v);
	jw_key(out, "code");
	jw_i64(out, code);
	jw_key(out, "msg");
	jw_str(out, msg);
	jw_obj_end(out);
}
