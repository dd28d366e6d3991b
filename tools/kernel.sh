# Sourced by tools/initramfs.sh and tools/check-vm.sh: the kernel to boot.
# kernel_fetch SPEC sets KROOT (a tree holding boot/vmlinuz-V and
# lib/modules/V), KVER (V) and KMODS (the modules dir). SPEC is empty (the
# version Debian's linux-image-amd64 points at), a version (6.1.0-50-amd64),
# or a path: an unpacked kernel package, or a modules dir (/lib/modules/V).
# Debian packages are fetched with `apt-get download` and unpacked with
# `dpkg-deb -x` under build/kernel, once; nothing is installed.

KCACHE=${KCACHE:-$PWD/build/kernel}

kernel_default_version() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-\([0-9].*-amd64\)$/\1/p' | head -n 1
}

kernel_fetch() {
	spec=${1:-}
	case $spec in
	*/*)
		[ -e "$spec" ] || { echo "kernel: $spec: no such file or directory" >&2; return 1; }
		spec=$(cd "$spec" && pwd)
		if [ -d "$spec/kernel" ] || [ -f "$spec/modules.builtin" ]; then
			KMODS=$spec KVER=$(basename "$spec") KROOT=
		else
			KROOT=$spec
			KMODS=$(ls -d "$KROOT"/lib/modules/*/ 2>/dev/null | head -n 1)
			KMODS=${KMODS%/}
			[ -n "$KMODS" ] || { echo "kernel: $spec holds no lib/modules/VERSION" >&2; return 1; }
			KVER=$(basename "$KMODS")
		fi
		return 0 ;;
	esac
	[ -n "$spec" ] || spec=$(kernel_default_version)
	[ -n "$spec" ] || { echo "kernel: cannot tell Debian's default kernel (apt-cache depends linux-image-amd64)" >&2; return 1; }
	KVER=$spec KROOT=$KCACHE/$spec KMODS=$KCACHE/$spec/lib/modules/$spec
	[ -f "$KROOT/.ok" ] && return 0
	echo "kernel: fetching linux-image-$KVER (apt-get download, into $KROOT)"
	rm -rf "$KROOT" "$KCACHE/dl-$KVER"
	mkdir -p "$KCACHE/dl-$KVER"
	(cd "$KCACHE/dl-$KVER" && apt-get download -q "linux-image-$KVER" >/dev/null 2>&1) ||
		(apt-get update -qq && cd "$KCACHE/dl-$KVER" && apt-get download -q "linux-image-$KVER" >/dev/null) ||
		{ echo "kernel: apt-get download linux-image-$KVER failed" >&2; return 1; }
	dpkg-deb -x "$KCACHE/dl-$KVER"/linux-image-*.deb "$KROOT"
	rm -rf "$KCACHE/dl-$KVER"
	touch "$KROOT/.ok"
}

# kernel_vmlinux: sets VMLINUX to the uncompressed ELF kernel, extracted
# from the bzImage once (qemu boots it directly through PVH, faster than
# letting it decompress itself under emulation).
kernel_vmlinux() {
	VMLINUX=$KROOT/vmlinux
	[ -s "$VMLINUX" ] && return 0
	bz=$KROOT/boot/vmlinuz-$KVER
	[ -f "$bz" ] || { echo "kernel: no $bz to boot" >&2; return 1; }
	for m in 'xz:\xfd7zXZ\x00' 'gzip:\x1f\x8b\x08' 'zstd:\x28\xb5\x2f\xfd'; do
		tool=${m%%:*} magic=${m#*:}
		command -v "$tool" >/dev/null 2>&1 || continue
		for off in $(LC_ALL=C grep -obUaP "$magic" "$bz" | cut -d: -f1); do
			tail -c +$((off + 1)) "$bz" | "$tool" -dc 2>/dev/null > "$VMLINUX.tmp"
			if [ "$(head -c 4 "$VMLINUX.tmp" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
				mv "$VMLINUX.tmp" "$VMLINUX"
				return 0
			fi
		done
	done
	rm -f "$VMLINUX.tmp"
	echo "kernel: found no compressed ELF kernel inside $bz" >&2
	return 1
}
