#!/bin/sh
# make bench: start-up cost of corral against the floor programs and its
# peers. Each section is a function section_NAME that hands its commands to
# the one shared driver, bench(); BENCH_SECTIONS picks sections (default:
# all), BENCH_N the runs per command (default 200).
set -eu
cd "$(dirname "$0")/.."

B=build/bench
DRIVER=build/tools/benchrun
FLOOR=build/tools/floor
CORRAL=${CORRAL:-./corral}
SECTIONS=${BENCH_SECTIONS:-start net}
export BENCH_N="${BENCH_N:-200}"

say() { printf '%s\n' "$*"; }

# need COMMAND PACKAGE: installs PACKAGE when COMMAND is missing.
need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	say "bench: installing $2 (for $1)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null
}

has_applet() { "$CORRAL" --list 2>/dev/null | grep -q "^$1 "; }

# crun 1.8 refuses hybrid cgroups when cgroup2 holds any controller ("cgroups
# in hybrid mode not supported, drop all controllers from cgroupv2"), even
# with --cgroup-manager=disabled. Rather than touch the host's cgroups, the
# driver then runs in a private mount namespace with the cgroup2 mount
# unmounted, where crun sees a plain cgroup v1 host.
hybrid_cgroups() {
	[ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = tmpfs ] &&
		[ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ] &&
		[ -n "$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null)" ]
}

# bench SECTION REF [-c] NAME=COMMAND...: runs the driver (round-robin,
# $BENCH_N each) and keeps "NAME WALL_MS CPU_MS" lines in $B/SECTION.txt.
# -c: hide hybrid cgroup2 from the commands (see hybrid_cgroups).
bench() {
	section=$1 ref=$2
	shift 2
	wrap=
	if [ "${1:-}" = -c ]; then
		shift
		if hybrid_cgroups; then
			wrap=cgroup1
			say "(hybrid cgroups: running in a mount namespace without /sys/fs/cgroup/unified)"
		fi
	fi
	if [ -n "$wrap" ]; then
		unshare -m --propagation private sh -c \
			'umount -l /sys/fs/cgroup/unified && exec "$@"' sh \
			"$DRIVER" -r "$ref" -o "$B/$section.txt" "$@"
	else
		"$DRIVER" -r "$ref" -o "$B/$section.txt" "$@"
	fi
}

# ms NAME SECTION [COLUMN]: the median wall (2) or CPU (3) time of NAME,
# empty if it did not run.
ms() { awk -v n="$1" -v c="${3:-2}" '$1 == n { print $c }' "$B/$2.txt"; }

# target SECTION WHAT BASE LIMIT [COLUMN [LABEL]]: "WHAT <= LIMIT x BASE: met/missed"
# on wall time (or on COLUMN 3, CPU time).
target() {
	a=$(ms "$2" "$1" "${5:-2}") b=$(ms "$3" "$1" "${5:-2}")
	lbl="${6:-}$2 <= $4 x $3:"
	if [ -z "$a" ] || [ -z "$b" ]; then
		printf '  %-34s %s\n' "$lbl" "not measured (${a:+$3}${a:-$2} did not run)"
		return
	fi
	awk -v a="$a" -v b="$b" -v l="$4" -v w="$lbl" 'BEGIN {
		if (b <= 0) { printf "  %-34s base is 0\n", w; exit }
		printf "  %-34s %.3fx  %s\n", w, a / b, (a / b <= l) ? "met" : "missed" }'
}

# The crun bundle: a busybox-static rootfs whose /bin/true is busybox, and
# the config of `crun spec` changed to run `true` with no terminal and a
# read-only root. Made once.
crun_bundle() {
	d=$B/crun
	[ -f "$d/config.json" ] && [ -x "$d/rootfs/bin/busybox" ] && return 0
	[ -x /bin/busybox ] && dpkg -s busybox-static >/dev/null 2>&1 ||
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q busybox-static >/dev/null
	rm -rf "$d"
	mkdir -p "$d/rootfs/bin" "$d/rootfs/proc" "$d/rootfs/dev" "$d/rootfs/sys"
	cp /bin/busybox "$d/rootfs/bin/busybox"
	ln -s busybox "$d/rootfs/bin/true"
	(cd "$d" && crun spec)
	sed -i -e 's/"terminal": true/"terminal": false/' \
		-e 's/^\([[:space:]]*\)"sh"$/\1"true"/' \
		-e 's/"readonly": false/"readonly": true/' "$d/config.json"
	grep -q '"terminal": false' "$d/config.json" &&
		grep -q '^[[:space:]]*"true"$' "$d/config.json" &&
		grep -q '"readonly": true' "$d/config.json" ||
		{ say "bench: could not edit $d/config.json"; rm -f "$d/config.json"; return 1; }
}

