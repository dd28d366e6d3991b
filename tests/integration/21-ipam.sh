#!/bin/sh
# IPAM: leases under $CORRAL_ROOT/ipam, racing allocators, owners that go
# away, wrap-around, junk in the state dir, bad names. Files only: no
# network is touched.
. "$(dirname "$0")/lib.sh"
need_root

CORRAL_ROOT=$T_TMP/root
export CORRAL_ROOT

ns() { "$CORRAL" netsetup "$@"; }

# A process that outlives the test's steps: a live lease owner. It is
# killed when the test's subshell exits.
SLEEPERS=""
sleeper() {
	sleep 600 >/dev/null 2>&1 </dev/null &
	OWNER=$!
	SLEEPERS="$SLEEPERS $OWNER"
	trap 'kill $SLEEPERS 2>/dev/null || true' EXIT
}

# race NET SUBNET N: N allocators released at once; their outputs in $T_TMP/NET.*
race() {
	_net=$1 _sub=$2 _n=$3
	gate=$T_TMP/gate.$_net
	mkfifo "$gate"
	i=0 pids=""
	while [ $i -lt "$_n" ]; do
		( cat "$gate" >/dev/null
		  rc=0
		  ns ipam alloc "$_net" --subnet "$_sub" --owner "pid:$OWNER" \
			>"$T_TMP/$_net.out.$i" 2>"$T_TMP/$_net.err.$i" || rc=$?
		  echo $rc >"$T_TMP/$_net.rc.$i" ) &
		pids="$pids $!"
		i=$((i + 1))
	done
	sleep 0.5
	: >"$gate"	# every reader opens, reads EOF and runs
	for p in $pids; do wait "$p"; done
}

test_race_50_distinct() {
	sleeper
	race r50 10.77.0.0/24 50
	cat "$T_TMP"/r50.out.* | sort >"$T_TMP/r50.all"
	expect_eq "leases handed out" "$(wc -l <"$T_TMP/r50.all")" 50
	expect_eq "distinct leases" "$(sort -u "$T_TMP/r50.all" | wc -l)" 50
	expect_eq "exit codes" "$(cat "$T_TMP"/r50.rc.* | sort -u)" 0
	! grep -Eq '^10\.77\.0\.(0|1|255)/' "$T_TMP/r50.all" || fail "network, gateway or broadcast handed out"
	grep -qv '^10\.77\.0\.[0-9]*/24$' "$T_TMP/r50.all" && fail "address outside the subnet"
	expect_eq "leases on disk" "$(ns ipam list r50 | wc -l)" 50
	ls -a "$CORRAL_ROOT/ipam/r50" | grep -q '^\.tmp-' && fail "temp file left behind"
	return 0
}

test_race_more_than_room() {
	sleeper
	race r27 10.78.0.0/27 50	# 30 hosts less the gateway: 29 to hand out
	cat "$T_TMP"/r27.out.* | sort >"$T_TMP/r27.all"
	expect_eq "leases handed out" "$(wc -l <"$T_TMP/r27.all")" 29
	expect_eq "distinct leases" "$(sort -u "$T_TMP/r27.all" | wc -l)" 29
	expect_eq "allocators refused" "$(grep -l 125 "$T_TMP"/r27.rc.* | wc -l)" 21
	cat "$T_TMP"/r27.err.* | grep -q 'no free address in 10.78.0.0/27' ||
		fail "refusal does not say the subnet is full"
}

test_dead_pid_reclaimed() {
	sleep 600 >/dev/null 2>&1 </dev/null &
	victim=$!
	ns ipam alloc one --subnet 10.79.0.0/30 --owner "pid:$victim" >"$T_TMP/one.1"
	expect_eq "first lease" "$(cat "$T_TMP/one.1")" 10.79.0.2/30
	sleeper
	expect_rc 125 ns ipam alloc one --owner "pid:$OWNER"	# full: .2 is live
	kill $victim; wait $victim 2>/dev/null || true
	expect_eq "lease of the dead pid" "$(ns ipam alloc one --owner "pid:$OWNER")" 10.79.0.2/30
	expect_eq "new owner" "$(ns ipam list one | cut -f2)" "pid:$OWNER"
}

test_recycled_pid_not_owner() {
	# a lease naming a live pid with another start time: a recycled pid
	sleeper
	ns ipam alloc recyc --subnet 10.80.0.0/30 --owner "pid:$OWNER" >/dev/null
	printf 'pid %s 1\n' "$OWNER" >"$CORRAL_ROOT/ipam/recyc/10.80.0.2"
	expect_eq "listed as gone" "$(ns ipam list recyc | cut -f3)" gone
	expect_eq "reclaimed" "$(ns ipam alloc recyc --owner "pid:$OWNER")" 10.80.0.2/30
	expect_eq "listed as live" "$(ns ipam list recyc | cut -f3)" live
	# the very pid and start time, but recorded in another boot
	start=$(sed 's/.*) //' "/proc/$OWNER/stat" | cut -d' ' -f20)
	printf 'pid %s %s\nboot 00000000-0000-4000-8000-000000000000\n' "$OWNER" "$start" \
		>"$CORRAL_ROOT/ipam/recyc/10.80.0.2"
	expect_eq "another boot's lease" "$(ns ipam list recyc | cut -f3)" gone
	printf 'pid %s %s\nboot %s\n' "$OWNER" "$start" "$(cat /proc/sys/kernel/random/boot_id)" \
		>"$CORRAL_ROOT/ipam/recyc/10.80.0.2"
	expect_eq "this boot's lease" "$(ns ipam list recyc | cut -f3)" live
}

