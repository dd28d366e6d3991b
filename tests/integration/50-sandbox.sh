# corral sandbox: create / ls / inspect / rm / gc in every namespace mode,
# cgroup limits, failure paths, concurrency and a crash-consistency kill
# test. Everything runs in a throwaway netns playing the host (test_host),
# with its own /run; only cgroups are the machine's (corral/sandbox-<id>).
. tests/integration/lib.sh
test_host

SB="$CORRAL sandbox"
R=/run/corral/sandboxes

field() { # field ID KEY: a number or string member of the state
	$SB inspect "$1" | sed -n "s/^  \"$2\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p"
}
cgroups() { ls -d /sys/fs/cgroup/*/corral/sandbox-* 2>/dev/null | sort | tr '\n' ' ' || true; }
dirs() { ls $R 2>/dev/null | grep -c '^[0-9a-f]\{16\}$' || true; }
leases() { ls /run/corral/ipam/corral 2>/dev/null | grep -c '^10\.' || true; }
pauses() { # processes running this very binary
	ls -l /proc/[0-9]*/exe 2>/dev/null | grep " -> $CORRAL\$" | sed 's|.*/proc/\([0-9]*\)/exe.*|\1|' |
		while read p; do gone $p || echo $p; done | wc -l
}
# snapshot: everything of ours on this host, one line each.
snapshot() {
	echo "netns: $(ls /run/netns 2>/dev/null | tr '\n' ' ')"
	echo "links: $(links)"
	echo "leases: $(leases)"
	echo "nft: $(nft list ruleset 2>/dev/null | md5sum)"
	echo "cgroups: $(cgroups)"
	echo "mounts: $(grep -c ' /run/netns/cr-[0-9a-f]\{8\} ' /proc/self/mountinfo || :)"
	echo "dirs: $(dirs)"
	echo "pauses: $(pauses)"
}
# same_as FILE: the host matches the snapshot in FILE (veths of a netns
# just deleted go with it a little later: wait for them).
same_as() {
	i=0
	while ! snapshot > "$T_TMP/now" || ! cmp -s "$1" "$T_TMP/now"; do
		i=$((i + 1))
		[ $i -lt 40 ] || { diff "$1" "$T_TMP/now" >&2; return 1; }
		sleep 0.05
	done
}

# Sandboxes outlive this host netns: take down whatever a failure left.
cleanup() {
	cleanup_ids
	$SB gc > /dev/null 2>&1 || :
	rm -rf "$T_TMP"
}
trap cleanup EXIT
[ -z "$(cgroups)" ] || { echo "not ok - sandbox: cgroups of an earlier run are left: $(cgroups)"; exit 1; }

# only NAME...: run just the tests whose function names are given in $ONLY
only() { [ -z "${ONLY:-}" ] || case " $ONLY " in *" $2 "*) ;; *) return 1 ;; esac; }
T() { only "$@" || return 0; t "$@"; cleanup_ids; }
cleanup_ids() {
	ids=$(ls $R 2>/dev/null | grep '^[0-9a-f]\{16\}$' || :)
	[ -z "$ids" ] || $SB rm --force $ids > /dev/null 2>&1 || :
}

# The host side (bridge, NAT rules, /run/netns mount) exists after a first
# sandbox; that is the base every test comes back to.
id=$($SB create) && $SB rm "$id" > /dev/null
sleep 0.2
snapshot > "$T_TMP/base"

needs_root_plainly() {
	out=$(setpriv --reuid 65534 --regid 65534 --clear-groups $SB ls 2>&1) && fail "ran as nobody: $out"
	expect_rc 125 setpriv --reuid 65534 --regid 65534 --clear-groups $SB create
	case $out in *"needs root"*) ;; *) fail "message: $out" ;; esac
	$SB --help | grep -q "sandbox create" || fail "no help"
}

