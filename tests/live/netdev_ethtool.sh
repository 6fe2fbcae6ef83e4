#!/bin/bash
# Live [netdev] ethtool keys on a veth pair with four queues each, inside a
# private network and mount namespace: channels and offload features
# applied through the ethtool ioctl, checked with ethtool(8) itself,
# verified, and reverted to exactly what `ethtool -k/-l` showed before.  A
# fixed feature (large-receive-offload on a veth), a channel count above
# the maximum and a driver without ring settings each fail their own
# setting, naming the device, while everything else is applied; then the
# udev rule's run (--device) for one interface.
set -u
. "$(dirname "$0")/lib.bash"
live_require ip netns
command -v ethtool >/dev/null || skip "ethtool(8) is not installed (.ci/install-deps test installs it)"
[ -x "$kv" ] || { echo "FAIL: no kvmtune binary at $kv"; exit 1; }

tmp=$(mktemp -d /tmp/kvmtune-live-XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/ok.conf" <<'EOF'
[netdev "kvt*"]
channels.rx = 2
channels.tx = max
features.gro = on
features.tso = off
features.tx-checksumming = off
EOF
cat "$tmp/ok.conf" - >"$tmp/bad.conf" <<'EOF'
[netdev "kvta"]
features.lro = on
channels.tx = 9
ring.rx = 512
EOF
printf '[netdev "kvtb"]\nchannels.rx = 1\nfeatures.gso = off\n' >"$tmp/d.conf"

unshare -n -m bash -s "$kv" "$tmp" <<'INNER'
set -u
kv=$1 tmp=$2 fail=0
bad() { echo "FAIL: $*"; fail=1; }
mount --make-rprivate / 2>/dev/null
mount -t tmpfs tmpfs /run || exit 1
mount -t sysfs sysfs /sys || exit 1
ip link add kvta numtxqueues 4 numrxqueues 4 type veth peer name kvtb numtxqueues 4 numrxqueues 4 ||
	{ echo "SKIP: cannot create a veth pair with 4 queues"; exit 77; }
ethtool -l kvta >/dev/null 2>&1 || { echo "SKIP: this kernel's veth has no channels"; exit 77; }
for d in kvta kvtb; do
	ethtool -k $d >"$tmp/k0.$d"; ethtool -l $d >"$tmp/l0.$d"
done
grep -q '^generic-receive-offload: off$' "$tmp/k0.kvta" || bad "gro is not off on a new veth: $(grep generic-receive "$tmp/k0.kvta")"
grep -q '^large-receive-offload: off \[fixed\]$' "$tmp/k0.kvta" || bad "lro is not fixed: $(grep large-receive "$tmp/k0.kvta")"

"$kv" --config "$tmp/bad.conf" apply >"$tmp/out" 2>"$tmp/err"
[ $? = 1 ] || bad "apply with errors did not exit 1"
grep -q "netdev kvta features.large-receive-offload: fixed: kvta cannot change it" "$tmp/err" || bad "no fixed error: $(cat "$tmp/err")"
grep -q "netdev kvta channels.tx: 9 is above the maximum of kvta, 4" "$tmp/err" || bad "no maximum error: $(cat "$tmp/err")"
grep -q "netdev kvta ring.rx: the driver of kvta has no ethtool ring settings (EOPNOTSUPP)" "$tmp/err" || bad "no EOPNOTSUPP error: $(cat "$tmp/err")"
[ "$(grep -c . "$tmp/err")" = 3 ] || bad "other errors: $(cat "$tmp/err")"
# everything else applied, on both: as ethtool(8) and sysfs see it
for d in kvta kvtb; do
	ethtool -k $d >"$tmp/k1.$d"; ethtool -l $d >"$tmp/l1.$d"
	grep -q '^generic-receive-offload: on$' "$tmp/k1.$d" || bad "$d gro: $(grep generic-receive "$tmp/k1.$d")"
	grep -q '^tcp-segmentation-offload: off$' "$tmp/k1.$d" || bad "$d tso: $(grep tcp-segmentation "$tmp/k1.$d")"
	grep -q '^tx-checksumming: off$' "$tmp/k1.$d" || bad "$d tx-checksumming: $(grep tx-checksumming "$tmp/k1.$d")"
	[ "$(ls -d /sys/class/net/$d/queues/rx-* | wc -l)" = 2 ] || bad "$d rx queues: $(ls /sys/class/net/$d/queues)"
	[ "$(ls -d /sys/class/net/$d/queues/tx-* | wc -l)" = 4 ] || bad "$d tx queues: $(ls /sys/class/net/$d/queues)"
done
grep -q "netdev kvta channels.rx: 4 -> 2" "$tmp/out" || bad "no change line: $(cat "$tmp/out")"
grep -q "netdev kvtb features.generic-receive-offload: off -> on" "$tmp/out" || bad "no change line: $(cat "$tmp/out")"
grep -q '^ethtool/kvta/features/rx-gro	off$' /run/kvmtune/revert || bad "record: $(cat /run/kvmtune/revert)"

"$kv" --config "$tmp/ok.conf" verify >"$tmp/out" 2>&1 || bad "verify: $(cat "$tmp/out")"
grep -q "ok    netdev kvtb channels.rx: 2 -> 2" "$tmp/out" || bad "verify output: $(cat "$tmp/out")"
"$kv" --config "$tmp/ok.conf" apply >"$tmp/out" 2>&1 || bad "second apply: $(cat "$tmp/out")"
[ ! -s "$tmp/out" ] || bad "second apply changed something: $(cat "$tmp/out")"

"$kv" revert >"$tmp/out" 2>&1 || bad "revert: $(cat "$tmp/out")"
for d in kvta kvtb; do
	ethtool -k $d >"$tmp/k2.$d"; ethtool -l $d >"$tmp/l2.$d"
	cmp -s "$tmp/k0.$d" "$tmp/k2.$d" || bad "$d features after revert: $(diff "$tmp/k0.$d" "$tmp/k2.$d")"
	cmp -s "$tmp/l0.$d" "$tmp/l2.$d" || bad "$d channels after revert: $(diff "$tmp/l0.$d" "$tmp/l2.$d")"
done
[ ! -e /run/kvmtune/revert ] || bad "record left: $(cat /run/kvmtune/revert)"

# the udev path: one device, the other untouched
"$kv" --config "$tmp/d.conf" apply --only=netdev --device=kvtb >"$tmp/out" 2>&1 || bad "--device: $(cat "$tmp/out")"
[ "$(ls -d /sys/class/net/kvtb/queues/rx-* | wc -l)" = 1 ] || bad "--device kvtb rx queues: $(ls /sys/class/net/kvtb/queues)"
ethtool -k kvtb | grep -q '^generic-segmentation-offload: off$' || bad "--device kvtb gso"
"$kv" --config "$tmp/d.conf" apply --only=netdev --device=kvta >"$tmp/out" 2>&1 || bad "--device kvta: $(cat "$tmp/out")"
ethtool -k kvta | cmp -s "$tmp/k0.kvta" - || bad "--device kvta changed it"
"$kv" revert >"$tmp/out" 2>&1 || bad "revert: $(cat "$tmp/out")"
ethtool -k kvtb | cmp -s "$tmp/k0.kvtb" - || bad "kvtb features after the second revert"
ethtool -l kvtb | cmp -s "$tmp/l0.kvtb" - || bad "kvtb channels after the second revert"
exit $fail
INNER
rc=$?
[ $rc = 0 ] && echo "PASS: channels and offloads on a veth pair through ethtool: errors per setting, verify, revert exact"
exit $rc
