#!/bin/sh
# netsetup against the real kernel. The whole file runs inside a throwaway
# network + mount namespace (unshare -n -m) that plays the host, with its
# own tmpfs on /run so that /run/netns is private to the test: nothing
# here can touch the machine's own network, and everything made here dies
# with the namespaces even if cleanup is skipped.
if [ -z "${CRTEST_INNER:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "skip - 20-netsetup: needs root"
		exit 0
	fi
	for tool in unshare ip; do
		command -v $tool >/dev/null 2>&1 || { echo "skip - 20-netsetup: needs $tool"; exit 0; }
	done
	CORRAL=${CORRAL:-./corral}
	case $CORRAL in /*) ;; *) CORRAL=$PWD/$CORRAL ;; esac
	export CORRAL CRTEST_INNER=1
	exec unshare -n -m sh "$0" "$@"
fi

. "$(dirname "$0")/lib.sh"
NS="$CORRAL netsetup"

# The mount namespace is private (unshare -m): this tmpfs hides the real /run.
mount -t tmpfs -o mode=0755 crtest /run || { echo "not ok - 20-netsetup: cannot mount a private /run"; exit 1; }

cleanup() {
	for n in $(ls /run/netns 2>/dev/null); do
		umount -l "/run/netns/$n" 2>/dev/null
		rm -f "/run/netns/$n"
	done
	for l in $(ip -o link show 2>/dev/null | sed -n 's/^[0-9]*: \([^:@]*\).*/\1/p'); do
		[ "$l" = lo ] || ip link del "$l" 2>/dev/null
	done
	rm -rf "$T_TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

links() { ip -o link show | sed -n 's/^[0-9]*: \([^:@]*\).*/\1/p' | sort | tr '\n' ' '; }
nslinks() { ip -n "$1" -o link show | sed -n 's/^[0-9]*: \([^:@]*\).*/\1/p' | sort | tr '\n' ' '; }
has_flag() { ip -o link show dev "$1" | grep -q "[<,]$2[,>]"; }

# expect_err WANT_PATTERN CMD...: exit 125, one line on stderr matching it.
expect_err() {
	_pat=$1; shift
	set +e; "$@" >"$T_TMP/out" 2>"$T_TMP/err"; _rc=$?; set -e
	[ "$_rc" -eq 125 ] || fail "'$*': exit $_rc, want 125 ($(cat "$T_TMP/err"))"
	[ "$(wc -l <"$T_TMP/err")" -eq 1 ] || fail "'$*': want one line on stderr, got: $(cat "$T_TMP/err")"
	grep -q -- "$_pat" "$T_TMP/err" || fail "'$*': message '$(cat "$T_TMP/err")' lacks '$_pat'"
}

# seen_in FILE WORD: WORD shows up in FILE within 5 seconds.
seen_in() {
	for _i in $(seq 50); do grep -q "$2" "$1" && return 0; sleep 0.1; done
	return 1
}

valid_json() {
	if command -v python3 >/dev/null 2>&1; then
		python3 -c 'import json, sys; json.load(sys.stdin)'
	else
		cat >/dev/null
	fi
}

test_help() {
	$NS --help | grep -q 'link add NAME type veth'
	expect_err 'no command' $NS
	expect_err "unknown command 'bogus'" $NS bogus
}

test_netns_add_list_del() {
	$NS netns add crt-a
	[ -f /run/netns/crt-a ] || fail "no /run/netns/crt-a"
	$NS netns list | grep -qx crt-a || fail "list lacks crt-a"
	$NS netns list --json | valid_json
	$NS --json netns list | grep -q '{"name":"crt-a"}' || fail "json list lacks crt-a"
	expect_err 'netns crt-a: File exists' $NS netns add crt-a
	$NS netns del crt-a
	[ ! -e /run/netns/crt-a ] || fail "crt-a still there"
	! $NS netns list | grep -qx crt-a || fail "crt-a still listed"
	expect_err 'netns crt-a: No such file' $NS netns del crt-a
}

# /run/netns is made a shared mount point, the way iproute2 makes it.
test_run_netns_is_shared() {
	$NS netns add crt-s
	grep -q ' /run/netns .*shared:' /proc/self/mountinfo || fail "/run/netns is not shared: $(grep /run/netns /proc/self/mountinfo)"
	$NS netns del crt-s
}

test_ip_netns_sees_and_enters_ours() {
	$NS netns add crt-b
	ip netns list | grep -q '^crt-b' || fail "ip netns list lacks crt-b"
	host=$(readlink /proc/self/ns/net)
	inside=$(ip netns exec crt-b readlink /proc/self/ns/net)
	[ -n "$inside" ] && [ "$inside" != "$host" ] || fail "ip netns exec crt-b stayed in $host"
	$NS link add crt-v1 type veth peer eth0 netns crt-b
	ip netns exec crt-b ip link show eth0 >/dev/null || fail "ip netns exec does not see eth0"
	$NS link del crt-v1
	$NS netns del crt-b
	! ip netns list | grep -q '^crt-b' || fail "ip still lists crt-b"
}

test_ours_sees_and_enters_ip_netns() {
	ip netns add crt-c
	$NS netns list | grep -qx crt-c || fail "our list lacks crt-c"
	$NS -n crt-c link list | grep -q 'lo' || fail "no lo in crt-c"
	$NS link add crt-v2 type veth peer p0 netns crt-c
	ip -n crt-c link show p0 >/dev/null || fail "p0 not in crt-c"
	$NS -n crt-c link set p0 up
	has_flag crt-v2 UP && fail "host end went up instead"
	ip -n crt-c -o link show p0 | grep -q '[<,]UP[,>]' || fail "p0 not up"
	$NS link del crt-v2
	ip netns del crt-c
}

test_netns_del_while_in_use() {
	$NS netns add crt-d
	ip netns exec crt-d sh -c 'echo $$ >"$0"; exec sleep 30' "$T_TMP/pid" &
	for i in 1 2 3 4 5 6 7 8 9 10; do [ -s "$T_TMP/pid" ] && break; sleep 0.1; done
	pid=$(cat "$T_TMP/pid")
	before=$(readlink /proc/$pid/ns/net)
	$NS netns del crt-d
	[ ! -e /run/netns/crt-d ] || { kill $pid; fail "crt-d still there"; }
	kill -0 $pid || fail "process in crt-d died"
	[ "$(readlink /proc/$pid/ns/net)" = "$before" ] || { kill $pid; fail "netns changed under the process"; }
	# The name can be reused at once, for a new netns.
	$NS netns add crt-d
	again=$(ip netns exec crt-d readlink /proc/self/ns/net)
	kill $pid
	wait $pid 2>/dev/null || true
	[ "$again" != "$before" ] || fail "re-added crt-d is the old netns"
	$NS netns del crt-d
}

test_veth_peer_never_on_host() {
	$NS netns add crt-e
	ip -o monitor link >"$T_TMP/mon" 2>&1 &
	mon=$!
	# The monitor listens once it reports a marker link of ours.
	$NS link add crt-mk type bridge
	seen_in "$T_TMP/mon" crt-mk || { ip link del crt-mk; ip link add crt-mk type bridge; seen_in "$T_TMP/mon" crt-mk; } ||
		{ kill $mon; fail "ip monitor reported nothing"; }
	$NS link del crt-mk
	$NS link add crt-v3 type veth peer eth0 netns crt-e
	seen_in "$T_TMP/mon" crt-v3 || { kill $mon; fail "monitor missed crt-v3: $(cat "$T_TMP/mon")"; }
	sleep 0.2
	kill $mon; wait $mon 2>/dev/null || true
	! grep -q eth0 "$T_TMP/mon" || fail "the peer showed up on the host: $(cat "$T_TMP/mon")"
	! ip link show eth0 >/dev/null 2>&1 || fail "eth0 on the host"
	[ "$(nslinks crt-e)" = "eth0 lo " ] || fail "crt-e holds '$(nslinks crt-e)'"
	$NS link del crt-v3
	[ "$(nslinks crt-e)" = "lo " ] || fail "peer outlived its pair: '$(nslinks crt-e)'"
	$NS netns del crt-e
}

test_bridge_and_link_set() {
	$NS link add crt-br0 type bridge
	ip -d -o link show crt-br0 | grep -q bridge || fail "crt-br0 is not a bridge"
	$NS link add crt-v4 type veth peer crt-p4
	$NS link set crt-v4 master crt-br0 mtu 1400 up
	ip -o link show crt-v4 | grep -q 'master crt-br0' || fail "no master"
	ip -o link show crt-v4 | grep -q 'mtu 1400' || fail "mtu not set"
	has_flag crt-v4 UP || fail "crt-v4 not up"
	$NS link set crt-v4 down nomaster
	has_flag crt-v4 UP && fail "crt-v4 still up"
	ip -o link show crt-v4 | grep -q master && fail "still enslaved"
	$NS link set crt-v4 name crt-v5
	ip link show crt-v5 >/dev/null || fail "rename failed"
	! ip link show crt-v4 >/dev/null 2>&1 || fail "old name remains"
	$NS netns add crt-f
	$NS link set crt-p4 netns crt-f name eth1 up
	ip -n crt-f -o link show eth1 | grep -q '[<,]UP[,>]' || fail "eth1 not up in crt-f"
	! ip link show crt-p4 >/dev/null 2>&1 || fail "crt-p4 still on the host"
	$NS -j link list | valid_json
	$NS -j link list | grep -q '"name":"crt-br0","kind":"bridge"' || fail "json list: $($NS -j link list)"
	$NS link del crt-v5
	$NS link del crt-br0
	$NS netns del crt-f
	[ "$(links)" = "lo " ] || fail "left on the host: $(links)"
}

test_addr_and_route() {
	$NS netns add crt-g
	$NS link add crt-br1 type bridge
	$NS link add crt-v6 type veth peer eth0 netns crt-g
	$NS link set crt-v6 master crt-br1 up
	$NS link set crt-br1 up
	$NS addr add 10.213.0.1/24 dev crt-br1
	$NS -n crt-g link set lo up
	$NS -n crt-g link set eth0 up
	$NS addr add 10.213.0.2/24 dev eth0 netns crt-g
	$NS addr add fd99::2/64 dev eth0 netns crt-g
	ip -n crt-g -o addr show dev eth0 | grep -q 'inet 10.213.0.2/24 brd 10.213.0.255' || fail "no v4 address: $(ip -n crt-g -o addr)"
	ip -n crt-g -o addr show dev eth0 | grep -q 'inet6 fd99::2/64' || fail "no v6 address"
	expect_err 'address 10.213.0.2/24 on eth0: File exists' $NS addr add 10.213.0.2/24 dev eth0 netns crt-g
	$NS route add default via 10.213.0.1 netns crt-g
	$NS route add 10.214.0.0/16 via 10.213.0.1 dev eth0 netns crt-g
	$NS route add 10.215.0.0/16 dev eth0 netns crt-g
	ip -n crt-g route show default | grep -q 'via 10.213.0.1 dev eth0' || fail "no default route: $(ip -n crt-g route)"
	ip -n crt-g route show 10.214.0.0/16 | grep -q 'via 10.213.0.1' || fail "no prefix route"
	ip -n crt-g route show 10.215.0.0/16 | grep -q 'dev eth0 scope link' || fail "no on-link route"
	$NS route add default via fd99::1 dev eth0 netns crt-g
	ip -n crt-g -6 route show default | grep -q 'via fd99::1 dev eth0' || fail "no v6 default route: $(ip -n crt-g -6 route)"
	expect_err 'route default via 10.213.0.1: File exists' $NS route add default via 10.213.0.1 netns crt-g
	# The sandbox side reaches the bridge's address (traffic stays in our namespaces).
	if command -v ping >/dev/null 2>&1; then
		ip netns exec crt-g ping -c1 -W2 10.213.0.1 >/dev/null || fail "no reply from the bridge"
	fi
	$NS route del 10.214.0.0/16 via 10.213.0.1 dev eth0 netns crt-g
	[ -z "$(ip -n crt-g route show 10.214.0.0/16)" ] || fail "route not deleted"
	$NS addr del fd99::2/64 dev eth0 netns crt-g
	! ip -n crt-g -o addr show dev eth0 | grep -q fd99 || fail "v6 address not deleted"
	$NS addr del 10.213.0.2/24 dev eth0 netns crt-g
	! ip -n crt-g -o addr show dev eth0 | grep -q 10.213 || fail "v4 address not deleted"
	$NS link del crt-v6
	$NS link del crt-br1
	$NS netns del crt-g
}

state() {
	{ links; echo; ls /run/netns 2>/dev/null | tr '\n' ' '; echo
	  ip -o addr show 2>/dev/null | awk '{print $2, $4}'
	  ip route show 2>/dev/null
	  [ -e /run/netns/crt-h ] && { nslinks crt-h; ip -n crt-h -o addr | awk '{print $2, $4}'; ip -n crt-h route; }
	} 2>/dev/null
}

test_bad_input_leaves_nothing() {
	$NS netns add crt-h
	$NS link add crt-br2 type bridge
	$NS link add crt-v7 type veth peer eth0 netns crt-h
	before=$(state)
	expect_err 'bad netns name' $NS netns add 'a/b'
	expect_err 'bad netns name' $NS netns add ..
	expect_err 'bad netns name' $NS netns del ../../etc
	expect_err 'usage' $NS netns add
	expect_err 'unexpected' $NS netns list extra
	expect_err 'netns crt-h: File exists' $NS netns add crt-h
	expect_err 'netns crt-nope' $NS link add crt-x1 type veth peer crt-y1 netns crt-nope
	expect_err 'veth crt-x2: File exists' $NS link add crt-x2 type veth peer eth0 netns crt-h
	expect_err 'veth crt-v7: File exists' $NS link add crt-v7 type veth peer crt-y3
	expect_err 'bridge crt-br2: File exists' $NS link add crt-br2 type bridge
	expect_err 'bad interface name' $NS link add crt-0123456789ab type bridge
	expect_err 'bad interface name' $NS link add crt-x4 type veth peer 'a b'
	expect_err 'not supported' $NS link add crt-x5 type dummy
	expect_err 'peer' $NS link add crt-x6 type veth
	expect_err 'link crt-nope: No such device' $NS link set crt-nope up
	expect_err 'bad mtu' $NS link set crt-br2 mtu 10
	expect_err 'link crt-nope: No such device' $NS link set crt-br2 master crt-nope
	expect_err 'netns crt-nope' $NS link set crt-v7 up netns crt-nope
	expect_err 'bad interface name' $NS link set crt-br2 name 'a/b'
	expect_err 'unknown setting' $NS link set crt-br2 sideways
	expect_err 'needs a value' $NS link set crt-br2 mtu
	expect_err 'link crt-br2: .*(.*bridge.*)' $NS link set crt-br2 master crt-br2
	expect_err 'link crt-nope: No such device' $NS link del crt-nope
	expect_err 'bad address' $NS addr add 10.0.0.300/24 dev crt-br2
	expect_err 'prefix length' $NS addr add 10.0.0.1/33 dev crt-br2
	expect_err 'usage' $NS addr add 10.0.0.1/24
	expect_err 'link crt-nope: No such device' $NS addr add 10.0.0.1/24 dev crt-nope
	expect_err 'netns crt-nope' $NS addr add 10.0.0.1/24 dev eth0 netns crt-nope
	expect_err 'address 10.0.0.1/24 on crt-br2: Address not' $NS addr del 10.0.0.1/24 dev crt-br2
	expect_err "needs 'via GW' or 'dev DEV'" $NS route add default
	expect_err 'bad gateway' $NS route add default via 10.0.0.300
	expect_err 'another address family' $NS route add 10.0.0.0/8 via fd00::1
	expect_err 'route default via 10.99.0.1: Network unreachable (' $NS route add default via 10.99.0.1 netns crt-h
	expect_err 'unexpected' $NS route add default via 10.99.0.1 sideways 1
	expect_err "unknown option" $NS --bogus link list
	after=$(state)
	[ "$before" = "$after" ] || fail "state changed: before [$before] after [$after]"
	$NS link del crt-v7
	$NS link del crt-br2
	$NS netns del crt-h
	[ "$(links)" = "lo " ] || fail "left on the host: $(links)"
	[ -z "$(ls /run/netns)" ] || fail "netns left: $(ls /run/netns)"
}

t "netsetup --help, bad commands exit 125" test_help
t "netns add, list (--json), del" test_netns_add_list_del
t "/run/netns is a shared mount point" test_run_netns_is_shared
t "ip netns lists and enters a netns made by netsetup" test_ip_netns_sees_and_enters_ours
t "netsetup lists and enters a netns made by ip netns" test_ours_sees_and_enters_ip_netns
t "netns del is safe while the netns is in use" test_netns_del_while_in_use
t "veth peer is made in its netns and never seen on the host" test_veth_peer_never_on_host
t "bridge, link set master/mtu/up/down/name/netns, link del" test_bridge_and_link_set
t "addr add/del v4 and v6, default/prefix/on-link routes in a netns" test_addr_and_route
t "bad input on every command exits 125 and changes nothing" test_bad_input_leaves_nothing