pod_network_ls_inspect_rm() {
	id=$($SB create --name web)
	case $id in [0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]) ;; *) fail "id '$id'" ;; esac
	pid=$(field web pause_pid)
	ns=cr-$(echo $id | cut -c1-8)
	expect_eq "netns" "$(field $id netns)" "$ns"
	[ -e /run/netns/$ns ] || fail "no /run/netns/$ns"
	$SB ls | grep -q "^$id  web .* running  *$pid " || fail "ls: $($SB ls)"
	$SB ls --json | python3 -c 'import json,sys; l=json.load(sys.stdin); assert l[0]["status"]=="running" and l[0]["state"]["name"]=="web", l'
	$SB inspect web | python3 -c 'import json,sys; s=json.load(sys.stdin); assert set(s)=={"id","name","pause_pid","pause_start_time","namespaces","netns","host_veth","network","address","gateway","cgroup","limits","created","created_ns"}, s; assert s["namespaces"]=={"network":"pod","pid":"container","ipc":"pod"}'
	addr=$(field $id address); addr=${addr%/16}
	ip netns exec $ns ip -4 -o addr show eth0 | grep -q "inet $addr/16 " || fail "eth0 lacks $addr"
	python3 -c 'import socket; s = socket.socket(); s.bind(("10.89.0.1", 7100)); s.listen(1); c, a = s.accept(); c.sendall(a[0].encode())' &
	# the listener may take a while to start on a busy machine: retry
	i=0
	until got=$(ip netns exec $ns python3 -c 'import socket; print(socket.create_connection(("10.89.0.1", 7100), timeout=5).recv(64).decode())' 2>/dev/null); do
		i=$((i + 1)); [ $i -lt 50 ] || fail "no listener on the gateway"; sleep 0.1
	done
	expect_eq "peer seen by the gateway" "$got" "$addr"
	# pause holds net, ipc and uts of its own; pid is the host's (container mode)
	for k in net ipc uts; do
		[ "$(readlink /proc/$pid/ns/$k)" != "$(readlink /proc/self/ns/$k)" ] || fail "$k shared with host"
	done
	[ "$(readlink /proc/$pid/ns/net)" = "$(ip netns exec $ns readlink /proc/self/ns/net)" ] || fail "pause not in $ns"
	[ "$(readlink /proc/$pid/ns/pid)" = "$(readlink /proc/self/ns/pid)" ] || fail "pid ns not the host's"
	rss=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/$pid/status)
	[ "$rss" -le 48 ] || fail "pause RSS $rss kB"
	expect_eq "leases" "$(leases)" 1
	expect_eq "rm" "$($SB rm web)" "$id"
	gone $pid || fail "pause still runs"
	same_as "$T_TMP/base"
	expect_rc 125 $SB rm web
	expect_rc 125 $SB rm $id
	expect_rc 0 $SB rm --force web $id
}

net_none_and_node() {
	a=$($SB create --net none)
	pa=$(field $a pause_pid)
	ns=cr-$(echo $a | cut -c1-8)
	expect_eq "links in none" "$(ip netns exec $ns sh -c '. tests/integration/lib.sh; links' 2>/dev/null || ip -n $ns -o link | sed -n 's/^[0-9]*: \([^:@]*\).*/\1/p' | tr '\n' ' ')" "lo "
	ip -n $ns link show lo | grep -q "UP" || fail "lo down"
	expect_eq "address" "$(field $a address)" "null"
	# --ipc pod, the default: pause makes its own IPC and UTS namespaces
	[ "$(readlink /proc/$pa/ns/ipc)" != "$(readlink /proc/self/ns/ipc)" ] || fail "pod: ipc shared"
	[ "$(readlink /proc/$pa/ns/uts)" != "$(readlink /proc/self/ns/uts)" ] || fail "pod: uts shared"
	b=$($SB create --net node)
	pb=$(field $b pause_pid)
	[ "$(readlink /proc/$pb/ns/net)" = "$(readlink /proc/self/ns/net)" ] || fail "node: not the host netns"
	[ "$(readlink /proc/$pb/ns/uts)" != "$(readlink /proc/self/ns/uts)" ] || fail "node: uts shared"
	expect_eq "netns of node" "$(field $b netns)" "null"
	[ ! -e /run/netns/cr-$(echo $b | cut -c1-8) ] || fail "node sandbox has a netns"
	$SB rm $a $b > /dev/null
	same_as "$T_TMP/base"
}

ipc_node_and_pid_node() {
	a=$($SB create --net none --ipc node --pid node)
	pa=$(field $a pause_pid)
	[ "$(readlink /proc/$pa/ns/ipc)" = "$(readlink /proc/self/ns/ipc)" ] || fail "ipc not the host's"
	[ "$(readlink /proc/$pa/ns/pid)" = "$(readlink /proc/self/ns/pid)" ] || fail "pid not the host's"
	$SB inspect $a | grep -q '"ipc": "node"' || fail "mode not recorded"
	$SB rm $a > /dev/null
	b=$($SB create --net none --ipc POD --pid CONTAINER)
	$SB inspect $b | grep -q '"pid": "container"' || fail "uppercase CRI modes"
	$SB rm $b > /dev/null
	same_as "$T_TMP/base"
}

