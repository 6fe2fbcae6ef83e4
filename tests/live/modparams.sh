#!/bin/bash
# Live test of [module "NAME"] options on the running kernel: nf_conntrack's
# writable boolean "acct" is written and reads back Y; its read-only
# "expect_hashsize" is left as it is with a notice and verify reports it
# pending; the options land in /run/modprobe.d/kvmtune.conf (a tmpfs /run in a
# private mount namespace here); revert puts acct back.  acct is saved first
# and restored on exit.
set -u
. "$(dirname "$0")/lib.bash"
live_require mountns
P=/sys/module/nf_conntrack/parameters
[ -x "$kv" ] || { echo "FAIL: no kvmtune binary at $kv"; exit 1; }
[ -w $P/acct ] || skip "no writable $P/acct on this kernel"
[ -r $P/expect_hashsize ] || skip "no $P/expect_hashsize on this kernel"

saved=$(cat $P/acct)
tmp=$(mktemp -d /tmp/kvmtune-modparams-XXXXXX) || exit 1
trap 'echo "$saved" >$P/acct 2>/dev/null || echo "WARNING: could not restore $P/acct"; rm -rf "$tmp"' EXIT
echo N >$P/acct || skip "cannot write $P/acct"
eh=$(cat $P/expect_hashsize)
printf '[module "nf_conntrack"]\noptions = acct=1 expect_hashsize=%s\n' $((eh * 2)) >"$tmp/m.conf"

cat >"$tmp/ns.sh" <<EOF
set -u
mount --make-rprivate / && mount -t tmpfs tmpfs /run || exit 10
"$kv" apply --config "$tmp/m.conf" >"$tmp/apply" 2>&1 || { cat "$tmp/apply"; exit 11; }
cat "$tmp/apply"
[ "\$(cat $P/acct)" = Y ] || { echo "acct is \$(cat $P/acct)"; exit 12; }
[ "\$(cat $P/expect_hashsize)" = $eh ] || exit 13
grep -q "expect_hashsize: $eh -> $((eh * 2)) not written: read-only while loaded" "$tmp/apply" || exit 14
grep -qx "options nf_conntrack acct=1 expect_hashsize=$((eh * 2))" /run/modprobe.d/kvmtune.conf || exit 15
"$kv" verify --config "$tmp/m.conf" >"$tmp/verify" 2>&1; rc=\$?
cat "$tmp/verify"
[ \$rc = 1 ] || exit 16
grep -q "^ok    module nf_conntrack acct: Y -> 1" "$tmp/verify" || exit 17
grep -q "^set   module nf_conntrack expect_hashsize" "$tmp/verify" || exit 18
"$kv" apply --config "$tmp/m.conf" >"$tmp/again" 2>&1 || exit 19
grep -q "acct" "$tmp/again" && exit 20
"$kv" revert || exit 21
[ "\$(cat $P/acct)" = N ] || exit 22
exit 0
EOF
unshare -m bash "$tmp/ns.sh"
rc=$?
[ $rc = 0 ] || { echo "FAIL: step $rc"; exit 1; }
echo "PASS: nf_conntrack acct written and reverted, read-only expect_hashsize pending, options in /run/modprobe.d"
