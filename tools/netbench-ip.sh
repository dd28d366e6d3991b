#!/bin/sh
# netbench-ip.sh N: one sandbox network the way shell scripts make one with
# iproute2, then dropped with its netns (the bench's peer; crb0 must exist).
set -e
ns=ipb-$1 h=ib-$1
ip netns add "$ns"
ip link add "$h" type veth peer name eth0 netns "$ns"
ip link set "$h" master crb0
ip link set "$h" up
ip -n "$ns" link set lo up
ip -n "$ns" addr add "10.89.$(($1 / 250 % 250)).$(($1 % 250 + 2))/16" dev eth0
ip -n "$ns" link set eth0 up
ip -n "$ns" route add default via 10.89.0.1
ip netns del "$ns"
