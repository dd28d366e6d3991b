# corral netsetup as a CNI plugin, against the reference bridge + host-local
# plugins (Debian's containernetworking-plugins) with the same config: the
# result JSON and the kernel state (ip -j, nft -j) must match but for names
# and MACs. Everything happens inside a throwaway netns (test_host).
. tests/integration/lib.sh
test_host

REF=/usr/lib/cni/bridge
export CNI_PATH=/usr/lib/cni

# conf MASQ [EXTRA]: the network config both plugins get.
conf() {
	printf '{"cniVersion":"1.0.0","name":"crtest","type":"bridge","bridge":"crcni0",'
	printf '"isGateway":true,"ipMasq":%s,"mtu":1400,%s"ipam":{"type":"host-local",' "$1" "${2:-}"
	printf '"ranges":[[{"subnet":"10.77.0.0/24","gateway":"10.77.0.1"}]],'
	printf '"routes":[{"dst":"0.0.0.0/0"}],"dataDir":"/run/crtest-ipam"}}\n'
}

# plugin BIN CMD ID NETNS [CONF]: runs a CNI command; stdout is the result.
plugin() {
	_bin=$1 _cmd=$2 _id=$3 _ns=$4
	_conf=${5:-$(conf false)}
	if [ "$_bin" = corral ]; then
		printf '%s' "$_conf" | CNI_COMMAND=$_cmd CNI_CONTAINERID=$_id CNI_NETNS=$_ns \
			CNI_IFNAME=eth0 "$CORRAL" netsetup
	else
		printf '%s' "$_conf" | CNI_COMMAND=$_cmd CNI_CONTAINERID=$_id CNI_NETNS=$_ns \
			CNI_IFNAME=eth0 "$REF"
	fi
}

# snapshot NS OUT: the kernel state a plugin made, as JSON: the bridge and
# its port, the bridge's addresses, and the sandbox's links, addresses and
# routes, with names and MACs that differ by nature normalized.
snapshot() {
	{
		ip -j -d link show
		ip -j addr show dev crcni0
		ip -n "$1" -j -d link show
		ip -n "$1" -j addr show
		ip -n "$1" -j route show
		cat /proc/sys/net/ipv4/ip_forward
	} > "$2.raw"
	python3 - "$2.raw" > "$2" <<'EOF'
import json, sys
parts = []
dec = json.JSONDecoder()
s = open(sys.argv[1]).read()
i = 0
while True:
    while i < len(s) and s[i].isspace():
        i += 1
    if i >= len(s):
        break
    v, i = dec.raw_decode(s, i)
    parts.append(v)
links, braddr, nslinks, nsaddr, nsroutes, fwd = parts
KEEP = ("ifname", "flags", "mtu", "operstate", "link_type", "master")
def link(l):
    d = {k: l.get(k) for k in KEEP}
    info = l.get("linkinfo", {})
    d["kind"] = info.get("info_kind")
    d["slave_kind"] = info.get("info_slave_kind")
    return d
host = [link(l) for l in links if l["ifname"] not in ("lo",)]
for l in host:
    if l["kind"] == "veth":
        l["ifname"] = "HOSTVETH"
def addrs(a):
    return sorted((x["family"], x["local"], x["prefixlen"], x.get("broadcast"), x.get("scope"))
                  for l in a for x in l.get("addr_info", []) if x["family"] == "inet")
out = {
    "host_links": sorted(host, key=lambda l: l["ifname"]),
    "bridge_addrs": addrs(braddr),
    "ns_links": sorted((link(l) for l in nslinks), key=lambda l: l["ifname"]),
    "ns_addrs": addrs(nsaddr),
    "ns_routes": sorted(json.dumps({k: r.get(k) for k in ("dst", "gateway", "dev", "scope", "protocol", "prefsrc")}) for r in nsroutes),
    "ip_forward": fwd,
}
print(json.dumps(out, indent=1, sort_keys=True))
EOF
}

# normres FILE SANDBOX: the result JSON with MACs and the host veth's name masked.
normres() {
	python3 - "$1" "$2" <<'EOF'
import json, re, sys
r = json.load(open(sys.argv[1]))
for i, itf in enumerate(r.get("interfaces", [])):
    if "mac" in itf:
        assert re.fullmatch(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}", itf["mac"]), itf
        itf["mac"] = "MAC"
    if i == 1:
        itf["name"] = "HOSTVETH"
    if "sandbox" in itf:
        assert itf["sandbox"] == sys.argv[2], itf
        itf["sandbox"] = "SANDBOX"
print(json.dumps(r, indent=1, sort_keys=True))
EOF
}

