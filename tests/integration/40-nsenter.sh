# corral nsenter against util-linux nsenter: the same flags on the same
# targets give the same namespaces, directories, ids and exit codes.
. tests/integration/lib.sh
need_root

UL=$(command -v nsenter || true)
BB=$(command -v busybox || true)
if [ -z "$UL" ] || ! command -v unshare >/dev/null; then
	skip "$(basename "$0")" "util-linux nsenter and unshare are needed"
	exit 0
fi
if [ -z "$BB" ]; then
	skip "$(basename "$0")" "busybox is needed for the chroot target"
	exit 0
fi

PIDS=""
cleanup() {
	for p in $PIDS; do kill -KILL "$p" 2>/dev/null || true; done
	for p in $PIDS; do wait "$p" 2>/dev/null || true; done
	rm -rf "$T_TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# The first child of pid $1 once it runs `sleep` (its set-up is done).
sleeping_child() {
	i=0
	while [ $i -lt 200 ]; do
		c=$(cat /proc/"$1"/task/"$1"/children 2>/dev/null | awk '{print $1}')
		if [ -n "$c" ] && [ "$(cat /proc/"$c"/comm 2>/dev/null)" = sleep ]; then
			echo "$c"
			return 0
		fi
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}
sleeping() { # PID: waits until PID itself runs sleep
	i=0
	while [ $i -lt 200 ]; do
		[ "$(cat /proc/"$1"/comm 2>/dev/null)" = sleep ] && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

# A: every namespace but user of its own, a hostname, a working directory.
mkdir -p "$T_TMP/wd" "$T_TMP/mnt"
unshare -fpmiunCT --mount-proc sh -c "hostname crtest-a
	mount -t tmpfs crtest '$T_TMP/mnt' && echo in-a > '$T_TMP/mnt/marker'
	cd '$T_TMP/wd' && exec sleep 1000" &
PIDS="$PIDS $!"
A=$(sleeping_child $!) || { echo "not ok - target A did not start"; exit 0; }
PIDS="$PIDS $A"

# B: chrooted into a busybox root, working directory /tmp.
R=$T_TMP/root
mkdir -p "$R/bin" "$R/etc" "$R/tmp"
cp "$BB" "$R/bin/busybox"
for a in sh cat pwd id readlink sleep; do ln -s busybox "$R/bin/$a"; done
echo rootfs-marker > "$R/etc/marker"
chroot "$R" /bin/busybox sh -c 'cd /tmp && exec /bin/sleep 1000' &
B=$!
PIDS="$PIDS $B"
sleeping "$B" || { echo "not ok - target B did not start"; exit 0; }

# U: its own user namespace (root mapped to root) and more.
U=""
if unshare -Ur true 2>/dev/null; then
	unshare -Ur -fpmiun --mount-proc sh -c 'exec sleep 1000' &
	PIDS="$PIDS $!"
	U=$(sleeping_child $!) || U=""
	[ -z "$U" ] || PIDS="$PIDS $U"
fi

# --sandbox reads <CORRAL_ROOT>/sandboxes/<id>/state.json.
ID=0123456789abcdef
mkstate() { # ROOT PID START
	mkdir -p "$1/sandboxes/$ID"
	printf '{"id":"%s","name":"web","pause_pid":%s,"pause_start_time":%s,"netns":"cr-01234567"}\n' \
		"$ID" "$2" "$3" > "$1/sandboxes/$ID/state.json"
}
start_of() { sed 's/.*) //' /proc/"$1"/stat | cut -d' ' -f20; }
mkstate "$T_TMP/cr" "$A" "$(start_of "$A")"

NSLIST="cgroup ipc mnt net pid time user uts"
PROBE='for n in '$NSLIST'; do readlink /proc/self/ns/$n; done'
links_of() { for n in $NSLIST; do readlink /proc/"$1"/ns/$n; done; }

# both ARGS...: runs util-linux's nsenter and ours with ARGS; their exit
# status and stdout must agree. Leaves them in $rc and $out.
both() {
	set +e
	ul_out=$("$UL" "$@" 2>"$T_TMP/ul.err" </dev/null)
	ul_rc=$?
	out=$("$CORRAL" nsenter "$@" 2>"$T_TMP/cr.err" </dev/null)
	rc=$?
	set -e
	if [ "$rc" != "$ul_rc" ] || [ "$out" != "$ul_out" ]; then
		echo "nsenter $*" >&2
		echo "util-linux: exit $ul_rc: $ul_out $(cat "$T_TMP/ul.err")" >&2
		echo "corral:     exit $rc: $out $(cat "$T_TMP/cr.err")" >&2
		return 1
	fi
}

all_namespaces_of_a() {
	both -t "$A" -a sh -c "$PROBE"
	expect_eq "namespaces entered" "$out" "$(links_of "$A")"
	[ "$(readlink /proc/self/ns/net)" != "$(readlink /proc/"$A"/ns/net)" ] ||
		fail "target A shares our net namespace: the test proves nothing"
}

each_namespace_flag() {
	# A's /proc is of its pid namespace, where we have no /proc/self: its
	# mount namespace shows as the tmpfs only A has.
	both -t "$A" -m cat "$T_TMP/mnt/marker"
	expect_eq "-m" "$out" "in-a"
	[ ! -e "$T_TMP/mnt/marker" ] || fail "A's tmpfs is in our mount namespace"
	both -t "$A" --mount=/proc/"$A"/ns/mnt cat "$T_TMP/mnt/marker"
	expect_eq "--mount=FILE" "$out" "in-a"
	for f in u:uts i:ipc n:net p:pid C:cgroup T:time; do
		flag=${f%%:*} n=${f#*:}
		both -t "$A" -$flag readlink /proc/self/ns/$n
		expect_eq "-$flag" "$out" "$(readlink /proc/"$A"/ns/$n)"
		# Only that one: the uts namespace stays ours unless asked for.
		if [ $n != uts ]; then
			both -t "$A" -$flag readlink /proc/self/ns/uts
			expect_eq "-$flag leaves uts" "$out" "$(readlink /proc/self/ns/uts)"
		fi
	done
}

namespace_files_attached() {
	both --net=/proc/"$A"/ns/net --uts=/proc/"$A"/ns/uts sh -c 'readlink /proc/self/ns/net; hostname'
	expect_eq "--net=FILE --uts=FILE" "$out" "$(readlink /proc/"$A"/ns/net)
crtest-a"
	both -n/proc/"$A"/ns/net -i/proc/"$A"/ns/ipc sh -c 'readlink /proc/self/ns/net; readlink /proc/self/ns/ipc'
	expect_eq "-nFILE -iFILE" "$out" "$(readlink /proc/"$A"/ns/net)
$(readlink /proc/"$A"/ns/ipc)"
	# A FILE replaces the target's for that namespace only.
	both -t "$B" -n/proc/"$A"/ns/net -u sh -c 'readlink /proc/self/ns/net; hostname'
	expect_eq "-t with -nFILE" "$out" "$(readlink /proc/"$A"/ns/net)
$(hostname)"
}

hostname_of_target() {
	both -t "$A" -u hostname
	expect_eq "hostname" "$out" "crtest-a"
	both -t "$A" --uts hostname
	expect_eq "--uts" "$out" "crtest-a"
}

pid_namespace_forks() {
	both -t "$A" -m -p sh -c 'cat /proc/1/comm; readlink /proc/self/ns/pid'
	expect_eq "pid 1 and pid ns" "$out" "sleep
$(readlink /proc/"$A"/ns/pid)"
	# $$ is a pid of the target's namespace: small, and not a host pid
	# that runs our shell.
	set +e
	inner=$("$CORRAL" nsenter -t "$A" -m -p sh -c 'echo $$')
	set -e
	[ "$inner" -gt 1 ] && [ "$inner" -lt 1000 ] || fail "\$\$ in the pid ns is $inner"
	# The parent that waits stays outside: the child has no parent in A's
	# pid namespace.
	both -t "$A" -p sh -c 'readlink /proc/self/ns/pid; echo $PPID'
	expect_eq "the waiting parent" "$out" "$(readlink /proc/"$A"/ns/pid)
0"
}

no_fork_stays_outside() {
	# sh's own pid namespace stays ours; its children go to A's.
	both -t "$A" -p -F sh -c 'readlink /proc/$$/ns/pid; readlink /proc/$$/ns/pid_for_children'
	expect_eq "-F" "$out" "$(readlink /proc/self/ns/pid)
$(readlink /proc/"$A"/ns/pid)"
	both -t "$A" -p --no-fork sh -c 'readlink /proc/$$/ns/pid_for_children'
	expect_eq "--no-fork" "$out" "$(readlink /proc/"$A"/ns/pid)"
}

root_and_wd_of_target() {
	both -t "$B" -r -w /bin/sh -c 'pwd; cat /etc/marker'
	expect_eq "-r -w" "$out" "/tmp
rootfs-marker"
	both -t "$B" --root --wd /bin/sh -c 'pwd'
	expect_eq "--root --wd" "$out" "/tmp"
	both -t "$B" -r -W /etc /bin/sh -c 'pwd'
	expect_eq "-r -W" "$out" "/etc"
	both -t "$A" -w pwd
	expect_eq "-w" "$out" "$T_TMP/wd"
	# -r keeps our working directory (opened before the chroot).
	both -t "$B" -r /bin/pwd
}

root_and_wd_given() {
	both -r"$R" -w"$R/tmp" /bin/sh -c 'pwd; cat /etc/marker'
	expect_eq "-rDIR -wDIR" "$out" "/tmp
rootfs-marker"
	both --root="$R" --wd="$R/etc" /bin/pwd
	expect_eq "--root=DIR --wd=DIR" "$out" "/etc"
}

setuid_setgid() {
	both -t "$A" -u -S 1 -G 2 sh -c 'id -u; id -g; id -G'
	expect_eq "-S 1 -G 2" "$out" "1
2
2"
	both -t "$A" -u --setgid 3 sh -c 'id -u; id -g'
	expect_eq "--setgid 3" "$out" "0
3"
	both -t "$A" -u --setuid=4 id -u
	expect_eq "--setuid=4" "$out" "4"
}

user_namespace() {
	both -t "$U" -U sh -c 'id -u; id -g; readlink /proc/self/ns/user'
	expect_eq "-U" "$out" "0
0
$(readlink /proc/"$U"/ns/user)"
	both -t "$U" -a sh -c "$PROBE"
	expect_eq "-a with a user ns" "$out" "$(links_of "$U")"
	both -t "$U" -U --preserve-credentials id -u
	expect_eq "--preserve-credentials" "$out" "0"
	# Only root is mapped there: uid 1 cannot be set.
	both -t "$U" -U -S 1 true
	expect_eq "-U -S 1" "$rc" 1
	# Re-entering our own user namespace fails the same way.
	both -t "$A" -U true
	expect_eq "-U into ours" "$rc" 1
}

exit_codes() {
	both -t "$A" -u sh -c 'exit 3'
	expect_eq "exit 3" "$rc" 3
	both -t "$A" -p sh -c 'exit 3'
	expect_eq "exit 3 through the fork" "$rc" 3
	both -t "$A" -u corral-no-such-command
	expect_eq "not found" "$rc" 127
	grep -q 'failed to execute corral-no-such-command' "$T_TMP/cr.err" ||
		fail "message: $(cat "$T_TMP/cr.err")"
	both -t "$A" -p corral-no-such-command
	expect_eq "not found through the fork" "$rc" 127
	printf 'x\n' > "$T_TMP/noexec"
	chmod 644 "$T_TMP/noexec"
	both -t "$A" -u "$T_TMP/noexec"
	expect_eq "not executable" "$rc" 126
	both -t "$A" -p "$T_TMP/noexec"
	expect_eq "not executable through the fork" "$rc" 126
}

signal_death() {
	# The parent kills itself with the child's signal: the shell sees 128+N.
	both -t "$A" -p sh -c 'kill -TERM $$'
	expect_eq "TERM through the fork" "$rc" 143
	both -t "$A" -p sh -c 'kill -KILL $$'
	expect_eq "KILL through the fork" "$rc" 137
	both -t "$A" -u sh -c 'kill -TERM $$'
	expect_eq "TERM without fork" "$rc" 143
}

own_failures_exit_1() {
	both -t 2147483000 -n true
	expect_eq "no such pid" "$rc" 1
	grep -q '^corral nsenter: cannot open /proc/2147483000/ns/net' "$T_TMP/cr.err" ||
		fail "message: $(cat "$T_TMP/cr.err")"
	both -t abc -n true
	expect_eq "bad pid" "$rc" 1
	both -t "$A" -n -S abc true
	expect_eq "bad uid" "$rc" 1
	both -t "$A" -x true
	expect_eq "bad flag" "$rc" 1
	grep -q "^corral nsenter: invalid option -- 'x'" "$T_TMP/cr.err" ||
		fail "message: $(cat "$T_TMP/cr.err")"
	both --bogus true
	expect_eq "bad long flag" "$rc" 1
	both -t
	expect_eq "missing pid" "$rc" 1
	both -a true
	expect_eq "-a without -t" "$rc" 1
	both -n true
	expect_eq "-n without -t" "$rc" 1
	both -m/nonexistent true
	expect_eq "-mFILE missing" "$rc" 1
	both -t "$A" -r/nonexistent true
	expect_eq "-rDIR missing" "$rc" 1
}

no_namespace_just_runs() {
	both sh -c 'exit 5'
	expect_eq "no options" "$rc" 5
	both -t "$A" hostname
	expect_eq "-t alone" "$out" "$(hostname)"
}

default_program_is_login_shell() {
	printf '#!/bin/sh\necho "$0 $# $(readlink /proc/self/ns/uts)"\n' > "$T_TMP/shell"
	chmod 755 "$T_TMP/shell"
	SHELL=$T_TMP/shell both -t "$A" -u
	expect_eq "\$SHELL" "$out" "$T_TMP/shell 0 $(readlink /proc/"$A"/ns/uts)"
	out=$(echo 'echo $0' | env -u SHELL "$CORRAL" nsenter -t "$A" -u)
	expect_eq "/bin/sh" "$out" "-sh"
	SHELL=$T_TMP/corral-no-shell both -t "$A" -u
	expect_eq "missing \$SHELL" "$rc" 127
}

no_fd_leaks() {
	# Everything corral opened is close-on-exec: ls sees what it would see
	# when run directly (what the test harness holds open, and its own).
	want=$(ls /proc/self/fd | tr '\n' ' ')
	out=$("$CORRAL" nsenter -t "$A" -a -w ls /proc/self/fd | tr '\n' ' ')
	expect_eq "-a -w" "$out" "$want"
	out=$("$CORRAL" nsenter -r/ -t "$A" -p -n ls /proc/self/fd | tr '\n' ' ')
	expect_eq "-r -p -n" "$out" "$want"
	out=$(CORRAL_ROOT=$T_TMP/cr "$CORRAL" nsenter --sandbox web ls /proc/self/fd | tr '\n' ' ')
	expect_eq "--sandbox" "$out" "$want"
}

sandbox_by_name_and_id() {
	for ref in web $ID; do
		out=$(CORRAL_ROOT=$T_TMP/cr "$CORRAL" nsenter --sandbox $ref sh -c \
			'hostname; for n in net ipc uts pid mnt; do readlink /proc/self/ns/$n; done')
		expect_eq "--sandbox $ref" "$out" "crtest-a
$(readlink /proc/"$A"/ns/net)
$(readlink /proc/"$A"/ns/ipc)
$(readlink /proc/"$A"/ns/uts)
$(readlink /proc/"$A"/ns/pid)
$(readlink /proc/self/ns/mnt)"
	done
	# Namespace options choose, as with -t.
	out=$(CORRAL_ROOT=$T_TMP/cr "$CORRAL" nsenter --sandbox web -m sh -c "cat '$T_TMP/mnt/marker'; hostname")
	expect_eq "--sandbox -m" "$out" "in-a
$(hostname)"
}

sandbox_refused() {
	mkstate "$T_TMP/cr2" "$A" "$(( $(start_of "$A") + 1 ))"
	expect_rc 1 env CORRAL_ROOT="$T_TMP/cr2" "$CORRAL" nsenter --sandbox web true
	CORRAL_ROOT=$T_TMP/cr2 "$CORRAL" nsenter --sandbox web true 2>&1 | grep -q 'not running' ||
		fail "a recycled pause pid was not refused"
	expect_rc 1 env CORRAL_ROOT="$T_TMP/none" "$CORRAL" nsenter --sandbox web true
	CORRAL_ROOT=$T_TMP/none "$CORRAL" nsenter --sandbox $ID true 2>&1 | grep -q "no sandbox '$ID'" ||
		fail "missing state dir"
	mkstate "$T_TMP/cr3" "$A" "$(start_of "$A")"
	for ref in ../cr3 "" . .. "a/b" "$ID/../$ID" -x; do
		expect_rc 1 env CORRAL_ROOT="$T_TMP/cr3" "$CORRAL" nsenter --sandbox="$ref" true
	done
	expect_rc 1 env CORRAL_ROOT="$T_TMP/cr3" "$CORRAL" nsenter --sandbox other true
	expect_rc 1 env CORRAL_ROOT="$T_TMP/cr3" "$CORRAL" nsenter --sandbox web -t "$A" true
}

t "nsenter -a enters every namespace of the target" all_namespaces_of_a
t "nsenter -m -u -i -n -p -C -T each enter one namespace" each_namespace_flag
t "nsenter --ns=FILE and -nFILE take namespace files" namespace_files_attached
t "nsenter -u sees the target's hostname" hostname_of_target
t "nsenter -p forks into the target's pid namespace" pid_namespace_forks
t "nsenter -p -F does not fork" no_fork_stays_outside
t "nsenter -r -w -W take the target's root and cwd" root_and_wd_of_target
t "nsenter -rDIR -wDIR" root_and_wd_given
t "nsenter -S -G set uid and gid" setuid_setgid
if [ -n "$U" ]; then
	t "nsenter -U enters a user namespace as root" user_namespace
else
	skip "nsenter -U enters a user namespace as root" "no user namespaces here"
fi
t "nsenter exit codes: the command's, 126, 127" exit_codes
t "nsenter dies of its child's signal" signal_death
t "nsenter's own failures exit 1 like util-linux" own_failures_exit_1
t "nsenter without namespaces just runs the command" no_namespace_just_runs
t "nsenter runs \$SHELL as a login shell by default" default_program_is_login_shell
t "nsenter leaks no fd into the command" no_fd_leaks
t "nsenter --sandbox by name and id" sandbox_by_name_and_id
t "nsenter --sandbox refuses a dead pause and bad refs" sandbox_refused
