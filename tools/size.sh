#!/bin/sh
# Size report for ./corral: the whole stripped binary against its budget,
# then each part's share. The parts come from a link map of the same link:
# every allocated input section is summed per object, applets/NAME.o counts
# as the applet NAME, build/lib.a(NAME.o) as lib/NAME.c, archive members of
# libseccomp, BearSSL, zlib, musl and libgcc by library. After that, for
# each applet, how much smaller the binary is when it is left out (its code
# plus the lib/ and library code only it pulls in).
#
# The Makefile passes CC, CFLAGS, LDFLAGS, APPLET_OBJ, LIBS; the defaults
# below match it.
set -eu
cd "$(dirname "$0")/.."

BUDGET_KIB=${BUDGET_KIB:-320}
BIN=${BIN:-corral}
CC=${CC:-musl-gcc}
LDFLAGS=${LDFLAGS:--static -Wl,--gc-sections -s}
CFLAGS=${CFLAGS:--std=c11 -D_GNU_SOURCE -Os -Wall -Wextra -Werror -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables -fno-stack-protector -isystem build/deps/include -Ilib -Iapplets -Ibuild/gen}
APPLET_OBJ=${APPLET_OBJ:-$(ls build/obj/applets/*.o)}
LIBS=${LIBS:-build/deps/lib/libseccomp.a build/deps/lib/libbearssl.a build/deps/lib/libz.a}
OUT=build/size

[ -x "$BIN" ] || { echo "size.sh: no ./$BIN; run make first" >&2; exit 1; }
mkdir -p "$OUT"
trap 'rm -rf "$OUT/tmp"' EXIT

fsize() { wc -c < "$1" | tr -d ' '; }
# Bytes of code and data (text + data of size(1)): unlike the file size,
# this does not move in whole pages.
csize() { size "$1" | awk 'NR == 2 { print $1 + $2 }'; }
kib() { awk -v b="$1" 'BEGIN { printf "%.1f KiB", b / 1024 }'; }

# shellcheck disable=SC2086
$CC $LDFLAGS -o "$OUT/corral" $APPLET_OBJ build/lib.a $LIBS -Wl,-Map="$OUT/corral.map"
total=$(fsize "$BIN")
mapped=$(fsize "$OUT/corral")
budget=$((BUDGET_KIB * 1024))
if [ "$total" -le "$budget" ]; then
	verdict="OK, $(kib $((budget - total))) to spare"
else
	verdict="OVER by $(kib $((total - budget)))"
fi
echo "corral: $total bytes ($(kib "$total")), stripped, static"
echo "budget: $BUDGET_KIB KiB ($budget bytes): $verdict"
[ "$mapped" -eq "$total" ] ||
	echo "note: ./$BIN is $total bytes but the relink is $mapped; run make first"
echo

# Allocated input sections of the map: "part|kind|bytes" per line; kind is
# "file" (occupies the file) or "bss" (zeroed at run time, no file bytes).
parts() {
	awk '
	function hex(s,   i, n) {	# mawk has no strtonum
		n = 0; s = tolower(s); sub(/^0x/, "", s)
		for (i = 1; i <= length(s); i++) n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return n
	}
	function part(f) {
		if (f ~ /^build\/obj\/applets\/main\.o$/) return "dispatch   applets/main.c"
		if (f ~ /^build\/obj\/applets\//) { sub(/^.*\//, "", f); sub(/\.o$/, "", f); return "applet     " f }
		if (f ~ /^build\/lib\.a\(/) { sub(/^.*\(/, "", f); sub(/\.o\)$/, ".c", f); return "lib        lib/" f }
		if (f ~ /^build\/obj\/lib\//) { sub(/^build\/obj\//, "", f); sub(/\.o$/, ".c", f); return "lib        " f }
		if (f ~ /libseccomp\.a/) return "library    libseccomp"
		if (f ~ /libbearssl\.a/) return "library    BearSSL"
		if (f ~ /libz\.a/) return "library    zlib"
		if (f ~ /musl|libc\.a|crt[1in]\.o/) return "library    musl libc"
		if (f ~ /libgcc|crtbegin|crtend/) return "library    libgcc"
		return "other      " f
	}
	function add(sec, addr, size, file) {
		if (addr !~ /^0x/ || size !~ /^0x/ || hex(addr) == 0) return
		kind = (osec ~ /^\.[tl]?bss/) ? "bss" : "file"
		print part(file) "|" kind "|" hex(size)
	}
	/^Linker script and memory map/ { on = 1; next }
	!on { next }
	/^\/DISCARD\// { osec = "/DISCARD/"; next }
	/^\.[^ ]/ { osec = $1; next }
	osec == "/DISCARD/" || osec ~ /^\.(comment|note|debug|gnu_debug|stab)/ { next }
	/^ \*fill\*/ { if (hex($3) > 0 && hex($2) != 0) print "padding    alignment fill|" ((osec ~ /^\.[tl]?bss/) ? "bss" : "file") "|" hex($3); next }
	/^ \.[^ ]+$/ { pending = $1; next }
	pending != "" && /^  +0x[0-9a-f]+ +0x[0-9a-f]+ / { add(pending, $1, $2, $3); pending = ""; next }
	{ pending = "" }
	/^ \.[^ ]+ +0x[0-9a-f]+ +0x[0-9a-f]+ / { add($1, $2, $3, $4) }
	' "$OUT/corral.map"
}

parts | awk -F'|' -v total="$total" '
	{ if ($2 == "file") f[$1] += $3; else b[$1] += $3; names[$1] = 1 }
	END {
		printf "%-40s %9s %6s %9s\n", "part (by object, from the link map)", "bytes", "share", "bss"
		n = 0
		for (k in names) order[++n] = k
		# applets first, then lib/, then libraries, each by size
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) {
			a = order[i]; c = order[j]
			ra = rank(a); rc = rank(c)
			if (rc < ra || (rc == ra && f[c] > f[a])) { order[i] = c; order[j] = a }
		}
		sum = 0; last = ""
		for (i = 1; i <= n; i++) {
			k = order[i]; grp = substr(k, 1, 10)
			if (last != "" && grp != last) printf "\n"
			last = grp
			printf "%-40s %9d %5.1f%% %9d\n", k, f[k], 100 * f[k] / total, b[k]
			sum += f[k]
		}
		printf "\n%-40s %9d %5.1f%%\n", "ELF headers, page alignment", total - sum, 100 * (total - sum) / total
		printf "%-40s %9d %5.1f%%\n", "whole file", total, 100
	}
	function rank(k) {
		if (k ~ /^dispatch/) return 0
		if (k ~ /^applet/) return 1
		if (k ~ /^lib /) return 2
		if (k ~ /^library/) return 3
		return 4
	}'