# Section: a sandbox that runs /bin/true, from exec to exit.
section_start() {
	say "== start: a sandbox that runs /bin/true (ms per start) =="
	need bwrap bubblewrap
	need crun crun
	need unshare util-linux
	crun_bundle
	set -- "floor=$FLOOR" "floor-bare=$FLOOR -b"
	if has_applet run; then
		set -- "corral=$CORRAL run -- true" "$@"
	else
		say "corral: $CORRAL has no 'run' applet yet; left out"
	fi
	set -- "$@" \
		"bwrap=bwrap --ro-bind / / --dev /dev --proc /proc --unshare-all true" \
		"crun=crun run --bundle $B/crun corral-bench-%n" \
		"crun-nocgroup=crun --cgroup-manager=disabled run --bundle $B/crun corral-bench-%n" \
		"unshare=unshare -mpfiun --mount-proc true"
	bench start floor -c "$@"
	say
	say "floor: clone(NEWNS|NEWPID|NEWUTS|NEWIPC|NEWNET), tmpfs upper, overlay of /,"
	say "  /proc, /dev, pivot_root, exec; floor-bare: the clone and exec only."
	say "crun-nocgroup: crun with --cgroup-manager=disabled (no cgroup of its own)."
	say "targets:"
	target start corral floor 1.3
	target start corral bwrap 0.6
	target start corral crun 0.25
}

