#!/bin/sh
# make bench: start-up cost of corral against the floor programs and its
# peers. Each section is a function section_NAME that hands its commands to
# the one shared driver, bench(); BENCH_SECTIONS picks sections (default:
# start), BENCH_N the runs per command (default 200). Every sandbox runs
# /bin/true by its full path, so no PATH search is timed, and PATH is
# Debian's default for the peers themselves.
set -eu
cd "$(dirname "$0")/.."

B=build/bench
DRIVER=build/tools/benchrun
FLOOR=build/tools/floor
CORRAL=${CORRAL:-./corral}
SECTIONS=${BENCH_SECTIONS:-start vm net sandbox pull}
export BENCH_N="${BENCH_N:-200}"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

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

# ms NAME SECTION [COLUMN]: the median wall (or, COLUMN 3, CPU) time of
# NAME; empty if it did not run.
ms() { awk -v n="$1" -v c="${3:-2}" '$1 == n { print $c }' "$B/$2.txt"; }

# target SECTION WHAT BASE LIMIT: "WHAT <= LIMIT x BASE: RATIO met/missed",
# judged on wall time; the CPU ratio beside it is steadier on a busy machine.
# target SECTION WHAT BASE LIMIT COLUMN LABEL: judged on COLUMN (2 wall, 3
# CPU) alone, the line starting with LABEL.
target() {
	a=$(ms "$2" "$1" "${5:-2}") b=$(ms "$3" "$1" "${5:-2}")
	lbl="${6:-}$2 <= $4 x $3:"
	if [ -z "$a" ] || [ -z "$b" ]; then
		printf '  %-34s %s\n' "$lbl" "not measured (${a:+$3}${a:-$2} did not run)"
		return
	fi
	if [ -n "${5:-}" ]; then
		awk -v a="$a" -v b="$b" -v l="$4" -v w="$lbl" 'BEGIN {
			if (b <= 0) { printf "  %-34s base is 0\n", w; exit }
			printf "  %-34s %.3fx  %s\n", w, a / b, (a / b <= l) ? "met" : "missed" }'
		return
	fi
	awk -v a="$a" -v b="$b" -v ac="$(ms "$2" "$1" 3)" -v bc="$(ms "$3" "$1" 3)" \
		-v l="$4" -v w="$2 <= $4 x $3:" 'BEGIN {
		printf "  %-28s %.2fx  %-6s (cpu %.2fx)\n", w, a / b,
			(a / b <= l) ? "met" : "missed", (bc > 0) ? ac / bc : 0 }'
}

# The crun bundle: a busybox-static rootfs whose /bin/true is busybox, and
# the config of `crun spec` changed to run /bin/true with no terminal and a
# read-only root. Made once.
crun_bundle() {
	d=$B/crun
	grep -q '"/bin/true"' "$d/config.json" 2>/dev/null && [ -x "$d/rootfs/bin/busybox" ] && return 0
	[ -x /bin/busybox ] && dpkg -s busybox-static >/dev/null 2>&1 ||
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q busybox-static >/dev/null
	rm -rf "$d"
	mkdir -p "$d/rootfs/bin" "$d/rootfs/proc" "$d/rootfs/dev" "$d/rootfs/sys"
	cp /bin/busybox "$d/rootfs/bin/busybox"
	ln -s busybox "$d/rootfs/bin/true"
	(cd "$d" && crun spec)
	sed -i -e 's/"terminal": true/"terminal": false/' \
		-e 's|^\([[:space:]]*\)"sh"$|\1"/bin/true"|' \
		-e 's/"readonly": false/"readonly": true/' "$d/config.json"
	grep -q '"terminal": false' "$d/config.json" &&
		grep -q '^[[:space:]]*"/bin/true"$' "$d/config.json" &&
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
		set -- "corral=$CORRAL run -- /bin/true" "$@" \
			"corral-crunroot=$CORRAL run --root $B/crun/rootfs -- /bin/true"
	else
		say "corral: $CORRAL has no 'run' applet yet; left out"
	fi
	set -- "$@" \
		"bwrap=bwrap --ro-bind / / --dev /dev --proc /proc --unshare-all /bin/true" \
		"crun=crun run --bundle $B/crun corral-bench-%n" \
		"crun-nocgroup=crun --cgroup-manager=disabled run --bundle $B/crun corral-bench-%n" \
		"unshare=unshare -mpfiun --mount-proc /bin/true"
	bench start floor -c "$@"
	say
	say "floor: clone(NEWNS|NEWPID|NEWUTS|NEWIPC|NEWNET), tmpfs upper, overlay of /,"
	say "  /proc, /dev, pivot_root, exec; floor-bare: the clone and exec only."
	say "crun-nocgroup: crun with --cgroup-manager=disabled (no cgroup of its own)."
	say "corral-crunroot: corral on crun's rootfs, so the same static busybox /bin/true"
	say "  (corral and the floor run the host's, which loads glibc)."
	say "targets:"
	target start corral floor 1.3
	target start corral bwrap 0.6
	target start corral crun 0.25
	a=$(ms corral-crunroot start) b=$(ms crun start)
	if [ -n "$a" ] && [ -n "$b" ]; then
		awk -v a="$a" -v b="$b" 'BEGIN { printf "  %-28s %.2fx  %s\n",
			"corral-crunroot / crun:", a / b, "(the same program as crun; not a target)" }'
	fi
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

