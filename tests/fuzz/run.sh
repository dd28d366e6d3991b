#!/bin/sh
# Builds every tests/fuzz/fuzz_NAME.c as a libFuzzer target (clang, glibc,
# ASan + UBSan) and runs each for FUZZ_SECONDS (default 60) on a copy of
# its seed corpus tests/fuzz/corpus/NAME/, with tests/fuzz/NAME.dict when
# there is one. A target links the sources named on its "fuzz-sources:"
# line, else lib/NAME.c and lib/util.c.
# Usage: tests/fuzz/run.sh [NAME...]     Output: build/fuzz/
set -eu
cd "$(dirname "$0")/../.."
secs=${FUZZ_SECONDS:-60}
out=build/fuzz

if ! command -v clang >/dev/null 2>&1; then
	echo "fuzz: clang missing, installing it with apt-get" >&2
	apt-get install -y clang libclang-rt-14-dev >&2 ||
		{ echo "fuzz: cannot install clang" >&2; exit 1; }
fi
# libFuzzer's runtime ships separately on some Debian releases.
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; return (int)n & 0; }' > "$probe/p.c"
if ! clang -fsanitize=fuzzer -o "$probe/p" "$probe/p.c" 2>/dev/null; then
	echo "fuzz: libFuzzer runtime missing, installing libclang-rt-14-dev" >&2
	apt-get install -y libclang-rt-14-dev >&2 ||
		{ echo "fuzz: cannot install libclang-rt-14-dev" >&2; exit 1; }
fi

if [ $# -eq 0 ]; then
	set -- $(for f in tests/fuzz/fuzz_*.c; do basename "$f" .c | sed 's/^fuzz_//'; done)
fi
# lib/util.c inflates embedded data: the targets link the system zlib.
dpkg-query -W -f='${Status}' zlib1g-dev 2>/dev/null | grep -q 'ok installed' ||
	apt-get install -y zlib1g-dev >&2 || { echo "fuzz: cannot install zlib1g-dev" >&2; exit 1; }
mkdir -p "$out"
status=0
for name; do
	src=tests/fuzz/fuzz_$name.c
	libs=$(sed -n '/fuzz-sources:/{s/.*fuzz-sources: *//; s/ *[*]\/.*//; p; q; }' "$src")
	[ -n "$libs" ] || libs="lib/$name.c lib/util.c"
	echo "fuzz: building $name ($libs)"
	clang -g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -Ilib -o "$out/fuzz_$name" "$src" $libs -lz
	corpus=$out/corpus-$name
	mkdir -p "$corpus"
	[ -d "tests/fuzz/corpus/$name" ] && cp -n "tests/fuzz/corpus/$name"/* "$corpus"/ 2>/dev/null || true
	echo "fuzz: running $name for ${secs}s"
	dict=
	[ -f "tests/fuzz/$name.dict" ] && dict=-dict=tests/fuzz/$name.dict
	if ! "$out/fuzz_$name" -max_total_time="$secs" -print_final_stats=1 $dict \
		-artifact_prefix="$out/$name-" "$corpus" 2>"$out/$name.log"; then
		status=1
		echo "fuzz: $name FAILED, see $out/$name.log" >&2
		tail -n 40 "$out/$name.log" >&2
	fi
	grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$out/$name.log" | sed "s/^/fuzz: $name /"
done
exit $status
