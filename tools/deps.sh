#!/bin/sh
# Build the static musl dependencies that Debian does not ship for musl
# (libseccomp, BearSSL, zlib) from their Debian source packages into
# $PREFIX, once. Debian's own .a files need glibc's _chk symbols, so they
# cannot be used. Also installs the Debian packages the build needs.
set -eu

PREFIX=${1:-build/deps}
SECCOMP_VER=2.5.4-1+deb12u1
BEARSSL_VER=0.6+dfsg.1-3
ZLIB_VER=1:1.2.13.dfsg-1
STAMP="$PREFIX/.stamp-$SECCOMP_VER-$BEARSSL_VER-$ZLIB_VER-nogzip"
PKGS="musl-tools musl-dev libjsmn-dev linux-libc-dev gperf dpkg-dev make"

[ -f "$STAMP" ] && exit 0

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "deps: installing$missing"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi

# apt-get source needs a deb-src entry; add one beside the Debian list.
if ! grep -rqs -e '^deb-src' -e '^Types:.*deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	echo "deps: adding deb-src entries"
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
			>/etc/apt/sources.list.d/corral-deb-src.sources
	else
		grep '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' \
			>/etc/apt/sources.list.d/corral-deb-src.list
	fi
	apt-get update -qq
fi

mkdir -p "$PREFIX/src" "$PREFIX/include" "$PREFIX/lib"
PREFIX=$(cd "$PREFIX" && pwd)
SRC="$PREFIX/src"
INC="$PREFIX/include"

# musl-gcc sees no kernel headers: give it a private copy, never /usr/include.
for d in linux asm-generic; do
	rm -rf "${INC:?}/$d"; cp -r "/usr/include/$d" "$INC/"
done
rm -rf "$INC/asm"; cp -r "/usr/include/$(gcc -dumpmachine)/asm" "$INC/asm"
cp /usr/include/jsmn.h "$INC/"

fetch() { # package version -> the unpacked source dir, on stdout
	if ! ls -d "$SRC/$1"-*/ >/dev/null 2>&1; then
		( cd "$SRC" && apt-get source -qq "$1=$2" >/dev/null 2>&1 ) || {
			echo "deps: apt-get source $1=$2 failed" >&2; exit 1; }
	fi
	ls -d "$SRC/$1"-*/ | head -n1
}

echo "deps: libseccomp $SECCOMP_VER"
d=$(fetch libseccomp "$SECCOMP_VER")
( cd "$d" && [ -f src/.libs/libseccomp.a ] || {
	./configure -q CC=musl-gcc CFLAGS="-Os -ffunction-sections -fdata-sections -isystem $INC" \
		--enable-static --disable-shared --prefix="$PREFIX" >/dev/null
	make -s -C src >/dev/null
  } )
cp "$d/src/.libs/libseccomp.a" "$PREFIX/lib/"
cp "$d/include/seccomp.h" "$d/include/seccomp-syscalls.h" "$INC/"

echo "deps: bearssl $BEARSSL_VER"
d=$(fetch bearssl "$BEARSSL_VER")
( cd "$d" && mkdir -p build/obj && make -s lib CONF=Unix CC=musl-gcc \
	CFLAGS="-Os -ffunction-sections -fdata-sections -fPIC" >/dev/null )
cp "$d/build/libbearssl.a" "$PREFIX/lib/"
cp "$d"/inc/*.h "$INC/"

echo "deps: zlib $ZLIB_VER"
d=$(fetch zlib "$ZLIB_VER")
# Raw inflate only: layers are gzip, but lib/layer.c reads the framing itself.
( cd "$d" && rm -f libz.a *.o && {
	CC=musl-gcc CFLAGS="-Os -ffunction-sections -fdata-sections -DNO_GZIP" ./configure --static >/dev/null
	make -s libz.a >/dev/null
  } )
cp "$d/libz.a" "$PREFIX/lib/"
cp "$d/zlib.h" "$d/zconf.h" "$INC/"

touch "$STAMP"
echo "deps: ready in $PREFIX"
