#!/bin/sh
# NAT over nfnetlink: `netsetup nat` inside throwaway namespaces, checked
# with `nft -j list ruleset` run in the same namespace, then masquerade
# proven end to end: sandbox netns -> veth -> bridge in a test-host netns
# -> uplink veth -> "outside" netns, whose listener must see the uplink
# address as the source. Only crtest- namespaces and their addresses.
. "$(dirname "$0")/lib.sh"
need_root

if ! command -v nft >/dev/null 2>&1 || ! command -v ip >/dev/null 2>&1 ||
   ! command -v python3 >/dev/null 2>&1; then
	skip "$(basename "$0")" "needs nft, ip and python3 as test oracles"
	exit 0
fi

CORRAL_ROOT=$T_TMP/root
export CORRAL_ROOT
H=crtest-nath-$$	# plays the host
S=crtest-nats-$$	# a sandbox
O=crtest-nato-$$	# the outside world, behind the host's uplink
cleanup() {
	for n in $H $S $O; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$T_TMP"
}
trap cleanup EXIT
for n in $H $S $O; do ip netns add "$n" || { skip "$(basename "$0")" "cannot make netns"; exit 0; }; done

ns() { "$CORRAL" netsetup -n "$H" "$@"; }
in_h() { ip netns exec "$H" "$@"; }

# One line per rule of table ip corral: CHAIN<TAB>COMMENT<TAB>what it does.
cat >"$T_TMP/rules.py" <<'EOF'
import json, sys
doc = json.load(sys.stdin)["nftables"]
for o in doc:
    if "table" in o and o["table"]["name"] == "corral":
        print("table", o["table"]["family"], sep="\t")
    if "chain" in o and o["chain"]["table"] == "corral":
        c = o["chain"]
        print("chain", c["name"], c.get("type"), c.get("hook"), c.get("prio"), c.get("policy"), sep="\t")
    if "rule" in o and o["rule"]["table"] == "corral":
        r = o["rule"]
        parts = []
        for e in r["expr"]:
            if "match" in e:
                m = e["match"]; left = m["left"]; right = m["right"]
                if "payload" in left:
                    l = "%s %s" % (left["payload"]["protocol"], left["payload"]["field"])
                elif "meta" in left:
                    l = left["meta"]["key"]
                elif "ct" in left:
                    l = "ct " + left["ct"]["key"]
                else:
                    l = json.dumps(left)
                if isinstance(right, dict) and "prefix" in right:
                    right = "%s/%d" % (right["prefix"]["addr"], right["prefix"]["len"])
                elif isinstance(right, list):
                    right = ",".join(right)
                parts.append("%s %s %s" % (l, m["op"], right))
            else:
                parts.append(list(e.keys())[0])
        print("rule", r["chain"], r.get("comment", ""), "; ".join(parts), sep="\t")
EOF
rules() { in_h nft -j list ruleset | python3 "$T_TMP/rules.py"; }

TAG="corral:corral0 10.89.0.0/16 corral0"
WANT="table	ip
chain	postrouting	nat	postrouting	100	accept
chain	forward	filter	forward	0	accept
rule	postrouting	$TAG	ip saddr == 10.89.0.0/16; oifname != corral0; masquerade
rule	forward	$TAG	iifname == corral0; accept
rule	forward	$TAG	oifname == corral0; ct state in established,related; accept"

test_add_matches_nft() {
	ns nat add 10.89.0.0/16 bridge corral0
	expect_eq "ruleset" "$(rules)" "$WANT"
}

test_add_twice_one_set() {
	ns nat add 10.89.0.0/16 bridge corral0
	ns nat add 10.89.0.0/16 bridge corral0
	expect_eq "ruleset" "$(rules)" "$WANT"
	expect_eq "rules" "$(rules | grep -c '^rule')" 3
}

test_del_removes_them() {
	ns nat add 10.89.0.0/16 bridge corral0
	ns nat del 10.89.0.0/16 bridge corral0
	expect_eq "ruleset after del" "$(rules)" ""
	ns nat del 10.89.0.0/16 bridge corral0	# nothing there: still fine
}

