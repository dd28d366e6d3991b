#!/bin/sh
# The boot test inside the VM: a workload of corral init ("kind": "exec",
# see tests/vm/boot-*.json). Each check prints one line "ok - vm-BOOT/NAME",
# "not ok - ..." (then "#" diagnostics) or "skip - ...: why"; then the
# marker CORRAL-VM-PASS or CORRAL-VM-FAIL, and SIGTERM to PID 1, which must
# stop the workloads gracefully and power off. tools/check-vm.sh reads it
# all from the serial console.
#
# Environment (from the boot config): VM_BOOT names the boot, EXPECT_ROOT
# is the way `corral run` must switch roots: pivot_root (init moved the
# initramfs into a tmpfs) or chroot (switch_root off: MS_MOVE + chroot);
# STOP_SIGNAL is what ends the boot: TERM (power-off, the default) or INT
# (what the kernel sends on ctrl-alt-del: reboot).
BOOT=${VM_BOOT:-vm}
# init forwards signals to every workload, this one too (see
# init_forwards_signals)
trap 'true' HUP
FAILED=0
T=/vmtest/tmp.$$
mkdir -p "$T"

# children PID: the PIDs of its children (busybox here has no pgrep).
children() {
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do echo "$c"; done
}

has_applet() { corral --list 2>/dev/null | grep -q "^$1 "; }
run_has() { corral run --help 2>/dev/null | grep -q -- "$1 "; }

# check NAME FUNC: runs FUNC in a subshell; its stderr becomes diagnostics.
check() {
	name=$1; shift
	read -r t0 _ < /proc/uptime
	out=$( ("$@") 2>&1 )
	rc=$?
	read -r t1 _ < /proc/uptime
	if [ $rc -eq 0 ]; then
		echo "ok - vm-$BOOT/$name ($(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s)"
	elif [ $rc -eq 77 ]; then
		echo "skip - vm-$BOOT/$name: $(printf '%s' "$out" | tail -n 1)"
	else
		FAILED=1
		printf 'not ok - vm-%s/%s\n%s\n' "$BOOT" "$name" "$(printf '%s\n' "$out" | tail -n 15 | sed 's/^/#   /')"
	fi
}
fail() { echo "$*" >&2; exit 1; }
skip() { echo "$*"; exit 77; }

# wait_for SECONDS COMMAND...: polls every 0.1 s.
wait_for() {
	n=$(($1 * 10)); shift
	while [ $n -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# ---- what init set up ----

mounts_are_there() {
	for m in "/proc proc" "/sys sysfs" "/dev devtmpfs" "/dev/pts devpts" "/run tmpfs" \
		 "/sys/fs/cgroup cgroup2"; do
		set -- $m
		awk -v d="$1" -v t="$2" '$2 == d && $3 == t { f = 1 } END { exit !f }' /proc/mounts ||
			fail "no $2 on $1 in /proc/mounts"
	done
}

cgroup_controllers_enabled() {
	sc=$(cat /sys/fs/cgroup/cgroup.subtree_control)
	for c in memory pids cpu; do
		case " $sc " in *" $c "*) ;; *) fail "subtree_control '$sc' lacks $c" ;; esac
	done
}

modules_loaded() {
	# the config's list and what it pulls in (libcrc32c needs crc32c_generic first)
	for m in overlay veth bridge nf_tables nf_conntrack nf_nat nft_chain_nat nft_masq nft_ct \
		 libcrc32c crc32c_generic llc stp; do
		[ -d "/sys/module/$m" ] || fail "module $m is not loaded"
	done
}

ctrl_alt_del_goes_to_init() {
	# 0: the kernel sends SIGINT to PID 1 instead of rebooting at once
	v=$(cat /proc/sys/kernel/ctrl-alt-del)
	[ "$v" = 0 ] || fail "kernel.ctrl-alt-del is $v"
}

lo_is_up() {
	flags=$(cat /sys/class/net/lo/flags)
	[ $((flags & 1)) -eq 1 ] || fail "lo flags $flags: not up"
}

root_is_as_configured() {
	# the initramfs itself shows as a rootfs mount at /; init's tmpfs copy does not
	if awk '$5 == "/" && $9 == "rootfs" { f = 1 } END { exit !f }' /proc/self/mountinfo; then
		got=chroot
	else
		got=pivot_root
	fi
	[ "$got" = "$EXPECT_ROOT" ] || fail "root: $(awk '$5 == "/"' /proc/self/mountinfo); want $EXPECT_ROOT"
}

