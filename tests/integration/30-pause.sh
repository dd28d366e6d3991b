#!/bin/sh
# corral pause: signals, readiness, orphan reaping as PID 1, memory.
. "$(dirname "$0")/lib.sh"
need_root

# Every pause and unshare we start, killed on the way out.
cleanup() {
	[ -f "$T_TMP/pids" ] && for p in $(cat "$T_TMP/pids"); do
		kill -KILL "$p" 2>/dev/null || true
	done
	rm -rf "$T_TMP"
}
trap cleanup EXIT

# The one-letter state of a process (R, S, Z, T...) or "gone".
pstate() {
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1 || true
}

# Reads one byte from the fifo: "00" when pause said ready.
wait_ready() {
	_r=$(timeout 5 head -c1 "$T_TMP/ready" | od -An -tx1 | tr -d ' \n')
	[ "$_r" = 00 ] || fail "no ready byte on --ready-fd (got '$_r')"
}

# Starts pause in the background and waits until it is ready; sets P.
start_pause() {
	rm -f "$T_TMP/ready"; mkfifo "$T_TMP/ready"
	"$CORRAL" pause --ready-fd 3 3>"$T_TMP/ready" >"$T_TMP/pause.log" 2>&1 &
	P=$!
	echo "$P" >>"$T_TMP/pids"
	wait_ready
}

# Starts pause as PID 1 of a new PID namespace (with its own /proc);
# sets U (the unshare process) and P (pause, as the host sees it).
start_pod_pause() {
	rm -f "$T_TMP/ready"; mkfifo "$T_TMP/ready"
	unshare -fp --mount-proc "$CORRAL" pause --ready-fd 3 \
		3>"$T_TMP/ready" >"$T_TMP/pause.log" 2>&1 &
	U=$!
	echo "$U" >>"$T_TMP/pids"
	wait_ready
	P=$(pgrep -P "$U")
	echo "$P" >>"$T_TMP/pids"
	expect_eq "pause's pid inside its namespace" \
		"$(awk '/^NSpid:/ { print $3 }' "/proc/$P/status")" 1
}

# Waits for pid $1 (our child) and checks its status is $2. A pause that
# does not exit within 5 s is killed (status 137).
expect_exit() {
	( sleep 5; kill -KILL "$1" ) >/dev/null 2>&1 &
	_wd=$!
	_rc=0; wait "$1" || _rc=$?
	kill "$_wd" 2>/dev/null || true
	expect_eq "exit status of pause" "$_rc" "$2"
}

term_exits_0() {
	start_pause
	kill -TERM "$P"
	expect_exit "$P" 0
}

int_exits_0() {
	start_pause
	kill -INT "$P"
	expect_exit "$P" 0
}

stray_signals_do_not_end_it() {
	start_pause
	for s in HUP USR1 USR2 ALRM PIPE QUIT TSTP TTIN 34 50; do
		kill "-$s" "$P"
	done
	sleep 0.3
	expect_eq "state after HUP USR1 USR2 ALRM PIPE QUIT TSTP TTIN RT" \
		"$(pstate "$P")" S
	kill -TERM "$P"
	expect_exit "$P" 0
}

ready_fd_is_closed_after_the_byte() {
	rm -f "$T_TMP/ready"; mkfifo "$T_TMP/ready"
	"$CORRAL" pause --ready-fd 3 3>"$T_TMP/ready" >/dev/null 2>&1 &
	P=$!
	echo "$P" >>"$T_TMP/pids"
	# cat returns only at EOF: the byte, then pause closed its end.
	_r=$(timeout 5 cat "$T_TMP/ready" | od -An -tx1 | tr -d ' \n')
	expect_eq "bytes on the ready fifo up to EOF" "$_r" 00
	[ ! -e "/proc/$P/fd/3" ] || fail "fd 3 still open in pause"
	kill -TERM "$P"
	expect_exit "$P" 0
}

version_flag() {
	out=$("$CORRAL" pause -v)
	case $out in
	"corral pause "?*) ;;
	*) fail "pause -v printed '$out'" ;;
	esac
}

help_exits_0() {
	out=$("$CORRAL" pause --help)
	case $out in
	*"usage: corral pause"*) ;;
	*) fail "pause --help printed '$out'" ;;
	esac
}

