#!/bin/sh
# make initramfs: build/initramfs.cpio.gz with corral as /init, its applet
# symlinks in /bin, the boot config as /etc/corral/boot.json and the kernel
# modules that config names (with their dependencies, and a modules.dep
# that corral init reads) for the kernel you boot.
#   KERNEL=VERSION|PATH   default: Debian's linux-image-amd64 (see tools/kernel.sh)
#   BOOT_CONFIG=FILE      default: configs/boot.json
#   OUT=FILE              default: build/initramfs.cpio.gz
#   BUSYBOX=1|0           busybox-static and its applets (sh for the default
#                         config's console; default 1); corral needs none of it
#   EXTRA="SRC:DST:MODE ..."  more files (DST without a leading slash)
set -eu
cd "$(dirname "$0")/.."
. tools/kernel.sh

CORRAL=${CORRAL:-$PWD/corral}
MKCPIO=${MKCPIO:-$PWD/build/tools/mkcpio}
BOOT_CONFIG=${BOOT_CONFIG:-configs/boot.json}
OUT=${OUT:-build/initramfs.cpio.gz}
BUSYBOX=${BUSYBOX:-1}
EXTRA=${EXTRA:-}

[ -x "$CORRAL" ] && [ -x "$MKCPIO" ] || { echo "initramfs: needs $CORRAL and $MKCPIO (make corral build/tools/mkcpio)" >&2; exit 1; }
plan=$("$CORRAL" init --check --config "$BOOT_CONFIG") || { echo "initramfs: $BOOT_CONFIG is not a valid boot config" >&2; exit 1; }
modules=$(printf '%s\n' "$plan" | sed -n 's/^module //p')
kernel_fetch "${KERNEL:-}"

W=$(mktemp -d "${TMPDIR:-/tmp}/corral-initramfs.XXXXXX")
trap 'rm -rf "$W"' EXIT

# ---- modules: the closure of the config's list, dependencies first ----
: > "$W/dep"
: > "$W/seen"
: > "$W/builtin"
modfile() { # NAME -> path relative to $KMODS, or nothing
	n=$1 alt=$(printf '%s' "$1" | tr _ -) und=$(printf '%s' "$1" | tr - _)
	grep -E "/($n|$alt|$und)\.ko$" "$W/all" | head -n 1
}
modinfo_field() { # FIELD FILE
	tr '\0' '\n' < "$KMODS/$2" | sed -n "s/^$1=//p"
}
add_module() { # NAME [NEEDED_BY]
	local name rel deps soft d dpaths p
	name=$(printf '%s' "$1" | tr - _)
	grep -qx "$name" "$W/seen" && return 0
	echo "$name" >> "$W/seen"
	rel=$(modfile "$name")
	if [ -z "$rel" ]; then
		if grep -E "/($name|$(printf '%s' "$name" | tr _ -))\.ko$" "$KMODS/modules.builtin" \
			>> "$W/builtin" 2>/dev/null; then
			return 0	# built into the kernel; init finds it in modules.builtin
		fi
		echo "initramfs: module $name${2:+ (needed by $2)}: not in $KMODS" >&2
		return 1
	fi
	deps=$(modinfo_field depends "$rel" | tr ',' ' ')
	# softdep "pre:" modules must load first: libcrc32c wants crc32c
	# (crc32c_generic), or the nf_* modules fail with a misleading ENOENT.
	soft=$(modinfo_field softdep "$rel" | sed -n 's/^pre: *//p' | sed 's/ *post:.*//')
	dpaths=
	for d in $deps $soft; do
		case " $soft " in *" $d "*) [ -n "$(modfile "$d")" ] || d=${d}_generic ;; esac
		add_module "$d" "$name" || return 1
		p=$(modfile "$d")
		[ -n "$p" ] && dpaths="$dpaths $p"
	done
	echo "$rel:$dpaths" >> "$W/dep"
}
if [ -n "$modules" ]; then
	(cd "$KMODS" && find kernel -name '*.ko' | sed 's|^|/|') > "$W/all"
	for m in $modules; do add_module "$m"; done
fi

# ---- the archive list ----
L=$W/list
{
	for d in bin sbin dev etc etc/corral lib proc sys run tmp root usr usr/bin usr/sbin; do
		echo "dir $d 755"
	done
	echo "nod dev/console 600 c 5 1"
	echo "nod dev/null 666 c 1 3"
	echo "file init $CORRAL 755"
	echo "slink bin/corral ../init"
	for a in $("$CORRAL" --list | cut -d' ' -f1); do echo "slink bin/$a corral"; done
	echo "file etc/corral/boot.json $BOOT_CONFIG 644"
	if [ "$BUSYBOX" = 1 ]; then
		bb=$(command -v busybox || true)
		if [ -z "$bb" ] || ! busybox --help 2>&1 | head -1 | grep -q .; then
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q busybox-static >/dev/null
			bb=$(command -v busybox)
		fi
		echo "file bin/busybox $bb 755"
		ours=" $("$CORRAL" --list | cut -d' ' -f1 | tr '\n' ' ') "
		for a in $(busybox --list); do
			case $ours in *" $a "*) continue ;; esac
			[ "$a" = busybox ] || echo "slink bin/$a busybox"
		done
	fi
	for x in $EXTRA; do
		src=${x%%:*} rest=${x#*:}
		dst=${rest%%:*} mode=${rest#*:}
		[ "$mode" != "$rest" ] || mode=644
		p=$dst
		while [ "${p%/*}" != "$p" ]; do p=${p%/*}; echo "dir $p 755"; done | sort -u
		echo "file $dst $src $mode"
	done
} > "$L.base"
{
	if [ -s "$W/dep" ] || [ -s "$W/builtin" ]; then
		echo "dir lib/modules 755"
		echo "dir lib/modules/$KVER 755"
		cut -d: -f1 "$W/dep" | while read -r rel; do
			p=${rel#/}
			while [ "${p%/*}" != "$p" ]; do p=${p%/*}; echo "dir lib/modules/$KVER/$p 755"; done
		done | sort -u
		cut -d: -f1 "$W/dep" | while read -r rel; do
			echo "file lib/modules/$KVER${rel} $KMODS$rel 644"
		done
		sed 's|^/||; s| /| |g' "$W/dep" > "$W/modules.dep"
		echo "file lib/modules/$KVER/modules.dep $W/modules.dep 644"
		[ ! -s "$W/builtin" ] || echo "file lib/modules/$KVER/modules.builtin $W/builtin 644"
	fi
} > "$L.mods"

mkdir -p "$(dirname "$OUT")"
cat "$L.base" "$L.mods" | "$MKCPIO" | gzip -9 -n > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
size=$(wc -c < "$OUT")
nomods=$("$MKCPIO" < "$L.base" | gzip -9 -n | wc -c)
own=$(gzip -9 -n < "$CORRAL" | wc -c)
nmods=$(grep -c . "$W/dep" || true)
echo "initramfs: $OUT for $KVER: $((size / 1024)) KiB; without modules $((nomods / 1024)) KiB;" \
	"corral alone $((own / 1024)) KiB gzipped; $nmods modules"
# The kernel to boot it with, uncompressed (qemu -kernel starts it via PVH).
if [ -n "${KROOT:-}" ] && [ -e "$KROOT/boot/vmlinuz-$KVER" ] && kernel_vmlinux; then
	echo "kernel: $VMLINUX"
fi
printf 'kernel %s\nbytes %s\nbytes_without_modules %s\ncorral_bytes %s\nmodules %s\n' \
	"$KVER" "$size" "$nomods" "$own" "$nmods" > "$OUT.sizes"
