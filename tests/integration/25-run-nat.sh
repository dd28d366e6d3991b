# corral run --net nat: bridge, veth, IPAM lease, NAT, teardown. The whole
# topology lives in a throwaway netns playing the host (test_host), with an
# "outside" netns behind an uplink veth; traffic goes nowhere else.
. tests/integration/lib.sh
test_host

# outside (10.200.0.2) <-> uplink (10.200.0.1, here) ; sandboxes on corral0.
ip netns add crtest-out
ip link add crup0 type veth peer name eth0 netns crtest-out
ip addr add 10.200.0.1/24 dev crup0
ip link set crup0 up
ip -n crtest-out addr add 10.200.0.2/24 dev eth0
ip -n crtest-out link set eth0 up
ip -n crtest-out link set lo up

# serve PORT: in the outside netns, answers each connection with the peer's
# address, until killed.
SERVER='import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(64)
while True:
    c, a = s.accept(); c.sendall((a[0] + "\n").encode()); c.close()'
CLIENT='import socket, sys
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
print(c.recv(100).decode().strip())'

# The veth dies with the sandbox's netns, which the kernel tears down
# after the run returns (no caller waits on its grace periods).
no_veth_soon() {
	i=0
	while ip -o link | grep -q ' cr-'; do i=$((i + 1)); [ $i -lt 200 ] || fail "veth left: $(links)"; sleep 0.025; done
}

leases() { $CORRAL netsetup ipam list corral 2>/dev/null | grep -c '^10\.' || true; }

nat_reaches_outside_as_the_host() {
	ip netns exec crtest-out python3 -c "$SERVER" 10.200.0.2 7001 &
	srv=$!
	sleep 0.3
	out=$($CORRAL run --net nat -- python3 -c "$CLIENT" 10.200.0.2 7001)
	kill $srv
	expect_eq "source seen outside" "$out" "10.200.0.1"
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = 1 ] || fail "ip_forward off"
}

sandbox_gets_eth0_route_and_files() {
	out=$($CORRAL run --net nat --hostname box -- sh -c \
		'ip -4 -o addr show eth0 | awk "{print \$4}"; ip route | head -n1; cat /etc/hostname; grep box /etc/hosts | cut -f2')
	case $out in 10.89.*/16*"default via 10.89.0.1 dev eth0"*"box"*"box") ;; *) fail "$out" ;; esac
	# read-only binds
	set +e
	$CORRAL run --net nat -- sh -c 'echo x > /etc/hosts' 2>/dev/null
	rc=$?
	set -e
	[ $rc -ne 0 ] || fail "/etc/hosts writable"
}

sandbox_to_sandbox_across_the_bridge() {
	$CORRAL run --net nat --ip 10.89.7.7 -- python3 -c "$SERVER" 10.89.7.7 7002 &
	srv=$!
	i=0
	until [ "$(leases)" -ge 1 ]; do i=$((i + 1)); [ $i -lt 100 ] || fail "no server"; sleep 0.05; done
	sleep 0.3
	out=$($CORRAL run --net nat -- python3 -c "$CLIENT" 10.89.7.7 7002)
	kill $srv
	wait $srv || true
	case $out in 10.89.*) [ "$out" != 10.89.7.7 ] || fail "same address" ;; *) fail "peer: $out" ;; esac
}

teardown_leaves_bridge_and_nat_only() {
	$CORRAL run --net nat -- true
	no_veth_soon
	expect_eq "links" "$(links)" "corral0 crup0 lo "
	expect_eq "leases" "$(leases)" "0"
	nft list table ip corral | grep -q 'masquerade comment "corral:corral 10.89.0.0/16 corral0"' ||
		fail "NAT rule gone"
}

fifty_concurrent_runs_get_distinct_addresses() {
	for i in $(seq 50); do
		$CORRAL run --net nat -- sh -c 'ip -4 -o addr show eth0 | awk "{print \$4}"; ip -o link show eth0 >/dev/null' \
			> "$T_TMP/c.$i" 2>&1 &
	done
	wait
	got=$(cat "$T_TMP"/c.* | sort -u | grep -c '^10\.89\.')
	expect_eq "distinct addresses" "$got" 50
	no_veth_soon
	expect_eq "links after" "$(links)" "corral0 crup0 lo "
	expect_eq "leases after" "$(leases)" "0"
}

