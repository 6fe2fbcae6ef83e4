#!/bin/bash
# The rooms of src/ call downwards only: no circle of calls among the source
# files, measured from the objects (a file whose object references a symbol
# that another file's object defines depends on that file), and no file over
# 1,000 lines.  Every cycle (a strongly connected component of more than one
# file) is printed with the symbols on each of its edges.
#
# usage: tests/layering.sh [DIR...]   (default: src src/sections src/import)
# Only the files directly in the DIRs given are checked.
set -u
cd "$(dirname "$0")/.."
dirs=("$@")
[ ${#dirs[@]} -gt 0 ] || dirs=(src src/sections src/import)
command -v nm > /dev/null || { echo "SKIP: nm (binutils) is not installed"; exit 77; }
fail=0

# no file over 1,000 lines
for d in "${dirs[@]}"; do
	for f in "$d"/*.c "$d"/*.h; do
		[ -e "$f" ] || continue
		n=$(wc -l < "$f")
		if [ "$n" -gt 1000 ]; then
			echo "FAIL: $f has $n lines (more than 1,000)"
			fail=1
		fi
	done
done

# The objects: those make built next to the sources when they are newer than
# the source and every header, otherwise compiled here into a scratch dir.
tmp=$(mktemp -d /tmp/kvmtune-layering-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cflags="-std=gnu11 -D_GNU_SOURCE -O2 $(pkg-config --cflags libkmod mount inih 2> /dev/null)"
headers=$(ls src/*.h src/*/*.h 2> /dev/null)
files=()
for d in "${dirs[@]}"; do
	for c in "$d"/*.c; do
		[ -e "$c" ] || continue
		o=${c%.c}.o
		fresh=1
		[ -e "$o" ] || fresh=0
		if [ $fresh = 1 ]; then
			for h in "$c" $headers; do
				[ "$h" -nt "$o" ] && { fresh=0; break; }
			done
		fi
		if [ $fresh = 0 ]; then
			o=$tmp/$(echo "${c%.c}" | tr / _).o
			# shellcheck disable=SC2086
			if ! ${CC:-cc} $cflags -c -o "$o" "$c" 2> "$tmp/cc.err"; then
				if ! command -v "${CC:-cc}" > /dev/null; then
					echo "SKIP: no C compiler to build $c"
					exit 77
				fi
				echo "FAIL: cannot compile $c:"
				sed 's/^/    /' "$tmp/cc.err"
				exit 1
			fi
		fi
		files+=("$c")
		# FILE <TAB> D|U <TAB> SYMBOL
		nm "$o" | awk -v f="$c" '
			$1 == "U" { print f "\tU\t" $2; next }
			NF == 3 && $2 ~ /^[A-TV-Z]$/ { print f "\tD\t" $3 }' >> "$tmp/syms" ||
			{ echo "FAIL: nm $o"; exit 1; }
	done
done
[ ${#files[@]} -gt 0 ] || { echo "FAIL: no source files in ${dirs[*]}"; exit 1; }

# The graph and its strongly connected components (reachability both ways).
awk -F"\t" -v nfiles=${#files[@]} '
	$2 == "D" { def[$3] = $1; next }
	{ use[++nu] = $1; usym[nu] = $3 }
	END {
		for (i = 1; i <= nu; i++) {
			a = use[i]; s = usym[i]
			if (!(s in def) || def[s] == a) continue
			b = def[s]
			if (!((a, b) in edge)) { edge[a, b] = s; nodes[a]; nodes[b] }
			else if (index(" " edge[a, b] " ", " " s " ") == 0) edge[a, b] = edge[a, b] " " s
		}
		n = 0
		for (x in nodes) name[++n] = x
		for (i = 1; i <= n; i++) for (j = 1; j <= n; j++)
			if ((name[i], name[j]) in edge) reach[i, j] = 1
		for (m = 1; m <= n; m++) for (i = 1; i <= n; i++) if ((i, m) in reach)
			for (j = 1; j <= n; j++) if ((m, j) in reach) reach[i, j] = 1
		cycles = 0
		for (i = 1; i <= n; i++) {
			if (i in done || !((i, i) in reach)) continue
			members = ""; cnt = 0
			for (j = 1; j <= n; j++) if ((i, j) in reach && (j, i) in reach) {
				done[j]; comp[++cnt] = j; members = members " " name[j]
			}
			if (cnt < 2) continue
			cycles++
			print "FAIL: cycle of " cnt " files:" members
			for (p = 1; p <= cnt; p++) for (q = 1; q <= cnt; q++) {
				a = name[comp[p]]; b = name[comp[q]]
				if ((a, b) in edge) print "    " a " -> " b ": " edge[a, b]
			}
		}
		printf "%d files, %d cycles\n", nfiles, cycles
		exit cycles > 0
	}' "$tmp/syms" || fail=1
[ $fail = 0 ] && echo "PASS: no cycle among the files of ${dirs[*]}, none over 1,000 lines"
exit $fail