test_del_leaves_other_networks() {
	ns nat add 10.89.0.0/16 bridge corral0
	ns nat add 10.90.0.0/20 bridge br1
	ns nat add 172.30.0.0/24 bridge br2 network other
	expect_eq "rules" "$(rules | grep -c '^rule')" 9
	ns nat del 10.90.0.0/20 bridge br1
	expect_eq "br1 rules" "$(rules | grep -c 'corral:br1 ')" 0
	expect_eq "corral0 rules" "$(rules | grep -c "$TAG")" 3
	rules | grep -q 'ip saddr == 172.30.0.0/24; oifname != br2; masquerade' ||
		fail "network other lost: $(rules)"
	expect_eq "nat list" "$(ns --json nat list)" \
		'[{"network":"corral0","subnet":"10.89.0.0/16","bridge":"corral0"},{"network":"other","subnet":"172.30.0.0/24","bridge":"br2"}]'
	ns nat del 172.30.0.0/24 bridge br2 network other
	ns nat del 10.89.0.0/16 bridge corral0
	expect_eq "ruleset" "$(rules)" ""
}

test_changed_subnet_replaced() {
	ns nat add 10.89.0.0/16 bridge corral0
	ns nat add 10.91.0.0/24 bridge corral0
	expect_eq "rules" "$(rules | grep -c '^rule')" 3
	rules | grep -q 'ip saddr == 10.91.0.0/24' || fail "new subnet missing: $(rules)"
	ns nat del 10.91.0.0/24 bridge corral0
}

test_concurrent_adds() {
	pids=""
	for i in $(seq 20); do
		ns nat add 10.89.0.0/16 bridge corral0 & pids="$pids $!"
		ns nat add "10.$((100 + i)).0.0/16" bridge "br$i" & pids="$pids $!"
	done
	for p in $pids; do wait "$p"; done
	expect_eq "corral0 rules" "$(rules | grep -c "$TAG")" 3
	expect_eq "all rules" "$(rules | grep -c '^rule')" 63
	for i in $(seq 20); do ns nat del "10.$((100 + i)).0.0/16" bridge "br$i" & done
	wait
	ns nat del 10.89.0.0/16 bridge corral0
	expect_eq "ruleset" "$(rules)" ""
}

test_bad_input_adds_nothing() {
	for args in "10.89.0.1/16 bridge corral0" "10.89.0.0/33 bridge corral0" \
		    "10.89.0.0 bridge corral0" "banana bridge corral0" \
		    "10.89.0.0/16 bridge" "10.89.0.0/16 corral0" \
		    "10.89.0.0/16 bridge 0123456789abcdefgh" "10.89.0.0/16 bridge a/b" \
		    "10.89.0.0/16 bridge corral0 network ../x" "10.89.0.0/16 bridge corral0 extra"; do
		# shellcheck disable=SC2086
		expect_rc 125 ns nat add $args
	done
	expect_eq "ruleset" "$(in_h nft list ruleset)" ""
}

test_batch_all_or_nothing() {
	# a foreign chain named postrouting with another hook: the batch's
	# NEWCHAIN fails, so its table, forward chain and rules must not appear
	in_h nft add table ip corral
	in_h nft add chain ip corral postrouting '{ type filter hook input priority 0; }'
	expect_rc 125 ns nat add 10.89.0.0/16 bridge corral0
	expect_eq "ruleset after a failed batch" "$(rules)" "table	ip
chain	postrouting	filter	input	0	accept"
	in_h nft delete table ip corral
}

# ---- end to end ----
e2e_setup() {
	n="$CORRAL netsetup"
	$n -n "$H" link add corral0 type bridge
	$n -n "$H" addr add 10.89.0.1/16 dev corral0
	$n -n "$H" link set corral0 up
	$n -n "$H" link add cr-nat1 type veth peer eth0 netns "$S"
	$n -n "$H" link set cr-nat1 master corral0 up
	$n -n "$S" addr add 10.89.0.2/16 dev eth0
	$n -n "$S" link set eth0 up
	$n -n "$S" link set lo up
	$n -n "$S" route add default via 10.89.0.1
	$n -n "$H" link add up0 type veth peer up1 netns "$O"
	$n -n "$H" addr add 192.0.2.1/24 dev up0
	$n -n "$H" link set up0 up
	$n -n "$O" addr add 192.0.2.2/24 dev up1
	$n -n "$O" link set up1 up
	$n -n "$O" link set lo up
	in_h sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward'	# the test host's own
}

