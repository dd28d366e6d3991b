#!/bin/sh
# make check-vm: boots corral as the /init of an initramfs under
# qemu-system-x86_64 (software emulation) with Debian's kernel: "pivot"
# with init's switch to a tmpfs root (sandboxes pivot_root), "chroot"
# without it (MS_MOVE + chroot), "restart" for on_exit restart, "badconfig"
# with a boot config that is not there. tests/vm/vmtest.sh checks inside; this harness relays its
# "ok/not ok/skip" lines and passes a boot only when the serial console
# shows the lines expect() lists, in order, within VM_TIMEOUT seconds: the
# PASS marker, init's graceful stop on SIGTERM (power-down) or on SIGINT as
# on ctrl-alt-del (reboot), and the kernel's last line. qemu's exit status
# says nothing: a panicking guest exits 0 too.
#   KERNEL=VERSION|PATH   as for make initramfs
#   VM_BOOTS="pivot chroot restart badconfig"   which boots; VM_TIMEOUT=90
set -eu
cd "$(dirname "$0")/.."
. tools/kernel.sh

OUTDIR=build/vmtest
VM_BOOTS=${VM_BOOTS:-pivot chroot restart badconfig}
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
tests/vm/boot-restart.json:etc/corral/boot-restart.json:644
tests/vm/vmtest.sh:vmtest/vmtest.sh:755 tests/vm/flaky.sh:vmtest/flaky.sh:755" \
BUSYBOX=1 BOOT_CONFIG=tests/vm/boot-pivot.json OUT=$OUTDIR/initramfs.cpio.gz \
	KERNEL=${KROOT:-$KMODS} sh tools/initramfs.sh > "$OUTDIR/initramfs.log" 2>&1 ||
	{ echo "not ok - vm: make initramfs failed"; sed 's/^/#   /' "$OUTDIR/initramfs.log"; exit 1; }
sed 's/^/# /' "$OUTDIR/initramfs.log"

: > "$OUTDIR/results"
# expect BOOT: what the console must show for BOOT, one line each, in this
# order (plain substrings); and what it says when it passes.
expect() {
	case $1 in
	pivot) summary="PASS, graceful stop on SIGTERM, power-down"
		printf '%s\n' "corral init: modules: 10 asked for, 0 failed" "CORRAL-VM-PASS pivot" \
			"corral init: SIGTERM: stopping the workloads" "CORRAL-GRACEFUL-STOP" \
			"reboot: Power down" ;;
	# a module is missing from the image: init must name it; a workload
	# ignores SIGTERM: init must kill it after stop_timeout
	chroot) summary="PASS, graceful stop on SIGINT (ctrl-alt-del), reboot"
		printf '%s\n' "corral init: module dummy: not in /lib/modules/" \
			"corral init: modules: 11 asked for, 1 failed" "CORRAL-VM-PASS chroot" \
			"corral init: SIGINT (ctrl-alt-del): stopping the workloads" "CORRAL-GRACEFUL-STOP" \
			"corral init: workload stubborn: still running after 2 s; killing it" \
			"reboot: Restarting system" ;;
	# on_exit restart: init stops every workload and starts them again
	restart) summary="on_exit restart starts the workloads again (twice), SIGTERM powers off"
		printf '%s\n' "CORRAL-GENERATION 1" "corral init: workload gen ended (on_exit restart)" \
			"corral init: starting the workloads again" "CORRAL-GENERATION 2" \
			"corral init: starting the workloads again" "CORRAL-GENERATION 3" \
			"corral init: SIGTERM: stopping the workloads" "reboot: Power down" ;;
	# a boot config that is not there: init must say so and power off
	badconfig) summary="a missing boot config is reported, then power-down"
		printf '%s\n' "corral init: boot config /etc/corral/missing.json: No such file or directory; powering off" \
			"reboot: Power down" ;;
	esac
}

status=0
for boot in $VM_BOOTS; do
	log=$OUTDIR/boot-$boot.log
	case $boot in
	pivot) cfg= ;;
	badconfig) cfg=" CORRAL_BOOT_CONFIG=/etc/corral/missing.json" ;;
	# init logs to /dev/kmsg there: let its <5> lines reach the console
	restart) cfg=" loglevel=6 CORRAL_BOOT_CONFIG=/etc/corral/boot-restart.json" ;;
	*) cfg=" CORRAL_BOOT_CONFIG=/etc/corral/boot-$boot.json" ;;
	esac
	expect "$boot" > "$OUTDIR/expect-$boot"
	t0=$(date +%s.%N)
	timeout -k 5 "$VM_TIMEOUT" qemu-system-x86_64 -nodefaults -no-user-config -display none \
		-no-reboot -m 256 -smp 1 -serial stdio -kernel "$VMLINUX" \
		-initrd "$OUTDIR/initramfs.cpio.gz" \
		-append "console=ttyS0 quiet panic=-1$cfg" </dev/null 2>&1 | tr -d '\r' > "$log" || true
	t1=$(date +%s.%N)
	wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	# the VM's own check lines, as they are
	grep -E "^(ok|not ok|skip) - vm-$boot/|^#   " "$log" || true
	why=$(awk '
		FNR == NR { want[++n] = $0; next }
		/Kernel panic/ { panic = $0 }
		/^CORRAL-VM-FAIL/ { failed = 1 }
		i < n && index($0, want[i + 1]) { i++ }
		END {
			if (panic) print panic
			else if (failed) print "the checks failed"
			else if (i < n) print "no \"" want[i + 1] "\"" (i ? " after \"" want[i] "\"" : "")
		}' "$OUTDIR/expect-$boot" "$log")
	ready=$(sed -n 's/^CORRAL-READY \([0-9.]*\).*/\1/p' "$log" | head -n 1)
	if [ -z "$why" ]; then
		echo "ok - vm-$boot/boot: $summary in $wall s${ready:+ (first sandbox ready $ready s after boot)}"
		[ -z "$ready" ] || echo "ready_$boot $ready" >> "$OUTDIR/results"
		echo "wall_$boot $wall" >> "$OUTDIR/results"
	else
		status=1
		echo "not ok - vm-$boot/boot: $why (after $wall s; log $log)"
		grep -v -E "^(ok|not ok|skip) - |^#   " "$log" | tail -n 30 | sed 's/^/#   /'
	fi
done
cat "$OUTDIR/initramfs.cpio.gz.sizes" >> "$OUTDIR/results"
exit $status
