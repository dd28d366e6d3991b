#!/bin/sh
# Layer unpacking and the image store, through the test_layer driver:
# whiteouts, metadata, hostile archives, truncated and tampered blobs,
# interrupted blob writes.
. "$(dirname "$0")/lib.sh"
need_root
TL=${TEST_LAYER:-$(cd "$(dirname "$0")/../.." && pwd)/build/test/test_layer}
if [ ! -x "$TL" ]; then
	skip 61-unpack "no $TL (make check builds it)"
	exit 0
fi
command -v python3 >/dev/null || { skip 61-unpack "python3 missing"; exit 0; }
W=$T_TMP

sha() { sha256sum "$1" | cut -d' ' -f1; }

# mktar OUT.tar: python tarfile statements on stdin, with `t` the open tar
# and helpers f(name, data), d(name), sl(name, target), hl(name, target).
mktar() {
	python3 -c '
import sys, tarfile, io
t = tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT)
def add(name, typ, data=b"", link="", mode=0o644, **kw):
    i = tarfile.TarInfo(name); i.type = typ; i.mode = mode; i.mtime = 1600000000
    i.linkname = link; i.size = len(data) if typ == tarfile.REGTYPE else 0
    for k, v in kw.items(): setattr(i, k, v)
    t.addfile(i, io.BytesIO(data) if i.size else None)
f = lambda n, data=b"x", **kw: add(n, tarfile.REGTYPE, data, **kw)
d = lambda n, **kw: add(n, tarfile.DIRTYPE, mode=0o755, **kw)
sl = lambda n, target: add(n, tarfile.SYMTYPE, link=target)
hl = lambda n, target: add(n, tarfile.LNKTYPE, link=target)
exec(sys.stdin.read())
t.close()
' "$1"
}

whiteouts_and_opaque_dirs() {
	mktar "$W/w1.tar" <<-'P'
	d("a"); f("a/f1"); f("a/f2"); d("d"); f("d/x"); d("d/y"); f("d/y/z"); f("keep"); f("e/old"); f("e/implied/old")
	P
	mktar "$W/w2.tar" <<-'P'
	f("a/.wh.f1", b""); f("d/.wh..wh..opq", b""); f("d/new"); d("d/y"); f("d/y/again"); f(".wh.keep-not-there", b"")
	f("e/implied/new"); f("e/.wh..wh..opq", b""); f("gone/dir/.wh.x", b"")
	P
	"$TL" unpack "$W/wr" "$W/w1.tar" "$W/w2.tar" >/dev/null
	[ ! -e "$W/wr/a/f1" ] || fail "a/f1 survived its whiteout"
	[ -f "$W/wr/a/f2" ] || fail "a/f2 was removed"
	[ ! -e "$W/wr/d/x" ] || fail "d/x survived the opaque marker"
	[ ! -e "$W/wr/d/y/z" ] || fail "d/y/z survived the opaque marker"
	[ -f "$W/wr/d/y/again" ] && [ -f "$W/wr/d/new" ] || fail "the layer's own entries under d/ are gone"
	[ -f "$W/wr/keep" ] || fail "keep removed"
	[ ! -e "$W/wr/gone" ] || fail "a whiteout made its parent dirs"
	[ -f "$W/wr/e/implied/new" ] || fail "an opaque marker after the entries removed them"
	[ ! -e "$W/wr/e/old" ] && [ ! -e "$W/wr/e/implied/old" ] || fail "e/ not emptied of lower entries"
	[ -z "$(find "$W/wr" -name '.wh.*')" ] || fail "whiteout files were created"
}

