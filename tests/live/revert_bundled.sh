#!/bin/bash
# Live revert: apply the bundled conf.d on the real kernel inside a private
# network and mount namespace (tmpfs on /run, so the host's revert record is
# not touched), then `kvmtune revert`: every file the plan names reads back
# exactly as before, and a second revert changes nothing.
set -u
. "$(dirname "$0")/lib.bash"
live_require netns

tmp=$(mktemp -d /tmp/kvmtune-live-XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
cp -r "$repo/conf.d" "$tmp/conf.d"
chmod 0755 "$tmp/conf.d"
chmod 0644 "$tmp/conf.d"/*.conf

unshare -n -m bash -s "$kv" "$tmp" <<'INNER'
set -u
kv=$1 tmp=$2 fail=0
bad() { echo "FAIL: $*"; fail=1; }
mount --make-rprivate / 2>/dev/null
mount -t tmpfs -o mode=0755 tmpfs /run || exit 1
mount -t sysfs sysfs /sys || exit 1
"$kv" --config-dir "$tmp/conf.d" plan --json >"$tmp/plan.json" 2>"$tmp/plan.err"
grep -o '"path":"[^"]*"' "$tmp/plan.json" | sed 's/"path":"//; s/"$//' | sort -u >"$tmp/paths"
[ -s "$tmp/paths" ] || { bad "the plan names no file"; exit 1; }
snapshot() { while read -r p; do printf '%s=' "$p"; { tr '\n' ' ' <"$p"; } 2>/dev/null; echo; done <"$tmp/paths"; }
snapshot >"$tmp/before"
"$kv" --config-dir "$tmp/conf.d" apply >"$tmp/apply.out" 2>&1
echo "apply (exit $?):"; sed 's/^/  /' "$tmp/apply.out"
[ -s /run/kvmtune/revert ] || bad "no revert record after apply"
snapshot >"$tmp/applied"
cmp -s "$tmp/before" "$tmp/applied" && bad "apply changed nothing: the test proves nothing"
"$kv" revert >"$tmp/revert.out" 2>&1 || bad "revert exited $?: $(cat "$tmp/revert.out")"
snapshot >"$tmp/after"
if ! cmp -s "$tmp/before" "$tmp/after"; then
	bad "values differ after revert:"; diff "$tmp/before" "$tmp/after"
fi
[ -e /run/kvmtune/revert ] && bad "the record is still there after revert"
"$kv" revert >"$tmp/revert2.out" 2>&1 || bad "second revert exited $?"
[ -s "$tmp/revert2.out" ] && bad "second revert changed something: $(cat "$tmp/revert2.out")"
snapshot >"$tmp/after2"
cmp -s "$tmp/before" "$tmp/after2" || bad "values differ after the second revert"
echo "$(wc -l <"$tmp/paths") files checked"
exit $fail
INNER
rc=$?
[ $rc = 0 ] && echo "PASS: bundled conf.d applied and reverted, every value back"
exit $rc
