#!/usr/bin/env bash
# The Windows release binary under wine against the Linux one, on the sample bundle (make
# release-check; needs dist/kudulens-linux-amd64, dist/kudulens-windows-amd64.exe and wine).
#
# Both must reach the same diagnosis. What may differ, and only that:
#   - "file" in the JSON evidence names the input as the user gave it, so an absolute path is
#     C:\...\sample-bundle.zip on Windows and /.../sample-bundle.zip on Linux, and files read from
#     a folder use the system's separator (C:\...\sample\applogs\...). Entries inside a zip keep
#     their "/" on both. The comparison maps the input prefix to one name and, for files on
#     disk, "\" to "/"; everything else (checks, counts, times, lines, text) must be byte-equal.
# The text report is compared byte for byte too: it ends lines with LF on Windows as well (the
# README's "Releases" says why), so it must contain no CR.
set -uo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
LINUX=$ROOT/dist/kudulens-linux-amd64
WINDOWS=$ROOT/dist/kudulens-windows-amd64.exe
SAMPLE=$ROOT/fixtures/sample-bundle.zip
SAMPLE_DIR=$ROOT/fixtures/sample
for f in "$LINUX" "$WINDOWS" "$SAMPLE"; do
	[ -e "$f" ] || { echo "release-check: $f is missing (make release-check builds it)" >&2; exit 2; }
done
command -v wine >/dev/null || { echo "release-check: wine is not installed" >&2; exit 2; }

# A prefix of our own, kept in .cache between runs (creating one takes a while).
export WINEPREFIX=$ROOT/.cache/wine WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
if [ ! -d "$WINEPREFIX/drive_c/windows/system32" ]; then
	echo "release-check: creating the wine prefix $WINEPREFIX"
	wineboot -i >/dev/null 2>&1
	wineserver -w
fi
SYS32=$WINEPREFIX/drive_c/windows/system32
# Go's runtime (1.26 here) gets random numbers from ProcessPrng in bcryptprimitives.dll, which
# every Windows 10 and later has but wine before 9.x does not (Debian 12 ships wine 8.0): the
# runtime stops with "bcryptprimitives.dll not found". For the test only, the prefix gets a
# one-function DLL that answers ProcessPrng with BCryptGenRandom (scripts/wine/
# bcryptprimitives.c). It is not shipped; a wine that has the DLL keeps its own.
# (The output is taken first: under pipefail, wine's failing exit would hide grep's match.)
probe=$(wine "$WINDOWS" version 2>&1)
if grep -q 'bcryptprimitives.dll not found' <<<"$probe"; then
	echo "release-check: this wine lacks bcryptprimitives.dll: installing the test's stand-in"
	x86_64-w64-mingw32-gcc -O2 -shared -o "$SYS32/bcryptprimitives.dll" \
		scripts/wine/bcryptprimitives.c scripts/wine/bcryptprimitives.def -lbcrypt ||
		{ echo "release-check: could not build the bcryptprimitives.dll stand-in" >&2; exit 2; }
fi

# The inputs on drive C: of the prefix, so Windows sees C:\kudulens-check\...
CHECK=$WINEPREFIX/drive_c/kudulens-check
rm -rf "$CHECK" && mkdir -p "$CHECK"
cp "$SAMPLE" "$CHECK/" && cp -r "$SAMPLE_DIR" "$CHECK/sample"
OUT=$ROOT/.cache/release-check
rm -rf "$OUT" && mkdir -p "$OUT"

passed=0 failed=0
pass() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }

# run NAME DIR CMD...: runs CMD in DIR, stdout to $OUT/NAME.out, exit code to $OUT/NAME.code.
run() {
	local name=$1 dir=$2
	shift 2
	(cd "$dir" && "$@" >"$OUT/$name.out" 2>"$OUT/$name.err")
	echo $? >"$OUT/$name.code"
}

# same NAME A B: A's and B's output and exit code are equal.
same() {
	if ! cmp -s "$OUT/$2.code" "$OUT/$3.code"; then
		fail "$1: exit codes differ: linux $(cat "$OUT/$2.code"), windows $(cat "$OUT/$3.code")"
	elif ! cmp -s "$OUT/$2.out" "$OUT/$3.out"; then
		fail "$1: reports differ (diff $OUT/$2.out $OUT/$3.out)"
		diff "$OUT/$2.out" "$OUT/$3.out" | head -20
	elif [ ! -s "$OUT/$2.out" ]; then
		fail "$1: empty report ($(head -c 300 "$OUT/$2.err" 2>/dev/null))"
	else
		pass "$1 (exit $(cat "$OUT/$2.code"), $(wc -c <"$OUT/$2.out") bytes)"
	fi
}

# normalize IN OUT PREFIX: PREFIX in "file" values becomes INPUT/, and "\" (JSON: "\\") in them
# becomes "/".
normalize() {
	jq --arg p "$3" 'walk(if type == "object" and has("file") and (.file | type) == "string"
		then .file |= (if startswith($p) then "INPUT/" + .[($p | length):] else . end | gsub("\\\\"; "/"))
		else . end)' "$1" >"$2"
}

