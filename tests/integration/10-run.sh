# corral run: root, mounts, process, namespaces, PID 1, exit codes.
. tests/integration/lib.sh
need_root

# A tiny root with busybox only, for --root and the chroot fallback.
BB=$(command -v busybox || echo /bin/busybox)
mkroot() { # DIR
	mkdir -p "$1/bin" "$1/etc" "$1/tmp" "$1/proc" "$1/dev" "$1/sys"
	cp "$BB" "$1/bin/busybox"
	for a in sh ls cat echo mkdir touch dd ps sleep hostname stat readlink test true id grep wc; do
		ln -sf busybox "$1/bin/$a"
	done
	echo "rootfs-marker" > "$1/etc/marker"
}

mounts_now() { wc -l < /proc/self/mountinfo; }

overlay_writes_vanish() {
	before=$(md5sum /etc/hostname)
	out=$($CORRAL run -- sh -c 'echo changed > /etc/hostname; cat /etc/hostname; touch /corral-probe; ls /corral-probe')
	expect_eq "inside" "$out" "changed
/corral-probe"
	expect_eq "host file" "$(md5sum /etc/hostname)" "$before"
	[ ! -e /corral-probe ] || fail "host got /corral-probe"
}

root_dir_is_the_lower() {
	mkroot "$T_TMP/r1"
	out=$($CORRAL run --root "$T_TMP/r1" -- cat /etc/marker)
	expect_eq "marker" "$out" "rootfs-marker"
	$CORRAL run --root "$T_TMP/r1" -- sh -c 'echo x > /etc/marker'
	expect_eq "lower untouched" "$(cat "$T_TMP/r1/etc/marker")" "rootfs-marker"
}

overlay_size_caps_writes() {
	set +e
	$CORRAL run --overlay-size 1m -- sh -c 'dd if=/dev/zero of=/big bs=64k count=64 2>/dev/null'
	rc=$?
	set -e
	[ $rc -ne 0 ] || fail "4 MiB write into a 1 MiB overlay succeeded"
	$CORRAL run --overlay-size 8m -- sh -c 'dd if=/dev/zero of=/big bs=64k count=64 2>/dev/null'
}

bind_and_tmpfs_mounts() {
	mkdir -p "$T_TMP/b"
	echo data > "$T_TMP/b/f"
	out=$($CORRAL run --bind "$T_TMP/b:/mnt/b" --tmpfs /mnt/t -- sh -c \
		'cat /mnt/b/f; echo new > /mnt/b/g; touch /mnt/t/x; ls /mnt/t')
	expect_eq "rw bind" "$out" "data
x"
	expect_eq "rw bind writes through" "$(cat "$T_TMP/b/g")" "new"
	set +e
	$CORRAL run --bind "$T_TMP/b:/mnt/b:ro" -- sh -c 'echo no > /mnt/b/h' 2>/dev/null
	rc=$?
	set -e
	[ $rc -ne 0 ] || fail "write to a :ro bind succeeded"
	[ ! -e "$T_TMP/b/h" ] || fail "ro bind wrote through"
	out=$($CORRAL run --ro-bind "$T_TMP/b/f:/etc/bound-file" -- cat /etc/bound-file)
	expect_eq "file bind" "$out" "data"
}

bind_target_symlink_stays_inside() {
	# A lower whose /mnt is a symlink to the host's /etc: the bind must
	# land inside the sandbox's tree, never on the host path.
	mkroot "$T_TMP/r2"
	rmdir "$T_TMP/r2/tmp"
	ln -s "$T_TMP/escape" "$T_TMP/r2/mnt"
	mkdir -p "$T_TMP/escape" "$T_TMP/src"
	echo s > "$T_TMP/src/f"
	# Refusing (the symlink dangles inside the root) is fine; escaping is not.
	$CORRAL run --root "$T_TMP/r2" --bind "$T_TMP/src:/mnt/x" -- cat /mnt/x/f >/dev/null 2>&1 || true
	[ ! -e "$T_TMP/escape/x" ] || fail "mount target escaped to the host"
	mkdir -p "$T_TMP/r2/real"
	rm "$T_TMP/r2/mnt"
	ln -s /real "$T_TMP/r2/mnt"
	out=$($CORRAL run --root "$T_TMP/r2" --bind "$T_TMP/src:/mnt/x" -- cat /real/x/f)
	expect_eq "bind through an in-root symlink" "$out" "s"
}

