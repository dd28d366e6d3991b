# Sourced (POSIX sh) by tests/integration/60-pull.sh and by the pull
# section of tools/bench.sh: a local registry to pull from. Debian's
# docker-registry on 127.0.0.1, TLS from a throwaway CA, test images built
# with umoci and pushed with skopeo. Callers run this inside a network
# namespace of their own (unshare -n, lo up): nothing here leaves it.
#
# Everything lives under $REG_W (a temp dir the caller made and removes):
#   reg_certs                  ca.crt/ca.key, srv.crt/srv.key (SAN
#                              DNS:localhost, IP:127.0.0.1), certs/ca.crt
#                              (a cert dir for skopeo)
#   reg_start NAME PORT tls|plain [HTPASSWD]
#                              a registry with storage in $REG_W/NAME; its
#                              pid goes to $REG_W/pids
#   reg_stop                   stops every process listed in $REG_W/pids
#   reg_wait_port PORT         waits until 127.0.0.1:PORT accepts
#   reg_image_small LAYOUT TAG busybox, /etc/greeting, Env FOO=bar,
#                              Cmd busybox echo image-cmd, WorkingDir /etc
#   reg_image_big LAYOUT TAG   one layer holding a 20 MB random file
#   reg_push LAYOUT:TAG REF [SKOPEO-ARGS...]
#                              skopeo copy to docker://REF, trusting the CA
# Each function fails (non-zero) when a step fails.

REG_PY=/usr/bin/python3
[ -x $REG_PY ] || REG_PY=python3

reg_wait_port() {
	$REG_PY - "$1" <<'EOF'
import socket, sys, time
for _ in range(200):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
EOF
}

reg_certs() {
	# A CA (EC P-256) and a server certificate (RSA) for localhost and 127.0.0.1.
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$REG_W/ca.key" \
		-out "$REG_W/ca.crt" -days 2 -subj /CN=corral-test-ca 2>/dev/null &&
	openssl req -newkey rsa:2048 -nodes -keyout "$REG_W/srv.key" -out "$REG_W/srv.csr" \
		-subj /CN=localhost 2>/dev/null &&
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > "$REG_W/ext" &&
	openssl x509 -req -in "$REG_W/srv.csr" -CA "$REG_W/ca.crt" -CAkey "$REG_W/ca.key" \
		-CAcreateserial -out "$REG_W/srv.crt" -days 2 -extfile "$REG_W/ext" 2>/dev/null &&
	mkdir -p "$REG_W/certs" && cp "$REG_W/ca.crt" "$REG_W/certs/"
}

# reg_start NAME PORT tls|plain [HTPASSWD]
reg_start() {
	{
		echo "version: 0.1"
		echo "log: {level: warn}"
		echo "storage: {filesystem: {rootdirectory: $REG_W/$1}}"
		echo "http:"
		echo "  addr: 127.0.0.1:$2"
		echo "  secret: corral-test"
		if [ "$3" = tls ]; then
			echo "  tls: {certificate: $REG_W/srv.crt, key: $REG_W/srv.key}"
		fi
		if [ -n "${4:-}" ]; then
			echo "auth: {htpasswd: {realm: corral-test, path: $4}}"
		fi
	} > "$REG_W/$1.yml"
	docker-registry serve "$REG_W/$1.yml" > "$REG_W/$1.log" 2>&1 &
	echo $! >> "$REG_W/pids"
	reg_wait_port "$2"
}

reg_stop() {
	[ -f "$REG_W/pids" ] || return 0
	for _p in $(cat "$REG_W/pids"); do kill "$_p" 2>/dev/null || :; done
	sleep 0.2
	rm -f "$REG_W/pids"
}

# reg_layout LAYOUT: an empty OCI layout, unless there is one.
reg_layout() {
	[ -f "$1/index.json" ] || umoci init --layout "$1"
}

reg_image_small() {
	reg_layout "$1" &&
	umoci new --image "$1:$2" &&
	rm -rf "$REG_W/bundle" &&
	umoci unpack --image "$1:$2" "$REG_W/bundle" >/dev/null &&
	mkdir -p "$REG_W/bundle/rootfs/bin" "$REG_W/bundle/rootfs/etc" &&
	cp /bin/busybox "$REG_W/bundle/rootfs/bin/busybox" &&
	echo hello > "$REG_W/bundle/rootfs/etc/greeting" &&
	umoci repack --image "$1:$2" "$REG_W/bundle" &&
	rm -rf "$REG_W/bundle" &&
	umoci config --image "$1:$2" --config.env FOO=bar --config.cmd /bin/busybox \
		--config.cmd echo --config.cmd image-cmd --config.workingdir /etc
}

reg_image_big() {
	reg_layout "$1" &&
	umoci new --image "$1:$2" &&
	rm -rf "$REG_W/bundle" &&
	umoci unpack --image "$1:$2" "$REG_W/bundle" >/dev/null &&
	head -c 20000000 /dev/urandom > "$REG_W/bundle/rootfs/big" &&
	umoci repack --image "$1:$2" "$REG_W/bundle" &&
	rm -rf "$REG_W/bundle"
}

# reg_push LAYOUT:TAG REF [SKOPEO-ARGS...]
reg_push() {
	_src=$1 _dst=$2
	shift 2
	skopeo copy -q --dest-cert-dir "$REG_W/certs" "$@" "oci:$_src" "docker://$_dst"
}