# 1. The zip by a relative name: nothing may differ at all.
run lin-zip "$CHECK" "$LINUX" diagnose --format json sample-bundle.zip
run win-zip "$CHECK" wine "$WINDOWS" diagnose --format json sample-bundle.zip
same "JSON, zip by relative name" lin-zip win-zip
if [ "$(jq '.checks | length > 0' "$OUT/win-zip.out" 2>/dev/null)" = true ]; then
	pass "JSON from Windows parses, $(jq '[.checks[] | select(.status == "fail")] | length' "$OUT/win-zip.out") failed checks of $(jq '.checks | length' "$OUT/win-zip.out")"
else
	fail "JSON from Windows does not parse or has no checks"
fi

# 2. The zip by a drive-letter path with backslashes.
run lin-zip-abs "$ROOT" "$LINUX" diagnose --format json "$CHECK/sample-bundle.zip"
run win-zip-abs "$ROOT" wine "$WINDOWS" diagnose --format json 'C:\kudulens-check\sample-bundle.zip'
if grep -q '"file": "C:\\\\kudulens-check\\\\sample-bundle.zip!' "$OUT/win-zip-abs.out"; then
	pass "Windows evidence names the input as given: C:\\kudulens-check\\sample-bundle.zip!<entry>"
else
	fail "Windows evidence does not name C:\\kudulens-check\\sample-bundle.zip"
fi
normalize "$OUT/lin-zip-abs.out" "$OUT/lin-zip-abs-n.out" "$CHECK/"
normalize "$OUT/win-zip-abs.out" "$OUT/win-zip-abs-n.out" 'C:\kudulens-check\'
cp "$OUT/lin-zip-abs.code" "$OUT/lin-zip-abs-n.code" && cp "$OUT/win-zip-abs.code" "$OUT/win-zip-abs-n.code"
same "JSON, zip by C:\\ path (input prefix mapped)" lin-zip-abs-n win-zip-abs-n

# 3. The bundle as a folder (backslash paths for every file on disk).
run lin-dir "$ROOT" "$LINUX" diagnose --format json "$CHECK/sample"
run win-dir "$ROOT" wine "$WINDOWS" diagnose --format json 'C:\kudulens-check\sample'
if grep -q '"file": "C:\\\\kudulens-check\\\\sample\\\\applogs\\\\' "$OUT/win-dir.out"; then
	pass "Windows evidence from a folder uses backslashes: C:\\kudulens-check\\sample\\applogs\\..."
else
	fail "Windows evidence from a folder does not use C:\\kudulens-check\\sample\\ paths"
fi
normalize "$OUT/lin-dir.out" "$OUT/lin-dir-n.out" "$CHECK/sample/"
normalize "$OUT/win-dir.out" "$OUT/win-dir-n.out" 'C:\kudulens-check\sample\'
cp "$OUT/lin-dir.code" "$OUT/lin-dir-n.code" && cp "$OUT/win-dir.code" "$OUT/win-dir-n.code"
same "JSON, folder by C:\\ path (input prefix and separators mapped)" lin-dir-n win-dir-n

# 4. The text report: byte-equal, LF line ends on both.
run lin-text "$CHECK" "$LINUX" diagnose sample-bundle.zip
run win-text "$CHECK" wine "$WINDOWS" diagnose sample-bundle.zip
same "text report, zip by relative name" lin-text win-text
if grep -q $'\r' "$OUT/win-text.out"; then
	fail "text report from Windows contains CR"
else
	pass "text report from Windows ends lines with LF only ($(wc -l <"$OUT/win-text.out") lines)"
fi

# 5. --out with a Windows path writes the same bytes as standard output.
run win-out "$ROOT" wine "$WINDOWS" diagnose --format json --out 'C:\kudulens-check\report.json' 'C:\kudulens-check\sample-bundle.zip'
if cmp -s "$CHECK/report.json" "$OUT/win-zip-abs.out"; then
	pass "--out C:\\kudulens-check\\report.json equals the report on standard output"
else
	fail "--out C:\\kudulens-check\\report.json differs from standard output (or is missing)"
fi

# 6. Both carry the same version, with the commit.
lv=$("$LINUX" version) wv=$(wine "$WINDOWS" version)
if [ "$lv" = "$wv" ] && [ "$lv" != "kudulens dev" ]; then
	pass "version: $lv"
else
	fail "versions: linux '$lv', windows '$wv'"
fi

# 7. The linux-arm64 binary, when built and qemu-user is installed (Debian qemu-user-static):
# the same JSON as linux-amd64. It links glibc dynamically, so it runs on the cross glibc.
ARM=$ROOT/dist/kudulens-linux-arm64
if [ -x "$ARM" ] && command -v qemu-aarch64-static >/dev/null && [ -d /usr/aarch64-linux-gnu/lib ]; then
	run arm-zip "$CHECK" qemu-aarch64-static -L /usr/aarch64-linux-gnu "$ARM" diagnose --format json sample-bundle.zip
	same "linux-arm64 under qemu: JSON equals linux-amd64's" lin-zip arm-zip
else
	echo "skip linux-arm64 under qemu (needs dist/kudulens-linux-arm64, qemu-user-static, the arm64 cross glibc)"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