cwd_env_hostname() {
	cd /usr
	expect_eq "default cwd" "$($CORRAL run -- pwd)" "/usr"
	expect_eq "--cwd" "$($CORRAL run --cwd /etc -- pwd)" "/etc"
	expect_eq "env passes" "$(FOO=bar $CORRAL run -- sh -c 'echo $FOO')" "bar"
	expect_eq "--env" "$(FOO=bar $CORRAL run --env FOO=baz --env X=1 -- sh -c 'echo $FOO$X')" "baz1"
	expect_eq "--clear-env" "$(FOO=bar $CORRAL run --clear-env --env A=1 -- /usr/bin/env)" "A=1"
	expect_eq "hostname" "$($CORRAL run -- hostname)" "$(hostname)"
	expect_eq "--hostname" "$($CORRAL run --hostname sbx -- hostname)" "sbx"
	expect_eq "host hostname untouched" "$(hostname)" "$(cat /proc/sys/kernel/hostname)"
}

own_proc_and_pid1() {
	out=$($CORRAL run -- sh -c 'echo $$; exec ls /proc' | grep "^[0-9]" | tr "\n" " ")
	expect_eq "pid view (\$\$, then the pids in /proc)" "$out" "2 1 2 "
	expect_eq "PID 1" "$($CORRAL run -- cat /proc/1/comm)" "corral"
}

minimal_dev() {
	out=$($CORRAL run -- sh -c 'ls /dev | tr "\n" " "')
	expect_eq "/dev" "$out" "core fd full null ptmx pts random shm stderr stdin stdout tty urandom zero "
	$CORRAL run -- sh -c 'test -c /dev/null && test -c /dev/urandom && test -c /dev/pts/ptmx &&
		head -c 8 /dev/urandom | wc -c | grep -q 8 && echo x > /dev/shm/x &&
		exec 3<>/dev/ptmx && ls /dev/pts | grep -q "^0$"'
	# devpts is a new instance: the host's ptys are not there.
	n=$($CORRAL run -- sh -c 'ls /dev/pts | grep -c "^[0-9]"' || true)
	expect_eq "ptys inside" "$n" "0"
}

ipc_uts_namespaces_are_new() {
	for ns in ipc uts mnt pid net; do
		in=$($CORRAL run -- readlink /proc/self/ns/$ns)
		[ "$in" != "$(readlink /proc/self/ns/$ns)" ] || fail "$ns namespace shared with the host"
	done
}

net_none_has_lo_up() {
	out=$($CORRAL run -- cat /sys/class/net/lo/operstate /sys/class/net/lo/flags)
	expect_eq "lo" "$out" "unknown
0x9"
	expect_eq "links" "$($CORRAL run -- ls /sys/class/net)" "lo"
	# With a mount of the user's the clone makes the netns and the init
	# brings lo up; without, run makes it beside the init, which joins it
	# and only then mounts /sys (a sysfs shows its mounter's netns).
	out=$($CORRAL run --tmpfs /mnt -- sh -c 'cat /sys/class/net/lo/flags; ls /sys/class/net')
	expect_eq "lo and links with --tmpfs" "$out" "0x9
lo"
	expect_eq "the netns of /sys" "$($CORRAL run -- sh -c 'ip -o link | cut -d: -f2 | tr -d " "')" "lo"
}

net_host_shares_the_netns() {
	# Inside a throwaway netns that plays the host, with one dummy link.
	out=$(unshare -n sh -c "ip link add crtest0 type veth peer name crtest1 && $CORRAL run --net host -- ls /sys/class/net | tr '\n' ' '")
	expect_eq "links" "$out" "crtest0 crtest1 lo "
}

reaps_orphans() {
	out=$($CORRAL run -- sh -c 'sh -c "sleep 0.2 & exit 0"; sleep 0.6; grep -l "^State:.*Z" /proc/[0-9]*/status 2>/dev/null | wc -l')
	expect_eq "zombies" "$out" "0"
}

