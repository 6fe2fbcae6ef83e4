#!/bin/bash
# Live auto-load rule: net.ipv4.tcp_congestion_control = bbr where bbr is
# already available (built in here): it applies and no module load is even
# attempted.  Runs in a private network namespace (the key is per
# namespace), and the host's value is checked and restored.
set -u
. "$(dirname "$0")/lib.bash"
live_require netns
cc=/proc/sys/net/ipv4/tcp_congestion_control
[ -x "$kv" ] || { echo "FAIL: no kvmtune binary at $kv"; exit 1; }
grep -qw bbr /proc/sys/net/ipv4/tcp_available_congestion_control || skip "bbr is not available on this kernel"

tmp=$(mktemp -d /tmp/kvmtune-live-XXXXXX) || exit 1
host=$(cat $cc)
trap '[ "$(cat $cc)" = "$host" ] || echo "$host" >$cc; rm -rf "$tmp"' EXIT
printf '[sysctl]\nnet.ipv4.tcp_congestion_control = bbr\n' >"$tmp/s.conf"
unshare -n -m bash -s "$kv" "$tmp" <<'INNER'
set -u
kv=$1 tmp=$2 fail=0
bad() { echo "FAIL: $*"; fail=1; }
mount -t tmpfs tmpfs /run || exit 1
cc=/proc/sys/net/ipv4/tcp_congestion_control
echo reno >$cc || { echo "SKIP: cannot set reno in the namespace"; exit 77; }
[ "$(cat $cc)" = reno ] || bad "could not start from reno"
LD_DEBUG=libs "$kv" --config "$tmp/s.conf" apply >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc = 0 ] || bad "apply exited $rc: $(grep kvmtune: "$tmp/err")"
[ "$(cat $cc)" = bbr ] || bad "tcp_congestion_control is $(cat $cc)"
grep -q 'kvmtune:' "$tmp/err" && bad "messages: $(grep kvmtune: "$tmp/err")"
grep -q 'libkmod' "$tmp/err" && bad "libkmod was loaded for an available algorithm"
grep -q "sysctl net.ipv4.tcp_congestion_control: reno -> bbr" "$tmp/out" || bad "no change line: $(cat "$tmp/out")"
grep -q "modules" "$tmp/out" && bad "a module load was planned: $(cat "$tmp/out")"
"$kv" --config "$tmp/s.conf" verify >"$tmp/out" 2>&1 || bad "verify: $(cat "$tmp/out")"
exit $fail
INNER
rc=$?
[ "$(cat $cc)" = "$host" ] || { echo "FAIL: the host's value changed to $(cat $cc)"; rc=1; }
[ $rc = 0 ] && echo "PASS: bbr applied without a module load"
exit $rc