root_keeps_the_archive() {
	# the tmpfs copy keeps modes, owners, links and times (mkcpio: mtime 0)
	[ "$(stat -c '%a %u %Y' /init)" = "755 0 0" ] || fail "/init: $(stat -c '%a %u %Y' /init)"
	[ "$(readlink /bin/corral)" = ../init ] || fail "/bin/corral -> $(readlink /bin/corral)"
	[ "$(stat -c '%a %Y' /etc/corral/boot.json)" = "644 0" ] || fail "boot.json: $(stat -c '%a %Y' /etc/corral/boot.json)"
	[ "$(stat -c '%a' /tmp)" = 1777 ] || fail "/tmp: $(stat -c '%a' /tmp)"
}

# ---- corral run on this root ----

run_overlay_root() {
	out=$(corral run --debug -- sh -c 'echo changed > /etc/probe; cat /etc/probe; hostname' 2>"$T/err") ||
		fail "run failed: $(cat "$T/err")"
	[ "$out" = "changed
$(hostname)" ] || fail "output '$out'"
	[ ! -e /etc/probe ] || fail "the write reached the VM's root"
	case $EXPECT_ROOT in
	pivot_root) grep -q 'root: pivot_root' "$T/err" || fail "not pivot_root: $(cat "$T/err")" ;;
	chroot) grep -q 'root: MS_MOVE + chroot' "$T/err" || fail "not MS_MOVE + chroot: $(cat "$T/err")" ;;
	esac
}

run_exit_status() {
	set +e
	corral run -- sh -c 'exit 7'
	rc=$?
	[ $rc -eq 7 ] || fail "exit status $rc, want 7"
	corral run -- sh -c 'kill -KILL $$'
	rc=$?
	[ $rc -eq 137 ] || fail "exit status $rc after SIGKILL, want 137"
}

# ---- init at work ----

first_sandbox_was_ready() {
	wait_for 10 test -s /vmtest/ready || fail "workload 'ready' never wrote /vmtest/ready"
	grep -q '^CORRAL-READY [0-9]' /vmtest/ready || fail "ready: $(cat /vmtest/ready)"
}

restart_policy_acts() {
	wait_for 15 test -e /vmtest/flaky.done || fail "flaky never succeeded (count $(cat /vmtest/flaky.count 2>/dev/null))"
	sleep 0.5
	n=$(cat /vmtest/flaky.count)
	[ "$n" = 3 ] || fail "flaky ran $n times; on-failure wants 3 (2 failures, 1 success)"
}

restart_always_acts() {
	[ "$BOOT" = pivot ] || skip "the 'looper' workload is in the pivot boot"
	# exits 0 each time; "always" starts it again (100, 200, 400 ms later)
	wait_for 10 sh -c '[ "$(cat /vmtest/looper.count 2>/dev/null)" -ge 3 ]' ||
		fail "looper ran $(cat /vmtest/looper.count 2>/dev/null) times"
}

init_reaps_orphans() {
	# sh exits at once; its sleep child becomes an orphan of PID 1
	sh -c 'sleep 0.3 >/dev/null 2>&1 & echo $! > '"$T/orphan"'; exit 0'
	pid=$(cat "$T/orphan")
	[ -n "$pid" ] || fail "no orphan pid"
	case " $(children 1 | tr '\n' ' ') " in
	*" $pid "*) ;;
	*) [ -e "/proc/$pid" ] && fail "orphan $pid is not a child of PID 1" ;;
	esac
	sleep 0.8
	for s in /proc/[0-9]*/stat; do
		read -r st < "$s" 2>/dev/null || continue
		set -- ${st##*) }
		[ "$1" = Z ] && [ "$2" = 1 ] && fail "zombie child of PID 1: $st"
	done
	[ ! -e "/proc/$pid" ] || fail "orphan $pid still there: $(cat /proc/$pid/stat)"
}

init_forwards_signals() {
	# the 'stopper' workload writes /vmtest/hup on SIGHUP, through init,
	# corral run and the sandbox's init
	wait_for 10 test -e /vmtest/stopper || fail "workload 'stopper' never started"
	kill -HUP 1
	wait_for 5 test -e /vmtest/hup || fail "SIGHUP to PID 1 never reached the workload"
}

