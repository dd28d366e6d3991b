#!/bin/sh
# make check-vm: boots corral as the /init of an initramfs under
# qemu-system-x86_64 (software emulation) with Debian's kernel, twice: with
# init's switch to a tmpfs root (sandboxes pivot_root) and without it
# (MS_MOVE + chroot). tests/vm/vmtest.sh checks inside; this harness relays
# its "ok/not ok/skip" lines and passes a boot only when the serial console
# shows, in order and within VM_TIMEOUT seconds, the PASS marker, init's
# stop on the signal (pivot: SIGTERM; chroot: SIGINT, as on ctrl-alt-del),
# a workload's graceful stop, and the kernel's power-down (or restart) line
# (qemu's exit status says nothing: a panicking guest exits 0 too), and
# init's report that it loaded every module.
#   KERNEL=VERSION|PATH   as for make initramfs
#   VM_BOOTS="pivot chroot"   which boots; VM_TIMEOUT=90
set -eu
cd "$(dirname "$0")/.."
. tools/kernel.sh

OUTDIR=build/vmtest
VM_BOOTS=${VM_BOOTS:-pivot chroot}
VM_TIMEOUT=${VM_TIMEOUT:-90}
mkdir -p "$OUTDIR"

if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
	echo "# check-vm: installing qemu-system-x86"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends qemu-system-x86 >/dev/null ||
		{ echo "not ok - vm: cannot install qemu-system-x86"; exit 1; }
fi
kernel_fetch "${KERNEL:-}" >&2 && kernel_vmlinux ||
	{ echo "not ok - vm: no kernel to boot"; exit 1; }

EXTRA="tests/vm/boot-chroot.json:etc/corral/boot-chroot.json:644
tests/vm/vmtest.sh:vmtest/vmtest.sh:755 tests/vm/flaky.sh:vmtest/flaky.sh:755" \
BUSYBOX=1 BOOT_CONFIG=tests/vm/boot-pivot.json OUT=$OUTDIR/initramfs.cpio.gz \
	KERNEL=${KROOT:-$KMODS} sh tools/initramfs.sh > "$OUTDIR/initramfs.log" 2>&1 ||
	{ echo "not ok - vm: make initramfs failed"; sed 's/^/#   /' "$OUTDIR/initramfs.log"; exit 1; }
sed 's/^/# /' "$OUTDIR/initramfs.log"

: > "$OUTDIR/results"
status=0
for boot in $VM_BOOTS; do
	log=$OUTDIR/boot-$boot.log
	cfg=
	[ "$boot" = pivot ] || cfg=" CORRAL_BOOT_CONFIG=/etc/corral/boot-$boot.json"
	# the chroot boot also has a workload that ignores SIGTERM: init must
	# kill it after stop_timeout
	if [ "$boot" = chroot ]; then
		sig="SIGINT (ctrl-alt-del)" down="reboot: Restarting system" end=reboot
		kill="workload stubborn: still running after 2 s; killing it"
	else
		sig=SIGTERM down="reboot: Power down" end=power-down kill=
	fi
	t0=$(date +%s.%N)
	timeout -k 5 "$VM_TIMEOUT" qemu-system-x86_64 -nodefaults -no-user-config -display none \
		-no-reboot -m 256 -smp 1 -serial stdio -kernel "$VMLINUX" \
		-initrd "$OUTDIR/initramfs.cpio.gz" \
		-append "console=ttyS0 quiet panic=-1$cfg" </dev/null 2>&1 | tr -d '\r' > "$log" || true
	t1=$(date +%s.%N)
	wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	# the VM's own check lines, as they are
	grep -E "^(ok|not ok|skip) - vm-$boot/|^#   " "$log" || true
	# the markers, in order
	why=$(awk -v sig="corral init: $sig: stopping the workloads" -v down="$down" -v signame="${sig%% *}" -v kill="$kill" '
		/^CORRAL-VM-PASS/ && !p { p = NR }
		/^CORRAL-VM-FAIL/ { f = NR }
		index($0, sig) && p && !s { s = NR }
		/CORRAL-GRACEFUL-STOP/ && s && !g { g = NR }
		index($0, down) && g && !d { d = NR }
		kill != "" && index($0, kill) && s && !d { kl = NR }
		/Kernel panic/ { k = NR }
		/corral init: modules: [0-9]+ asked for, 0 failed/ { m = NR }
		/corral init: module / { bad = bad ? bad : $0 }
		END {
			if (k) print "kernel panic"
			else if (f) print "the checks failed"
			else if (bad) print "init: " bad
			else if (!m) print "init did not load the modules"
			else if (!p) print "no CORRAL-VM-PASS marker"
			else if (!s) print "init did not stop the workloads on " signame
			else if (!g) print "no graceful stop of the workload (CORRAL-GRACEFUL-STOP)"
			else if (!d) print "no \"" down "\" line after the stop"
			else if (kill != "" && !kl) print "no \"" kill "\" before the end"
		}' "$log")
	ready=$(sed -n 's/^CORRAL-READY \([0-9.]*\).*/\1/p' "$log" | head -n 1)
	if [ -z "$why" ]; then
		echo "ok - vm-$boot/boot: PASS, graceful stop on ${sig%% *}, $end in $wall s (first sandbox ready ${ready:-?} s after boot)"
		echo "ready_$boot ${ready:-}" >> "$OUTDIR/results"
		echo "wall_$boot $wall" >> "$OUTDIR/results"
	else
		status=1
		echo "not ok - vm-$boot/boot: $why (after $wall s; log $log)"
		grep -v -E "^(ok|not ok|skip) - |^#   " "$log" | tail -n 30 | sed 's/^/#   /'
	fi
done
cat "$OUTDIR/initramfs.cpio.gz.sizes" >> "$OUTDIR/results"
exit $status