# run_one BIN NS MASQ DIR: ADD on a fresh netns, keeps result and state.
run_one() {
	ip netns add "$2"
	plugin "$1" ADD ctr-1 "/run/netns/$2" "$(conf "$3")" > "$4/result" ||
		{ cat "$4/result"; fail "$1 ADD failed"; }
	normres "$4/result" "/run/netns/$2" > "$4/result.norm"
	# the MACs and names reported are the kernel's
	expect_eq "$1 bridge mac" "$(jq -r '.interfaces[0].mac' "$4/result")" \
		"$(ip -j link show crcni0 | jq -r '.[0].address')"
	hv=$(jq -r '.interfaces[1].name' "$4/result")
	expect_eq "$1 host veth mac" "$(jq -r '.interfaces[1].mac' "$4/result")" \
		"$(ip -j link show "$hv" | jq -r '.[0].address')"
	expect_eq "$1 eth0 mac" "$(jq -r '.interfaces[2].mac' "$4/result")" \
		"$(ip -n "$2" -j link show eth0 | jq -r '.[0].address')"
	snapshot "$2" "$4/state"
	nft -j list ruleset > "$4/nft"
}

# clean BIN NS MASQ: DEL, then nothing of the attachment is left.
clean() {
	plugin "$1" DEL ctr-1 "/run/netns/$2" "$(conf "$3")" || fail "$1 DEL failed"
	ip netns del "$2"
	ip link del crcni0 2>/dev/null || :
	rm -rf /run/crtest-ipam
}

# reset: a clean slate, whatever an earlier failed test left.
reset() {
	for n in $(ip netns list | sed -n 's/^\(crtest-[^ ]*\).*/\1/p'); do ip netns del "$n"; done
	ip link del crcni0 2>/dev/null || :
	rm -rf /run/crtest-ipam
}

compare_with_reference() {
	reset
	masq=$1
	d=$T_TMP/cmp-$masq
	mkdir -p "$d/ref" "$d/corral"
	run_one ref crtest-ref "$masq" "$d/ref"
	clean ref crtest-ref "$masq"
	run_one corral crtest-cr "$masq" "$d/corral"
	clean corral crtest-cr "$masq"
	diff -u "$d/ref/result.norm" "$d/corral/result.norm" >&2 || fail "results differ"
	diff -u "$d/ref/state" "$d/corral/state" >&2 || fail "kernel state differs"
	if [ "$masq" = false ]; then
		# no NAT from either
		for p in ref corral; do
			n=$(jq '[.nftables[] | select(.rule)] | length' "$d/$p/nft")
			expect_eq "$p nft rules" "$n" 0
		done
	else
		# the reference masquerades with iptables, corral with its own
		# nftables table: both must masquerade 10.77.0.0/24's traffic
		jq -e '[.nftables[] | select(.rule) | .rule | select(.table == "corral" and .chain == "postrouting")
			| select(any(.expr[]; has("masquerade")))
			| select(tostring | contains("10.77.0.0"))] | length == 1' "$d/corral/nft" >/dev/null ||
			fail "corral: no masquerade rule for 10.77.0.0/24: $(cat "$d/corral/nft")"
		jq -e '[.nftables[] | select(.rule) | select(tostring | contains("10.77.0"))] | length > 0' \
			"$d/ref/nft" >/dev/null || fail "reference: no NAT rule for the subnet"
	fi
}

check_and_idempotent_del() {
	reset
	ip netns add crtest-c
	r=$(plugin corral ADD ctr-2 /run/netns/crtest-c)
	prev=$(printf '%s' "$r" | jq -c .)
	withprev=$(conf false | jq -c --argjson p "$prev" '. + {prevResult: $p}')
	plugin corral CHECK ctr-2 /run/netns/crtest-c "$withprev" || fail "CHECK of a good attachment failed"
	ip -n crtest-c route del default
	set +e
	out=$(plugin corral CHECK ctr-2 /run/netns/crtest-c "$withprev")
	rc=$?
	set -e
	expect_eq "CHECK without the route: exit" "$rc" 1
	printf '%s' "$out" | jq -e '.code == 999 and (.msg | test("default route")) and .cniVersion == "1.0.0"' >/dev/null ||
		fail "CHECK error: $out"
	plugin corral DEL ctr-2 /run/netns/crtest-c
	plugin corral DEL ctr-2 /run/netns/crtest-c
	[ -z "$(ip -n crtest-c -o link show eth0 2>/dev/null)" ] || fail "eth0 left in the netns"
	[ -z "$(ls /run/crtest-ipam/ipam/crtest | grep '^10\.')" ] || fail "lease left"
	ip netns del crtest-c
	ip link del crcni0
	rm -rf /run/crtest-ipam
}

