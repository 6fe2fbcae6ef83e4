#!/bin/bash
# debian/ as a Debian maintainer would have it (what `make deb` and `make
# boot-e2e` cannot see without building or booting):
# - debian/tests/control parses with autopkgtest's own parser, and its tests
#   run the live tests as root on a machine of their own;
# - real metadata: no placeholder maintainer, Homepage and Vcs-*;
# - Depends: systemd (the udev rule runs systemd-cat), libinih in Built-Using
#   (linked statically), no lintian override hiding a static binary;
# - no hard-coded /lib unit or rule directory; dh_auto_test runs every
#   cmocka test; postrm purges what kvmtune wrote outside /etc;
# - debhelper's log is not tracked (make deb would dirty the tree).
set -u
cd "$(dirname "$0")/.." || exit 1
fail=0
ok() { echo "PASS: $1"; }
ko() { echo "FAIL: $1"; fail=1; }
check() { if eval "$2"; then ok "$1"; else ko "$1"; fi; }
field() { # field NAME: the source or binary paragraph's field, continuation lines joined
	awk -v f="$1" 'BEGIN { IGNORECASE = 1 }
		/^#/ { next }
		$0 ~ "^" f ":" { on = 1; sub("^[^:]*:[ \t]*", ""); printf "%s ", $0; next }
		on && /^[ \t]/ { printf "%s ", $0; next }
		{ on = 0 }' debian/control
}

# autopkgtest's parser (python3-debian), as autopkgtest reads the tests
tests=$(/usr/bin/python3 - 2>&1 <<'EOF'
import sys
sys.path.insert(0, '/usr/share/autopkgtest/lib')
import testdesc
tests, _ = testdesc.parse_debian_source('.', ['isolation-machine', 'root-on-testbed'], 'amd64', auto_control=False)
for t in tests:
    print(t.name, ' '.join(sorted(t.restrictions)), t.path)
EOF
)
if [ ! -e /usr/share/autopkgtest/lib/testdesc.py ]; then
	ko "autopkgtest is not installed (.ci/install-deps test installs it)"
elif [ ! -e debian/tests/control ]; then
	ko "no debian/tests/control (autopkgtest)"
elif [ -z "$tests" ] || grep -q Traceback <<< "$tests"; then
	ko "debian/tests/control: autopkgtest cannot read it: $tests"
else
	ok "debian/tests/control: autopkgtest reads $(wc -l <<< "$tests") test(s): $(tr '\n' ';' <<< "$tests")"
	while read -r name restr; do
		path=${restr##* }
		check "autopkgtest $name: needs-root, isolation-machine" "[[ ' $restr ' == *' needs-root '* && ' $restr ' == *' isolation-machine '* ]]"
		check "autopkgtest $name: $path is executable" "[ -x '$path' ]"
	done <<< "$tests"
	check "an autopkgtest runs tests/live" "grep -q 'tests/live/' debian/tests/live"
fi

check "Maintainer is not a placeholder ($(field Maintainer))" "! field Maintainer | grep -qiE 'example\\.(org|com|net)|^ *$'"
for f in Homepage Vcs-Git Vcs-Browser; do
	check "$f: $(field $f)" "field $f | grep -q 'https://'"
done
if grep -q 'systemd-cat' udev/81-kvmtune.rules.in; then
	check "the udev rule runs systemd-cat: Depends names systemd" "field Depends | grep -qE '(^|[ ,])systemd([ ,(]|$)'"
fi
check "Built-Using names libinih (linked statically)" "grep -q 'libinih-dev' debian/rules && field Built-Using | grep -q 'kvmtune:Built-Using'"
check "no lintian override hides a static binary" \
	"! grep -hqE 'shared-library-lacks-prerequisites|statically-linked-binary' debian/*lintian-overrides 2> /dev/null"
check "debian/rules hard-codes no /lib unit or udev directory" "! grep -qE '=/lib/|[[:space:]]/lib/(systemd|udev)' debian/rules"
run_line=$(make -n check-unit STATIC=0 2> /dev/null | grep 'tests/run ')
missing=
for t in tests/test_*.c; do [[ " $run_line " == *" ${t%.c} "* ]] || missing="$missing ${t%.c}"; done
check "dh_auto_test runs every cmocka test (make check-unit)${missing:+; not:$missing}" \
	"grep -q 'check-unit' debian/rules && [ -n \"\$run_line\" ] && [ -z \"\$missing\" ]"
for f in /var/lib/prometheus/node-exporter/kvmtune.prom /run/kvmtune /run/modprobe.d/kvmtune.conf; do
	check "postrm purge removes $f" "grep -qsF '${f%/*}' debian/kvmtune.postrm && grep -qsF '${f##*/}' debian/kvmtune.postrm"
done
if git rev-parse --git-dir > /dev/null 2>&1; then
	check "debian/kvmtune.debhelper.log is not tracked" "! git ls-files --error-unmatch debian/kvmtune.debhelper.log > /dev/null 2>&1"
	check "debian/kvmtune.debhelper.log is ignored" "git check-ignore -q debian/kvmtune.debhelper.log"
fi
exit $fail
