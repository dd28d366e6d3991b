#!/bin/sh
# corral pull against Debian's docker-registry (the distribution registry)
# with TLS from a throwaway CA, test images built with umoci and pushed
# with skopeo, and a fake registry (fake-registry.py) that misbehaves on
# purpose. Everything runs inside a private network namespace, on its
# loopback: no traffic leaves it.
HERE=$(cd "$(dirname "$0")" && pwd)
if [ -z "${CR_PULL_NETNS:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "skip - pull: needs root"; exit 0; }
	for c in docker-registry umoci skopeo openssl htpasswd ip unshare; do
		command -v $c >/dev/null 2>&1 || {
			echo "skip - pull: $c not installed (apt-get install docker-registry umoci skopeo apache2-utils)"
			exit 0
		}
	done
	CR_PULL_NETNS=1 exec unshare -n sh -c 'ip link set lo up && exec sh "$0"' "$HERE/60-pull.sh"
fi
. "$HERE/lib.sh"
. "$HERE/../registry.sh"

PY=$REG_PY
W=$T_TMP
# shellcheck disable=SC2034 # tests/registry.sh works in $REG_W
REG_W=$W
# Every server this file starts writes its pid to $W/pids; cleanup stops those.
cleanup() {
	reg_stop
	rm -rf "$T_TMP"
}
trap cleanup EXIT INT TERM

REG=5001	# docker-registry, TLS, anonymous
AUTHREG=5002	# docker-registry, TLS, htpasswd
PLAIN=5003	# docker-registry, plain HTTP
FAKE=6000	# fake registries: 6001...

start_fake() {	# MODE PORT [TARGET]
	$PY "$HERE/fake-registry.py" --mode "$1" --port "$2" --cert "$W/srv.crt" --key "$W/srv.key" \
		--layout "$W/oci" --target "${3:-https://localhost:$REG}" 2> "$W/fake-$1.log" &
	echo $! >> "$W/pids"
	reg_wait_port "$2"
}

setup() {
	cd "$W"
	reg_certs
	# A second CA that signed nothing here.
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key \
		-out other.crt -days 2 -subj /CN=other-ca 2>/dev/null
	htpasswd -Bbn alice s3cret > htpasswd

	reg_start reg $REG tls
	reg_start authreg $AUTHREG tls "$W/htpasswd"
	reg_start plainreg $PLAIN plain

	# Images: small (busybox, a file, Env and Cmd), its arm64 twin, one
	# whose second layer deletes a file, one with a 20 MB layer, and an
	# index of small + twin.
	reg_image_small oci small
	umoci config --image oci:small --tag arm --architecture arm64
	rm -rf b && umoci unpack --image oci:small b >/dev/null
	rm b/rootfs/etc/greeting
	umoci repack --image oci:wh b
	rm -rf b
	reg_image_big oci big
	$PY - oci <<'EOF'
import hashlib, json, os, sys
d = sys.argv[1]
idx = json.load(open(d + "/index.json"))
by = {m["annotations"]["org.opencontainers.image.ref.name"]: m for m in idx["manifests"]}
def plat(m, arch):
    m = {k: m[k] for k in ("mediaType", "digest", "size")}
    m["platform"] = {"os": "linux", "architecture": arch}
    return m
body = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                   "manifests": [plat(by["small"], "amd64"), plat(by["arm"], "arm64")]}).encode()
h = hashlib.sha256(body).hexdigest()
open(d + "/blobs/sha256/" + h, "wb").write(body)
idx["manifests"].append({"mediaType": "application/vnd.oci.image.index.v1+json",
                         "digest": "sha256:" + h, "size": len(body),
                         "annotations": {"org.opencontainers.image.ref.name": "multi"}})
json.dump(idx, open(d + "/index.json", "w"))
EOF
	reg_push oci:small localhost:$REG/test/small:v1
	reg_push oci:small localhost:$REG/test/docker:v1 --format v2s2
	reg_push oci:wh localhost:$REG/test/wh:v1
	reg_push oci:big localhost:$REG/test/big:v1
	reg_push oci:multi localhost:$REG/test/multi:v1 --all
	reg_push oci:small localhost:$AUTHREG/private/small:v1 --dest-creds alice:s3cret
	skopeo copy -q --dest-tls-verify=false oci:oci:small docker://localhost:$PLAIN/test/small:v1

	start_fake serve $((FAKE + 1))
	start_fake tamper $((FAKE + 2))
	start_fake truncate $((FAKE + 3))
	start_fake notjson $((FAKE + 4))
	start_fake loop401 $((FAKE + 5))
	start_fake stall $((FAKE + 6))
	start_fake redirect $((FAKE + 7))
	start_fake bearer $((FAKE + 8))
	start_fake chunked $((FAKE + 9))
	start_fake eof $((FAKE + 10))
}