unknown_and_target_modes_are_errors() {
	for args in "--net target" "--pid TARGET" "--ipc target" "--net container" "--ipc container" \
	    "--pid bogus" "--net" "--memory lots" "--pids 0" "--cpus 0" "--ip 10.1.2.3" \
	    "--ip 10.89.0.1" "--net node --ip 10.89.0.9" "--name ../x" "--name 0123456789abcdef" "extra"; do
		set +e
		out=$($SB create $args 2>&1)
		rc=$?
		set -e
		[ $rc -eq 125 ] || fail "create $args: exit $rc"
		case $out in *"corral sandbox: "*) ;; *) fail "create $args: '$out'" ;; esac
	done
	$SB create --pid target 2>&1 | grep -q "TARGET namespace mode is not supported" || fail "TARGET message"
	same_as "$T_TMP/base"
}

pid_pod_pause_is_pid1_and_reaps_orphans() {
	id=$($SB create --net none --pid pod)
	pid=$(field $id pause_pid)
	grep -q "^NSpid:.*[[:space:]]1$" /proc/$pid/status || fail "pause is not PID 1: $(grep NSpid /proc/$pid/status)"
	# An orphan maker: sh leaves a sleep behind and exits; the sleep is
	# reparented to the pod's PID 1.
	nsenter -t $pid -p -- sh -c 'sleep 0.5 & echo $! > /dev/null; exit 0'
	kids=$(cat /proc/$pid/task/$pid/children)
	[ -n "$kids" ] || fail "no orphan reparented to pause"
	i=0
	while [ -n "$(cat /proc/$pid/task/$pid/children)" ]; do
		i=$((i + 1)); [ $i -lt 100 ] || fail "orphan never reaped (children: $(cat /proc/$pid/task/$pid/children))"
		sleep 0.05
	done
	for k in $kids; do [ ! -e /proc/$k ] || fail "zombie $k: $(cat /proc/$k/stat)"; done
	# stray signals do not end it
	kill -HUP $pid; kill -USR1 $pid; sleep 0.1
	$SB ls | grep -q "^$id .* running" || fail "pause died of a stray signal"
	$SB rm $id > /dev/null
	same_as "$T_TMP/base"
}

cgroup_limits_apply_and_go_with_rm() {
	id=$($SB create --net none --memory 64m --pids 20 --cpus 0.5)
	pid=$(field $id pause_pid)
	cg=sandbox-$id
	expect_eq "cgroup" "$(field $id cgroup)" "$cg"
	grep -q "corral/$cg\$" /proc/$pid/cgroup || fail "pause not in $cg: $(cat /proc/$pid/cgroup)"
	v() { for f in "$@"; do [ -f "$f" ] && { cat "$f"; return; }; done; echo none; }
	case $(v /sys/fs/cgroup/memory/corral/$cg/memory.limit_in_bytes /sys/fs/cgroup/unified/corral/$cg/memory.max) in
		67108864) ;; *) fail "memory limit" ;; esac
	case $(v /sys/fs/cgroup/pids/corral/$cg/pids.max /sys/fs/cgroup/unified/corral/$cg/pids.max) in
		20) ;; *) fail "pids limit" ;; esac
	case $(v /sys/fs/cgroup/cpu/corral/$cg/cpu.cfs_quota_us /sys/fs/cgroup/unified/corral/$cg/cpu.max) in
		50000|"50000 100000") ;; *) fail "cpu limit" ;; esac
	# a member in the cgroup meets the pids limit, and rm takes it along
	procs=$(ls -d /sys/fs/cgroup/pids/corral/$cg/cgroup.procs /sys/fs/cgroup/unified/corral/$cg/cgroup.procs 2>/dev/null | head -n1)
	sh -c "echo \$\$ > $procs; for i in \$(seq 40); do sleep 30 & done; wait" 2> "$T_TMP/fork" &
	i=0
	until grep -q "fork\|Resource\|Cannot" "$T_TMP/fork"; do i=$((i + 1)); [ $i -lt 100 ] || fail "no fork failure at pids 20"; sleep 0.05; done
	n=$(wc -l < $procs)
	[ "$n" -le 20 ] || fail "$n processes under pids.max 20"
	$SB rm $id > /dev/null
	[ -z "$(cgroups)" ] || fail "cgroup left: $(cgroups)"
	same_as "$T_TMP/base"
}

