#!/bin/bash
# Live [modules] on a kernel without module support (no /proc/modules):
# load = tcp_htcp gives exactly one clear error line and exit 1, while every
# other setting is still applied.  Runs in a private network and mount
# namespace (tmpfs on /run); the sysctls touched are per namespace.
set -u
. "$(dirname "$0")/lib.bash"
live_require netns
[ -x "$kv" ] || { echo "FAIL: no kvmtune binary at $kv"; exit 1; }
[ -e /proc/modules ] && skip "this kernel supports modules (the test is for one that does not)"
[ -d /sys/module/tcp_htcp ] && skip "tcp_htcp is built in"

tmp=$(mktemp -d /tmp/kvmtune-live-XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/m.conf" <<'CONF'
[modules]
load = tcp_htcp
[sysctl]
net.ipv4.tcp_fin_timeout = 31
net.core.somaxconn = 1234
CONF
unshare -n -m bash -s "$kv" "$tmp" <<'INNER'
set -u
kv=$1 tmp=$2 fail=0
bad() { echo "FAIL: $*"; fail=1; }
mount -t tmpfs tmpfs /run || exit 1
"$kv" --config "$tmp/m.conf" apply >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc = 1 ] || bad "exit $rc, expected 1"
n=$(wc -l <"$tmp/err")
[ "$n" = 1 ] || bad "$n lines on stderr, expected one: $(cat "$tmp/err")"
grep -q "^kvmtune: $tmp/m.conf:2: modules tcp_htcp: cannot load: this kernel has no module support" "$tmp/err" ||
	bad "message: $(cat "$tmp/err")"
[ "$(cat /proc/sys/net/ipv4/tcp_fin_timeout)" = 31 ] || bad "tcp_fin_timeout not applied"
[ "$(cat /proc/sys/net/core/somaxconn)" = 1234 ] || bad "somaxconn not applied"
cat "$tmp/err"
exit $fail
INNER
rc=$?
[ $rc = 0 ] && echo "PASS: one error line for tcp_htcp, the rest applied"
exit $rc