metadata_is_kept() {
	src=$W/meta
	mkdir -p "$src/dir/sub"
	printf 'hello' > "$src/dir/file"
	chmod 0741 "$src/dir/file"
	printf 's' > "$src/suid"; chmod 4755 "$src/suid"
	chown 1234:5678 "$src/dir/file"
	chmod 0705 "$src/dir/sub"
	ln "$src/dir/file" "$src/hard"
	ln -s dir/file "$src/sym"
	mknod "$src/null" c 1 3
	mkfifo "$src/fifo"
	python3 -c 'import os,sys; os.setxattr(sys.argv[1], "user.corral", b"v1")' "$src/dir/file"
	python3 -c 'import os,sys; os.setxattr(sys.argv[1], "trusted.overlay.opaque", b"y")' "$src/dir/sub"
	touch -h -d '2001-02-03 04:05:06.5' "$src/dir/file" "$src/sym" "$src/dir/sub" "$src/dir"
	tar --format=pax --xattrs --xattrs-include='*' --numeric-owner -C "$src" -czf "$W/meta.tgz" .
	"$TL" unpack "$W/mr" "$W/meta.tgz" >/dev/null
	r=$W/mr
	expect_eq mode "$(stat -c %a "$r/dir/file")" 741
	expect_eq suid "$(stat -c %a "$r/suid")" 4755
	expect_eq dirmode "$(stat -c %a "$r/dir/sub")" 705
	expect_eq owner "$(stat -c %u:%g "$r/dir/file")" 1234:5678
	expect_eq mtime "$(stat -c %y "$r/dir/file")" "$(stat -c %y "$src/dir/file")"
	expect_eq dir-mtime "$(stat -c %Y "$r/dir")" "$(stat -c %Y "$src/dir")"
	expect_eq sym-mtime "$(stat -c %Y "$r/sym")" "$(stat -c %Y "$src/sym")"
	expect_eq hardlink "$(stat -c %i "$r/hard")" "$(stat -c %i "$r/dir/file")"
	expect_eq symlink "$(readlink "$r/sym")" dir/file
	expect_eq content "$(cat "$r/sym")" hello
	expect_eq device "$(stat -c %F:%t:%T "$r/null")" "character special file:1:3"
	[ -p "$r/fifo" ] || fail "fifo missing"
	tar -tvzf "$W/meta.tgz" --xattrs --xattrs-include='*' >/dev/null
	python3 -c 'import os,sys; os.getxattr(sys.argv[1], "trusted.overlay.opaque")' "$r/dir/sub" 2>/dev/null &&
		fail "trusted.overlay.opaque was set from the layer"
	expect_eq xattr "$(python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.corral").decode())' "$r/dir/file")" v1
}

dotdot_is_refused() {
	mkdir -p "$W/dd/root"
	for name in ../canary-dd a/../../canary-dd2; do
		mktar "$W/dd.tar" <<-P
		f("$name", b"pwned")
		P
		rm -rf "$W/dd/root"
		if out=$("$TL" unpack "$W/dd/root" "$W/dd.tar" 2>&1); then fail "$name accepted"; fi
		case $out in *"climbs out"*) ;; *) fail "$name: unclear error: $out" ;; esac
	done
	[ ! -e "$W/dd/canary-dd" ] && [ ! -e "$W/canary-dd2" ] || fail "wrote outside the rootfs"
}

absolute_paths_are_refused() {
	mktar "$W/abs.tar" <<-P
	f("$W/abs-canary", b"pwned")
	P
	if out=$("$TL" unpack "$W/absroot" "$W/abs.tar" 2>&1); then fail "absolute path accepted"; fi
	case $out in *"absolute path"*) ;; *) fail "unclear error: $out" ;; esac
	[ ! -e "$W/abs-canary" ] || fail "wrote to the absolute path"
}

