#!/bin/bash
# Live [netdev]: txqueuelen 5000 on a veth pair inside a private network and
# mount namespace (tmpfs on /run, /sys remounted for the namespace), by glob,
# then by --device as the udev rule runs it.
set -u
. "$(dirname "$0")/lib.bash"
live_require ip netns
[ -x "$kv" ] || { echo "FAIL: no kvmtune binary at $kv"; exit 1; }

tmp=$(mktemp -d /tmp/kvmtune-live-XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
printf '[netdev "kvt*"]\ntxqueuelen = 5000\n' >"$tmp/n.conf"
printf '[netdev "kvtb"]\ntxqueuelen = 777\n' >"$tmp/d.conf"

unshare -n -m bash -s "$kv" "$tmp" <<'INNER'
set -u
kv=$1 tmp=$2 fail=0
bad() { echo "FAIL: $*"; fail=1; }
mount --make-rprivate / 2>/dev/null
mount -t tmpfs tmpfs /run || exit 1
mount -t sysfs sysfs /sys || exit 1
ip link add kvta type veth peer name kvtb || { echo "SKIP: cannot create a veth pair"; exit 77; }
[ "$(cat /sys/class/net/kvta/tx_queue_len)" != 5000 ] || bad "already 5000"
"$kv" --config "$tmp/n.conf" apply >"$tmp/out" 2>&1 || bad "apply: $(cat "$tmp/out")"
for d in kvta kvtb; do
	v=$(cat /sys/class/net/$d/tx_queue_len)
	[ "$v" = 5000 ] || bad "$d tx_queue_len $v"
	ip link show $d | grep -q 'qlen 5000' || bad "ip link: $(ip link show $d)"
done
grep -q "netdev kvta txqueuelen: 1000 -> 5000" "$tmp/out" || bad "no change line: $(cat "$tmp/out")"
"$kv" --config "$tmp/n.conf" verify >"$tmp/out" 2>&1 || bad "verify: $(cat "$tmp/out")"
# the udev path: one device
"$kv" --config "$tmp/d.conf" apply --only=netdev --device=kvtb >"$tmp/out" 2>&1 || bad "--device: $(cat "$tmp/out")"
[ "$(cat /sys/class/net/kvtb/tx_queue_len)" = 777 ] || bad "--device kvtb: $(cat /sys/class/net/kvtb/tx_queue_len)"
"$kv" --config "$tmp/d.conf" apply --only=netdev --device=kvta >"$tmp/out" 2>&1 || bad "--device kvta"
[ "$(cat /sys/class/net/kvta/tx_queue_len)" = 5000 ] || bad "--device kvta changed it"
exit $fail
INNER
rc=$?
[ $rc = 0 ] && echo "PASS: txqueuelen 5000 on a veth pair in a namespace"
exit $rc