sigkill_mid_run_is_reclaimed() {
	$CORRAL run --net nat -- sleep 100 &
	pid=$!
	i=0
	until [ "$(leases)" -ge 1 ] && ip -o link | grep -q ' cr-'; do
		i=$((i + 1)); [ $i -lt 100 ] || fail "no sandbox"; sleep 0.05
	done
	kill -KILL $pid
	wait $pid || true
	no_veth_soon
	expect_eq "stale lease" "$(leases)" "1"
	$CORRAL netsetup gc
	expect_eq "leases after gc" "$(leases)" "0"
}

sigkill_mid_setup_then_gc_leaves_nothing() {
	for round in $(seq 30); do
		d=$(awk -v s=$round 'BEGIN { srand(s); printf "0.%03d", int(rand() * 30) }')
		$CORRAL run --net nat -- true > /dev/null 2>&1 &
		p=$!; sleep $d; kill -9 $p 2>/dev/null || :; wait $p 2>/dev/null || :
		$CORRAL netsetup gc > /dev/null
		no_veth_soon
		expect_eq "leases after round $round (delay $d)" "$(leases)" "0"
	done
	expect_eq "links" "$(links)" "corral0 crup0 lo "
	! pgrep -f "^$CORRAL run" > /dev/null || fail "a run survived"
}

fixed_ip_and_bad_input() {
	expect_eq "--ip" "$($CORRAL run --net nat --ip 10.89.3.4 -- sh -c 'ip -4 -o addr show eth0 | awk "{print \$4}"')" "10.89.3.4/16"
	no_veth_soon
	l0=$(links)
	for args in "--net nat --ip 10.90.0.5" "--net nat --ip 10.89.0.1" "--net nat --ip nonsense" \
		"--net nat --subnet 10.89.0.0/33" "--net nat --bridge bad/name" "--ip 10.89.0.9" "--net bogus"; do
		set +e
		# shellcheck disable=SC2086
		err=$($CORRAL run $args -- true 2>&1)
		rc=$?
		set -e
		expect_eq "exit for '$args'" "$rc" 125
		case $err in "corral run: "*) ;; *) fail "'$args': $err" ;; esac
	done
	expect_eq "links" "$(links)" "$l0"
	expect_eq "leases" "$(leases)" "0"
	# A taken address: the second run fails, nothing half-made.
	$CORRAL run --net nat --ip 10.89.3.5 -- sleep 2 &
	pid=$!
	i=0
	until [ "$(leases)" -ge 1 ]; do i=$((i + 1)); [ $i -lt 100 ] || fail "no lease"; sleep 0.05; done
	set +e
	err=$($CORRAL run --net nat --ip 10.89.3.5 -- true 2>&1)
	rc=$?
	set -e
	expect_eq "taken address" "$rc" 125
	wait $pid
	no_veth_soon
	expect_eq "links after" "$(links)" "$l0"
}

# The command's environment is its own: a run whose command gets no
# CORRAL_ROOT (--clear-env) or another one (--env) still returns its lease
# to the state root it took it from.
lease_goes_back_to_its_own_root() {
	r=$T_TMP/root
	for how in --clear-env --env=CORRAL_ROOT=/nonexistent; do
		CORRAL_ROOT=$r $CORRAL run --net nat $how -- sh -c 'ip -4 -o addr show eth0' > $T_TMP/out ||
			fail "run $how"
		grep -q ' inet 10\.89\.' $T_TMP/out || fail "no address with $how: $(cat $T_TMP/out)"
		left=$(ls $r/ipam/corral 2>/dev/null | grep -c '^10\.' || true)
		expect_eq "leases left in $r after a run with $how" "$left" 0
	done
	[ ! -e /nonexistent ] || fail "a root the command was given was made"
	rm -rf $r
}

t "NAT: the outside host sees the host's address" nat_reaches_outside_as_the_host
t "eth0 with a lease, default route, read-only /etc/hosts and hostname" sandbox_gets_eth0_route_and_files
t "two sandboxes talk across the bridge" sandbox_to_sandbox_across_the_bridge
t "after a run: the bridge and NAT stay, veth and lease go" teardown_leaves_bridge_and_nat_only
t "50 concurrent runs get distinct addresses" fifty_concurrent_runs_get_distinct_addresses
t "SIGKILL mid-run: veth gone with the netns, lease reclaimed by gc" sigkill_mid_run_is_reclaimed
t "SIGKILL at random moments of set-up, 30 rounds: gc leaves nothing" sigkill_mid_setup_then_gc_leaves_nothing
t "--ip, and bad network input exits 125 leaving nothing" fixed_ip_and_bad_input
t "the lease goes back to the root it came from, whatever CMD's environment" lease_goes_back_to_its_own_root
ip netns del crtest-out