rm_stops_members_term_then_kill() {
	id=$($SB create --net none)
	# members: a container that takes TERM, a container that ignores it,
	# an nsenter command; a process put in by util-linux nsenter is not one
	$CORRAL run --sandbox $id --bind $T_TMP -- sh -c "trap 'echo term > $T_TMP/got; exit 0' TERM; while :; do sleep 0.05; done" &
	$CORRAL run --sandbox $id -- sh -c "trap '' TERM; while :; do sleep 0.05; done" &
	$CORRAL nsenter --sandbox $id -- sh -c "trap '' TERM; while :; do sleep 0.05; done" &
	nse=$!
	nsenter -t $(field $id pause_pid) -u -n -i -- sleep 30 &
	outsider=$!
	i=0
	until [ "$(ls $R/$id | grep -c '^member\.')" = 3 ]; do
		i=$((i + 1)); [ $i -lt 100 ] || fail "members: $(ls $R/$id)"; sleep 0.05
	done
	sleep 0.2
	t0=$(date +%s%N)
	$SB rm $id > /dev/null
	t1=$(date +%s%N)
	expect_eq "member got" "$(cat $T_TMP/got)" term
	ms=$(( (t1 - t0) / 1000000 ))
	[ $ms -ge 1900 ] && [ $ms -lt 4000 ] || fail "rm took $ms ms (want KILL after 2 s)"
	gone $nse || fail "the nsenter member outlived rm"
	kill -0 $outsider 2>/dev/null || fail "rm stopped a process that is not a member"
	kill $outsider
	wait
	same_as "$T_TMP/base"
}

member_marks_come_and_go() {
	id=$($SB create --net none --name marks)
	# a member that ends takes its mark along; one that was SIGKILLed
	# leaves its mark, which the next member to join drops
	$CORRAL run --sandbox marks -- true
	$CORRAL nsenter --sandbox marks -- true
	expect_eq "marks after two members" "$(ls $R/$id | grep -c '^member\.')" 1
	$CORRAL run --sandbox marks -- sleep 30 &
	p=$!
	i=0
	until ls $R/$id | grep -q "^member\.$p\."; do
		i=$((i + 1)); [ $i -lt 100 ] || fail "no mark: $(ls $R/$id)"; sleep 0.05
	done
	expect_eq "marks with one live member" "$(ls $R/$id | grep -c '^member\.')" 1
	kill -9 $p; wait $p 2>/dev/null || :
	ls $R/$id | grep -q "^member\.$p\." || fail "the SIGKILLed member's mark is gone already"
	$CORRAL run --sandbox marks -- true
	ls $R/$id | grep -q "^member\.$p\." && fail "a dead member's mark was kept"
	# a failed join leaves no mark
	expect_rc 127 $CORRAL run --sandbox marks -- /no/such/cmd
	expect_rc 127 $CORRAL nsenter --sandbox marks -- /no/such/cmd
	expect_eq "marks after failures" "$(ls $R/$id | grep -c '^member\.')" 0
	# a pod being removed takes no new member
	echo "$$ $(cut -d' ' -f22 /proc/$$/stat)" > $R/$id/removing
	out=$($CORRAL run --sandbox marks -- true 2>&1) && fail "joined a pod being removed"
	case $out in *"being removed"*) ;; *) fail "message: $out" ;; esac
	rm $R/$id/removing
	$SB rm marks > /dev/null
	same_as "$T_TMP/base"
}

gc_stops_members_of_a_dead_pause() {
	id=$($SB create --net none)
	$CORRAL run --sandbox $id -- sleep 30 &
	p=$!
	i=0
	until ls $R/$id | grep -q "^member\.$p\."; do
		i=$((i + 1)); [ $i -lt 100 ] || fail "no mark: $(ls $R/$id)"; sleep 0.05
	done
	kill_dead $(field $id pause_pid)
	out=$($SB gc 2>&1)
	case $out in "1 sandboxes removed"*) ;; *) fail "gc: $out" ;; esac
	gone $p || fail "a member of the dead pod outlived gc"
	wait $p 2>/dev/null || :
	same_as "$T_TMP/base"
}

