# corral run: no_new_privs, capabilities, seccomp, masked and read-only paths.
. tests/integration/lib.sh
need_root

# syscall NR [ARGS...] from inside, printing the errno name (or "ok").
SYSCALL='import ctypes, errno, sys
libc = ctypes.CDLL(None, use_errno=True)
args = [int(a) for a in sys.argv[1:]]
r = libc.syscall(*args)
print("ok" if r >= 0 else errno.errorcode[ctypes.get_errno()])'

no_new_privs_is_set() {
	out=$($CORRAL run -- grep NoNewPrivs /proc/self/status)
	expect_eq "status" "$out" "NoNewPrivs:	1"
}

docker_default_capabilities() {
	expect_eq "default" "$($CORRAL run -- grep CapBnd /proc/self/status)" "CapBnd:	00000000a80425fb"
	expect_eq "effective" "$($CORRAL run -- grep CapEff /proc/self/status)" "CapEff:	00000000a80425fb"
	# NET_ADMIN is bit 12, CHOWN bit 0.
	expect_eq "--cap-add NET_ADMIN --cap-drop chown" \
		"$($CORRAL run --cap-add NET_ADMIN --cap-drop chown -- grep CapBnd /proc/self/status)" \
		"CapBnd:	00000000a80435fa"
	expect_eq "--cap-drop ALL" "$($CORRAL run --cap-drop ALL -- grep CapEff /proc/self/status)" \
		"CapEff:	0000000000000000"
	expect_eq "ambient and inheritable empty" \
		"$($CORRAL run -- grep -E 'CapInh|CapAmb' /proc/self/status | tr '\t\n' '  ')" \
		"CapInh: 0000000000000000 CapAmb: 0000000000000000 "
}

seccomp_default_denies() {
	expect_eq "mode" "$($CORRAL run -- grep '^Seccomp:' /proc/self/status)" "Seccomp:	2"
	# unshare(CLONE_NEWUSER) (272, 0x10000000), keyctl (250), add_key
	# (248), bpf (321), open_by_handle_at (304), kexec_load (246): EPERM
	# from the filter, where unconfined they get past it to the kernel.
	for call in "272 268435456" "250 0 0" "248 0 0 0 0 0" "321 0 0 0" "304 0 0 0" "246 0 0 0 0"; do
		# shellcheck disable=SC2086
		got=$($CORRAL run -- python3 -c "$SYSCALL" $call)
		expect_eq "syscall $call" "$got" "EPERM"
	done
	# shellcheck disable=SC2086
	got=$($CORRAL run --seccomp unconfined --cap-add ALL -- python3 -c "$SYSCALL" 272 268435456)
	expect_eq "unconfined unshare(CLONE_NEWUSER)" "$got" "ok"
	# Ordinary calls work: getpid (39), uname, munmap through free().
	expect_eq "getpid" "$($CORRAL run -- python3 -c "$SYSCALL" 39)" "ok"
}

seccomp_custom_profile() {
	cat > "$T_TMP/p.json" <<'EOF'
{ "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [ { "names": ["getpgid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38 } ] }
EOF
	# getpgid is 121; errno 38 is ENOSYS.
	expect_eq "denied getpgid" "$($CORRAL run --seccomp "$T_TMP/p.json" -- python3 -c "$SYSCALL" 121 0)" "ENOSYS"
	expect_eq "getpid allowed" "$($CORRAL run --seccomp "$T_TMP/p.json" -- python3 -c "$SYSCALL" 39)" "ok"
	# The command's process loads the filter, then reads the init's go:
	# a profile that denies read stops it there, and says so.
	cat > "$T_TMP/noread.json" <<'EOF'
{ "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [ { "names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1 } ] }
EOF
	expect_rc 125 sh -c "$CORRAL run --seccomp $T_TMP/noread.json -- true 2>$T_TMP/noread.err"
	grep -q "waiting for the root: Operation not permitted" "$T_TMP/noread.err" ||
		fail "no message: $(cat "$T_TMP/noread.err")"
}

seccomp_bad_profiles_fail_cleanly() {
	m0=$(wc -l < /proc/self/mountinfo)
	echo '{ "defaultAction": ' > "$T_TMP/trunc.json"
	echo '{ "defaultAction": "SCMP_ACT_EXPLODE" }' > "$T_TMP/act.json"
	echo '{ "defaultAction": "SCMP_ACT_ALLOW", "syscalls": [ { "names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [ { "index": 0, "value": 1, "op": "SCMP_CMP_WAT" } ] } ] }' > "$T_TMP/op.json"
	for f in "$T_TMP/trunc.json" "$T_TMP/act.json" "$T_TMP/op.json" "$T_TMP/missing.json"; do
		set +e
		err=$($CORRAL run --seccomp "$f" -- true 2>&1)
		rc=$?
		set -e
		expect_eq "exit for $f" "$rc" 125
		case $err in "corral run: --seccomp $f"*) ;; *) fail "message for $f: $err" ;; esac
	done
	expect_eq "mounts" "$(wc -l < /proc/self/mountinfo)" "$m0"
}

# Docker's lists; a kernel may lack some of these files.
MASKED="/proc/asound /proc/acpi /proc/kcore /proc/keys /proc/latency_stats /proc/timer_list
	/proc/timer_stats /proc/sched_debug /proc/scsi /sys/firmware /sys/devices/virtual/powercap"
READONLY="/proc/bus /proc/fs /proc/irq /proc/sys /proc/sysrq-trigger"

# Both ways /sys is mounted: after the root switch, once the init joined
# the netns that run made meanwhile (--net none, no mounts of the user's),
# and with the rest of the root (here: with --tmpfs).
masked_paths() {
	for opt in "" "--tmpfs /mnt"; do
		n=0
		for p in $MASKED; do
			[ -e "$p" ] || continue
			n=$((n + 1))
			if [ -d "$p" ]; then
				got=$($CORRAL run $opt -- sh -c "ls -A $p | wc -l")
			else
				got=$($CORRAL run $opt -- sh -c "head -c 100 $p | wc -c")
			fi
			expect_eq "$p inside (${opt:-no option})" "$got" "0"
		done
		[ $n -ge 3 ] || fail "only $n masked paths exist on this kernel"
		$CORRAL run $opt -- sh -c 'grep -E " /sys sysfs ro," /proc/mounts >/dev/null' ||
			fail "/sys not read-only (${opt:-no option})"
	done
}

readonly_paths() {
	for p in $READONLY; do
		[ -e "$p" ] || continue
		t=$p
		[ -d "$p" ] && t=$(find "$p" -maxdepth 2 -type f -perm -200 | head -n 1)
		[ -n "$t" ] || continue
		set +e
		err=$($CORRAL run -- sh -c "echo x > $t" 2>&1)
		rc=$?
		set -e
		[ $rc -ne 0 ] || fail "wrote $t"
		case $err in *"Read-only file system"*) ;; *) fail "$t: $err" ;; esac
	done
	$CORRAL run -- sh -c 'grep -E " /sys sysfs ro," /proc/mounts >/dev/null'
}

t "no_new_privs is set" no_new_privs_is_set
t "Docker's default capabilities, --cap-add, --cap-drop" docker_default_capabilities
t "the default seccomp profile denies what Docker's does" seccomp_default_denies
t "--seccomp FILE loads a Docker-format profile" seccomp_custom_profile
t "bad seccomp profiles: exit 125, the file named, nothing mounted" seccomp_bad_profiles_fail_cleanly
t "Docker's masked paths are empty inside" masked_paths
t "Docker's read-only paths and /sys are read-only" readonly_paths
