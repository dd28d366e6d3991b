#!/bin/sh
# Generates the applet table from the comment block that opens each
# applets/*.c file: "/* NAME - SUMMARY" on the first line, then the help
# text, closed by " */". Output lines: APPLET(name, "summary", OFFSET),
# then (for applets/main.c, which defines APPLET_HELP_BLOB) the help texts
# one after the other, each ending in a NUL, deflated (tools/zembed.sh):
# OFFSET is where an applet's text starts in them.
set -eu
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for f in "$@"; do
	off=$(wc -c < "$tmp" | tr -d ' ')
	line=$(LC_ALL=C awk -v raw="$tmp" -v off="$off" '
	FNR == 1 {
		on = 0
		if ($0 !~ /^\/\* [a-z][a-z0-9_]* - /) next
		name = $2; sum = $0; sub(/^\/\* [a-z0-9_]* - /, "", sum)
		help = ""; on = 1; next
	}
	on && /^ \*\// {
		gsub(/\\/, "\\\\", sum); gsub(/"/, "\\\"", sum)
		printf "APPLET(%s, \"%s\", %d)\n", name, sum, off
		printf "%s", help >> raw
		on = 0; next
	}
	on {
		line = $0; sub(/^ \* ?/, "", line); sub(/^ \*$/, "", line)
		help = help line "\n"
	}' "$f")
	if [ -n "$line" ]; then
		echo "$line"
		printf '\0' >> "$tmp"
	fi
done
echo "#ifdef APPLET_HELP_BLOB"
sh "$(dirname "$0")/zembed.sh" applet_help "$tmp"
echo "#endif"