bad_usage_exits_125() {
	expect_rc 125 "$CORRAL" pause --bogus 2>/dev/null
	expect_rc 125 "$CORRAL" pause --ready-fd 2>/dev/null
	expect_rc 125 "$CORRAL" pause --ready-fd x 2>/dev/null
	expect_rc 125 "$CORRAL" pause --ready-fd 97 2>/dev/null
}

idle_rss_at_most_48k() {
	start_pause
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$P/status")
	echo "$rss" >"$T_TMP/rss"
	kill -TERM "$P"
	expect_exit "$P" 0
	[ "$rss" -le 48 ] || fail "idle pause VmRSS $rss KiB > 48 KiB"
}

pid1_term_from_host_exits_0() {
	start_pod_pause
	kill -TERM "$P"
	expect_exit "$U" 0
}

pid1_term_from_inside_exits_0() {
	start_pod_pause
	# The kill process is in the namespace that dies with pause: its own
	# status may be 137. pause's status is what counts.
	nsenter -t "$P" -p -m kill -TERM 1 || true
	expect_exit "$U" 0
}

pid1_int_exits_0() {
	start_pod_pause
	kill -INT "$P"
	expect_exit "$U" 0
}

pid1_survives_stray_signals() {
	start_pod_pause
	for s in HUP USR1 USR2 ALRM; do
		kill "-$s" "$P"
	done
	nsenter -t "$P" -p -m kill -HUP 1
	sleep 0.3
	expect_eq "state after HUP USR1 USR2 ALRM" "$(pstate "$P")" S
	kill -TERM "$P"
	expect_exit "$U" 0
}

pid1_reaps_orphans() {
	start_pod_pause
	# Inside the pod: a shell starts three children and exits at once,
	# so they reparent to PID 1; they exit a moment later.
	nsenter -t "$P" -p -m sh -c \
		'for i in 1 2 3; do sleep 0.5 & echo $!; done' >"$T_TMP/orphans"
	[ "$(wc -l <"$T_TMP/orphans")" -eq 3 ] || fail "orphan maker failed"
	for o in $(cat "$T_TMP/orphans"); do
		pp=$(nsenter -t "$P" -m sed 's/.*) //' "/proc/$o/stat" | cut -d' ' -f2)
		expect_eq "parent of orphan $o" "$pp" 1
	done
	# Once they have exited none may stay a zombie.
	i=0
	while [ $i -lt 50 ]; do
		left=
		for o in $(cat "$T_TMP/orphans"); do
			nsenter -t "$P" -m test -e "/proc/$o" && left="$left $o"
		done
		[ -z "$left" ] && break
		sleep 0.1; i=$((i + 1))
	done
	if [ -n "$left" ]; then
		for o in $left; do
			echo "orphan $o: $(nsenter -t "$P" -m cat "/proc/$o/stat")" >&2
		done
		fail "orphans not reaped:$left"
	fi
	kill -TERM "$P"
	expect_exit "$U" 0
}

t "pause exits 0 on SIGTERM" term_exits_0
t "pause exits 0 on SIGINT" int_exits_0
t "pause survives HUP USR1 USR2 ALRM PIPE QUIT TSTP TTIN and RT signals" stray_signals_do_not_end_it
t "pause --ready-fd writes one byte then closes the fd" ready_fd_is_closed_after_the_byte
t "pause -v prints the version" version_flag
t "pause --help exits 0" help_exits_0
t "pause bad usage exits 125" bad_usage_exits_125
t "pause idle VmRSS at most 48 KiB" idle_rss_at_most_48k
[ -s "$T_TMP/rss" ] && echo "# corral pause idle VmRSS: $(cat "$T_TMP/rss") KiB"
t "pause as PID 1 exits 0 on SIGTERM from the host" pid1_term_from_host_exits_0
t "pause as PID 1 exits 0 on SIGTERM from inside" pid1_term_from_inside_exits_0
t "pause as PID 1 exits 0 on SIGINT" pid1_int_exits_0
t "pause as PID 1 survives stray signals" pid1_survives_stray_signals
t "pause as PID 1 reaps orphans" pid1_reaps_orphans
