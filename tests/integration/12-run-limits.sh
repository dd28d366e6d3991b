# corral run --memory / --pids / --cpus: cgroup limits, enforced and removed.
. tests/integration/lib.sh
need_root

# Our cgroups live in corral/ under each hierarchy's root (v2, or v1 where
# only v1 has the controller); run's are named run-PID-START.
our_cgroups() {
	find /sys/fs/cgroup -path '*/corral/run-*' -maxdepth 4 -type d 2>/dev/null | sort
}

memory_limit_oom_kills_and_says_so() {
	set +e
	err=$($CORRAL run --memory 32m -- python3 -c 'x = bytearray(256 << 20); print("survived")' 2>&1)
	rc=$?
	set -e
	expect_eq "exit" "$rc" 137
	case $err in *"corral run: the command was killed: it reached the --memory limit (32768 KiB)"*) ;;
		*) fail "message: $err" ;; esac
	case $err in *survived*) fail "allocation succeeded" ;; esac
	# Under the limit it runs.
	$CORRAL run --memory 128m -- python3 -c 'x = bytearray(16 << 20)'
}

pids_limit_stops_a_fork_bomb() {
	# init and python count too: at most 10 children fit under 12.
	out=$($CORRAL run --pids 12 -- python3 -c "$FORK_COUNT")
	[ "$out" -le 10 ] && [ "$out" -ge 5 ] || fail "forks that succeeded: $out"
}

cpus_limit_is_written() {
	$CORRAL run --cpus 0.5 -- sleep 2 &
	pid=$!
	i=0
	until [ -n "$(our_cgroups)" ]; do i=$((i + 1)); [ $i -lt 100 ] || fail "no cgroup"; sleep 0.05; done
	d=$(our_cgroups | head -n 1)
	if [ -f "$d/cpu.max" ]; then
		expect_eq "cpu.max" "$(cat "$d/cpu.max")" "50000 100000"
	else
		expect_eq "cfs_quota_us" "$(cat "$d/cpu.cfs_quota_us")" "50000"
		expect_eq "cfs_period_us" "$(cat "$d/cpu.cfs_period_us")" "100000"
	fi
	# The sandbox's processes are in it: run makes the cgroup before the
	# clone and puts the init in it after, so give it that moment. On
	# failure, TERM lets run remove its cgroup (a KILL would leave it to
	# the next tests).
	i=0
	until [ -n "$(cat "$d/cgroup.procs")" ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || { kill -TERM $pid; wait $pid || :; fail "empty cgroup"; }
		sleep 0.05
	done
	wait $pid
}

cgroups_removed_after_each_run() {
	$CORRAL run --memory 64m --pids 100 --cpus 1 -- true
	set +e; $CORRAL run --memory 32m -- python3 -c 'x = bytearray(256 << 20)' 2>/dev/null; set -e
	expect_eq "left behind" "$(our_cgroups)" ""
}

bad_limits_exit_125_and_create_nothing() {
	for args in "--memory 12q" "--memory 100k" "--pids 0" "--pids x" "--cpus 0" "--cpus -1" "--cpus 1.234567" "--cpus abc"; do
		set +e
		# shellcheck disable=SC2086
		err=$($CORRAL run $args -- true 2>&1)
		rc=$?
		set -e
		expect_eq "exit for '$args'" "$rc" 125
		case $err in "corral run: bad --"*) ;; *) fail "'$args': $err" ;; esac
	done
	expect_eq "left behind" "$(our_cgroups)" ""
}

# The parent's netns or its lo failing once the init is cloned: exit 125,
# the init and its namespaces gone, the cgroup removed. No host setting can
# make those calls fail, so corral runs inside corral, under a profile that
# fails one system call with an errno, with the host's cgroups bound in.
net_failure_after_the_clone_cleans_up() {
	for c in "unshare 28 network namespace: No space left on device" "socket 13 link lo: Permission denied"; do
		# shellcheck disable=SC2086
		set -- $c
		call=$1 errno=$2
		shift 2
		printf '{ "defaultAction": "SCMP_ACT_ALLOW", "syscalls": [ { "names": ["%s"], "action": "SCMP_ACT_ERRNO", "errnoRet": %s } ] }\n' \
			"$call" "$errno" > "$T_TMP/fail.json"
		out=$($CORRAL run --seccomp "$T_TMP/fail.json" --cap-add ALL --bind "$CORRAL:/tmp/corral" \
			--bind /sys/fs/cgroup:/sys/fs/cgroup -- sh -c '
			/tmp/corral run --memory 64m -- echo ran 2>&1; echo "exit $?"
			for p in /proc/[0-9]*; do printf "%s " "$(cat $p/comm)"; done' 2>&1)
		expect_eq "$call fails" "$out" "corral run: $*
exit 125
corral sh "
		left=$(our_cgroups)
		# shellcheck disable=SC2086
		[ -z "$left" ] || { rmdir $left; fail "left behind: $left"; }
	done
}

t "--memory: over the limit the command is OOM-killed, exit 137, with a message" memory_limit_oom_kills_and_says_so
t "--pids: a fork bomb stops at the limit" pids_limit_stops_a_fork_bomb
t "--cpus: the quota is written and the sandbox is in the cgroup" cpus_limit_is_written
t "the cgroup goes away after each run, OOM or not" cgroups_removed_after_each_run
t "bad limits: exit 125, no cgroup" bad_limits_exit_125_and_create_nothing
# (Before Linux 5.8 setns takes no pidfd, and the clone makes the netns.)
kv=$(uname -r | awk -F. '{ print $1 * 1000 + $2 }')
if [ "$kv" -ge 5008 ]; then
	t "the netns or lo failing after the clone: exit 125, no init, no cgroup" net_failure_after_the_clone_cleans_up
else
	skip "the netns or lo failing after the clone" "Linux $(uname -r): the clone makes the netns (setns by pidfd needs 5.8)"
fi