# Outside: answers each TCP connection with the source address it sees.
serve() {
	: >"$T_TMP/serve.out"
	ip netns exec "$O" python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("192.0.2.2", 8080)); s.listen(8); s.settimeout(20)
print("ready", flush=True)
while True:
    c, a = s.accept(); c.sendall(a[0].encode()); c.close()
' >"$T_TMP/serve.out" 2>&1 &
	SERVER=$!
	trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true' EXIT
	for _ in $(seq 50); do grep -q ready "$T_TMP/serve.out" && return 0; sleep 0.1; done
	fail "listener did not start: $(cat "$T_TMP/serve.out")"
}

# From the sandbox: connect and print what the outside saw.
ask() {
	ip netns exec "$S" python3 -c '
import socket
s = socket.create_connection(("192.0.2.2", 8080), timeout=3)
print(s.recv(100).decode())
'
}

test_masquerade_end_to_end() {
	e2e_setup
	serve
	# without NAT, the outside has no way back to 10.89/16: no answer
	if ask >/dev/null 2>&1; then fail "reached the outside without NAT"; fi
	ns nat add 10.89.0.0/16 bridge corral0
	expect_eq "source seen outside" "$(ask)" 192.0.2.1
	expect_eq "again" "$(ask)" 192.0.2.1
	ns nat del 10.89.0.0/16 bridge corral0
	if ask >/dev/null 2>&1; then fail "still masqueraded after del"; fi
	return 0
}

test_host_forward_drop_policy() {
	# the host's firewall drops forwarded traffic (iptables-nft style, and
	# an inet table): an accept in our own chain does not end theirs
	in_h nft add table ip filter
	in_h nft add chain ip filter FORWARD '{ type filter hook forward priority 0; policy drop; }'
	in_h nft add table inet hostfw
	in_h nft add chain inet hostfw forwarding '{ type filter hook forward priority 10; policy drop; }'
	serve
	ns nat add 10.89.0.0/16 bridge corral0
	expect_eq "source seen outside" "$(ask)" 192.0.2.1
	ns nat add 10.89.0.0/16 bridge corral0
	expect_eq "ours in ip filter FORWARD" \
		"$(in_h nft list chain ip filter FORWARD | grep -c "comment \"$TAG\"")" 2
	expect_eq "ours in inet hostfw forwarding" "$(in_h nft list chain inet hostfw forwarding | grep -c "comment \"$TAG\"")" 2
	# without ours in their chain, their policy drops it: the control
	for h in $(in_h nft -a list chain ip filter FORWARD | sed -n 's/.*corral:.* # handle //p'); do
		in_h nft delete rule ip filter FORWARD handle "$h"
	done
	if ask >/dev/null 2>&1; then fail "passed a drop policy without our rules"; fi
	ns nat add 10.89.0.0/16 bridge corral0	# notices and puts them back
	expect_eq "after repair" "$(ask)" 192.0.2.1
	ns nat del 10.89.0.0/16 bridge corral0
	expect_eq "ours left anywhere" "$(in_h nft list ruleset | grep -c 'corral:')" 0
	in_h nft list chain ip filter FORWARD | grep -q 'policy drop' || fail "their chain changed"
	in_h nft list chain inet hostfw forwarding | grep -q 'policy drop' || fail "their chain changed"
	in_h nft delete table ip filter
	in_h nft delete table inet hostfw
}

t "nat: add makes the table, chains and tagged rules nft shows" test_add_matches_nft
ns nat del 10.89.0.0/16 bridge corral0 >/dev/null 2>&1
t "nat: adding twice leaves one set of rules" test_add_twice_one_set
ns nat del 10.89.0.0/16 bridge corral0 >/dev/null 2>&1
t "nat: del removes the network's rules and the empty table" test_del_removes_them
t "nat: del leaves other networks' rules" test_del_leaves_other_networks
t "nat: a new subnet for a network replaces its rules" test_changed_subnet_replaced
t "nat: 40 concurrent adds of 21 networks: one set of rules each" test_concurrent_adds
t "nat: bad input exits 125 and adds nothing" test_bad_input_adds_nothing
t "nat: a batch applies whole or not at all" test_batch_all_or_nothing
t "nat: the outside sees the masquerade address" test_masquerade_end_to_end
t "nat: forward accepts go first in the host's drop-policy forward chains" test_host_forward_drop_policy
