#!/bin/sh
# Generates the applet table from the comment block that opens each
# applets/*.c file: "/* NAME - SUMMARY" on the first line, then the help
# text, closed by " */". Output lines: APPLET(name, "summary", "help").
set -eu
for f in "$@"; do
	awk '
	FNR == 1 {
		on = 0
		if ($0 !~ /^\/\* [a-z][a-z0-9_]* - /) next
		name = $2; sum = $0; sub(/^\/\* [a-z0-9_]* - /, "", sum)
		help = ""; on = 1; next
	}
	on && /^ \*\// {
		gsub(/\\/, "\\\\", sum); gsub(/"/, "\\\"", sum)
		printf "APPLET(%s, \"%s\", \"%s\")\n", name, sum, help
		on = 0; next
	}
	on {
		line = $0; sub(/^ \* ?/, "", line); sub(/^ \*$/, "", line)
		gsub(/\\/, "\\\\", line); gsub(/"/, "\\\"", line)
		help = help line "\\n"
	}' "$f"
done
