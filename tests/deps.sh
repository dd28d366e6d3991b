#!/bin/sh
# Installs the Debian packages the tests use as peers and oracles, once.
set -eu
PKGS="busybox-static iproute2 jq python3 nftables util-linux procps docker-registry umoci skopeo apache2-utils openssl"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "tests: installing$missing"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
