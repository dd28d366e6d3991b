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
	_out=$( (set -e; "$@") 2>&1 )
	_rc=$?
	if [ $_rc -eq 0 ]; then
		echo "ok - $_name"
	else
		echo "not ok - $_name (exit $_rc)"
		printf '%s\n' "$_out" | tail -n 20 | sed 's/^/#   /'
	fi
}

skip() { echo "skip - $1: $2"; }

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