forwards_signals() {
	for sig in TERM INT HUP QUIT USR1 USR2 WINCH CONT ALRM; do
		# A background job of a script starts with INT and QUIT ignored,
		# which exec keeps and sh cannot trap: start from defaults.
		out=$T_TMP/sig.$sig
		env --default-signal $CORRAL run -- sh -c "trap 'echo got-$sig; exit 0' $sig; echo ready; sleep 5 & wait" > "$out" &
		pid=$!
		i=0
		until grep -q ready "$out" 2>/dev/null; do
			i=$((i + 1)); [ $i -lt 100 ] || fail "no ready for $sig"; sleep 0.05
		done
		kill -$sig $pid
		wait $pid || fail "$sig: exit $?"
		grep -q "got-$sig" "$out" || fail "$sig not forwarded"
	done
}

exit_codes() {
	expect_rc 0 $CORRAL run -- true
	expect_rc 7 $CORRAL run -- sh -c 'exit 7'
	expect_rc 143 $CORRAL run -- sh -c 'kill -TERM $$'
	expect_rc 137 $CORRAL run -- sh -c 'kill -KILL $$'
	expect_rc 127 $CORRAL run -- no-such-command-anywhere 2>/dev/null
	expect_rc 126 $CORRAL run -- /etc/passwd 2>/dev/null
	expect_rc 125 $CORRAL run --root /nonexistent -- true 2>/dev/null
}

sandbox_dies_with_corral() {
	$CORRAL run -- sleep 313 &
	pid=$!
	i=0
	until pgrep -f "^sleep 313" >/dev/null; do i=$((i + 1)); [ $i -lt 100 ] || fail "no sleep"; sleep 0.05; done
	kill -KILL $pid
	wait $pid || true
	i=0
	while pgrep -f "^sleep 313" >/dev/null; do i=$((i + 1)); [ $i -lt 100 ] || fail "sleep survived"; sleep 0.05; done
}

nothing_survives_the_command() {
	$CORRAL run -- sh -c 'sleep 314 & exit 0'
	sleep 0.2
	! pgrep -f "^sleep 314" >/dev/null || fail "background child survived"
}

only_stdio_fds() {
	exec 7</etc/hostname
	# No pipeline inside: the shell's own pipe fds would race the listing.
	out=$($CORRAL run -- sh -c 'ls /proc/$$/fd' | tr "\n" " ")
	expect_eq "fds" "$out" "0 1 2 "
	out=$($CORRAL run --preserve-fds 5 -- sh -c 'ls /proc/$$/fd' 3</etc/hostname | tr "\n" " ")
	case $out in "0 1 2 3 "*) ;; *) fail "preserve-fds: $out" ;; esac
	exec 7<&-
}

preserve_fds_pass_no_fd_of_ours() {
	# With no fd 3 or 4 from the caller, corral's own pipes may take those
	# numbers: they must still close at exec.
	out=$(exec 3<&- 4<&-; $CORRAL run --preserve-fds 2 -- sh -c 'readlink /proc/$$/fd/3 /proc/$$/fd/4; true' 2>/dev/null)
	expect_eq "fds 3 and 4" "$out" ""
}

init_keeps_a_cwd_of_its_own() {
	# The init sets the command's root and cwd in an fs_struct the two
	# share, then leaves it: a cd of the command must not move PID 1.
	out=$($CORRAL run --cwd / --cap-add SYS_PTRACE -- sh -c 'cd /tmp && readlink /proc/1/cwd')
	expect_eq "PID 1's cwd after the command's cd" "$out" "/"
}