# pause is cloned in create's memory, not exec'd: once create has exited
# it keeps only its own pages, fds and signal mask; with limits it is
# exec'd, and must look the same.
pause_keeps_nothing_of_create() {
	for lim in "" "--pids 64"; do
		id=$($SB create --name shed $lim)
		p=$(field $id pause_pid)
		# the maps go once pause sees create gone: wait for that
		i=0
		until [ "$(grep -c "$CORRAL" /proc/$p/maps)" = 1 ] && ! grep -q heap /proc/$p/maps &&
		      [ "$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/$p/status)" -le 16 ]; do
			i=$((i + 1)); [ $i -lt 100 ] || fail "pause ($lim) kept: $(grep VmRSS /proc/$p/status) $(cat /proc/$p/maps)"; sleep 0.02
		done
		expect_eq "fds ($lim)" "$(ls /proc/$p/fd | tr '\n' ' ')" "0 1 2 "
		expect_eq "fd 0 ($lim)" "$(readlink /proc/$p/fd/0)" /dev/null
		# (SigBlk reads 0 while rt_sigtimedwait waits: it unblocks what it takes)
		# INT (bit 1), TERM (14) and CHLD (16) not ignored, whatever our caller ignores
		ign=$(sed -n 's/^SigIgn:[[:space:]]*//p' /proc/$p/status)
		expect_eq "INT, TERM, CHLD ignored ($lim)" $(( 0x$ign & 0x14002 )) 0
		expect_eq "caught ($lim)" "$(sed -n 's/^SigCgt:[[:space:]]*//p' /proc/$p/status)" 0000000000000000
		expect_eq "ps ($lim)" "$(ps -o args= -p $p | awk '{ print $1 }')" pause
		expect_eq "comm ($lim)" "$(cat /proc/$p/comm)" corral
		expect_eq "cwd ($lim)" "$(readlink /proc/$p/cwd)" /
		expect_eq "hostname ($lim)" "$(nsenter -t $p -u hostname)" shed
		kill -HUP $p; kill -USR1 $p; kill -CHLD $p
		sleep 0.1
		gone $p && fail "pause ($lim) ended on a stray signal"
		$SB rm shed > /dev/null
		gone $p || fail "pause ($lim) outlived rm"
	done
	same_as "$T_TMP/base"
}

# create starts pause on another CPU than its own, so that the two work
# side by side; once create has exited, pause has create's affinity again
pause_gets_the_creators_affinity() {
	own=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status)
	for c in "all:$own" "1:1" "0,1:0-1"; do
		how=${c%%:*} want=${c#*:}
		if [ $how = all ]; then id=$($SB create --name aff); else id=$(taskset -c $how $SB create --name aff); fi
		p=$(field $id pause_pid)
		i=0
		until [ "$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/$p/status)" = "$want" ]; do
			i=$((i + 1)); [ $i -lt 100 ] || fail "pause (CPUs $how): $(grep Cpus_allowed_list /proc/$p/status), want $want"; sleep 0.02
		done
		$SB rm aff > /dev/null
	done
	same_as "$T_TMP/base"
}

# create checks the bridge without netlink once it is set up; a bridge
# set down, given another MTU or robbed of its address is set again
bridge_is_set_again() {
	for change in "link set corral0 down" "link set corral0 mtu 1400" "addr del 10.89.0.1/16 dev corral0"; do
		ip $change
		id=$($SB create)
		ip -o link show corral0 | grep -q "<[^>]*,UP[,>].* mtu 1500 " || fail "after $change: $(ip -o link show corral0)"
		ip -o -4 addr show corral0 | grep -q "inet 10.89.0.1/16 " || fail "after $change: no gateway address"
		$SB rm $id > /dev/null
	done
	same_as "$T_TMP/base"
}

failures_leave_nothing_behind() {
	a=$($SB create --ip 10.89.3.3 --name taken)
	snapshot > "$T_TMP/one"
	expect_rc 125 $SB create --ip 10.89.3.3
	same_as "$T_TMP/one"
	expect_rc 125 $SB create --name taken --net none
	same_as "$T_TMP/one"
	$SB inspect taken > /dev/null || fail "the failed create took the name away"
	out=$($SB create --memory 1 --net pod 2>&1) && fail "--memory 1 made a sandbox"
	case $out in *"memory limit"*) ;; *) fail "message: $out" ;; esac
	same_as "$T_TMP/one"
	$SB rm taken > /dev/null
	same_as "$T_TMP/base"
}