# The manifest digest of a tag in the OCI layout.
tag_digest() {
	$PY -c 'import json,sys
for m in json.load(open(sys.argv[1]))["manifests"]:
    if m["annotations"]["org.opencontainers.image.ref.name"] == sys.argv[2]: print(m["digest"])' "$W/oci/index.json" "$1"
}

pull() {	# STORE ARGS...: corral pull into $W/STORE, trusting the test CA
	_s=$1; shift
	"$CORRAL" pull -q --ca "$W/ca.crt" --dest "$W/$_s" "$@"
}

rootfs() { echo "$W/$1/rootfs/${2#sha256:}"; }

# No rootfs tree, no temp tree, and the blob given (if any) absent.
nothing_kept() {	# STORE [DIGEST]
	[ -z "$(ls -A "$W/$1/rootfs" 2>/dev/null)" ] || fail "rootfs left: $(ls "$W/$1/rootfs")"
	if [ -n "${2:-}" ]; then
		! ls -a "$W/$1/blobs/sha256" 2>/dev/null | grep -q "${2#sha256:}" ||
			fail "blob $2 kept: $(ls -a "$W/$1/blobs/sha256")"
	fi
}

t_oci() {
	want=$(tag_digest small)
	got=$(pull s1 -v localhost:$REG/test/small:v1 2> "$W/err")
	expect_eq digest "$got" "$want"
	expect_eq greeting "$(cat "$(rootfs s1 "$got")/etc/greeting")" hello
	[ -x "$(rootfs s1 "$got")/bin/busybox" ] || fail "no busybox in the rootfs"
	grep -q "3 of 3 blobs fetched.*1 TLS handshakes" "$W/err" || fail "$(cat "$W/err")"
}

t_again() {
	got=$(pull s1 -v localhost:$REG/test/small:v1 2> "$W/err")
	expect_eq digest "$got" "$(tag_digest small)"
	grep -q "1 of 3 blobs fetched" "$W/err" || fail "$(cat "$W/err")"
}

t_list() {
	"$CORRAL" pull --list --dest "$W/s1" > "$W/out"
	grep -q "^localhost:$REG/test/small:v1	$(tag_digest small)	.*	unpacked$" "$W/out" || fail "$(cat "$W/out")"
}

# run --image: the pulled tree as the lower, the config's Cmd, Env,
# WorkingDir and User, overridden from the command line as in Docker.
t_run_image() {
	img=localhost:$REG/test/small:v1
	export CORRAL_IMAGES="$W/s1"
	expect_eq "Cmd" "$("$CORRAL" run --image $img)" "image-cmd"
	out=$(BAR=host "$CORRAL" run --image $img -- /bin/busybox sh -c 'echo $FOO ${BAR:-unset} $PATH; pwd; cat greeting')
	expect_eq "Env, no host env, default PATH, WorkingDir" "$(echo $out)" \
		"bar unset /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /etc hello"
	expect_eq "--env" "$("$CORRAL" run --image $img --env FOO=baz -- /bin/busybox sh -c 'echo $FOO')" "baz"
	expect_eq "--entrypoint" "$("$CORRAL" run --image $img --entrypoint /bin/busybox -- echo hi)" "hi"
	expect_eq "--cwd" "$("$CORRAL" run --image $img --cwd / -- /bin/busybox pwd)" "/"
	expect_eq "--user" "$("$CORRAL" run --image $img --user 1000:1001 -- /bin/busybox sh -c 'id -u; id -g' | tr '\n' ' ')" "1000 1001 "
	expect_eq "non-root caps" "$("$CORRAL" run --image $img --user 1000 -- /bin/busybox grep CapEff /proc/self/status)" \
		"CapEff:	0000000000000000"
	# Writes go to the overlay, never into the stored tree.
	"$CORRAL" run --image $img -- /bin/busybox sh -c 'echo x > /etc/greeting'
	expect_eq "tree untouched" "$(cat "$(rootfs s1 "$(tag_digest small)")/etc/greeting")" hello
	set +e
	err=$("$CORRAL" run --image $img --user nobody -- /bin/busybox true 2>&1); rc=$?
	set -e
	expect_eq "unknown user" "$rc" 125
	case $err in *"not in the image's /etc/passwd"*) ;; *) fail "$err" ;; esac
	unset CORRAL_IMAGES
}