# Section: one sandbox network (named netns, veth on the bridge, address,
# lo and eth0 up, default route) set up and torn down. It all happens in a
# throwaway network + mount namespace with a private /run: the script runs
# itself again there (BENCH_NET_INNER).
section_net() {
	if [ -z "${BENCH_NET_INNER:-}" ]; then
		need ip iproute2
		need jq jq
		[ -x /usr/lib/cni/bridge ] || need /usr/lib/cni/bridge containernetworking-plugins
		BENCH_NET_INNER=1 BENCH_SECTIONS=net unshare -n -m --propagation private sh tools/bench.sh
		return
	fi
	say "== net: one sandbox network set up and torn down (ms per network) =="
	mount -t tmpfs -o mode=0755 benchnet /run
	mkdir -p /run/netns
	ip link set lo up
	# crb0 as corral makes a bridge (net_host_setup): MAC and MTU set by
	# hand, so adding a port does not rescan all ports for either
	ip link add crb0 type bridge
	ip link set crb0 address 02:00:00:00:88:01 mtu 1500
	ip addr add 10.88.0.1/16 dev crb0
	ip link set crb0 up
	for p in ref corral; do
		sub=10.90; [ $p = corral ] && sub=10.91
		printf '{"cniVersion":"1.0.0","name":"bench%s","type":"bridge","bridge":"cnb%s0",%s%s%s%s\n' \
			"$p" "$p" '"isGateway":true,"ipMasq":false,' \
			"\"ipam\":{\"type\":\"host-local\",\"ranges\":[[{\"subnet\":\"$sub.0.0/16\"}]]," \
			'"routes":[{"dst":"0.0.0.0/0"}],' "\"dataDir\":\"/run/bench-cni-$p\"}}" > "$B/cni-$p.json"
	done
	jq -e . "$B/cni-ref.json" >/dev/null
	set -- "floor=build/tools/netfloor %n" "corral=build/tools/netbench -1 %n" \
		"ip=sh tools/netbench-ip.sh %n" \
		"cni=sh tools/netbench-cni.sh /usr/lib/cni/bridge $B/cni-ref.json %n" \
		"corral-cni=sh tools/netbench-cni.sh corral $B/cni-corral.json %n"
	bench net floor "$@"
	say
	say "floor: tools/netfloor.c, raw netlink, nothing checked but the ACKs. corral: the"
	say "  library path of run --net nat (tools/netbench.c -1: IPAM lease, net_attach,"
	say "  release). ip: tools/netbench-ip.sh, 9 ip commands. cni: Debian's bridge +"
	say "  host-local plugins, ADD then DEL (tools/netbench-cni.sh, with ip netns add/del);"
	say "  corral-cni: the same script with corral netsetup as the plugin."
	say "  Teardown drops the netns (its veth goes with it; nobody waits on RCU)."
	say "targets, one process per network:"
	target net corral floor 1.3 2 "wall "
	target net corral ip 0.05 2 "wall "
	target net corral cni 0.05 2 "wall "
	target net corral floor 1.3 3 "cpu "
	target net corral ip 0.1 3 "cpu "
	# The same work without an exec per network, as run --net nat does it
	# inside the process that is starting anyway: interleaved loops of 200.
	: > "$B/net-inproc.txt"
	for rep in 1 2 3; do
		build/tools/netfloor -n 200 >> "$B/net-inproc.txt"
		build/tools/netbench 200 >> "$B/net-inproc.txt"
	done
	awk '{ n = ($1 == "netfloor:") ? "floor-inproc" : "corral-inproc"
		w[n] = w[n] " " $(NF-7); c[n] = c[n] " " $(NF-4) }
	function med(s,   a, k, i, j, t) { k = split(s, a, " ")
		for (i = 2; i <= k; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
		return a[int((k + 1) / 2)] }
	END { for (n in w) printf "%s %.3f %.3f\n", n, med(w[n]), med(c[n]) }' \
		"$B/net-inproc.txt" | sort > "$B/net-inproc.med"
	cat "$B/net-inproc.med" >> "$B/net.txt"
	say "in-process, no exec per network (median of 3 loops of 200; ms per network):"
	awk '{ printf "  %-14s wall %7.3f   cpu %7.3f\n", $1, $2, $3 }' "$B/net-inproc.med"
	say "targets, in-process:"
	target net corral-inproc floor-inproc 1.3 2 "wall "
	target net corral-inproc floor-inproc 1.3 3 "cpu "
	target net corral-inproc ip 0.05 2 "wall "
	target net corral-inproc cni 0.05 2 "wall "
	target net corral-inproc ip 0.1 3 "cpu "
	# The scale run: its 20-sample medians of ~1 ms set-ups move with any
	# other rtnl user on the machine, so it runs 3 times.
	say "scale (build/tools/netbench -k 200, 3 runs; target: median ratio <= 1.3):"
	: > "$B/net-scale.txt"
	for rep in 1 2 3; do
		build/tools/netbench -k 200 | tee -a "$B/net-scale.txt" | sed 's/^/  /'
	done
	sed -n 's/.*ratio \([0-9.]*\) (target.*/\1/p' "$B/net-scale.txt" | sort -n | sed -n 2p |
		awk '{ printf "  median ratio last 20 / first 20: %.2f  %s\n", $1, $1 <= 1.3 ? "met" : "missed" }'
	left=$(ip netns list | wc -l)
	links=$(ip -o link | grep -vc -e ' lo:' -e ' crb0:' -e ' cnbref0:' -e ' cnbcorral0:' || :)
	leases=$(find /run/corral/ipam /run/bench-cni-ref /run/bench-cni-corral -name '10.*' 2>/dev/null | wc -l)
	say "after the section: $left netns, $links sandbox links, $leases leases left"
}

[ "$(id -u)" -eq 0 ] || { say "bench: needs root (namespaces, mounts)"; exit 1; }
[ -x "$DRIVER" ] && [ -x "$FLOOR" ] || { say "bench: run 'make bench' (needs $DRIVER, $FLOOR)"; exit 1; }
mkdir -p "$B"
[ -n "${BENCH_NET_INNER:-}" ] ||
say "corral $("$CORRAL" --version 2>/dev/null | sed 's/^corral //'), kernel $(uname -r)," \
	"$(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg), BENCH_N=$BENCH_N"
[ -n "${BENCH_NET_INNER:-}" ] || say
for s in $SECTIONS; do
	command -v "section_$s" >/dev/null 2>&1 ||
		{ say "bench: no section '$s' (have: $(sed -n 's/^section_\([a-z_]*\)().*/\1/p' tools/bench.sh | tr '\n' ' '))"; exit 1; }
	"section_$s"
	say
done
