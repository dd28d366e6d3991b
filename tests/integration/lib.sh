# Sourced by every integration script. Each test is a shell function run
# in a subshell with `set -e`; t prints one line: ok / not ok / skip.
#   t NAME FUNC [ARGS...]     run FUNC; ok when it returns 0
#   skip NAME WHY             a skipped test, with the reason
#   fail MSG                  inside a test: print a diagnostic and fail
#   need_root                 skip the whole file unless root
CORRAL=${CORRAL:-./corral}
case $CORRAL in /*) ;; *) CORRAL=$(cd "$(dirname "$CORRAL")" && pwd)/$(basename "$CORRAL") ;; esac
T_TMP=$(mktemp -d /tmp/crtest.XXXXXX)
trap 'rm -rf "$T_TMP"' EXIT

t() {
	_name=$1; shift
	# Whatever a test started dies with it, pass or fail: its whole process
	# tree (dash's `jobs` sees nothing from a command substitution).
	_out=$( (trap '_rc=$?; read _me _x < /proc/self/stat; kill_tree $_me; exit $_rc' EXIT
		set -e; "$@") 2>&1 )
	_rc=$?
	if [ $_rc -eq 0 ]; then
		echo "ok - $_name"
	else
		echo "not ok - $_name (exit $_rc)"
		printf '%s\n' "$_out" | tail -n 20 | sed 's/^/#   /'
	fi
}

# kill_tree PID: SIGKILLs every descendant of PID, deepest first.
kill_tree() {
	local _c
	for _c in $(pgrep -P "$1" 2>/dev/null); do
		kill_tree "$_c"
		kill -KILL "$_c" 2>/dev/null || :
	done
}

skip() { echo "skip - $1: $2"; }

# gone PID: no such process, or a zombie waiting for a reaper that is not ours
gone() { [ ! -e /proc/$1 ] || grep -q '^State:.*Z' /proc/$1/status 2>/dev/null; }

# kill_dead PID: SIGKILL, then wait (up to 5 s) until it has died: the
# signal is delivered when the process next runs, not when kill returns.
kill_dead() {
	kill -KILL "$1"
	_i=0
	until gone "$1"; do
		_i=$((_i + 1)); [ $_i -lt 250 ] || fail "pid $1 outlived SIGKILL"; sleep 0.02
	done
}

fail() { echo "$*" >&2; return 1; }

# expect_eq WHAT GOT WANT
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}

# expect_rc WANT CMD...: runs CMD, checks its exit status
expect_rc() {
	_want=$1; shift
	set +e; "$@"; _got=$?; set -e
	[ "$_got" -eq "$_want" ] || fail "exit status of '$*': got $_got, want $_want"
}

need_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "skip - $(basename "$0"): needs root"
		exit 0
	fi
}

# test_host: re-runs the calling script inside a throwaway network + mount
# namespace that plays the host, with a private tmpfs on /run (so
# /run/netns and /run/corral are the test's own). Everything made there
# dies with it. Call it first, before any test.
test_host() {
	if [ -n "${CRTEST_INNER:-}" ]; then
		mount -t tmpfs -o mode=0755 crtest /run || { echo "not ok - $0: no private /run"; exit 1; }
		ip link set lo up
		return 0
	fi
	need_root
	export CORRAL CRTEST_INNER=1
	exec unshare -n -m sh "$0" "$@"
}

# links: the interfaces of the current netns, sorted, on one line.
links() { ip -o link show | sed -n 's/^[0-9]*: \([^:@]*\).*/\1/p' | sort | tr '\n' ' '; }

# FORK_COUNT: a python3 program that forks children (each sleeping 2 s)
# until fork fails or 40 are made, and prints how many it made; run it
# under a pids limit to see the limit hold.
FORK_COUNT='
import os, time
n = 0
for i in range(40):
    try:
        if os.fork() == 0:
            time.sleep(2); os._exit(0)
        n += 1
    except OSError:
        break
print(n)'
