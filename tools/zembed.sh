#!/bin/sh
# Prints a C header with file $2 deflated (raw deflate, as gzip -9 makes
# it) as the array $1_z, and its size before that as the macro $1_LEN in
# capitals. lib/ inflates it with zlib, which corral links anyway.
set -eu
name=$1
file=$2
len=$(wc -c < "$file" | tr -d ' ')
echo "#define $(echo "$name" | tr 'a-z' 'A-Z')_LEN $len"
echo "static const unsigned char ${name}_z[] = {"
# gzip's framing: a 10-byte header (no name with -n and stdin), an 8-byte trailer
gzip -9n < "$file" | tail -c +11 | head -c -8 | od -An -v -tx1 |
	sed 's/^ *//; s/ *$//; s/ \+/,0x/g; s/^/0x/; s/$/,/'
echo "};"