del_after_netns_is_gone() {
	reset
	ip netns add crtest-g
	plugin corral ADD ctr-3 /run/netns/crtest-g > /dev/null
	[ -n "$(ls /run/crtest-ipam/ipam/crtest | grep '^10\.')" ] || fail "no lease after ADD"
	ip netns del crtest-g
	plugin corral DEL ctr-3 /run/netns/crtest-g
	[ -z "$(ls /run/crtest-ipam/ipam/crtest | grep '^10\.')" ] || fail "lease left"
	# the host end goes with the netns, without anyone waiting
	i=0
	while ip -o link | grep -q ' cr-'; do i=$((i + 1)); [ $i -lt 200 ] || fail "veth left: $(links)"; sleep 0.025; done
	ip link del crcni0
	rm -rf /run/crtest-ipam
}

gc_and_status() {
	reset
	c11=$(conf false | jq -c '.cniVersion = "1.1.0"')
	ip netns add crtest-k
	ip netns add crtest-l
	plugin corral ADD keep /run/netns/crtest-k "$c11" > /dev/null
	plugin corral ADD drop /run/netns/crtest-l "$c11" > /dev/null
	expect_eq "leases" "$(ls /run/crtest-ipam/ipam/crtest | grep -c '^10\.')" 2
	gc=$(printf '%s' "$c11" | jq -c '. + {"cni.dev/valid-attachments": [{"containerID": "keep", "ifname": "eth0"}]}')
	printf '%s' "$gc" | CNI_COMMAND=GC "$CORRAL" netsetup
	expect_eq "leases after GC" "$(ls /run/crtest-ipam/ipam/crtest | grep -c '^10\.')" 1
	grep -q '^container keep eth0$' /run/crtest-ipam/ipam/crtest/10.* || fail "GC dropped the listed lease"
	out=$(printf '%s' "$c11" | CNI_COMMAND=STATUS "$CORRAL" netsetup)
	expect_eq "STATUS output" "$out" ""
	# GC and STATUS are 1.1 verbs
	set +e
	out=$(printf '%s' "$(conf false)" | CNI_COMMAND=STATUS "$CORRAL" netsetup)
	rc=$?
	set -e
	expect_eq "STATUS at 1.0.0" "$rc/$(printf '%s' "$out" | jq .code)" "1/1"
	plugin corral DEL keep /run/netns/crtest-k "$c11"
	plugin corral DEL drop /run/netns/crtest-l "$c11"
	ip netns del crtest-k
	ip netns del crtest-l
	ip link del crcni0
	rm -rf /run/crtest-ipam
}

parallel_adds_get_distinct_addresses() {
	reset
	for i in 1 2 3 4 5 6 7 8 9 10; do
		ip netns add "crtest-p$i"
	done
	for i in 1 2 3 4 5 6 7 8 9 10; do
		plugin corral ADD "par-$i" "/run/netns/crtest-p$i" > "$T_TMP/par-$i.json" &
	done
	wait
	n=$(cat "$T_TMP"/par-*.json | jq -r '.ips[0].address' | sort -u | grep -c '^10\.77\.0\.')
	expect_eq "distinct addresses" "$n" 10
	for i in 1 2 3 4 5 6 7 8 9 10; do
		a=$(jq -r '.ips[0].address' "$T_TMP/par-$i.json")
		got=$(ip -n "crtest-p$i" -j addr show eth0 | jq -r '.[0].addr_info[] | select(.family == "inet") | "\(.local)/\(.prefixlen)"')
		expect_eq "eth0 of crtest-p$i" "$got" "$a"
	done
	for i in 1 2 3 4 5 6 7 8 9 10; do
		ip netns del "crtest-p$i"
		plugin corral DEL "par-$i" "/run/netns/crtest-p$i"
	done
	expect_eq "leases left" "$(ls /run/crtest-ipam/ipam/crtest | grep -c '^10\.' || :)" 0
	reset
}