bad_refs_touch_nothing() {
	id=$($SB create --net none)
	for ref in "" "../$id" "." ".." "/" "$id/.." "a/b"; do
		expect_rc 125 $SB rm "$ref"
		expect_rc 125 $SB rm --force "$ref"
		expect_rc 125 $SB inspect "$ref"
	done
	expect_rc 125 $SB inspect nosuch
	[ -d $R/$id ] || fail "state dir gone"
	$SB rm $id > /dev/null
}

gc_removes_dead_and_broken() {
	a=$($SB create --name dies)
	b=$($SB create --net none)
	c=$($SB create --net none)
	kill_dead $(field $a pause_pid)
	echo '{"id": "x"' > $R/$b/state.json
	pb=$(cat $R/$b/pause | cut -d' ' -f1)
	$SB ls | grep -q "^$a  dies .* dead .*pause (pid [0-9]*) is gone" || fail "ls: $($SB ls)"
	$SB ls | grep -q "^$b .* dead " || fail "ls of broken state: $($SB ls)"
	out=$($SB gc 2>&1)
	case $out in "2 sandboxes removed"*) ;; *) fail "gc: $out" ;; esac
	gone $pb || fail "pause of the broken state left running"
	$SB ls | grep -q "^$c .* running" || fail "gc took a live sandbox"
	$SB rm $c > /dev/null
	same_as "$T_TMP/base"
}

twenty_parallel_creates() {
	for i in $(seq 20); do $SB create > "$T_TMP/p$i" & done
	wait
	expect_eq "ids" "$(cat $T_TMP/p* | sort -u | grep -c '^[0-9a-f]\{16\}$')" 20
	expect_eq "ls" "$($SB ls | grep -c ' running ')" 20
	expect_eq "addresses" "$($SB ls | awk 'NR > 1 { print $5 }' | sort -u | grep -c '^10\.89\.')" 20
	$SB rm $(cat $T_TMP/p*) > /dev/null
	same_as "$T_TMP/base"
}

containers_join_with_run_and_rm_stops_them() {
	id=$($SB create --name pod --pid pod)
	pid=$(field $id pause_pid)
	expect_eq "comm of pause" "$(cat /proc/$pid/comm)" corral
	out=$($CORRAL run --sandbox pod -- sh -c 'hostname; cat /proc/1/comm; readlink /proc/self/ns/net')
	expect_eq "hostname, PID 1, netns" "$(echo $out)" "pod corral $(readlink /proc/$pid/ns/net)"
	$CORRAL run --sandbox pod -- python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 7200)); s.listen(1); c, a = s.accept(); c.sendall(b"hi")' &
	i=0
	until got=$($CORRAL run --sandbox $id -- python3 -c 'import socket; print(socket.create_connection(("127.0.0.1", 7200), timeout=2).recv(9).decode())' 2>/dev/null); do
		i=$((i + 1)); [ $i -lt 50 ] || fail "no localhost server in the pod"; sleep 0.1
	done
	expect_eq "over localhost" "$got" hi
	wait
	$CORRAL run --sandbox pod -- sleep 100 &
	member=$!
	sleep 0.3
	$SB rm pod > /dev/null
	i=0
	while kill -0 $member 2>/dev/null; do i=$((i + 1)); [ $i -lt 60 ] || fail "member outlived rm"; sleep 0.05; done
	expect_rc 125 $CORRAL run --sandbox $id -- true
	same_as "$T_TMP/base"
}

members_live_under_the_pods_limits() {
	$SB create --name lim --pids 16 > /dev/null
	# init and python count too, besides pause: at most ~13 children fit.
	n=$($CORRAL run --sandbox lim -- python3 -c "$FORK_COUNT")
	[ "$n" -le 14 ] && [ "$n" -ge 4 ] || fail "forks in the pod: $n"
	set +e
	err=$($CORRAL run --sandbox lim --memory 64m -- true 2>&1); rc=$?
	set -e
	expect_eq "own limits in a pod with limits" "$rc" 125
	case $err in *"has limits of its own"*) ;; *) fail "$err" ;; esac
	$SB rm lim > /dev/null
	same_as "$T_TMP/base"
}