no_host_dir_via_cwd_or_fd() {
	# CVE-2024-21626: a host directory fd left open, then reached as cwd.
	mkdir -p "$T_TMP/hostdir"
	touch "$T_TMP/hostdir/host-only"
	set +e
	$CORRAL run --cwd /proc/self/fd/7 -- ls 7<"$T_TMP/hostdir" >"$T_TMP/o1" 2>&1
	rc1=$?
	$CORRAL run --preserve-fds 1 --cwd /proc/self/fd/3 -- ls 3<"$T_TMP/hostdir" >"$T_TMP/o2" 2>&1
	rc2=$?
	set -e
	expect_eq "unpassed fd as cwd" "$rc1" 125
	expect_eq "passed dir fd as cwd" "$rc2" 125
	! grep -q host-only "$T_TMP/o1" "$T_TMP/o2" || fail "listed a host directory"
	# Seen from the host: init and the command hold only stdio, and their
	# cwd is not the caller's directory.
	cd "$T_TMP/hostdir"
	$CORRAL run -- sleep 3 7<"$T_TMP/hostdir" &
	pid=$!
	i=0
	until cmd=$(pgrep -f "^sleep 3$"); do i=$((i + 1)); [ $i -lt 100 ] || fail "no sleep"; sleep 0.05; done
	init=$(pgrep -P $pid)
	for p in $init $cmd; do
		expect_eq "fds of $p" "$(ls /proc/$p/fd | tr '\n' ' ')" "0 1 2 "
		[ "$(stat -L -c %d:%i /proc/$p/cwd)" != "$(stat -c %d:%i "$T_TMP/hostdir")" ] ||
			fail "cwd of $p is the host dir"
	done
	kill $pid
	wait $pid || true
}

exe_is_not_writable() {
	cp "$CORRAL" "$T_TMP/corral-copy"
	sum=$(md5sum < "$T_TMP/corral-copy")
	set +e
	"$T_TMP/corral-copy" run -- sh -c 'echo x >> /proc/1/exe' 2>/dev/null
	rc1=$?
	"$T_TMP/corral-copy" run -- sh -c 'exec 3</proc/1/exe; sleep 0.1; echo x >> /proc/self/fd/3' 2>/dev/null
	rc2=$?
	set -e
	[ $rc1 -ne 0 ] && [ $rc2 -ne 0 ] || fail "a write through /proc/1/exe succeeded"
	expect_eq "binary" "$(md5sum < "$T_TMP/corral-copy")" "$sum"
}

pivot_fallback_flag() {
	out=$($CORRAL run --debug --no-pivot -- cat /proc/1/comm 2>&1)
	case $out in *"MS_MOVE + chroot"*corral*) ;; *) fail "$out" ;; esac
	out=$($CORRAL run --debug -- true 2>&1)
	case $out in *pivot_root*) ;; *) fail "$out" ;; esac
}

chroot_fallback_for_real() {
	# corral chrooted into a directory that is not a mount point, as in an
	# initramfs: pivot_root says EINVAL, run falls back to MS_MOVE + chroot.
	# The enclosing mount is a private tmpfs made in a throwaway mount ns.
	unshare -m sh -euc "
		mount -t tmpfs -o size=32m t '$T_TMP/cr' 2>/dev/null || { mkdir -p '$T_TMP/cr'; mount -t tmpfs -o size=32m t '$T_TMP/cr'; }
		mount --make-private '$T_TMP/cr'
		mkdir -p '$T_TMP/cr/jail'
		cd '$T_TMP/cr/jail'
		$(declare -f mkroot 2>/dev/null || true)
		mkdir -p bin etc tmp proc dev sys
		cp '$BB' bin/busybox
		for a in sh cat echo ls touch chroot true; do ln -s busybox bin/\$a; done
		cp '$CORRAL' bin/corral
		mount -t tmpfs t tmp
		mount -t proc proc proc
		chroot . /bin/corral run --debug -- sh -c 'echo inside; touch /x; cat /proc/1/comm' > ../out 2>&1
		test ! -e x
		chroot . /bin/corral run -- chroot / /bin/true 2>> ../out && echo CHROOT-ALLOWED >> ../out
		umount proc tmp
		cat ../out
	" > "$T_TMP/chroot.out" 2>&1 || { cat "$T_TMP/chroot.out"; fail "chroot run failed"; }
	grep -q "MS_MOVE + chroot" "$T_TMP/chroot.out" || fail "no fallback: $(cat "$T_TMP/chroot.out")"
	grep -q "^inside" "$T_TMP/chroot.out" || fail "command did not run"
	grep -q "^corral" "$T_TMP/chroot.out" || fail "init is not corral"
	! grep -q CHROOT-ALLOWED "$T_TMP/chroot.out" || fail "chroot again was possible"
}

