#!/bin/bash
# Lint what ships and what CI runs: shellcheck (every severity, style
# included) on the bash completion, the dracut module, .ci/, the Debian
# maintainer scripts and autopkgtest's scripts; mandoc -Tlint (style
# included) on the man pages.  Debian's shellcheck and mandoc
# (.ci/install-deps test).
# Controls: a script and a page with a known finding each must be flagged,
# so a linter that checks nothing cannot pass.
set -u
cd "$(dirname "$0")/.."
skip() { echo "SKIP: $*"; exit 77; }
if ! command -v shellcheck >/dev/null || ! command -v mandoc >/dev/null; then
	[ "$(id -u)" = 0 ] || skip "shellcheck or mandoc is not installed (and not root to install them)"
	.ci/install-deps test >/dev/null || skip "cannot install shellcheck and mandoc"
fi
tmp=$(mktemp -d /tmp/kvmtune-lint-XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "PASS: $1"; }
bad() { echo "FAIL: $1"; fail=1; }

# the controls
printf '#!/bin/bash\nf() { local a= b; a=($(ls)); echo "$a" "$b"; }\nf\n' > "$tmp/bad.sh"
shellcheck "$tmp/bad.sh" > /dev/null && bad "control: shellcheck passed a script with SC1007 and SC2207" \
	|| ok "control: shellcheck flags SC1007 and SC2207"
printf '.TH X 8\n.SH NAME\nx \\- a line that is longer than eighty bytes, which mandoc calls a style finding\n' > "$tmp/bad.8"
[ -n "$(mandoc -Tlint -W style "$tmp/bad.8" 2>&1)" ] && ok "control: mandoc -Tlint flags a long line" \
	|| bad "control: mandoc -Tlint passed a page with a long input line"

scripts=(completion/kvmtune.bash dracut/90kvmtune/*.sh .ci/run .ci/install-deps)
for f in debian/*.preinst debian/*.postinst debian/*.prerm debian/*.postrm debian/preinst debian/postinst \
	debian/prerm debian/postrm; do
	[ -f "$f" ] && scripts+=("$f")
done
for f in debian/tests/*; do                     # autopkgtest's scripts
	[ -f "$f" ] && [ -x "$f" ] && head -1 "$f" | grep -q '^#!.*sh' && scripts+=("$f")
done
for f in "${scripts[@]}"; do
	shell=()
	case $f in completion/*) shell=(-s bash) ;; esac  # sourced by bash, no #! line
	if shellcheck "${shell[@]}" --severity=style "$f" > "$tmp/out" 2>&1; then ok "shellcheck $f"
	else bad "shellcheck $f:"; sed 's/^/    /' "$tmp/out"; fi
done

for f in man/*.5 man/*.8; do
	mandoc -Tlint -W style "$f" > "$tmp/out" 2>&1
	rc=$?
	if [ $rc = 0 ] && [ ! -s "$tmp/out" ]; then ok "mandoc -Tlint $f"
	else bad "mandoc -Tlint $f (exit $rc):"; sed 's/^/    /' "$tmp/out"; fi
done
exit $fail