# SIGKILL corral at a random moment of create, then of rm; gc must bring
# the host back to the base each time.
kill_during_create_and_rm() {
	for round in $(seq 50); do
		d=$(awk -v s=$round 'BEGIN { srand(s); printf "0.%03d", int(rand() * 50) }')
		$CORRAL sandbox create --memory 32m > /dev/null 2>&1 &
		p=$!; sleep $d; kill -9 $p 2>/dev/null || :; wait $p 2>/dev/null || :
		$SB gc > /dev/null
		# a create that finished is a live sandbox; take it down with an rm
		# that is killed too
		for id in $(ls $R | grep '^[0-9a-f]\{16\}$' || :); do
			$CORRAL sandbox rm $id > /dev/null 2>&1 &
			p=$!; sleep $d; kill -9 $p 2>/dev/null || :; wait $p 2>/dev/null || :
			$SB gc > /dev/null
			# an rm killed before it began leaves the sandbox running: that is
			# no crash residue; remove it for real
			if $SB ls | grep -q "^$id .* running"; then $SB rm $id > /dev/null; fi
		done
		same_as "$T_TMP/base" || fail "round $round (delay $d)"
	done
}

# rm releases the lease its state names only when the lease file says it
# is this sandbox's: a state that names another's address frees nothing of
# the other's (its own lease, whose owner is then gone, gc takes)
rm_frees_only_its_own_lease() {
	a=$($SB create)
	b=$($SB create)
	aa=$(field $a address)
	ab=$(field $b address)
	sed -i "s|\"address\": \"$aa\"|\"address\": \"$ab\"|" $R/$a/state.json
	expect_eq "tampered state" "$(field $a address)" "$ab"
	$SB rm $a > /dev/null || fail "rm $a"
	grep -q "^sandbox $b\$" /run/corral/ipam/corral/${ab%/*} || fail "rm of $a released $b's lease"
	$SB rm $b > /dev/null || fail "rm $b"
	[ ! -e /run/corral/ipam/corral/${ab%/*} ] || fail "rm of $b kept its lease"
	$SB gc > /dev/null
	same_as "$T_TMP/base"
}

T "sandbox: needs root, says so plainly" needs_root_plainly
T "sandbox: --net pod: netns, eth0, lease; ls, inspect, rm" pod_network_ls_inspect_rm
T "sandbox: --net none has lo only; --net node shares the host's" net_none_and_node
T "sandbox: --ipc node and --pid node use the host's; CRI spellings" ipc_node_and_pid_node
T "sandbox: TARGET and unknown modes, bad options: 125, nothing made" unknown_and_target_modes_are_errors
T "sandbox: --pid pod: pause is PID 1 and reaps orphans" pid_pod_pause_is_pid1_and_reaps_orphans
T "sandbox: cgroup limits apply, members meet them, rm removes them" cgroup_limits_apply_and_go_with_rm
T "sandbox: rm TERMs members, KILLs them after 2 s" rm_stops_members_term_then_kill
T "sandbox: member marks come and go with their processes" member_marks_come_and_go
T "sandbox: gc stops the members of a pod whose pause died" gc_stops_members_of_a_dead_pause
T "sandbox: pause keeps nothing of create: pages, fds, signals" pause_keeps_nothing_of_create
case $(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status) in
0-*|0,1|0,1[,-]*)
	T "sandbox: pause gets its creator's CPU affinity back" pause_gets_the_creators_affinity ;;
*)	skip "sandbox: pause gets its creator's CPU affinity back" \
		"needs CPUs 0 and 1, has $(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status)" ;;
esac
T "sandbox: a bridge set down, to another MTU or without its address is set again" bridge_is_set_again
T "sandbox: rm frees only its own lease, whatever its state says" rm_frees_only_its_own_lease
T "sandbox: failed creates (address in use, name taken, memory) leave nothing" failures_leave_nothing_behind
T "sandbox: refs that are no id or name are refused" bad_refs_touch_nothing
T "sandbox: gc removes dead and broken sandboxes, keeps live ones" gc_removes_dead_and_broken
T "sandbox: 20 parallel creates, distinct ids and addresses" twenty_parallel_creates
T "sandbox: run --sandbox joins (localhost, PID 1); rm stops it" containers_join_with_run_and_rm_stops_them
T "sandbox: run --sandbox members live under the pod's cgroup limits" members_live_under_the_pods_limits
T "sandbox: SIGKILL during create and rm, 50 rounds; gc restores the host" kill_during_create_and_rm
