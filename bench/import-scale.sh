#!/bin/bash
# `kvmtune import` on large rc.local files: each shape of
# tests/import-shapes.bash at LINES lines (default 40,000) and at 16 MB (the
# largest file import reads), timed with hyperfine as a whole
# process (3 runs after a warm-up).  OLD=/path/to/an/older/kvmtune pairs it against that build
# at LINES lines (16 MB files take the old quadratic build minutes).
#
#   bench/import-scale.sh                       # ./kvmtune, every shape
#   BENCH_SHAPES="same forlit" OLD=/tmp/old/kvmtune bench/import-scale.sh
set -u
cd "$(dirname "$0")/.." || exit 1
kv=${KVMTUNE:-$PWD/kvmtune}
lines=${LINES:-40000}
# shellcheck source=tests/import-shapes.bash
. tests/import-shapes.bash
SHAPES=${BENCH_SHAPES:-$SHAPES}
tmp=$(mktemp -d /tmp/kvmtune-import-scale-XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
shape_root "$tmp/root"

# time A [--vs B]: kvmtune import of a file
time_it() {
	hyperfine -N -w 1 -r 3 "$kv --root $tmp/root import $1" ${2:+"$2 --root $tmp/root import $1"}
}

for s in $SHAPES; do
	shape "$s" "$lines" >"$tmp/$s"
	echo "== $s: $lines lines, $(stat -c %s "$tmp/$s") bytes"
	time_it "$tmp/$s" "${OLD:-}"
	# nearly 16 MB (import refuses a larger file whole; later lines are longer)
	per=$(($(stat -c %s "$tmp/$s") / lines + 1))
	shape "$s" $(((16 << 20) * 95 / 100 / per)) >"$tmp/$s.16M"
	echo "== $s: 16 MB, $(wc -l <"$tmp/$s.16M") lines, $(stat -c %s "$tmp/$s.16M") bytes"
	time_it "$tmp/$s.16M"
	rm -f "$tmp/$s.16M"
done