pause_reaps_zombies() {
	has_applet pause || skip "no pause applet in this build"
	# output to a file: a background job on our stdout would hold the
	# check's pipe open, and kill it whatever happens
	busybox unshare -p -f corral pause >"$T/pause.log" 2>&1 &
	u=$!
	trap 'kill -KILL $u 2>/dev/null' EXIT
	wait_for 5 sh -c "[ -n \"\$(cat /proc/$u/task/*/children 2>/dev/null)\" ]" ||
		fail "pause did not start: $(cat "$T/pause.log")"
	p=$(children "$u" | head -n 1)
	# an orphan inside pause's PID namespace: pause must reap it
	busybox nsenter -t "$p" -p sh -c 'sleep 0.2 & exit 0' </dev/null >/dev/null 2>"$T/nsenter.err" ||
		fail "nsenter into pause's PID namespace: $(cat "$T/nsenter.err")"
	sleep 0.8
	for c in $(children "$p"); do
		grep -q '^State:.*Z' "/proc/$c/status" 2>/dev/null && fail "pause left zombie $c"
	done
	kill -TERM "$p"
	wait "$u"
	rc=$?
	[ $rc -eq 0 ] || fail "pause exited $rc on SIGTERM, want 0: $(cat "$T/pause.log")"
}

# ---- pod sandboxes: these need the network and pod-sandbox applets ----
# The test host "out" is a netns made here, inside the VM, on an uplink
# veth with TEST-NET-2 addresses: nothing leaves the VM. The pod "p" (made
# by pod_bridge_nat) is used by the checks after it; sandbox_rm_clean
# removes it and looks for anything left.
OUT_ADDR=198.51.100.2
UPLINK_ADDR=198.51.100.1
POD=p

need_pod_applets() {
	has_applet sandbox || skip "no sandbox applet in this build (pod sandboxes)"
	has_applet netsetup || skip "no netsetup applet in this build"
}

# pod_field KEY: a number or string member of `sandbox inspect $POD`.
pod_field() {
	corral sandbox inspect "$POD" 2>/dev/null |
		sed -n "s/^ *\"$1\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}\$/\1/p" | head -n 1
}

# listening PORT < /proc/net/tcp...: something listens on TCP PORT.
listening() {
	awk -v p="$(printf ':%04X' "$1")" '$4 == "0A" && substr($2, length($2) - 4) == p { f = 1 }
		END { exit !f }'
}
# tcp_of NSENTER_ARGS...: the TCP sockets of that netns (/proc/net follows
# the reader's netns).
tcp_of() { corral nsenter "$@" -- cat /proc/net/tcp /proc/net/tcp6 2>/dev/null; }
out_listens() { tcp_of --net=/run/netns/out | listening "$1"; }
pod_listens() { tcp_of --sandbox "$POD" | listening "$1"; }

# A pod sandbox on a bridge with NAT, reaching a test-host namespace made
# here inside the VM (never anything outside it).
pod_bridge_nat() {
	need_pod_applets
	n="corral netsetup"
	$n netns add out && $n link add up0 type veth peer out0 netns out &&
		$n addr add "$UPLINK_ADDR/24" dev up0 && $n link set up0 up &&
		$n -n out addr add "$OUT_ADDR/24" dev out0 && $n -n out link set out0 up &&
		$n -n out link set lo up || fail "cannot make the test host 'out'"
	id=$(corral sandbox create --name "$POD" --pid pod 2>"$T/err") || fail "sandbox create: $(cat "$T/err")"
	[ -n "$(printf '%s' "$id" | sed -n '/^[0-9a-f]\{16\}$/p')" ] || fail "create printed '$id', not an id"
	addr=$(pod_field address)
	case $addr in 10.89.*) ;; *) fail "pod address '$addr': $(corral sandbox inspect "$POD")" ;; esac
	[ -e "/run/netns/$(pod_field netns)" ] || fail "no netns $(pod_field netns)"
	# the listener in 'out' notes what it sees of its peer (nc -e: the
	# socket is the program's stdin and stdout)
	corral nsenter --net=/run/netns/out -- nc -l -p 8080 -e sh -c \
		"netstat -tn > $T/out.net; cat > $T/out.log; echo bye" >"$T/nc.err" 2>&1 &
	l=$!
	trap 'kill $l 2>/dev/null' EXIT
	wait_for 5 out_listens 8080 ||
		fail "the listener in 'out' never came up: $(cat "$T/nc.err")"
	corral run --sandbox "$POD" -- sh -c "echo hello-from-pod | nc -w 3 $OUT_ADDR 8080" 2>"$T/err" ||
		fail "the pod cannot reach $OUT_ADDR:8080: $(cat "$T/err")"
	wait_for 5 grep -q hello-from-pod "$T/out.log" || fail "'out' got: $(cat "$T/out.log" "$T/nc.err")"
	peer=$(awk '$4 ~ /:8080$/ { print $5 }' "$T/out.net" | head -n 1)
	case $peer in
	*"$UPLINK_ADDR":*) ;;
	*) fail "'out' saw the peer '$peer', not the NAT address $UPLINK_ADDR (pod $addr): $(cat "$T/out.net")" ;;
	esac
	echo "pod $addr -> $OUT_ADDR seen as $peer" >&2
}

