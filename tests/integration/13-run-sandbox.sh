# corral run --sandbox: a container joins a pod's namespaces. The pod here
# is made by hand (unshare + corral pause + a state file), so this tests
# run's side alone; tests of `corral sandbox` make real ones.
. tests/integration/lib.sh
test_host

export CORRAL_ROOT="$T_TMP/root"
ID=0123456789abcdef

# mkpod [unshare flags]: a pause holding new namespaces, recorded as pod "web".
mkpod() {
	unshare -f "$@" --mount-proc "$CORRAL" pause &
	i=0
	until PAUSE=$(pgrep -f "^$CORRAL pause" | head -n 1) && [ -n "$PAUSE" ]; do
		i=$((i + 1)); [ $i -lt 100 ] || fail "no pause"; sleep 0.05
	done
	nsenter -t "$PAUSE" -n ip link set lo up
	nsenter -t "$PAUSE" -u hostname podhost
	mkdir -p "$CORRAL_ROOT/sandboxes/$ID"
	st=$(awk '{print $22}' "/proc/$PAUSE/stat")
	echo "{\"id\":\"$ID\",\"name\":\"web\",\"pause_pid\":$PAUSE,\"pause_start_time\":$st}" \
		> "$CORRAL_ROOT/sandboxes/$ID/state.json"
}

rmpod() { pkill -KILL -f "^$CORRAL pause" || true; rm -rf "$CORRAL_ROOT"; }

joins_net_ipc_uts_and_shared_pid() {
	mkpod -piun
	out=$($CORRAL run --sandbox web -- sh -c 'hostname; cat /proc/1/comm')
	expect_eq "uts, pid 1" "$(echo $out)" "podhost corral"
	for ns in net ipc uts pid; do
		expect_eq "$ns" "$($CORRAL run --sandbox $ID -- readlink /proc/self/ns/$ns)" "$(readlink /proc/$PAUSE/ns/$ns)"
	done
	# Its own mount namespace and overlay.
	[ "$($CORRAL run --sandbox web -- readlink /proc/self/ns/mnt)" != "$(readlink /proc/$PAUSE/ns/mnt)" ] ||
		fail "shares the pause's mount namespace"
	rmpod
}

two_containers_talk_over_localhost() {
	mkpod -piun
	$CORRAL run --sandbox web -- python3 -c 'import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 9999)); s.listen(); c, a = s.accept(); c.send(b"hi\n")' &
	srv=$!
	i=0
	until out=$($CORRAL run --net sandbox:$ID -- python3 -c 'import socket
print(socket.create_connection(("127.0.0.1", 9999), timeout=2).recv(10).decode().strip())' 2>/dev/null); do
		i=$((i + 1)); [ $i -lt 40 ] || fail "no answer"; sleep 0.1
	done
	expect_eq "reply" "$out" "hi"
	wait $srv
	rmpod
}

sees_pod_processes_with_shared_pid() {
	mkpod -piun
	$CORRAL run --sandbox web -- sleep 321 &
	c1=$!
	i=0
	until pgrep -f "^sleep 321" >/dev/null; do i=$((i + 1)); [ $i -lt 100 ] || fail "no sleep"; sleep 0.05; done
	out=$($CORRAL run --sandbox web -- sh -c 'cat /proc/[0-9]*/cmdline | tr "\0" " "')
	case $out in *"sleep 321"*) ;; *) fail "other container not visible: $out" ;; esac
	kill $c1; wait $c1 || true
	rmpod
}

leftovers_die_with_the_command() {
	mkpod -piun
	$CORRAL run --sandbox web -- sh -c 'sleep 322 & (sleep 323 &) ; echo started'
	sleep 0.2
	! pgrep -f "^sleep 32[23]" >/dev/null || fail "left behind: $(pgrep -af '^sleep 32')"
	rmpod
}

own_pid_namespace_when_the_pod_has_none() {
	mkpod -iun
	out=$($CORRAL run --sandbox web -- sh -c 'cat /proc/1/comm; echo $$')
	expect_eq "own pid ns" "$(echo $out)" "corral 2"
	expect_eq "net" "$($CORRAL run --sandbox web -- readlink /proc/self/ns/net)" "$(readlink /proc/$PAUSE/ns/net)"
	rmpod
}

gone_pod_or_dead_pause_is_refused() {
	mkpod -piun
	kill_dead "$PAUSE"
	set +e
	err=$($CORRAL run --sandbox web -- true 2>&1); rc=$?
	set -e
	expect_eq "dead pause" "$rc" 125
	case $err in "corral run: --sandbox web: "*"not running"*) ;; *) fail "$err" ;; esac
	# A recycled pid: the state names a live process with another start time.
	sleep 100 &
	other=$!
	echo "{\"id\":\"$ID\",\"name\":\"web\",\"pause_pid\":$other,\"pause_start_time\":1}" \
		> "$CORRAL_ROOT/sandboxes/$ID/state.json"
	expect_rc 125 $CORRAL run --sandbox web -- true 2>/dev/null
	kill $other
	for ref in nope ../etc "" "$ID/.." 0123456789ABCDEF; do
		set +e
		err=$($CORRAL run --sandbox "$ref" -- true 2>&1); rc=$?
		set -e
		expect_eq "exit for '$ref'" "$rc" 125
		case $err in "corral run: "*) ;; *) fail "'$ref': $err" ;; esac
	done
	expect_rc 125 $CORRAL run --sandbox web --hostname x -- true 2>/dev/null
	rmpod
}

t "joins the pod's net, ipc, uts and pid namespaces, own mount namespace" joins_net_ipc_uts_and_shared_pid
t "two containers of a pod talk over localhost" two_containers_talk_over_localhost
t "with a shared pid namespace containers see each other" sees_pod_processes_with_shared_pid
t "a container's leftover processes die with its command" leftovers_die_with_the_command
t "own pid namespace when the pod has none" own_pid_namespace_when_the_pod_has_none
t "a gone pod, a dead pause or a bad ref is refused" gone_pod_or_dead_pause_is_refused