t_rmi_gc() {
	pull s9 localhost:$REG/test/small:v1 >/dev/null
	pull s9 localhost:$REG/test/wh:v1 >/dev/null
	n0=$(ls "$W/s9/blobs/sha256" | wc -l)
	"$CORRAL" pull --rmi localhost:$REG/test/wh:v1 --dest "$W/s9"
	"$CORRAL" pull --list --dest "$W/s9" | grep -q "test/small:v1" || fail "small gone"
	! "$CORRAL" pull --list --dest "$W/s9" | grep -q "test/wh:v1" || fail "wh still listed"
	n1=$(ls "$W/s9/blobs/sha256" | wc -l)
	[ "$n1" -lt "$n0" ] || fail "no blob removed: $n0 -> $n1"
	[ ! -d "$(rootfs s9 "$(tag_digest wh)")" ] || fail "wh tree kept"
	[ -d "$(rootfs s9 "$(tag_digest small)")" ] || fail "small tree removed"
	out=$("$CORRAL" pull --gc --dest "$W/s9")
	case $out in "removed 0 blobs"*) ;; *) fail "gc after rmi: $out" ;; esac
	expect_rc 125 "$CORRAL" pull --rmi localhost:$REG/test/nothere:v1 --dest "$W/s9" 2>/dev/null
}

t_index() {
	got=$(pull s2 -v localhost:$REG/test/multi:v1 2> "$W/err")
	expect_eq amd64 "$got" "$(tag_digest small)"
	grep -q "from index" "$W/err" || fail "$(cat "$W/err")"
	got=$(pull s2 --no-unpack --platform linux/arm64 localhost:$REG/test/multi:v1)
	expect_eq arm64 "$got" "$(tag_digest arm)"
	expect_rc 125 pull s2 --platform linux/s390x localhost:$REG/test/multi:v1 2> "$W/err"
	grep -q "no image for linux/s390x (it has: linux/amd64, linux/arm64)" "$W/err" || fail "$(cat "$W/err")"
}

t_v2s2() {
	got=$(pull s3 -v localhost:$REG/test/docker:v1 2> "$W/err")
	grep -q "^corral pull: application/vnd.docker.distribution.manifest.v2+json:" "$W/err" || fail "$(cat "$W/err")"
	expect_eq greeting "$(cat "$(rootfs s3 "$got")/etc/greeting")" hello
	# By digest too: the reference's digest is checked.
	got2=$(pull s3 "localhost:$REG/test/docker@$got")
	expect_eq "by digest" "$got2" "$got"
}

t_whiteout() {
	got=$(pull s4 localhost:$REG/test/wh:v1)
	[ -x "$(rootfs s4 "$got")/bin/busybox" ] || fail "lower layer missing"
	[ ! -e "$(rootfs s4 "$got")/etc/greeting" ] || fail "whiteout not applied"
}

t_big() {
	/usr/bin/time -f '%M' -o "$W/rss" "$CORRAL" pull -q -v --ca "$W/ca.crt" --dest "$W/s5" \
		localhost:$REG/test/big:v1 > "$W/out" 2> "$W/err" || fail "$(cat "$W/err")"
	rss=$(tail -n 1 "$W/rss")
	[ "$rss" -lt 4096 ] || fail "peak RSS $rss KiB, want < 4096"
	[ "$(wc -c < "$(rootfs s5 "$(cat "$W/out")")/big")" = 20000000 ] || fail "big file size"
}