test_wraps_around_live_leases() {
	sleeper
	for want in 2 3 4 5 6; do
		expect_eq "fill" "$(ns ipam alloc wrap --subnet 10.81.0.0/29 --owner "pid:$OWNER")" \
			"10.81.0.$want/29"
	done
	expect_rc 125 ns ipam alloc wrap --owner "pid:$OWNER"
	ns ipam release wrap 10.81.0.3
	expect_eq "after the last, wraps to the freed one" \
		"$(ns ipam alloc wrap --owner "pid:$OWNER")" 10.81.0.3/29
	ns ipam release wrap 10.81.0.2
	ns ipam release wrap 10.81.0.5
	expect_eq "next after the last handed out" "$(ns ipam alloc wrap --owner "pid:$OWNER")" 10.81.0.5/29
	expect_eq "wraps past the live .6" "$(ns ipam alloc wrap --owner "pid:$OWNER")" 10.81.0.2/29
	expect_eq "leases" "$(ns ipam list wrap | cut -f1 | tr '\n' ' ')" \
		"10.81.0.2 10.81.0.3 10.81.0.4 10.81.0.5 10.81.0.6 "
}

test_junk_in_state_dir() {
	sleeper
	ns ipam alloc junk --subnet 10.82.0.0/29 --owner "pid:$OWNER" >/dev/null	# .2
	d=$CORRAL_ROOT/ipam/junk
	printf 'sandbox ../../etc\n' >"$d/10.82.0.3"	# junk content: no owner
	printf '\377\376garbage' >"$d/10.82.0.4"
	: >"$d/10.82.0.5"
	echo x >"$d/not-an-address"
	echo x >"$d/10.82.0.999"
	ln -s /etc/passwd "$d/10.82.0.6"
	mkdir "$d/10.82.0.7"	# the broadcast: never a candidate anyway
	list=$(ns ipam list junk --json)
	case $list in *'"address":"10.82.0.3","owner":"unknown"'*'"live":false'*) ;;
		*) fail "junk lease not listed as ownerless: $list" ;; esac
	case $list in *'"10.82.0.999"'*|*not-an*) fail "junk names listed: $list" ;; esac
	expect_eq "junk .3 reclaimed" "$(ns ipam alloc junk --owner "pid:$OWNER")" 10.82.0.3/29
	expect_eq "junk .4 reclaimed" "$(ns ipam alloc junk --owner "pid:$OWNER")" 10.82.0.4/29
	expect_eq "empty .5 reclaimed" "$(ns ipam alloc junk --owner "pid:$OWNER")" 10.82.0.5/29
	expect_eq "symlink replaced, not followed" "$(ns ipam alloc junk --owner "pid:$OWNER")" 10.82.0.6/29
	grep -q '^root:' /etc/passwd || fail "a symlinked lease wrote through to its target"
	[ ! -L "$d/10.82.0.6" ] || fail "symlink still there"
	[ -f "$d/not-an-address" ] || fail "foreign file removed"
	ns ipam release junk 10.82.0.2
	mkdir "$d/10.82.0.2"
	expect_rc 125 ns ipam alloc junk --owner "pid:$OWNER"	# full; the dir is skipped
	[ -d "$d/10.82.0.2" ] || fail "directory removed"
}

test_sandbox_owner_and_gc() {
	CORRAL_ROOT=$T_TMP/gcroot	# gc sees every network: keep it to these
	mkdir -p "$CORRAL_ROOT/sandboxes/sb-live"
	ns ipam alloc gcnet --subnet 10.83.0.0/24 --owner sandbox:sb-live >/dev/null
	ns ipam alloc gcnet --owner sandbox:sb-gone >/dev/null
	sleep 600 >/dev/null 2>&1 </dev/null & p=$!
	ns ipam alloc gcnet --owner "pid:$p" >/dev/null
	kill $p; wait $p 2>/dev/null || true
	expect_eq "live before gc" "$(ns ipam list gcnet | grep -c live)" 1
	ns gc 2>"$T_TMP/gc.err"
	grep -q 'released 2 leases' "$T_TMP/gc.err" || fail "gc said: $(cat "$T_TMP/gc.err")"
	expect_eq "after gc" "$(ns ipam list gcnet | cut -f2)" sandbox:sb-live
	ns ipam release gcnet --owner sandbox:sb-live
	expect_eq "released by owner" "$(ns ipam list gcnet | wc -l)" 0
	ns gc
	[ ! -e "$CORRAL_ROOT/ipam/gcnet" ] || fail "gc left an empty network dir"
}