symlink_then_write_is_refused() {
	mkdir -p "$W/outside"
	echo canary > "$W/outside/canary"
	for target in "$W/outside" ../../../../../../../../"$W/outside"; do
		mktar "$W/s1.tar" <<-P
		sl("esc", "$target")
		P
		mktar "$W/s2.tar" <<-'P'
		f("esc/canary", b"pwned"); f("esc/new", b"pwned")
		P
		rm -rf "$W/sr"
		if out=$("$TL" unpack "$W/sr" "$W/s1.tar" "$W/s2.tar" 2>&1); then fail "write through esc -> $target accepted"; fi
		case $out in *"leads out of the rootfs"*) ;; *) fail "unclear error: $out" ;; esac
	done
	# the same with a hard link
	mktar "$W/h1.tar" <<-'P'
	sl("esc", "/")
	P
	mktar "$W/h2.tar" <<-P
	hl("stolen", "esc/$W/outside/canary")
	P
	rm -rf "$W/sr"
	if out=$("$TL" unpack "$W/sr" "$W/h1.tar" "$W/h2.tar" 2>&1); then fail "hard link through esc accepted"; fi
	mktar "$W/h3.tar" <<-'P'
	hl("stolen2", "../../../etc/passwd")
	P
	if out=$("$TL" unpack "$W/sr" "$W/h3.tar" 2>&1); then fail "hard link to ../ accepted"; fi
	expect_eq canary "$(cat "$W/outside/canary")" canary
	expect_eq outside "$(ls "$W/outside")" canary
	[ ! -e "$W/sr/stolen" ] && [ ! -e "$W/sr/stolen2" ] || fail "hard link made"
}

# put_image STORE LAYER... : stores the layers, a config and a manifest;
# prints the manifest digest.
put_image() {
	st=$1; shift
	layers=
	for l; do
		"$TL" put "$st" "sha256:$(sha "$l")" "$l" >/dev/null || return 1
		layers="$layers{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"size\":$(stat -c %s "$l"),\"digest\":\"sha256:$(sha "$l")\"},"
	done
	echo '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}' > "$W/config.json"
	"$TL" put "$st" "sha256:$(sha "$W/config.json")" "$W/config.json" >/dev/null
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":%s,"digest":"sha256:%s"},"layers":[%s]}' \
		"$(stat -c %s "$W/config.json")" "$(sha "$W/config.json")" "${layers%,}" > "$W/manifest.json"
	"$TL" put "$st" "sha256:$(sha "$W/manifest.json")" "$W/manifest.json" >/dev/null
	echo "sha256:$(sha "$W/manifest.json")"
}

truncated_gzip_commits_no_rootfs() {
	st=$W/store-trunc
	head -c 3000000 /dev/urandom > "$W/rand"
	tar -C "$W" -czf "$W/good.tgz" rand
	head -c 1500000 "$W/good.tgz" > "$W/trunc.tgz"
	m=$(put_image "$st" "$W/trunc.tgz")
	if out=$("$TL" build "$st" "$m" 2>&1); then fail "truncated layer built"; fi
	case $out in *truncated*) ;; *) fail "unclear error: $out" ;; esac
	[ -z "$(ls -A "$st/rootfs")" ] || fail "rootfs left: $(ls -A "$st/rootfs")"
	# and one whose gzip trailer (CRC) is gone but whose tar is whole
	n=$(stat -c %s "$W/good.tgz")
	head -c $((n - 4)) "$W/good.tgz" > "$W/notrailer.tgz"
	m=$(put_image "$st" "$W/notrailer.tgz")
	if out=$("$TL" build "$st" "$m" 2>&1); then fail "layer without gzip trailer built"; fi
	[ -z "$(ls -A "$st/rootfs")" ] || fail "rootfs left"
	m=$(put_image "$st" "$W/good.tgz")
	"$TL" build "$st" "$m"
	cmp "$W/rand" "$st/rootfs/${m#sha256:}/rand" || fail "good layer differs"
}

digest_mismatch_keeps_nothing() {
	st=$W/store-mm
	echo data > "$W/blob"
	bad=sha256:$(echo other | sha256sum | cut -d' ' -f1)
	if out=$("$TL" put "$st" "$bad" "$W/blob" 2>&1); then fail "mismatch accepted"; fi
	case $out in *"digest mismatch"*) ;; *) fail "unclear error: $out" ;; esac
	[ -z "$(ls -A "$st/blobs/sha256")" ] || fail "left: $(ls -A "$st/blobs/sha256")"
	if "$TL" put "$st" "sha256:../../../etc/passwd" "$W/blob" 2>/dev/null; then fail "bad digest accepted"; fi
	if "$TL" put "$st" "sha256:$(sha "$W/blob" | tr a-f A-F)" "$W/blob" 2>/dev/null; then fail "uppercase digest accepted"; fi
}