# Two `run --sandbox` containers of one pod talking over localhost.
run_sandbox_localhost() {
	need_pod_applets
	corral sandbox inspect "$POD" >/dev/null 2>&1 || fail "no pod '$POD' (see pod-bridge-nat)"
	corral run --sandbox "$POD" -- nc -l -p 9000 >"$T/lo.log" 2>&1 &
	l=$!
	trap 'kill $l 2>/dev/null' EXIT
	wait_for 5 pod_listens 9000 ||
		fail "the listener in the pod never came up: $(cat "$T/lo.log")"
	# not on the VM's own lo
	! cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | listening 9000 || fail "port 9000 listens in the VM's netns, not only the pod's"
	corral run --sandbox "$POD" -- sh -c 'echo over-localhost | nc -w 3 127.0.0.1 9000' 2>"$T/err" ||
		fail "client: $(cat "$T/err")"
	wait $l || fail "listener exited $?: $(cat "$T/lo.log")"
	trap - EXIT
	[ "$(cat "$T/lo.log")" = over-localhost ] || fail "the listener got '$(cat "$T/lo.log")'"
}

# nsenter into the pod's namespaces: those of its pause.
nsenter_pod() {
	has_applet nsenter || skip "no nsenter applet in this build"
	need_pod_applets
	pause=$(pod_field pause_pid)
	[ -n "$pause" ] && [ -d "/proc/$pause" ] || fail "no pause ($pause): $(corral sandbox inspect "$POD" 2>&1)"
	for ns in net uts ipc pid; do
		want=$(readlink "/proc/$pause/ns/$ns")
		got=$(corral nsenter --sandbox "$POD" -- readlink "/proc/self/ns/$ns" 2>"$T/err") ||
			fail "nsenter --sandbox $POD: $(cat "$T/err")"
		[ "$got" = "$want" ] || fail "$ns: nsenter gives $got, pause has $want"
		[ "$want" != "$(readlink "/proc/self/ns/$ns")" ] || fail "$ns: pause shares the VM's"
	done
	# the pod's own view: its hostname, its address, pause as PID 1
	out=$(corral nsenter --sandbox "$POD" -- sh -c 'hostname; cat /proc/net/fib_trie | grep -c 10.89; echo $$' 2>&1)
	set -- $out
	[ "$1" = "$POD" ] || fail "hostname in the pod: '$1'"
	[ "${2:-0}" -ge 1 ] || fail "no 10.89 address in the pod: $out"
	[ "${3:-1}" != 1 ] || fail "nsenter's shell is PID 1 of the pod: $out"
}