# Marginal cost of each applet: relink without it (and with a dispatch
# table that no longer names it).
applets=$(for f in applets/*.c; do
	head -n1 "$f" | grep -q '^/\* [a-z][a-z0-9_]* - ' && echo "$f"
done || true)
[ -n "$applets" ] || exit 0
echo
echo "applet     left out, code + data shrink by (its code, its help text, and the"
echo "           lib/ and library code only it uses)"
mkdir -p "$OUT/tmp"
# link_without NAME: relinks with a dispatch table of every applet but NAME
# (none: all of them) and prints the code + data size.
link_without() {
	others=$(echo "$applets" | grep -v "^applets/$1\.c\$" || true)
	# shellcheck disable=SC2086
	sh tools/mkapplets.sh $others > "$OUT/tmp/applets.inc"
	# shellcheck disable=SC2086
	$CC -I"$OUT/tmp" $CFLAGS -c -o "$OUT/tmp/main.o" applets/main.c
	objs=$(echo "$APPLET_OBJ" | tr ' ' '\n' | grep -v -e "/$1\.o\$" -e '/main\.o$' | tr '\n' ' ')
	# shellcheck disable=SC2086
	$CC $LDFLAGS -o "$OUT/tmp/corral" "$OUT/tmp/main.o" $objs build/lib.a $LIBS
	csize "$OUT/tmp/corral"
}
full=$(link_without "")
for a in $applets; do
	name=$(basename "$a" .c)
	without=$(link_without "$name")
	printf "%-10s %9d bytes  (%s)\n" "$name" $((full - without)) "$(kib $((full - without)))"
done
