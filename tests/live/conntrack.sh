#!/bin/bash
# Live [conntrack]: max and hashsize = auto on the running kernel (both are
# global), restored afterwards.  The apply runs in a private mount namespace
# with a tmpfs on /run.
set -u
. "$(dirname "$0")/lib.bash"
live_require mountns
hs=/sys/module/nf_conntrack/parameters/hashsize
mx=/proc/sys/net/netfilter/nf_conntrack_max
[ -x "$kv" ] || { echo "FAIL: no kvmtune binary at $kv"; exit 1; }
[ -w $hs ] && [ -w $mx ] || skip "nf_conntrack is not loaded, or its hashsize is read-only"

tmp=$(mktemp -d /tmp/kvmtune-live-XXXXXX) || exit 1
old_hs=$(cat $hs) old_mx=$(cat $mx)
trap 'echo "$old_hs" >$hs; echo "$old_mx" >$mx; rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
run() { unshare -m sh -c 'mount -t tmpfs tmpfs /run && exec "$@"' sh "$kv" --config "$tmp/c.conf" "$@"; }

want_mx=$((old_mx == 300000 ? 320000 : 300000))
# the kernel rounds the bucket count up to whole pages of bucket heads
per_page=$(( $(getconf PAGESIZE) / 8 ))
want_hs=$(( (want_mx / 4 + per_page - 1) / per_page * per_page ))
printf '[conntrack]\nmax = %s\nhashsize = auto\n' $want_mx >"$tmp/c.conf"
run apply >"$tmp/out" 2>&1 || bad "apply: $(cat "$tmp/out")"
[ "$(cat $mx)" = $want_mx ] || bad "nf_conntrack_max $(cat $mx), expected $want_mx"
[ "$(cat $hs)" = $want_hs ] || bad "hashsize $(cat $hs), expected $want_hs"
grep -q "conntrack hashsize: $old_hs -> $((want_mx / 4))" "$tmp/out" || bad "no change line: $(cat "$tmp/out")"
run verify >"$tmp/out" 2>&1 || bad "verify: $(cat "$tmp/out")"
run apply >"$tmp/out" 2>&1
[ -s "$tmp/out" ] && bad "second apply: $(cat "$tmp/out")"
[ $fail = 0 ] && echo "PASS: conntrack max $want_mx hashsize $want_hs, restored to $old_mx/$old_hs"
exit $fail