bad_input_leaves_nothing() {
	m0=$(mounts_now)
	for args in "--root /nonexistent -- true" "--bind /nonexistent:/x -- true" \
		"--bind :/x -- true" "--bind /tmp:relative -- true" "--bind /tmp:/x:rx -- true" \
		"--tmpfs relative -- true" "--overlay-size 12q -- true" "--net bogus -- true" \
		"--hostname bad_name! -- true" "--env =x -- true" "--cwd relative -- true" \
		"--preserve-fds x -- true" "--no-such-option -- true" "" "--root /etc/passwd -- true" \
		"--tmpfs /proc/nonexistent -- true"; do
		set +e
		# shellcheck disable=SC2086
		err=$($CORRAL run $args 2>&1 >/dev/null)
		rc=$?
		set -e
		[ $rc -eq 125 ] || fail "'$args': exit $rc, want 125"
		case $err in "corral run: "*) ;; *) fail "'$args': message '$err'" ;; esac
		[ "$(echo "$err" | wc -l)" -eq 1 ] || fail "'$args': more than one line: $err"
	done
	expect_eq "mounts" "$(mounts_now)" "$m0"
}

# The init starts on another CPU than run's (so that it builds the root
# while run makes the netns), and takes run's CPU set back before the
# command starts: the command and PID 1 may run wherever run may.
cpus_are_the_callers() {
	allowed='s/^Cpus_allowed_list:[[:space:]]*//p'
	mine=$(sed -n "$allowed" /proc/self/status)
	out=$($CORRAL run -- sh -c "sed -n '$allowed' /proc/self/status /proc/1/status")
	expect_eq "command and PID 1" "$out" "$(printf '%s\n%s' "$mine" "$mine")"
	one=$(echo "$mine" | sed 's/[-,].*//')
	expect_eq "under taskset -c $one" \
		"$(taskset -c "$one" $CORRAL run -- sed -n "$allowed" /proc/self/status)" "$one"
	expect_eq "with --net host" "$($CORRAL run --net host -- sed -n "$allowed" /proc/self/status)" "$mine"
	[ "$(nproc)" -ge 2 ] || return 0
	out=$(taskset -c 0,1 $CORRAL run -- sh -c "sed -n '$allowed' /proc/self/status /proc/1/status")
	expect_eq "under taskset -c 0,1" "$out" "$(printf '0-1\n0-1')"
}

help_exits_zero() {
	$CORRAL run --help | grep -q "usage: corral run"
}

t "writes inside the overlay vanish and the host is unchanged" overlay_writes_vanish
t "--root gives the lower directory" root_dir_is_the_lower
t "--overlay-size caps the writable layer" overlay_size_caps_writes
t "--bind (rw, ro, file) and --tmpfs mount in the sandbox" bind_and_tmpfs_mounts
t "a bind target behind a symlink stays inside the root" bind_target_symlink_stays_inside
t "cwd, environment and hostname" cwd_env_hostname
t "own /proc with corral as PID 1" own_proc_and_pid1
t "minimal /dev with its own devpts and shm" minimal_dev
t "fresh mount, pid, uts, ipc and net namespaces" ipc_uts_namespaces_are_new
t "--net none has lo up and nothing else" net_none_has_lo_up
t "--net host shares the caller's netns" net_host_shares_the_netns
t "PID 1 reaps orphans" reaps_orphans
t "catchable signals are forwarded to the command" forwards_signals
t "exit codes: status, 128+N, 125, 126, 127" exit_codes
t "the sandbox dies with corral" sandbox_dies_with_corral
t "nothing survives once the command exits" nothing_survives_the_command
t "only fds 0-2 reach the command, --preserve-fds passes more" only_stdio_fds
t "--preserve-fds passes no fd of corral's own" preserve_fds_pass_no_fd_of_ours
t "PID 1 keeps a cwd of its own" init_keeps_a_cwd_of_its_own
t "no host directory through cwd or fd" no_host_dir_via_cwd_or_fd
t "/proc/1/exe cannot be written from inside" exe_is_not_writable
t "--no-pivot takes MS_MOVE + chroot, --debug says which" pivot_fallback_flag
t "chrooted into a non-mount-point dir, run falls back and cannot chroot again" chroot_fallback_for_real
t "bad input: one line, exit 125, no mount left" bad_input_leaves_nothing
t "the command and PID 1 keep the caller's CPU set" cpus_are_the_callers
t "--help exits 0" help_exits_zero
