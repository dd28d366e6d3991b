# corral init: boot config checks on the host, then the boot test under
# qemu (tools/check-vm.sh, also `make check-vm`), whose lines it relays.
# CORRAL_SKIP_VM=1 leaves the boots out.
. tests/integration/lib.sh
need_root

default_config_is_valid() {
	out=$($CORRAL init --check --config configs/boot.json)
	printf '%s\n' "$out" | grep -qx 'module overlay' || fail "plan: $out"
	printf '%s\n' "$out" | grep -q '^workload console kind=run restart=no on_exit=poweroff tty: corral run ' ||
		fail "plan: $out"
}

bad_configs_are_refused() {
	for c in '[]' '{"workloads": [{"command": ["x"]}]}' \
		'{"workloads": [{"name": "../x", "command": ["x"]}]}' \
		'{"workloads": [{"name": "a", "command": []}]}' \
		'{"workloads": [{"name": "a", "command": ["x"], "restart": "sometimes"}]}' \
		'{"workloads": [{"name": "a", "command": ["x"], "on_exit": "explode"}]}' \
		'{"workloads": [{"name": "a", "command": ["x"], "kind": "exec", "root": "/"}]}' \
		'{"workloads": [{"name": "a", "command": ["x"], "run_args": ["--", "y"]}]}' \
		'{"workloads": [{"name": "a", "command": ["x"]}, {"name": "a", "command": ["y"]}]}' \
		'{"workloads": [{"name": "a", "command": ["x"], "tty": true}, {"name": "b", "command": ["y"], "tty": true}]}' \
		'{"modules": ["../evil"]}' '{"switch_root": "yes"}' '{"typo": 1}'; do
		printf '%s' "$c" > "$T_TMP/bad.json"
		expect_rc 125 $CORRAL init --check --config "$T_TMP/bad.json" 2>/dev/null
	done
}

refuses_to_run_outside_pid1() {
	out=$($CORRAL init 2>&1) && fail "init ran as PID $$"
	case $out in *"only as PID 1"*) ;; *) fail "message: $out" ;; esac
}

refuses_pid1_of_a_pid_namespace() {
	# reboot(2) there ends only the namespace: init must not mount or switch
	out=$(unshare -m --propagation private -p -f $CORRAL init 2>&1) && fail "init ran as PID 1 of a namespace"
	case $out in *"not the machine's init"*) ;; *) fail "message: $out" ;; esac
}

t "init --check accepts configs/boot.json" default_config_is_valid
t "init --check refuses bad boot configs" bad_configs_are_refused
t "init refuses to run outside PID 1" refuses_to_run_outside_pid1
t "init refuses to be PID 1 of a PID namespace" refuses_pid1_of_a_pid_namespace

if [ "${CORRAL_SKIP_VM:-0}" = 1 ]; then
	skip "vm boots" "CORRAL_SKIP_VM=1"
	exit 0
fi
CORRAL=$CORRAL sh tools/check-vm.sh
