#!/bin/sh
# Prints JSON file $1 without the whitespace between tokens (strings are
# kept as they are), for embedding in the binary.
exec awk '
{
	n = length($0)
	for (i = 1; i <= n; i++) {
		c = substr($0, i, 1)
		if (instr) {
			out = out c
			if (esc) esc = 0
			else if (c == "\\") esc = 1
			else if (c == "\"") instr = 0
		} else if (c == "\"") {
			instr = 1; out = out c
		} else if (c != " " && c != "\t" && c != "\r") {
			out = out c
		}
	}
}
END { printf "%s\n", out }' "$1"
