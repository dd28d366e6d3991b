#!/bin/sh
# The JSON writer's output is read back by jq and Python, what they write
# is read back by our parser with the same values, and our parser accepts
# exactly what a strict Python does.
. "$(dirname "$0")/lib.sh"
TJ=${TEST_JSON:-$(cd "$(dirname "$0")/../.." && pwd)/build/test/test_json}

if [ ! -x "$TJ" ]; then
	skip json-interop "$TJ not built (make build/test/test_json)"
	exit 0
fi
"$TJ" write "$T_TMP/doc.json" || { echo "not ok - json-write"; exit 0; }

if ! command -v jq >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	apt-get install -y jq >/dev/null 2>&1 || true
fi

jq_reads() {
	jq . "$T_TMP/doc.json" > "$T_TMP/jq.json"
	jq -c . "$T_TMP/doc.json" > "$T_TMP/jq-c.json"
	expect_eq quote "$(jq -r .quote "$T_TMP/doc.json")" 'say "hi"'
	expect_eq backslash "$(jq -r .backslash "$T_TMP/doc.json")" 'C:\dir\'
	expect_eq unicode "$(jq -r .unicode "$T_TMP/doc.json")" "$(printf 'caf\303\251 \342\202\254 \360\237\230\200 \360\235\204\236')"
	expect_eq controls "$(jq -c .controls "$T_TMP/doc.json")" '"\u0001\u0002\b\f\n\r\t\u001f end"'
	expect_eq ints "$(jq -c .ints "$T_TMP/doc.json")" '[0,-1,1,9007199254740991,-9007199254740991]'
	expect_eq flags "$(jq -c .flags "$T_TMP/doc.json")" '{"yes":true,"no":false,"none":null,"empty_obj":{},"empty_arr":[]}'
	expect_eq nested "$(jq -r '.nested | flatten[0]' "$T_TMP/doc.json")" deep
	expect_eq keys "$(jq 'keys | length' "$T_TMP/doc.json")" 12
	# jq keeps numbers as doubles: integers past 2^53 are skipped (lossy).
	"$TJ" check "$T_TMP/jq.json" lossy
	"$TJ" check "$T_TMP/jq-c.json" lossy
	# and our parser rejects what jq itself rejects
	printf '[1,]' > "$T_TMP/bad.json"
	if jq . "$T_TMP/bad.json" >/dev/null 2>&1; then fail "jq accepted [1,]"; fi
	expect_rc 1 "$TJ" check "$T_TMP/bad.json"
}

python_reads() {
	python3 - "$T_TMP" <<'PY'
import json, sys
d = sys.argv[1]
with open(d + "/doc.json", encoding="utf-8") as f:
    v = json.load(f)
want = {
    "quote": 'say "hi"', "backslash": "C:\\dir\\",
    "controls": "\x01\x02\b\f\n\r\t\x1f end",
    "unicode": "caf\u00e9 \u20ac \U0001F600 \U0001D11E",
    "slash": "</script>", "del": "\x7f", "empty": "",
    "key \"with\" \u2713\n": "value",
    "ints": [0, -1, 1, 9007199254740991, -9007199254740991],
    "big": [-9223372036854775808, 9223372036854775807, 18446744073709551615],
    "flags": {"yes": True, "no": False, "none": None, "empty_obj": {}, "empty_arr": []},
}
nested = "deep"
for _ in range(20):
    nested = [nested]
want["nested"] = nested
if v != want:
    for k in set(v) | set(want):
        if v.get(k) != want.get(k):
            print("# mismatch %r: got %r want %r" % (k, v.get(k), want.get(k)))
    sys.exit(1)
# Python's writer: \u escapes with surrogate pairs, and raw UTF-8.
with open(d + "/py-ascii.json", "w") as f:
    json.dump(v, f, ensure_ascii=True)
with open(d + "/py-utf8.json", "w", encoding="utf-8") as f:
    json.dump(v, f, ensure_ascii=False, indent="\t")
PY
	grep -q '\\ud83d\\ude00' "$T_TMP/py-ascii.json" || fail "python wrote no surrogate pair"
	"$TJ" check "$T_TMP/py-ascii.json"
	"$TJ" check "$T_TMP/py-utf8.json"
}

# Our verdict (accept/reject) on 600 mutated documents matches Python's
# json module made strict: UTF-8 only, no NaN/Infinity, no lone surrogates.
python_agrees() {
	python3 - "$TJ" "$T_TMP" <<'PY'
import json, random, subprocess, sys
tj, d = sys.argv[1], sys.argv[2]
def strict(data):
    def no_const(x): raise ValueError(x)
    def walk(x):
        if isinstance(x, str): x.encode("utf-8")
        elif isinstance(x, list): [walk(y) for y in x]
        elif isinstance(x, dict): [walk(k) or walk(y) for k, y in x.items()]
    try:
        walk(json.loads(data.decode("utf-8"), parse_constant=no_const))
    except (ValueError, UnicodeError):
        return False
    return True
seeds = [b'{"a": [1, -2.5e3, true, false, null], "b": {"c": "d\\u00e9\\n"}}',
         b'["\\ud83d\\ude00", "caf\xc3\xa9", 0, -0, 1E+2, "\\"\\\\\\/"]',
         b'  {"": {"": [[], {}]}, "x": 12345678901234567890}  ']
alphabet = list(b'{}[]:,"\\/ \t\n-+.0123456789eEtrufalsn\x00\x1f\x7f\xc3\xa9\xed\xa0\xff') + [b"\\u", b"\\uD83D", b"\\uDE00"]
random.seed(8259)
bad = 0
for i in range(600):
    doc = bytearray(random.choice(seeds))
    for _ in range(random.randint(0, 3)):
        pos = random.randrange(len(doc) + 1)
        op = random.randrange(3)
        ins = random.choice(alphabet)
        ins = bytes([ins]) if isinstance(ins, int) else ins
        if op == 0: doc[pos:pos] = ins
        elif op == 1: del doc[pos:pos + 1]
        else: doc[pos:pos + 1] = ins
    path = "%s/m%d.json" % (d, i)
    open(path, "wb").write(doc)
    ours = subprocess.run([tj, "parse", path], capture_output=True, text=True)
    if (ours.returncode == 0) != strict(bytes(doc)):
        bad += 1
        print("%r: ours %s, python %s %s" % (bytes(doc), ours.returncode == 0,
              strict(bytes(doc)), ours.stdout.strip()))
sys.exit(1 if bad else 0)
PY
}

if command -v jq >/dev/null 2>&1; then
	t json-read-by-jq jq_reads
else
	skip json-read-by-jq "jq not installed and apt-get install jq failed"
fi
if command -v python3 >/dev/null 2>&1; then
	t json-read-by-python python_reads
	t json-verdicts-match-python python_agrees
else
	skip json-read-by-python "python3 not installed"
fi