# Section: pod sandboxes, in a throwaway netns playing the host (with its own
# /run): `sandbox create` + `rm` against the same pod made by hand with `ip`
# and `catatonit -P`; 500 live sandboxes; pause's memory against its peers.
section_sandbox() {
	say "== sandbox: pod sandboxes (create + rm, scale, memory) =="
	need catatonit catatonit
	need tini-static tini
	need ip iproute2
	BENCH_SANDBOX_INNER=1 unshare -n -m sh tools/bench.sh
}

# median of the numbers on stdin
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
now_us() { echo $(( $(date +%s%N) / 1000 )); }

sandbox_inner() {
	mount -t tmpfs -o mode=0755 benchrun /run
	ip link set lo up
	SB="$CORRAL sandbox"
	$SB rm "$($SB create)" > /dev/null	# bridge, NAT, /run/netns once
	# The same pod by hand: netns, veth on the bridge with an address and
	# a default route, lo up, catatonit -P holding new uts + ipc; then the
	# way back. One script each way, one run each.
	cat > "$B/pod-ip.sh" <<-'EOS'
	n=$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
	ns=hp-$n
	ip netns add $ns
	ip link add hv-$n type veth peer name eth0 netns $ns
	ip link set hv-$n master corral0 up
	ip -n $ns addr add 10.89.200.$(( 0x${n%??????} % 250 + 2 ))/16 dev eth0
	ip -n $ns link set eth0 up
	ip -n $ns link set lo up
	ip -n $ns route add default via 10.89.0.1
	ip netns exec $ns unshare -ui setsid catatonit -P < /dev/null > /dev/null 2>&1 &
	p=$!
	kill $p; wait $p 2>/dev/null
	ip netns del $ns
	ip link del hv-$n 2>/dev/null || :
	EOS
	# the network floor's bridge (tools/netfloor.c), as in section_net
	ip link add crb0 type bridge
	ip link set crb0 address 02:00:00:00:88:01 mtu 1500
	ip addr add 10.88.0.1/16 dev crb0
	ip link set crb0 up
	BENCH_N=${BENCH_SANDBOX_N:-100}
	"$DRIVER" -n "$BENCH_N" -r ip+catatonit -o "$B/sandbox.txt" \
		"corral=$SB create --name bp%n ;; $SB rm bp%n" "ip+catatonit=sh $B/pod-ip.sh" \
		"netfloor=build/tools/netfloor %n" "exec=$CORRAL pause -v"
	say "(corral: sandbox create, then sandbox rm, two execs timed as one; ip+catatonit: one"
	say "  sh script each way; netfloor: one network set up and dropped in one process;"
	say "  exec: one fork and exec of corral)"
	awk '{ w[$1] = $2; c[$1] = $3 }
	END {
		f = w["netfloor"] + w["exec"]
		if (f > 0) printf "  %-44s %.2fx  %s\n", "corral wall <= 1.5 x (netfloor + exec):",
			w["corral"] / f, w["corral"] / f <= 1.5 ? "met" : "missed"
		if (c["ip+catatonit"] > 0) printf "  %-44s %.2fx  %s\n", "corral CPU <= 0.1 x ip+catatonit:",
			c["corral"] / c["ip+catatonit"], c["corral"] / c["ip+catatonit"] <= 0.1 ? "met" : "missed"
	}' "$B/sandbox.txt"
	say

	n=${BENCH_SANDBOX_SCALE:-500}
	say "-- $n live sandboxes --"
	slab0=$(awk '/^Slab:/ { print $2 }' /proc/meminfo)
	: > "$B/sandbox-create.txt"
	i=0
	while [ $i -lt $n ]; do
		t0=$(now_us); $SB create > /dev/null; t1=$(now_us)
		echo $((t1 - t0)) >> "$B/sandbox-create.txt"
		i=$((i + 1))
	done
	slab1=$(awk '/^Slab:/ { print $2 }' /proc/meminfo)
	first=$(head -n 50 "$B/sandbox-create.txt" | median)
	last=$(tail -n 50 "$B/sandbox-create.txt" | median)
	: > "$B/sandbox-ls.txt"
	for k in 1 2 3 4 5 6 7 8 9; do
		t0=$(now_us); $SB ls > /dev/null; t1=$(now_us); echo $((t1 - t0)) >> "$B/sandbox-ls.txt"
	done
	lsus=$(median < "$B/sandbox-ls.txt")
	rss=$(for d in /run/corral/sandboxes/*/state.json; do
		sed -n 's/^  "pause_pid": \([0-9]*\),$/\1/p' "$d"; done |
		while read p; do sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/$p/status; done |
		awk '{ s += $1; k++ } END { printf "%.1f", s / k }')
	awk -v f=$first -v l=$last -v ls=$lsus -v n=$n 'BEGIN {
		printf "  create median, first 50: %.1f ms, last 50: %.1f ms: %.2fx  %s (target <= 1.3x)\n",
			f / 1000, l / 1000, l / f, l / f <= 1.3 ? "met" : "missed"
		printf "  ls at %d: %.1f ms  %s (target < 100 ms)\n", n, ls / 1000, ls < 100000 ? "met" : "missed" }'
	say "  per sandbox: pause VmRSS $rss KiB, kernel slab $(( (slab1 - slab0) / n )) KiB (Slab in /proc/meminfo, before and after)"
	t0=$(now_us)
	$SB rm $(ls /run/corral/sandboxes | grep '^[0-9a-f]\{16\}$') > /dev/null
	t1=$(now_us)
	say "  rm of all $n: $(( (t1 - t0) / 1000 )) ms"
	say

	say "-- idle holder memory (VmRSS) --"
	id=$($SB create --net none)
	p=$(sed -n 's/^  "pause_pid": \([0-9]*\),$/\1/p' /run/corral/sandboxes/$id/state.json)
	say "  corral pause:  $(sed -n 's/^VmRSS:[[:space:]]*//p' /proc/$p/status)"
	$SB rm $id > /dev/null
	for h in "catatonit -P" "tini-static -s -- sleep 1000"; do
		setsid $h < /dev/null > /dev/null 2>&1 &
		p=$!
		sleep 0.3
		printf '  %-14s %s\n' "${h%% *}:" "$(sed -n 's/^VmRSS:[[:space:]]*//p' /proc/$p/status)"
		kill $p; wait $p 2>/dev/null || :
	done
}

# Section: what each part of `corral run` costs, by turning parts off.
section_parts() {
	say "== parts: corral run /bin/true with parts turned off (ms per start) =="
	has_applet run || { say "corral: $CORRAL has no 'run' applet yet; section skipped"; return 0; }
	bench parts floor \
		"corral=$CORRAL run -- /bin/true" \
		"no-seccomp=$CORRAL run --seccomp unconfined -- /bin/true" \
		"net-host=$CORRAL run --net host -- /bin/true" \
		"neither=$CORRAL run --seccomp unconfined --net host -- /bin/true" \
		"floor=$FLOOR /bin/true" \
		"floor-bare=$FLOOR -b /bin/true"
}

# Section: boot-time sandboxes. The initramfs of the default boot config
# (sizes with and without its modules, and corral's own part), then the
# boot test under qemu, whose first sandbox prints the guest's uptime.
section_vm() {
	say "== vm: corral as /init under qemu (software emulation) =="
	BUSYBOX=0 OUT=$B/initramfs.cpio.gz sh tools/initramfs.sh >/dev/null || { say "vm: make initramfs failed"; return 0; }
	f=$B/initramfs.cpio.gz.sizes
	kib() { awk -v k="$1" '$1 == k { printf "%.0f", $2 / 1024 }' "$f"; }
	say "initramfs without busybox (configs/boot.json, kernel $(awk '$1 == "kernel" { print $2 }' "$f")):"
	say "  with its $(awk '$1 == "modules" { print $2 }' "$f") modules  $(kib bytes) KiB gzipped"
	say "  without modules     $(kib bytes_without_modules) KiB gzipped"
	own=$(kib corral_bytes)
	say "  corral alone        $own KiB gzipped  (target < 200 KiB: $([ "$own" -lt 200 ] && echo met || echo missed))"
	if ! VM_BOOTS="pivot chroot" sh tools/check-vm.sh > "$B/vm.txt" 2>&1; then
		say "vm: the boot test failed; see $B/vm.txt"
		return 0
	fi
	r=build/vmtest/results
	val() { awk -v k="$1" '$1 == k { print $2 }' "$r"; }
	say "boot to first sandbox ready (guest clock, s since the kernel started):"
	say "  tmpfs root (pivot_root)      $(val ready_pivot) s   (qemu start to power-off $(val wall_pivot) s)"
	say "  initramfs root (chroot)      $(val ready_chroot) s   (qemu start to reboot $(val wall_chroot) s)"
}

# Section: `corral pull` against `skopeo copy` to an oci: layout (and then
# `umoci unpack`), from Debian's docker-registry on 127.0.0.1 with TLS
# (tests/registry.sh sets it up, as for tests/integration/60-pull.sh).
# The registry and every pull run inside a network namespace made here
# (unshare -n): only its loopback carries traffic. BENCH_PULL_N rounds
# (default 10, after one unmeasured round); every round starts from empty
# stores, so each pull is a full download. Peak RSS comes from GNU time
# over BENCH_PULL_RSS separate runs (default 3; the highest is kept).
section_pull() {
	say "== pull: corral pull against skopeo copy + umoci unpack, local registry over TLS =="
	has_applet pull || { say "corral: $CORRAL has no 'pull' applet; section skipped"; return 0; }
	need docker-registry docker-registry
	need umoci umoci
	need skopeo skopeo
	need openssl openssl
	need unshare util-linux
	need ip iproute2
	need python3 python3
	[ -x /usr/bin/time ] || { say "bench: installing time (for /usr/bin/time)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q time >/dev/null; }
	case $CORRAL in /*) ;; *) CORRAL=$(pwd)/$CORRAL ;; esac
	BENCH_PULL_NETNS=1 CORRAL=$CORRAL unshare -n sh tools/bench.sh
	pull_sizes
	say
	say "targets:"
	target pull corral skopeo+umoci 0.5
	target pull corral-20M skopeo+umoci-20M 0.5
	awk '$1 == "corral" || $1 == "corral-20M" { if ($2 > m) m = $2 }
		END { printf "  %-28s %.2f MiB  %s\n", "corral peak RSS < 4 MiB:", m / 1024,
			(m > 0 && m < 4096) ? "met" : "missed" }' "$B/pull-rss.txt"
	sed -n 's/^budget: \([0-9]*\) KiB.*: \([A-Z]*\)\(.*\)/  binary within \1 KiB (size.sh): \2\3/p' \
		"$B/pull-size.txt" | sed 's/: OK/: met, OK/; s/: OVER/: missed, OVER/'
}

# The bytes TLS and inflate add to the binary, from the link map of
# tools/size.sh: TLS is BearSSL + lib/tls.c, inflate is zlib + lib/layer.c +
# lib/layer_src.c + lib/tar.c.
pull_sizes() {
	sh tools/size.sh > "$B/pull-size.txt" 2>&1 ||
		{ say "size: tools/size.sh failed:"; tail -n 5 "$B/pull-size.txt"; return 0; }
	say
	say "binary: $(sed -n 's/^corral: \([0-9]*\) bytes.*/\1/p' "$B/pull-size.txt") bytes," \
		"budget $(sed -n 's/^budget: //p' "$B/pull-size.txt")"
	say "added by TLS and inflate (tools/size.sh link map, $B/pull-size.txt):"
	awk '
	$1 == "library" && $2 == "BearSSL" || $1 == "lib" && $2 == "lib/tls.c" { tls += $3; t = t " " $2 " " $3 }
	$1 == "library" && $2 == "zlib" || $1 == "lib" && ($2 == "lib/layer.c" || $2 == "lib/layer_src.c" || $2 == "lib/tar.c") { inf += $3; i = i " " $2 " " $3 }
	END {
		printf "  %-10s %7d bytes (%.1f KiB):%s\n", "TLS", tls, tls / 1024, t
		printf "  %-10s %7d bytes (%.1f KiB):%s\n", "inflate", inf, inf / 1024, i
	}' "$B/pull-size.txt"
}

# rss NAME COMMAND...: runs COMMAND under GNU time, appending "NAME KiB"
# (its peak RSS) to $W/rss.raw and its stderr to $W/rss.err.
rss() {
	_n=$1
	shift
	/usr/bin/time -f "$_n %M" -a -o "$W/rss.raw" "$@" > /dev/null 2>> "$W/rss.err" ||
		{ say "pull: $_n failed: $(tail -n 3 "$W/rss.err")"; return 1; }
}

# The part of section_pull that runs in its own network namespace.
pull_netns() {
	ip link set lo up
	W=$(mktemp -d /tmp/crbench.XXXXXX)
	REG_W=$W
	. tests/registry.sh
	trap 'reg_stop; rm -rf "$W"' EXIT
	trap 'exit 130' INT TERM
	port=5001
	small=localhost:$port/bench/small:v1 big=localhost:$port/bench/big:v1
	set +e
	(set -e
	 reg_certs
	 reg_start reg $port tls
	 reg_image_small "$W/oci" small
	 reg_image_big "$W/oci" big
	 reg_push "$W/oci:small" "$small"
	 reg_push "$W/oci:big" "$big") > "$W/setup.log" 2>&1
	rc=$?
	set -e
	if [ $rc -ne 0 ]; then
		say "pull: registry set-up failed:"
		tail -n 20 "$W/setup.log" | sed 's/^/  /'
		return 1
	fi
	# skopeo copy then umoci unpack, as one command for the driver.
	# shellcheck disable=SC2016
	printf '%s\n' '#!/bin/sh' 'set -e' \
		"skopeo copy -q --src-cert-dir $W/certs docker://\$1 oci:\$2:img" \
		'umoci unpack --image "$2:img" "$2.bundle" >/dev/null' > "$W/skopeo-umoci"
	S=$W/st
	pull="$CORRAL pull -q --ca $W/ca.crt"
	sk="skopeo copy -q --src-cert-dir $W/certs"
	set -- \
		"corral-pull=$pull --no-unpack --dest $S/c1 $small" \
		"skopeo-copy=$sk docker://$small oci:$S/s1:img" \
		"corral=$pull --dest $S/c2 $small" \
		"skopeo+umoci=sh $W/skopeo-umoci $small $S/s2" \
		"corral-pull-20M=$pull --no-unpack --dest $S/c3 $big" \
		"skopeo-copy-20M=$sk docker://$big oci:$S/s3:img" \
		"corral-20M=$pull --dest $S/c4 $big" \
		"skopeo+umoci-20M=sh $W/skopeo-umoci $big $S/s4"
	rounds=${BENCH_PULL_N:-10}
	say "$rounds rounds (after one unmeasured), each from empty stores; ms per pull"
	: > "$W/all.txt"
	r=0
	while [ $r -le "$rounds" ]; do
		rm -rf "$S" && mkdir "$S"
		"$DRIVER" -s -w 0 -n 1 -o "$W/round.txt" "$@" >> "$W/rounds.log" 2>&1 ||
			{ say "pull: round $r failed:"; tail -n 12 "$W/rounds.log" | sed 's/^/  /'; return 1; }
		[ $r -eq 0 ] || cat "$W/round.txt" >> "$W/all.txt"
		set -- "$@" "$1"	# the next round starts one command later
		shift
		r=$((r + 1))
	done
	grep -e 'left out' -e 'all failed' -e 'failed runs' "$W/rounds.log" | sort | uniq -c | sed 's/^/  benchrun:/' || :
	# Medians per command, in the driver's format ($B/pull.txt), and a table.
	awk '{ n[$1]++; w[$1, n[$1]] = $2; c[$1, n[$1]] = $3; if (!($1 in seen)) { seen[$1] = 1; order[++k] = $1 } }
	function med(a, name, cnt,   i, j, t, v) {
		for (i = 1; i <= cnt; i++) v[i] = a[name, i]
		for (i = 1; i <= cnt; i++) for (j = i + 1; j <= cnt; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
		lo = v[1]; hi = v[cnt]
		return (cnt % 2) ? v[(cnt + 1) / 2] : (v[cnt / 2] + v[cnt / 2 + 1]) / 2
	}
	END {
		for (i = 1; i <= k; i++) {
			x = order[i]; mc = med(c, x, n[x]); mw = med(w, x, n[x])
			printf "%s %.3f %.3f %.3f %.3f %d\n", x, mw, mc, lo, hi, n[x]
		}
	}' "$W/all.txt" > "$W/med.txt"
	cut -d' ' -f1-3 "$W/med.txt" > "$B/pull.txt"
	printf '  %-18s %9s %9s %9s %9s %5s\n' what "wall p50" min max "cpu p50" runs
	for x in corral-pull skopeo-copy corral skopeo+umoci corral-pull-20M skopeo-copy-20M corral-20M skopeo+umoci-20M; do
		awk -v x="$x" '$1 == x { printf "  %-18s %9.1f %9.1f %9.1f %9.1f %5d\n", $1, $2, $4, $5, $3, $6; f = 1 }
			END { if (!f) printf "  %-18s %9s\n", x, "no runs" }' "$W/med.txt"
	done
	say "  (corral-pull, skopeo-copy: the download alone; corral, skopeo+umoci: with the"
	say "  unpack into a rootfs; -20M: the image with one 20 MB layer of random bytes)"

	# Peak RSS, with GNU time; the highest of BENCH_PULL_RSS runs each.
	: > "$W/rss.raw"
	k=0
	while [ $k -lt "${BENCH_PULL_RSS:-3}" ]; do
		rm -rf "$S" && mkdir "$S"
		for img in small big; do
			ref=$small sfx=
			[ $img = big ] && ref=$big sfx=-20M
			# shellcheck disable=SC2086
			rss "corral-pull$sfx" $pull -v --no-unpack --dest "$S/c1$img" "$ref"
			# shellcheck disable=SC2086
			rss "corral$sfx" $pull -v --dest "$S/c2$img" "$ref"
			# shellcheck disable=SC2086
			rss "skopeo-copy$sfx" $sk "docker://$ref" "oci:$S/s$img:img"
			rss "umoci-unpack$sfx" umoci unpack --image "$S/s$img:img" "$S/b$img"
		done
		k=$((k + 1))
	done
	# GNU time may put "Command exited with non-zero status" lines in front.
	awk 'NF == 2 && $2 ~ /^[0-9]+$/ { if ($2 > m[$1]) m[$1] = $2 }
		END { for (x in m) print x, m[x] }' "$W/rss.raw" > "$B/pull-rss.txt"
	# skopeo + umoci: two processes one after the other; the pair peaks at the larger.
	awk '{ m[$1] = $2 } END {
		print "skopeo+umoci", (m["skopeo-copy"] > m["umoci-unpack"]) ? m["skopeo-copy"] : m["umoci-unpack"]
		print "skopeo+umoci-20M", (m["skopeo-copy-20M"] > m["umoci-unpack-20M"]) ? m["skopeo-copy-20M"] : m["umoci-unpack-20M"]
	}' "$B/pull-rss.txt" > "$W/rss.pair"
	cat "$W/rss.pair" >> "$B/pull-rss.txt"
	say
	say "peak RSS (GNU time, the highest of ${BENCH_PULL_RSS:-3} runs):"
	for x in corral-pull skopeo-copy corral umoci-unpack skopeo+umoci corral-pull-20M skopeo-copy-20M corral-20M umoci-unpack-20M skopeo+umoci-20M; do
		awk -v x="$x" '$1 == x { printf "  %-18s %7.1f MiB\n", $1, $2 / 1024 }' "$B/pull-rss.txt"
	done

	# Throughput of the 20 MB image: the bytes corral fetched (manifest,
	# config, layer) over the median wall time of the download alone, TLS
	# handshake and all.
	fetched=$(sed -n 's/.*blobs fetched, \([0-9]*\) bytes in.*/\1/p' "$W/rss.err" | sort -n | uniq)
	bytes=$(echo "$fetched" | tail -n 1)
	say
	say "images: $(echo "$fetched" | head -n 1) bytes (busybox), $bytes bytes (20 MB layer), all blobs"
	say "throughput, 20 MB layer ($bytes bytes fetched; over the median wall time):"
	for x in corral-pull-20M skopeo-copy-20M corral-20M skopeo+umoci-20M; do
		awk -v x="$x" -v b="$bytes" '$1 == x && $2 > 0 { printf "  %-18s %7.1f MiB/s\n", x, b / 1048576 / ($2 / 1000) }' "$W/med.txt"
	done
	say "  (corral -v, its own clock, no exec: $(sed -n 's/.*bytes in .* s (\([0-9.]* MiB\/s\)).*/\1/p' "$W/rss.err" | sort -n | tail -n 1) at best)"
	say "  TLS: $(sed -n 's/^corral pull: TLS: \([^ ]*\).*/\1/p' "$W/rss.err" | sort -u | tr '\n' ' ')"
}

if [ -n "${BENCH_PULL_NETNS:-}" ]; then
	pull_netns
	exit
fi

[ "$(id -u)" -eq 0 ] || { say "bench: needs root (namespaces, mounts)"; exit 1; }
[ -x "$DRIVER" ] && [ -x "$FLOOR" ] || { say "bench: run 'make bench' (needs $DRIVER, $FLOOR)"; exit 1; }
mkdir -p "$B"
if [ -n "${BENCH_SANDBOX_INNER:-}" ]; then sandbox_inner; exit; fi
if [ -z "${BENCH_NET_INNER:-}" ]; then	# not again inside the net section's netns
	say "corral $("$CORRAL" --version 2>/dev/null | sed 's/^corral //'), kernel $(uname -r)," \
		"$(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg), BENCH_N=$BENCH_N"
	say
	awk -v n="$(nproc)" '$1 > n / 2 { exit 1 }' /proc/loadavg ||
		say "warning: the machine is busy; medians will be high and noisy, ratios less so"
	say
fi
for s in $SECTIONS; do
	command -v "section_$s" >/dev/null 2>&1 ||
		{ say "bench: no section '$s' (have: $(sed -n 's/^section_\([a-z_]*\)().*/\1/p' tools/bench.sh | tr '\n' ' '))"; exit 1; }
	"section_$s"
	say
done
