#!/bin/sh
# netbench-cni.sh PLUGIN CONF N: one sandbox network made by a CNI bridge
# plugin (ADD), dropped with its netns, then DEL (which then only releases
# the lease). PLUGIN is a plugin binary, or "corral" for corral netsetup.
set -e
plugin=$1 conf=$2 ns=cnb-$3
export CNI_CONTAINERID=bench-$3 CNI_NETNS=/run/netns/$ns CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni
run() {
	if [ "$plugin" = corral ]; then
		CNI_COMMAND=$1 "${CORRAL:-./corral}" netsetup < "$conf" > /dev/null
	else
		CNI_COMMAND=$1 "$plugin" < "$conf" > /dev/null
	fi
}
ip netns add "$ns"
run ADD
ip netns del "$ns"
run DEL