t_names() {
	got=$(pull s6 --no-unpack 127.0.0.1:$REG/test/small:v1)
	expect_eq "by IP" "$got" "$(tag_digest small)"
	got=$(pull s6 --no-unpack --tls-server-name localhost 127.0.0.1:$REG/test/small:v1)
	expect_eq "by --tls-server-name" "$got" "$(tag_digest small)"
	expect_rc 125 pull s6 --tls-server-name example.com localhost:$REG/test/small:v1 2> "$W/err"
	grep -q "certificate does not name example.com" "$W/err" || fail "$(cat "$W/err")"
	expect_rc 125 "$CORRAL" pull -q --ca "$W/other.crt" --dest "$W/s6" localhost:$REG/test/small:v1 2> "$W/err"
	grep -q "not signed by a trusted CA" "$W/err" || fail "$(cat "$W/err")"
}

t_basic() {
	expect_rc 125 pull s7 localhost:$AUTHREG/private/small:v1 2> "$W/err"
	grep -q "needs credentials (--creds USER:PASS)" "$W/err" || fail "$(cat "$W/err")"
	expect_rc 125 pull s7 --creds alice:wrong localhost:$AUTHREG/private/small:v1 2> "$W/err"
	grep -q "401" "$W/err" || fail "$(cat "$W/err")"
	got=$(pull s7 --creds alice:s3cret localhost:$AUTHREG/private/small:v1)
	expect_eq digest "$got" "$(tag_digest small)"
	printf 'alice:s3cret\n' > "$W/creds"
	rm -rf "$W/s7"
	got=$(pull s7 --creds-file "$W/creds" localhost:$AUTHREG/private/small:v1)
	expect_eq "digest (creds file)" "$got" "$(tag_digest small)"
}

t_bearer() {
	expect_rc 125 pull sh localhost:$((FAKE + 8))/test/x:small 2> "$W/err"
	grep -q "token service .* refused us (401); try --creds" "$W/err" || fail "$(cat "$W/err")"
	got=$(pull sh --creds alice:s3cret localhost:$((FAKE + 8))/test/x:small)
	expect_eq digest "$got" "$(tag_digest small)"
}

t_bodies() {
	got=$(pull si -v localhost:$((FAKE + 9))/test/x:small 2> "$W/err")
	expect_eq "digest (chunked)" "$got" "$(tag_digest small)"
	grep -q "1 TLS handshakes" "$W/err" || fail "chunked bodies broke keep-alive: $(cat "$W/err")"
	got=$(pull sj -v localhost:$((FAKE + 10))/test/x:small 2> "$W/err")
	expect_eq "digest (until EOF)" "$got" "$(tag_digest small)"
	grep -q "4 TLS handshakes" "$W/err" || fail "$(cat "$W/err")"
}

t_redirect() {
	got=$(pull s8 -v --creds u:p localhost:$((FAKE + 7))/test/small:v1 2> "$W/err")
	expect_eq digest "$got" "$(tag_digest small)"
	grep -q "3 TLS handshakes" "$W/err" || fail "$(cat "$W/err")"
	grep -q "GET /leak/v2/test/small/blobs/" "$W/fake-redirect.log" || fail "no redirected blob request"
}

t_insecure() {
	expect_rc 125 "$CORRAL" pull -q --dest "$W/s9" --timeout 3 localhost:$PLAIN/test/small:v1 2> /dev/null
	got=$("$CORRAL" pull -q --insecure --dest "$W/s9" localhost:$PLAIN/test/small:v1 2> "$W/err")
	expect_eq digest "$got" "$(tag_digest small)"
	grep -q "WARNING: --insecure: talking plain HTTP to localhost:$PLAIN" "$W/err" || fail "$(cat "$W/err")"
}

t_tamper() {
	layer=$(pull sa -v --no-unpack localhost:$((FAKE + 1))/test/x:small >/dev/null 2>&1; ls -S "$W/sa/blobs/sha256" | head -n 1)
	expect_rc 125 pull sb localhost:$((FAKE + 2))/test/x:small 2> "$W/err"
	grep -q "digest mismatch" "$W/err" || fail "$(cat "$W/err")"
	nothing_kept sb "$layer"
}

t_truncated() {
	expect_rc 125 pull sc localhost:$((FAKE + 3))/test/x:small 2> "$W/err"
	grep -q "body truncated: got" "$W/err" || fail "$(cat "$W/err")"
	nothing_kept sc
	# The bytes that came are kept apart and the next pull resumes them.
	got=$(pull sc localhost:$((FAKE + 1))/test/x:small)
	expect_eq digest "$got" "$(tag_digest small)"
	grep -q "range [1-9][0-9]* of" "$W/fake-serve.log" || fail "no Range request seen"
}