# `sandbox create --memory --pids`: the pod's cgroup v2 limits (the VM has
# cgroup2 only), enforced on the processes in the pod's cgroup. They are
# put there by hand (cgroup.procs), as a member joins; pod_member_cgroup
# checks that `run --sandbox` members do.
sandbox_cgroup_limits() {
	need_pod_applets
	id=$(corral sandbox create --name lim --net none --memory 24m --pids 20 2>"$T/err") ||
		fail "sandbox create --memory 24m --pids 20: $(cat "$T/err")"
	trap 'corral sandbox rm lim >/dev/null 2>&1' EXIT
	cg=/sys/fs/cgroup/corral/sandbox-$id
	[ "$(cat "$cg/memory.max" 2>&1)" = 25165824 ] || fail "$cg/memory.max: $(cat "$cg/memory.max" 2>&1)"
	[ "$(cat "$cg/memory.swap.max" 2>&1)" = 0 ] || fail "$cg/memory.swap.max: $(cat "$cg/memory.swap.max" 2>&1)"
	[ "$(cat "$cg/pids.max" 2>&1)" = 20 ] || fail "$cg/pids.max: $(cat "$cg/pids.max" 2>&1)"
	pause=$(corral sandbox inspect lim | sed -n 's/^ *"pause_pid": \([0-9]*\),$/\1/p')
	grep -qx "$pause" "$cg/cgroup.procs" || fail "pause $pause is not in $cg: $(cat "$cg/cgroup.procs")"
	set +e
	join="echo \$\$ > $cg/cgroup.procs || exit 99"
	spawn() { echo "i=0; while [ \$i -lt $1 ]; do sleep 0.5 & i=\$((i + 1)); done; wait"; }
	sh -c "$join; $(spawn 5)" 2>"$T/err" || fail "5 processes in the pod's cgroup failed: $(cat "$T/err")"
	sh -c "$join; $(spawn 30)" 2>"$T/err"
	rc=$?
	[ $rc -ne 0 ] && [ $rc -ne 99 ] || fail "30 processes under the pod's --pids 20: exit $rc: $(cat "$T/err")"
	grep -q fork "$T/err" || fail "under --pids 20 (exit $rc), but no failed fork: $(cat "$T/err")"
	# tmpfs pages are charged to the writer's cgroup and cannot be
	# reclaimed without swap; a private tmpfs goes with its mount namespace
	hog() {
		unshare -m --propagation private sh -c "mount -t tmpfs hog /tmp && $join &&
			exec dd if=/dev/zero of=/tmp/big bs=1M count=$1" 2>"$T/err"
	}
	hog 4 || fail "4 MB under the pod's --memory 24m failed: $(cat "$T/err")"
	hog 40
	rc=$?
	[ $rc -eq 137 ] || fail "40 MB under the pod's --memory 24m: exit $rc, want 137 (OOM): $(cat "$T/err")"
	ev=$(sed -n 's/^oom_kill //p' "$cg/memory.events")
	[ "${ev:-0}" -ge 1 ] || fail "no oom_kill in $cg/memory.events: $(cat "$cg/memory.events")"
	corral sandbox ls | grep -q "^$id  *lim  *running " || fail "the OOM took the pod down: $(corral sandbox ls 2>&1)"
	corral sandbox rm lim >/dev/null 2>"$T/err" || fail "sandbox rm lim: $(cat "$T/err")"
	trap - EXIT
	[ ! -e "$cg" ] || fail "$cg is still there after rm"
}