version_like_the_reference() {
	v=$(printf '{"cniVersion":"1.0.0"}' | CNI_COMMAND=VERSION "$CORRAL" netsetup)
	printf '%s' "$v" | jq -e '.cniVersion == "1.0.0" and (.supportedVersions | index("1.0.0") and index("1.1.0") and index("0.4.0"))' >/dev/null ||
		fail "VERSION: $v"
	r=$(printf '{"cniVersion":"1.0.0"}' | CNI_COMMAND=VERSION "$REF")
	# every version both speak from 0.3.0 on is in ours
	for ver in $(printf '%s' "$r" | jq -r '.supportedVersions[]'); do
		case $ver in 0.1.0|0.2.0) continue ;; esac
		printf '%s' "$v" | jq -e --arg x "$ver" '.supportedVersions | index($x)' >/dev/null ||
			fail "VERSION lacks $ver"
	done
}

# err WANT_CODE CONF [ENV...]: the plugin fails with the spec's error JSON.
err() {
	_want=$1 _conf=$2
	shift 2
	set +e
	_out=$(printf '%s' "$_conf" | env CNI_COMMAND=ADD CNI_CONTAINERID=ctr-e \
		CNI_NETNS=/run/netns/crtest-e CNI_IFNAME=eth0 "$@" "$CORRAL" netsetup)
	_rc=$?
	set -e
	expect_eq "exit of '$*' $_conf" "$_rc" 1
	printf '%s' "$_out" | jq -e --argjson c "$_want" '.code == $c and (.msg | length > 0) and (.cniVersion | type == "string")' >/dev/null ||
		fail "want code $_want: $_out"
}

errors_are_the_specs() {
	reset
	ip netns add crtest-e
	good=$(conf false)
	err 1 "$(printf '%s' "$good" | jq -c '.cniVersion = "9.9.9"')"
	err 6 '{"cniVersion": "1.0.0", '
	err 7 "$(printf '%s' "$good" | jq -c 'del(.ipam)')"
	err 7 "$(printf '%s' "$good" | jq -c '.mtu = "big"')"
	err 2 "$(printf '%s' "$good" | jq -c '.ipam.ranges[0][0].rangeStart = "10.77.0.10"')"
	err 2 "$(printf '%s' "$good" | jq -c '.type = "macvlan"')"
	err 4 "$good" CNI_IFNAME=
	err 4 "$good" CNI_IFNAME=bad/name
	err 4 "$good" CNI_CONTAINERID=../x
	err 4 "$good" CNI_COMMAND=FROB
	err 3 "$good" CNI_NETNS=/run/netns/crtest-nosuch
	# nothing was made
	[ -z "$(ip -n crtest-e -o link show eth0 2>/dev/null)" ] || fail "eth0 made"
	[ ! -e /run/crtest-ipam/ipam/crtest ] || [ -z "$(ls /run/crtest-ipam/ipam/crtest | grep '^10\.')" ] ||
		fail "lease left"
	ip netns del crtest-e
	ip link del crcni0 2>/dev/null || :
	rm -rf /run/crtest-ipam
}

if [ ! -x "$REF" ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q containernetworking-plugins >/dev/null 2>&1 || :
fi
if [ ! -x "$REF" ] || ! command -v jq >/dev/null || ! command -v python3 >/dev/null; then
	skip "26-cni" "needs $REF (containernetworking-plugins), jq and python3"
	exit 0
fi
t "cni: ADD like the reference bridge plugin (ipMasq false): result and kernel state" compare_with_reference false
if command -v iptables >/dev/null; then
	t "cni: ADD like the reference with ipMasq (all but the NAT mechanism)" compare_with_reference true
else
	skip "cni: ipMasq comparison" "the reference plugin needs iptables"
fi
t "cni: CHECK sees a missing route, DEL twice is fine" check_and_idempotent_del
t "cni: DEL after the netns is gone releases the lease" del_after_netns_is_gone
t "cni: GC keeps the listed attachments; STATUS" gc_and_status
t "cni: 10 parallel ADDs get distinct addresses; DELs leave no lease" parallel_adds_get_distinct_addresses
t "cni: VERSION" version_like_the_reference
t "cni: errors are the spec's JSON, exit 1, nothing made" errors_are_the_specs