interrupted_blob_write_resumes() {
	st=$W/store-int
	head -c 2000000 /dev/urandom > "$W/big"
	d=$(sha "$W/big")
	"$TL" put "$st" "sha256:$d" "$W/big" 1000 >/dev/null &
	pid=$!
	i=0
	while [ "$(stat -c %s "$st/blobs/sha256/.partial-$d" 2>/dev/null || echo 0)" -lt 200000 ]; do
		i=$((i + 1)); [ $i -lt 300 ] || { kill -9 $pid; fail "writer made no progress"; }
		sleep 0.1
	done
	kill -9 $pid; wait $pid 2>/dev/null || true
	[ ! -e "$st/blobs/sha256/$d" ] || fail "half a blob taken for whole"
	out=$("$TL" put "$st" "sha256:$d" "$W/big")
	n=${out#resume at }
	[ "$n" -ge 200000 ] || fail "did not resume: $out"
	cmp "$W/big" "$st/blobs/sha256/$d" || fail "resumed blob differs"
	[ ! -e "$st/blobs/sha256/.partial-$d" ] || fail "partial left"
	# a partial file of other bytes is caught at commit, and goes
	head -c 2000000 /dev/urandom > "$W/big2"
	d2=$(sha "$W/big2")
	head -c 1000 /dev/urandom > "$st/blobs/sha256/.partial-$d2"
	if out=$("$TL" put "$st" "sha256:$d2" "$W/big2" 2>&1); then fail "bad partial accepted"; fi
	case $out in *"resume at 1000"*"digest mismatch"*) ;; *) fail "unexpected: $out" ;; esac
	[ ! -e "$st/blobs/sha256/.partial-$d2" ] && [ ! -e "$st/blobs/sha256/$d2" ] || fail "bad partial kept"
	"$TL" put "$st" "sha256:$d2" "$W/big2" >/dev/null
	cmp "$W/big2" "$st/blobs/sha256/$d2" || fail "blob differs"
}

refs_list_rmi_gc() {
	st=$W/store-refs
	(cd "$W" && mkdir -p img && echo one > img/one && tar -czf l1.tgz -C img one && echo two > img/two && tar -czf l2.tgz -C img two)
	m=$(put_image "$st" "$W/l1.tgz" "$W/l2.tgz")
	"$TL" build "$st" "$m"
	"$TL" build "$st" "$m"	# a second time: nothing to do
	root=$("$TL" path "$st" "$m")
	[ -f "$root/one" ] && [ -f "$root/two" ] || fail "rootfs incomplete"
	"$TL" tag "$st" docker.io/library/test:latest "$m"
	expect_eq get "$("$TL" get "$st" docker.io/library/test:latest)" "$m"
	"$TL" list "$st" | grep -q "^docker.io/library/test:latest $m [0-9]* unpacked$" || fail "list: $("$TL" list "$st")"
	# an unreferenced blob and a stale temp tree go at gc; referenced ones stay
	echo junk > "$W/junk"; "$TL" put "$st" "sha256:$(sha "$W/junk")" "$W/junk" >/dev/null
	mkdir "$st/rootfs/.tmp-${m#sha256:}-999999999"
	expect_eq gc "$("$TL" gc "$st")" "blobs 1 trees 1 partials 0 bytes 5"
	[ -d "$root" ] || fail "gc removed a referenced tree"
	expect_eq blobs "$(ls "$st/blobs/sha256" | wc -l)" 4
	"$TL" rmi "$st" docker.io/library/test:latest
	[ ! -e "$root" ] || fail "rmi left the rootfs"
	expect_eq blobs "$(ls -A "$st/blobs/sha256" | wc -l)" 0
	if "$TL" rmi "$st" docker.io/library/test:latest 2>/dev/null; then fail "second rmi succeeded"; fi
}