test_bad_names_rejected() {
	before=$(ls "$CORRAL_ROOT/ipam/")
	for name in ../x .. . .hidden -x a/b "" "$(printf 'a%.0s' $(seq 65))" 'a b' 'x*'; do
		expect_rc 125 ns ipam alloc "$name" --subnet 10.84.0.0/24
		expect_rc 125 ns ipam list "$name"
		expect_rc 125 ns ipam release "$name" 10.84.0.2
	done
	for sub in 10.84.0.1/24 10.84.0.0/33 10.84.0.0 10.84.0.0/31 300.1.1.0/24 10.0.0.0/7; do
		expect_rc 125 ns ipam alloc badsub --subnet "$sub"
	done
	expect_rc 125 ns ipam alloc badsub --subnet 10.84.0.0/24 --owner sandbox:../x
	expect_rc 125 ns ipam alloc badsub --subnet 10.84.0.0/24 --owner pid:0
	expect_rc 125 ns ipam alloc badsub --subnet 10.84.0.0/24 --ip 10.85.0.9
	expect_rc 125 ns ipam alloc badsub --subnet 10.84.0.0/24 --ip 10.84.0.255
	[ ! -e "$T_TMP/x" ] || fail "a path escaped the state dir"
	after=$(ls "$CORRAL_ROOT/ipam/" | grep -v '^badsub$' || true)
	[ "$before" = "$after" ] || fail "dirs made for bad names: $after"
	expect_eq "leases for bad input" "$(ns ipam list badsub | wc -l)" 0
}

test_subnet_remembered_and_guarded() {
	sleeper
	expect_rc 125 ns ipam alloc fresh	# no subnet yet
	ns ipam alloc keep --subnet 10.86.0.0/24 --owner "pid:$OWNER" >/dev/null
	expect_eq "remembered" "$(ns ipam alloc keep --owner "pid:$OWNER")" 10.86.0.3/24
	expect_rc 125 ns ipam alloc keep --subnet 10.87.0.0/24 --owner "pid:$OWNER"
	expect_eq "asked-for address" "$(ns ipam alloc keep --ip 10.86.0.9 --owner sandbox:k1)" 10.86.0.9/24
	expect_eq "asked again by its owner" "$(ns ipam alloc keep --ip 10.86.0.9 --owner sandbox:k1)" \
		10.86.0.9/24
	mkdir -p "$CORRAL_ROOT/sandboxes/k1"
	expect_rc 125 ns ipam alloc keep --ip 10.86.0.9 --owner "pid:$OWNER"
	rmdir "$CORRAL_ROOT/sandboxes/k1"
	ns ipam release keep --owner "pid:$OWNER"
	ns ipam release keep --owner sandbox:k1
	expect_eq "moves when empty" "$(ns ipam alloc keep --subnet 10.87.0.0/24 --owner "pid:$OWNER")" \
		10.87.0.2/24
}

test_gc_races_allocators() {
	# gc drops a network's dir when it is empty; allocators that wait on
	# the old lock must notice and start over, and no live lease may go
	CORRAL_ROOT=$T_TMP/gcrace
	sleeper
	( for _ in $(seq 150); do ns gc 2>/dev/null || echo "gc failed"; done ) >"$T_TMP/gc.log" &
	g=$!
	pids=""
	for w in 1 2 3 4; do
		( for _ in $(seq 50); do
			a=$(ns ipam alloc gr --subnet 10.88.0.0/24 --owner "pid:$OWNER") || echo "alloc failed"
			[ -f "$CORRAL_ROOT/ipam/gr/${a%/*}" ] || echo "lease $a lost"
			ns ipam release gr "$a" || echo "release failed"
		  done ) >"$T_TMP/w.$w" 2>&1 &
		pids="$pids $!"
	done
	for p in $pids; do wait "$p"; done
	wait $g
	bad=$(cat "$T_TMP"/w.* "$T_TMP/gc.log")
	[ -z "$bad" ] || fail "$bad"
	ns gc
	[ ! -e "$CORRAL_ROOT/ipam/gr" ] || fail "empty network dir left"
}

t "ipam: 50 racing allocators get 50 distinct addresses" test_race_50_distinct
t "ipam: gc dropping empty networks races 200 alloc/release cycles safely" test_gc_races_allocators
t "ipam: 50 racing allocators on 29 free addresses: 29 distinct, 21 refused" test_race_more_than_room
t "ipam: the lease of a dead pid is reclaimed" test_dead_pid_reclaimed
t "ipam: a recycled pid (other start time or boot) is not the owner" test_recycled_pid_not_owner
t "ipam: allocation wraps around without handing out a live address" test_wraps_around_live_leases
t "ipam: junk in the state dir is ignored or reclaimed, never followed" test_junk_in_state_dir
t "ipam: sandbox owners, release by owner, gc" test_sandbox_owner_and_gc
t "ipam: bad network names, subnets and owners exit 125 and make nothing" test_bad_names_rejected
t "ipam: the subnet is remembered and changes only when nothing is leased" test_subnet_remembered_and_guarded