t_notjson() {
	expect_rc 125 pull sd localhost:$((FAKE + 4))/test/x:small 2> "$W/err"
	grep -q "manifest test/x:small: not JSON" "$W/err" || fail "$(cat "$W/err")"
	nothing_kept sd
}

t_loop401() {
	expect_rc 125 pull se localhost:$((FAKE + 5))/test/x:small 2> "$W/err"
	grep -q "401 loop" "$W/err" || fail "$(cat "$W/err")"
}

t_stall() {
	start=$(date +%s)
	expect_rc 125 pull sf --timeout 2 localhost:$((FAKE + 6))/test/x:small 2> "$W/err"
	took=$(($(date +%s) - start))
	grep -q "timed out after 2000 ms" "$W/err" || fail "$(cat "$W/err")"
	[ "$took" -lt 10 ] || fail "took $took s"
	nothing_kept sf
}

# A listener whose backlog is full drops new SYNs: connect() hangs.
t_connect_timeout() {
	$PY - "$W/full.ready" <<'EOF2' &
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 7001))
s.listen(0)
fill = []
for i in range(3):
    c = socket.socket()
    c.setblocking(False)
    try:
        c.connect(("127.0.0.1", 7001))
    except BlockingIOError:
        pass
    fill.append(c)
open(sys.argv[1], "w").close()
time.sleep(30)
EOF2
	echo $! >> "$W/pids"
	i=0
	while [ ! -e "$W/full.ready" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	start=$(date +%s)
	expect_rc 125 pull sk --timeout 2 127.0.0.1:7001/x:y 2> "$W/err"
	took=$(($(date +%s) - start))
	grep -q "connect 127.0.0.1:7001: timed out after 2000 ms" "$W/err" || fail "$(cat "$W/err")"
	[ "$took" -lt 10 ] || fail "took $took s"
}

t_badref() {
	expect_rc 125 "$CORRAL" pull --dest "$W/sg" 'localhost:1/UPPER:v1' 2> "$W/err"
	grep -q "bad repository name" "$W/err" || fail "$(cat "$W/err")"
	expect_rc 125 "$CORRAL" pull --dest "$W/sg" 'busybox@sha256:abc' 2> "$W/err"
	grep -q "bad digest" "$W/err" || fail "$(cat "$W/err")"
	[ ! -e "$W/sg" ] || fail "store made for a bad reference"
}

# Not in an if: set -e would be off inside.
(set -e; setup) > "$W/setup.log" 2>&1
if [ $? -ne 0 ]; then
	echo "not ok - pull: test registry set-up"
	tail -n 20 "$W/setup.log" | sed 's/^/#   /'
	exit 0
fi

t "pull: OCI manifest over TLS, digest printed, rootfs unpacked" t_oci
t "pull: a second pull fetches only the manifest" t_again
t "pull: --list shows the stored image" t_list
t "run --image: the image's tree, Cmd, Env, WorkingDir; command-line overrides" t_run_image
t "pull --rmi removes an image and what only it used; --gc" t_rmi_gc
t "pull: OCI index resolved to the host platform, --platform, missing platform named" t_index
t "pull: Docker v2 schema 2 manifest, by tag and by digest" t_v2s2
t "pull: a whiteout layer deletes a file of the layer below" t_whiteout
t "pull: 20 MB blob streamed with peak RSS under 4 MiB" t_big
t "pull: certificate names: IP SAN, --tls-server-name, unknown CA" t_names
t "pull: basic auth with --creds and --creds-file" t_basic
t "pull: chunked and close-delimited bodies" t_bodies
t "pull: Bearer token from the realm of the challenge" t_bearer
t "pull: redirect to another host, new TLS connection, Authorization dropped" t_redirect
t "pull: --insecure allows plain HTTP to the named registry, loudly" t_insecure
t "pull: tampered blob fails its digest and is not kept" t_tamper
t "pull: truncated body fails, the next pull resumes with Range" t_truncated
t "pull: a manifest that is not JSON fails" t_notjson
t "pull: a 401 loop is detected" t_loop401
t "pull: a stalled transfer times out" t_stall
t "pull: a connect that hangs times out" t_connect_timeout
t "pull: bad references fail before any store is made" t_badref