gzip_framing() {
	mkdir -p "$W/gz/src"
	echo one > "$W/gz/src/one"; echo two > "$W/gz/src/two"
	tar -C "$W/gz/src" -cf "$W/gz/a.tar" one
	tar -C "$W/gz/src" -cf "$W/gz/b.tar" two
	# two gzip members (the first tar's end blocks dropped), the second with a name
	head -c $(( $(stat -c %s "$W/gz/a.tar") - 1024 * 9 )) "$W/gz/a.tar" > "$W/gz/a1.tar"
	gzip -c < "$W/gz/a1.tar" > "$W/gz/multi.tgz"
	gzip -c "$W/gz/b.tar" >> "$W/gz/multi.tgz"
	"$TL" unpack "$W/gz/r1" "$W/gz/multi.tgz" >/dev/null
	[ -f "$W/gz/r1/one" ] && [ -f "$W/gz/r1/two" ] || fail "multi-member gzip: $(ls "$W/gz/r1")"
	# junk after the stream, a flipped byte, a wrong length in the trailer
	gzip -c < "$W/gz/b.tar" > "$W/gz/b.tgz"
	{ cat "$W/gz/b.tgz"; echo junk; } > "$W/gz/junk.tgz"
	if out=$("$TL" unpack "$W/gz/r2" "$W/gz/junk.tgz" 2>&1); then fail "junk accepted"; fi
	case $out in *junk*) ;; *) fail "unclear error: $out" ;; esac
	n=$(stat -c %s "$W/gz/b.tgz")
	python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[int(sys.argv[3])] ^= 0xff; open(sys.argv[2], "wb").write(b)' \
		"$W/gz/b.tgz" "$W/gz/len.tgz" $((n - 1))
	if out=$("$TL" unpack "$W/gz/r3" "$W/gz/len.tgz" 2>&1); then fail "bad length accepted"; fi
	case $out in *"trailer says"*) ;; *) fail "unclear error: $out" ;; esac
	python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[20] ^= 0x55; open(sys.argv[2], "wb").write(b)' \
		"$W/gz/b.tgz" "$W/gz/flip.tgz"
	if "$TL" unpack "$W/gz/r4" "$W/gz/flip.tgz" >/dev/null 2>&1; then fail "corrupt deflate data accepted"; fi
	# zstd is named, not mistaken for tar
	printf '\050\265\057\375rest' > "$W/gz/z.zst"
	if out=$("$TL" unpack "$W/gz/r5" "$W/gz/z.zst" 2>&1); then fail "zstd accepted"; fi
	case $out in *zstd*) ;; *) fail "unclear error: $out" ;; esac
}

throughput_and_peak_rss() {
	src=$W/big20
	mkdir -p "$src"
	i=0
	while [ $i -lt 40 ]; do
		head -c 262144 /dev/urandom > "$src/r$i"
		base64 "$src/r$i" > "$src/t$i"
		i=$((i + 1))
	done
	tar -C "$src" -czf "$W/big20.tgz" .
	out=$("$TL" unpack "$W/big20root" "$W/big20.tgz")
	echo "# $out" >&2
	rss=$(echo "$out" | sed 's/.*maxrss_kib //')
	[ "$rss" -lt 4096 ] || fail "peak RSS $rss KiB"
	diff -r "$src" "$W/big20root" || fail "trees differ"
}

t whiteouts_and_opaque_dirs whiteouts_and_opaque_dirs
t metadata_is_kept metadata_is_kept
t dotdot_is_refused dotdot_is_refused
t absolute_paths_are_refused absolute_paths_are_refused
t symlink_then_write_is_refused symlink_then_write_is_refused
t truncated_gzip_commits_no_rootfs truncated_gzip_commits_no_rootfs
t digest_mismatch_keeps_nothing digest_mismatch_keeps_nothing
t interrupted_blob_write_resumes interrupted_blob_write_resumes
t refs_list_rmi_gc refs_list_rmi_gc
t gzip_framing gzip_framing
t throughput_and_peak_rss throughput_and_peak_rss
