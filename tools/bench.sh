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
SECTIONS=${BENCH_SECTIONS:-start vm sandbox}
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
target() {
	a=$(ms "$2" "$1") b=$(ms "$3" "$1")
	if [ -z "$a" ] || [ -z "$b" ]; then
		printf '  %-28s %s\n' "$2 <= $4 x $3:" "not measured (${a:+$3}${a:-$2} did not run)"
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
		set -- "corral=$CORRAL run -- /bin/true" "$@"
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
	say "targets:"
	target start corral floor 1.3
	target start corral bwrap 0.6
	target start corral crun 0.25
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
	cat > "$B/pod-corral.sh" <<-EOS
	$SB rm \$($SB create) > /dev/null
	EOS
	cat > "$B/pod-floor.sh" <<-'EOS'
	ip netns add fl-$$ && ip netns del fl-$$
	EOS
	BENCH_N=${BENCH_SANDBOX_N:-50}
	"$DRIVER" -n "$BENCH_N" -r ip+catatonit -o "$B/sandbox.txt" \
		"corral=sh $B/pod-corral.sh" "ip+catatonit=sh $B/pod-ip.sh" "netns-floor=sh $B/pod-floor.sh"
	say "(each command is one sh running create then rm; netns-floor: ip netns add + del)"
	target sandbox corral ip+catatonit 1.5
	awk '$1 == "corral" { c = $3 } $1 == "ip+catatonit" { h = $3 }
		END { if (h) printf "  %-28s %.2fx  %s\n", "corral CPU <= 0.1 x ip+catatonit:", c / h, c / h <= 0.1 ? "met" : "missed" }' "$B/sandbox.txt"
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

[ "$(id -u)" -eq 0 ] || { say "bench: needs root (namespaces, mounts)"; exit 1; }
[ -x "$DRIVER" ] && [ -x "$FLOOR" ] || { say "bench: run 'make bench' (needs $DRIVER, $FLOOR)"; exit 1; }
mkdir -p "$B"
if [ -n "${BENCH_SANDBOX_INNER:-}" ]; then sandbox_inner; exit; fi
say "corral $("$CORRAL" --version 2>/dev/null | sed 's/^corral //'), kernel $(uname -r)," \
	"$(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg), BENCH_N=$BENCH_N"
awk -v n="$(nproc)" '$1 > n / 2 { exit 1 }' /proc/loadavg ||
	say "warning: the machine is busy; medians will be high and noisy, ratios less so"
say
for s in $SECTIONS; do
	command -v "section_$s" >/dev/null 2>&1 ||
		{ say "bench: no section '$s' (have: $(sed -n 's/^section_\([a-z_]*\)().*/\1/p' tools/bench.sh | tr '\n' ' '))"; exit 1; }
	"section_$s"
	say
done
