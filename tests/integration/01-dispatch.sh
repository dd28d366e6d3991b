# Dispatch: argv[0] or argv[1] names the applet; --list, --install, --help.
. tests/integration/lib.sh

lists_every_applet() {
	out=$($CORRAL --list | awk '{print $1}' | tr '\n' ' ')
	for a in $(sed -n 's|^/\* \([a-z]*\) - .*|\1|p' applets/*.c); do
		case " $out " in *" $a "*) ;; *) fail "--list lacks $a: $out" ;; esac
	done
}

install_makes_working_symlinks() {
	$CORRAL --install "$T_TMP/bin"
	for a in $($CORRAL --list | awk '{print $1}'); do
		[ -L "$T_TMP/bin/$a" ] || fail "no symlink for $a"
		"$T_TMP/bin/$a" --help | grep -q "usage: corral $a" || fail "$a --help via symlink"
	done
	# Installing again replaces the links.
	$CORRAL --install "$T_TMP/bin"
	if [ "$(id -u)" = 0 ]; then
		expect_eq "run via symlink" "$("$T_TMP/bin/run" -- echo hi)" "hi"
	fi
}

unknown_applet_is_127() {
	set +e
	err=$($CORRAL frobnicate 2>&1)
	rc=$?
	set -e
	expect_eq "exit" "$rc" 127
	expect_eq "message" "$err" "corral: unknown applet 'frobnicate' (try 'corral --list')"
	ln -s "$CORRAL" "$T_TMP/corral-alias"
	expect_eq "top-level help via another name" "$("$T_TMP/corral-alias" --help | head -n 1)" \
		"usage: corral APPLET [ARGS...]"
}

help_and_version() {
	$CORRAL --help | grep -q "^usage: corral APPLET"
	$CORRAL --version | grep -q "^corral "
	for a in $($CORRAL --list | awk '{print $1}'); do
		$CORRAL "$a" --help >/dev/null || fail "$a --help exit $?"
	done
	expect_rc 125 $CORRAL --install 2>/dev/null
}

static_and_stripped() {
	command -v file >/dev/null || { echo "file(1) missing"; return 0; }
	out=$(file -L "$CORRAL")
	case $out in *"statically linked"*stripped*) ;; *) fail "$out" ;; esac
	! readelf -l "$CORRAL" 2>/dev/null | grep -q INTERP || fail "has a program interpreter"
}

# main makes the pages of the small variables ahead (PREFAULT_DATA in
# applets/main.c): from the data segment's first page to the end of .bss.
# The big buffers lie after them, in .lbss (util.h's BIG_BSS).
small_data_fits_the_pages_made_ahead() {
	kib=$(sed -n 's/^#define PREFAULT_DATA (\([0-9]*\) << 10).*/\1/p' applets/main.c)
	[ -n "$kib" ] || fail "no PREFAULT_DATA in applets/main.c"
	rw=$(readelf -lW "$CORRAL" | awk '$1 == "LOAD" && $7 ~ /W/ { print $3; exit }')
	bss=$(readelf -SW "$CORRAL" | sed -n 's/^.*\] \.bss  *NOBITS  *\([0-9a-f]*\) [0-9a-f]* \([0-9a-f]*\) .*/\1 \2/p')
	[ -n "$rw" ] && [ -n "$bss" ] || fail "no data segment or .bss in $(readelf -SW "$CORRAL")"
	set -- $bss
	used=$(( 0x$1 + 0x$2 - ($rw & ~4095) ))
	[ "$used" -le $((kib * 1024)) ] ||
		fail "data and .bss take $used bytes, PREFAULT_DATA is $kib KiB: tag big buffers BIG_BSS or raise it"
	readelf -SW "$CORRAL" | grep -q '\] \.lbss ' || fail "no .lbss: the big buffers are among the small ones"
}

t "--list names every applet" lists_every_applet
t "--install makes symlinks that run their applet" install_makes_working_symlinks
t "an unknown applet: one line, exit 127" unknown_applet_is_127
t "--help and --version, each applet's --help exits 0" help_and_version
t "the binary is static and stripped, with no interpreter" static_and_stripped
t "the small variables fit in the pages made ahead" small_data_fits_the_pages_made_ahead
