#!/bin/bash
# Live: the boot as udev makes it.  In a private network and mount namespace
# (tmpfs on /run, /sys remounted): 100 veth pairs, one full apply and one
# `apply --only=netdev --device=X` per interface (200) started at once,
# while mounts and renames go on in the background (bounded loops that stop
# themselves).  Every interface and every per-interface sysctl must be set,
# every run exit 0, the record hold every changed file once, and one revert
# put every value back and remove the record.
# ROUNDS=N repeats the whole run N times (default 1).
set -u
. "$(dirname "$0")/lib.bash"
live_require ip netns
[ -x "$kv" ] || { echo "FAIL: no kvmtune binary at $kv"; exit 1; }

tmp=$(mktemp -d /tmp/kvmtune-live-XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/k.conf" <<'EOF'
[sysctl]
net.ipv4.conf.ct*.rp_filter = 2
net.ipv4.conf.ct*.log_martians = 1
net.ipv6.conf.ct*.hop_limit = 33
net.ipv4.conf.ct7a.arp_ignore = 1

[netdev "ct*"]
txqueuelen = 4321
EOF

rounds=${ROUNDS:-1}
for round in $(seq 1 "$rounds"); do
unshare -n -m bash -s "$kv" "$tmp" <<'INNER'
set -u
kv=$1 tmp=$2 fail=0 pairs=100
bad() { echo "FAIL: $*"; fail=1; }
mount --make-rprivate / 2>/dev/null
mount -t tmpfs tmpfs /run || exit 1
mount -t sysfs sysfs /sys || exit 1
for i in $(seq 0 $((pairs - 1))); do echo "link add ct${i}a type veth peer name ct${i}b"; done >"$tmp/batch"
ip -batch "$tmp/batch" || { echo "SKIP: cannot create veth pairs"; exit 77; }
ip link add kvtmove type dummy 2>/dev/null
ifaces=$(cd /sys/class/net && ls -d ct*)
n_if=$(echo "$ifaces" | wc -w)
[ "$n_if" = $((2 * pairs)) ] || bad "$n_if interfaces, not $((2 * pairs))"
declare -A before
for d in $ifaces; do
	before[$d.q]=$(cat /sys/class/net/$d/tx_queue_len)
	before[$d.rp]=$(cat /proc/sys/net/ipv4/conf/$d/rp_filter)
	before[$d.lm]=$(cat /proc/sys/net/ipv4/conf/$d/log_martians)
	before[$d.hl]=$(cat /proc/sys/net/ipv6/conf/$d/hop_limit)
done
before_ai=$(cat /proc/sys/net/ipv4/conf/ct7a/arp_ignore)

# the background: mounts and renames until told to stop (at most 60 s)
mkdir -p "$tmp/mnt" "$tmp/ren"
touch "$tmp/ren/a"
( end=$((SECONDS + 60)); while [ ! -e "$tmp/stop" ] && [ $SECONDS -lt $end ]; do
	mount -t tmpfs none "$tmp/mnt" 2>/dev/null && umount "$tmp/mnt"; done ) &
bg1=$!
( end=$((SECONDS + 60)); while [ ! -e "$tmp/stop" ] && [ $SECONDS -lt $end ]; do
	mv "$tmp/ren/a" "$tmp/ren/b"; mv "$tmp/ren/b" "$tmp/ren/a"; done ) &
bg2=$!
( end=$((SECONDS + 60)); n=0; while [ ! -e "$tmp/stop" ] && [ $SECONDS -lt $end ]; do
	ip link set dev kvtmove name kvtmove2 2>/dev/null && ip link set dev kvtmove2 name kvtmove 2>/dev/null
	n=$((n + 1)); done ) &
bg3=$!
sleep 0.2

# all at once: the unit's full apply and one udev run per interface
pids=()
"$kv" --config "$tmp/k.conf" apply --stage=boot >"$tmp/full.out" 2>&1 &
pids+=($!)
for d in $ifaces; do
	"$kv" --config "$tmp/k.conf" apply -q --only=netdev --device=$d >"$tmp/dev.$d.out" 2>&1 &
	pids+=($!)
done
nonzero=0
for p in "${pids[@]}"; do wait "$p" || nonzero=$((nonzero + 1)); done
touch "$tmp/stop"
wait $bg1 $bg2 $bg3 2>/dev/null
[ $nonzero = 0 ] || bad "$nonzero of ${#pids[@]} runs exited non-zero: $(cat "$tmp"/full.out "$tmp"/dev.*.out | sort | uniq -c | head -5)"
[ -s "$tmp/full.out" ] || bad "the full apply said nothing"
if grep -h 'kvmtune:' "$tmp"/full.out "$tmp"/dev.*.out >/dev/null; then
	bad "errors: $(grep -h 'kvmtune:' "$tmp"/full.out "$tmp"/dev.*.out | head -3)"
fi

unset_q=0 unset_rp=0 unset_lm=0 unset_hl=0
for d in $ifaces; do
	[ "$(cat /sys/class/net/$d/tx_queue_len)" = 4321 ] || unset_q=$((unset_q + 1))
	[ "$(cat /proc/sys/net/ipv4/conf/$d/rp_filter)" = 2 ] || unset_rp=$((unset_rp + 1))
	[ "$(cat /proc/sys/net/ipv4/conf/$d/log_martians)" = 1 ] || unset_lm=$((unset_lm + 1))
	[ "$(cat /proc/sys/net/ipv6/conf/$d/hop_limit)" = 33 ] || unset_hl=$((unset_hl + 1))
done
[ $unset_q = 0 ] || bad "$unset_q of $n_if interfaces without txqueuelen 4321"
[ $unset_rp = 0 ] || bad "$unset_rp of $n_if interfaces without rp_filter 2"
[ $unset_lm = 0 ] || bad "$unset_lm of $n_if interfaces without log_martians 1"
[ $unset_hl = 0 ] || bad "$unset_hl of $n_if interfaces without hop_limit 33"
[ "$(cat /proc/sys/net/ipv4/conf/ct7a/arp_ignore)" = 1 ] || bad "ct7a arp_ignore not 1"
"$kv" --config "$tmp/k.conf" verify >"$tmp/verify.out" 2>&1 || bad "verify after the runs: $(grep -v '^ok' "$tmp/verify.out" | head -3)"

# the record: every changed file, once, with its old value
rec=/run/kvmtune/revert
[ -s $rec ] || bad "no record"
dups=$(cut -f1 $rec | sort | uniq -d | wc -l)
[ "$dups" = 0 ] || bad "$dups paths recorded twice"
missing=0
for d in $ifaces; do
	grep -q "^sys/class/net/$d/tx_queue_len	${before[$d.q]}\$" $rec || missing=$((missing + 1))
	grep -q "^proc/sys/net/ipv4/conf/$d/rp_filter	${before[$d.rp]}\$" $rec || missing=$((missing + 1))
done
[ $missing = 0 ] || bad "$missing changed files not in the record (of $((2 * n_if)) checked)"
n_rec=$(wc -l <$rec)
[ "$n_rec" = $((4 * n_if + 1)) ] || bad "the record has $n_rec lines, expected $((4 * n_if + 1))"

# one revert puts every value back
"$kv" revert >"$tmp/revert.out" 2>&1 || bad "revert: $(head -3 "$tmp/revert.out")"
[ ! -e $rec ] || bad "the record is still there after revert"
wrong=0
for d in $ifaces; do
	[ "$(cat /sys/class/net/$d/tx_queue_len)" = "${before[$d.q]}" ] || wrong=$((wrong + 1))
	[ "$(cat /proc/sys/net/ipv4/conf/$d/rp_filter)" = "${before[$d.rp]}" ] || wrong=$((wrong + 1))
	[ "$(cat /proc/sys/net/ipv4/conf/$d/log_martians)" = "${before[$d.lm]}" ] || wrong=$((wrong + 1))
	[ "$(cat /proc/sys/net/ipv6/conf/$d/hop_limit)" = "${before[$d.hl]}" ] || wrong=$((wrong + 1))
done
[ "$(cat /proc/sys/net/ipv4/conf/ct7a/arp_ignore)" = "$before_ai" ] || wrong=$((wrong + 1))
[ $wrong = 0 ] || bad "$wrong values not back after revert"
"$kv" revert >"$tmp/revert2.out" 2>&1 || bad "second revert: $(head -3 "$tmp/revert2.out")"
[ $fail = 0 ] && echo "ok: 201 concurrent runs, $n_if interfaces, $n_rec record lines, all reverted"
exit $fail
INNER
rc=$?
[ $rc = 0 ] || exit $rc
done
echo "PASS: concurrent applies with mounts and renames going on ($rounds round(s))"
