#!/bin/bash
# `kvmtune import` does work linear in the number of lines of an rc.local:
# each shape below is imported at N and 4N lines under cachegrind, which
# counts the instructions executed (a count, not a time: the same on a
# loaded machine), and 4N lines must cost less than 5 times N lines
# (linear is 4, quadratic 16).  Shapes: one sysctl written again and again
# (each write a "conflict" note on one setting), distinct sysctls, for
# loops over literal disks (one [block] section each), for loops over a
# sysctl glob, guarded writes, if-guarded writes, modprobe lines, and echo |
# tee to the governor of every CPU.  Timings are in bench/README.md.
set -u
kv=${KVMTUNE:-$(dirname "$0")/../kvmtune}
[ -x "$kv" ] || { echo "FAIL: no kvmtune binary at $kv"; exit 1; }
command -v valgrind >/dev/null || { echo "SKIP: valgrind is not installed (it counts the instructions)"; exit 77; }
if grep -qa __asan_init "$kv"; then
	echo "SKIP: $kv is built with AddressSanitizer, which valgrind cannot run"
	exit 77
fi
tmp=$(mktemp -d /tmp/kvmtune-linear-XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=tests/import-shapes.bash
. "$(dirname "$0")/import-shapes.bash"
shape_root "$tmp/root"

# instructions executed by one import of FILE
irefs() {
	valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null "$kv" --root "$tmp/root" import "$1" \
		2>&1 >/dev/null | sed -n 's/.*I *refs: *//p' | tr -d ,
}

n=2000
rc=0
for s in $SHAPES; do
	shape "$s" $n >"$tmp/$s.1"
	shape "$s" $((4 * n)) >"$tmp/$s.4"
	a=$(irefs "$tmp/$s.1") b=$(irefs "$tmp/$s.4")
	if [ -z "$a" ] || [ -z "$b" ]; then
		echo "FAIL: $s: no instruction count from cachegrind"
		rc=1
		continue
	fi
	ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", b / a }')
	if awk -v r="$ratio" 'BEGIN { exit !(r < 5) }'; then
		echo "ok: $s: $n lines $a instructions, $((4 * n)) lines $b: x$ratio"
	else
		echo "FAIL: $s: $n lines $a instructions, $((4 * n)) lines $b: x$ratio for 4 times the lines (linear is 4)"
		rc=1
	fi
done
exit $rc
