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
	for m in overlay veth bridge nf_tables nf_conntrack nf_nat nft_chain_nat nft_masq \
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

# ---- hooks: these need the network and pod-sandbox applets ----

# A pod sandbox on a bridge with NAT, reaching a test-host namespace made
# here inside the VM (never anything outside it).
pod_bridge_nat() {
	has_applet sandbox || skip "no sandbox applet in this build (pod sandboxes)"
	skip "pod check not written for this build's sandbox applet yet"
}

# Two `run --net sandbox:ID` containers of one pod talking over localhost.
run_sandbox_localhost() {
	has_applet sandbox || skip "no sandbox applet in this build (run --net sandbox:ID)"
	skip "localhost check not written for this build's sandbox applet yet"
}

# nsenter into the pod's namespaces.
nsenter_pod() {
	has_applet nsenter || skip "no nsenter applet in this build"
	has_applet sandbox || skip "no sandbox applet in this build (nothing to enter)"
	skip "nsenter check not written for this build's sandbox applet yet"
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