# A `run --sandbox` member of a pod with limits lands in the pod's cgroup
# (or below it), so that the pod's limits hold it.
pod_member_cgroup() {
	need_pod_applets
	id=$(corral sandbox create --name mem --net none --pids 50 2>"$T/err") ||
		fail "sandbox create --pids 50: $(cat "$T/err")"
	trap 'corral sandbox rm mem >/dev/null 2>&1' EXIT
	cg=/sys/fs/cgroup/corral/sandbox-$id
	corral run --sandbox mem -- sh -c 'echo up; sleep 3' >"$T/member" 2>&1 &
	b=$!
	wait_for 3 grep -q up "$T/member" || fail "the member never started: $(cat "$T/member")"
	in=$(cat $cg/cgroup.procs $cg/*/cgroup.procs 2>/dev/null | wc -l)
	where=
	for p in $(children "$b"); do where="$where $p:$(sed -n 's/^0:://p' /proc/$p/cgroup)"; done
	kill $b 2>/dev/null; wait $b
	corral sandbox rm mem >/dev/null 2>&1
	trap - EXIT
	[ "$in" -ge 2 ] && return 0
	# run says in its help when --sandbox joins the pod's cgroup
	corral run --help | sed -n '/--sandbox/,/--net sandbox/p' | grep -q cgroup ||
		skip "run --sandbox does not join the pod's cgroup corral/sandbox-<id> (its member:$where): the pod's --memory/--pids do not hold its members"
	fail "only pause in $cg; the member is elsewhere:$where"
}

# `sandbox rm` leaves nothing: no netns, no cr-* link, no lease, no state,
# no cgroup.
sandbox_rm_clean() {
	need_pod_applets
	id=$(pod_field id)
	[ -n "$id" ] || fail "no pod '$POD' to remove"
	ns=$(pod_field netns) veth=$(pod_field host_veth) addr=$(pod_field address)
	pause=$(pod_field pause_pid)
	case $veth in cr-*) ;; *) fail "host_veth '$veth'" ;; esac
	[ -e "/sys/class/net/$veth" ] || fail "no link $veth before rm"
	corral sandbox rm "$POD" >/dev/null 2>"$T/err" || fail "sandbox rm $POD: $(cat "$T/err")"
	corral netsetup netns del out 2>/dev/null
	# The veth goes with the pod's netns, which the kernel tears down after
	# rm returns (nobody waits on its grace periods): give it a moment.
	no_cr_link() { ! ls /sys/class/net | grep -q '^cr-'; }
	wait_for 5 no_cr_link || :
	left=
	[ ! -e "/run/netns/$ns" ] || left="$left netns $ns;"
	l=$(corral netsetup netns list | grep '^cr-') && left="$left netns $l;"
	l=$(ls /sys/class/net | grep '^cr-') && left="$left links $l;"
	l=$(corral netsetup link list 2>&1 | awk '$2 ~ /^cr-/' | grep .) && left="$left link $l;"
	l=$(corral netsetup ipam list corral 2>&1 | grep .) && left="$left lease $l;"
	l=$(ls /run/corral/sandboxes 2>/dev/null | grep -v -e '^lock$' -e '^names$') && left="$left state $l;"
	l=$(ls /run/corral/sandboxes/names 2>/dev/null | grep .) && left="$left name $l;"
	l=$(ls /sys/fs/cgroup/corral 2>/dev/null | grep '^sandbox-') && left="$left cgroup $l;"
	l=$(corral sandbox ls 2>&1 | grep -v '^ID ') && left="$left ls: $l;"
	case $(cat "/proc/$pause/cmdline" 2>/dev/null | tr '\0' ' ') in
	*pause*) left="$left pause $pause;" ;;
	esac
	[ -z "$left" ] || fail "left after rm of $id ($addr):$left"
}

# cgroup v2 memory and pids limits, enforced.
cgroup_limits() {
	run_has --memory && run_has --pids || skip "corral run has no --memory/--pids in this build"
	set +e
	spawn='i=0; while [ $i -lt 30 ]; do sleep 0.5 & i=$((i + 1)); done; wait'
	corral run -- sh -c "$spawn" 2>"$T/err" || fail "30 processes without a limit failed: $(cat "$T/err")"
	corral run --pids 16 -- sh -c "$spawn" 2>"$T/err"
	rc=$?
	[ $rc -ne 0 ] || fail "30 processes under --pids 16 all started"
	grep -q "fork" "$T/err" || fail "under --pids 16 (exit $rc), but no failed fork: $(cat "$T/err")"
	# the overlay's upper layer is a tmpfs: its pages are charged to the
	# sandbox and cannot be reclaimed without swap
	corral run --memory 16m -- dd if=/dev/zero of=/big bs=1M count=40 2>"$T/err"
	rc=$?
	[ $rc -eq 137 ] || fail "40 MB under --memory 16m: exit $rc, want 137 (OOM): $(cat "$T/err")"
	corral run --memory 64m -- dd if=/dev/zero of=/big bs=1M count=40 2>"$T/err" ||
		fail "40 MB under --memory 64m failed: $(cat "$T/err")"
}

check mounts mounts_are_there
check cgroup-controllers cgroup_controllers_enabled
check modules modules_loaded
check lo-up lo_is_up
check ctrl-alt-del-to-init ctrl_alt_del_goes_to_init
check root-"$EXPECT_ROOT" root_is_as_configured
check root-keeps-the-archive root_keeps_the_archive
check run-overlay-root run_overlay_root
check run-exit-status run_exit_status
check first-sandbox-ready first_sandbox_was_ready
check restart-on-failure restart_policy_acts
check restart-always restart_always_acts
check init-reaps-orphans init_reaps_orphans
check init-forwards-signals init_forwards_signals
check pause-reaping pause_reaps_zombies
check pod-bridge-nat pod_bridge_nat
check run-sandbox-localhost run_sandbox_localhost
check nsenter-pod nsenter_pod
check cgroup-limits cgroup_limits
check sandbox-cgroup-limits sandbox_cgroup_limits
check pod-member-cgroup pod_member_cgroup
check sandbox-rm-clean sandbox_rm_clean

rm -rf "$T"
if [ $FAILED = 0 ]; then
	echo "CORRAL-VM-PASS $BOOT"
else
	echo "CORRAL-VM-FAIL $BOOT"
fi
# Graceful stop: init must stop every workload (the 'stopper' says
# CORRAL-GRACEFUL-STOP on its SIGTERM), then power off (or reboot on INT).
kill -"${STOP_SIGNAL:-TERM}" 1
sleep 60
