#!/bin/bash
# Live typed keys on this kernel's files: [block] iosched.NAME on a loop
# device across a scheduler switch (the switch makes iosched/ anew; the
# tunable is written after it; revert puts back the scheduler), and a
# tunable the active scheduler lacks; [thp] khugepaged.NAME (global knobs),
# applied, verified, reverted, and a value the kernel refuses; [hugepages]
# node.N on node0, and a node the system lacks.  Every file touched is put back byte
# for byte on exit.  The runs are in a private mount namespace with a tmpfs
# on /run (the host's revert record is not touched).
set -u
. "$(dirname "$0")/lib.bash"
live_require mountns
[ -x "$kv" ] || { echo "FAIL: no kvmtune binary at $kv"; exit 1; }

tmp=$(mktemp -d /tmp/kvmtune-live-XXXXXX) || exit 1
fail=0
bad() { echo "FAIL: $*"; fail=1; }
# apply, then the other commands, in one private /run
run() { unshare -m sh -c 'kv=$0 conf=$1; shift; mount -t tmpfs tmpfs /run &&
	for c in "$@"; do "$kv" --config "$conf" "$c" || exit; done' "$kv" "$tmp/k.conf" "$@"; }
declare -A saved
save() { saved[$1]=$(cat "$1"); }
restore() {
	local f
	for f in "${!saved[@]}"; do
		case $f in
		*/queue/scheduler) echo "${saved[$f]}" | sed -n 's/.*\[\(.*\)\].*/\1/p' >"$f" ;;
		*) echo "${saved[$f]}" >"$f" ;;
		esac
		[ "$(cat "$f")" = "${saved[$f]}" ] || echo "FAIL: $f not put back: $(cat "$f"), was ${saved[$f]}"
	done
	rm -rf "$tmp"
}
trap restore EXIT
tested=

# ---- [block] iosched.NAME on loop0 ----
sched=/sys/block/loop0/queue/scheduler
if [ -w "$sched" ] && grep -qw mq-deadline "$sched"; then
	tested="$tested iosched"
	save "$sched"
	echo none >"$sched"
	printf '[block "loop0"]\nscheduler = mq-deadline\niosched.fifo_batch = 8\niosched.read_expire = 250\n' >"$tmp/k.conf"
	run apply >"$tmp/out" 2>"$tmp/err" || bad "iosched apply: $(cat "$tmp/err")"
	grep -q '\[mq-deadline\]' "$sched" || bad "scheduler: $(cat "$sched")"
	[ "$(cat /sys/block/loop0/queue/iosched/fifo_batch)" = 8 ] || bad "fifo_batch: $(cat /sys/block/loop0/queue/iosched/fifo_batch)"
	# kept in jiffies: 250 ms reads back rounded up to a whole jiffy (252 at HZ=250)
	re=$(cat /sys/block/loop0/queue/iosched/read_expire)
	[ "$re" -ge 250 ] && [ "$re" -le 260 ] || bad "read_expire: $re"
	grep -q "block loop0 iosched.fifo_batch: 16 -> 8" "$tmp/out" || bad "no change line: $(cat "$tmp/out")"
	"$kv" --config "$tmp/k.conf" verify >"$tmp/out" 2>&1 || bad "verify after apply: $(cat "$tmp/out")"
	# revert in the same /run: the scheduler goes back to none
	echo none >"$sched"
	run apply revert >"$tmp/out" 2>&1 || bad "apply + revert: $(cat "$tmp/out")"
	grep -q '\[none\]' "$sched" || bad "revert: $(cat "$sched")"
	# mq-deadline has no slice_idle (bfq's): an error with file:line, the other tunable applies
	echo mq-deadline >"$sched"
	printf '[block "loop0"]\niosched.slice_idle = 0\niosched.fifo_batch = 4\n' >"$tmp/k.conf"
	run apply >"$tmp/out" 2>"$tmp/err"; rc=$?
	[ $rc = 1 ] || bad "absent tunable: exit $rc"
	grep -q "k.conf:2: block loop0 iosched.slice_idle: the active scheduler mq-deadline of loop0 has no tunable slice_idle" \
		"$tmp/err" || bad "absent tunable message: $(cat "$tmp/err")"
	[ "$(cat /sys/block/loop0/queue/iosched/fifo_batch)" = 4 ] || bad "fifo_batch beside the error"
fi

# ---- [thp] khugepaged.NAME ----
khp=/sys/kernel/mm/transparent_hugepage/khugepaged
if [ -w $khp/pages_to_scan ] && [ -w $khp/max_ptes_none ]; then
	tested="$tested khugepaged"
	for f in defrag max_ptes_none pages_to_scan scan_sleep_millisecs; do save $khp/$f; done
	pts=$(( $(cat $khp/pages_to_scan) + 8 ))
	df=$(( 1 - $(cat $khp/defrag) ))
	printf '[thp]\nkhugepaged.pages_to_scan = %s\nkhugepaged.defrag = %s\nkhugepaged.scan_sleep_millisecs = 9000\n' \
		$pts $df >"$tmp/k.conf"
	run apply >"$tmp/out" 2>"$tmp/err" || bad "khugepaged apply: $(cat "$tmp/err")"
	[ "$(cat $khp/pages_to_scan)" = $pts ] || bad "pages_to_scan: $(cat $khp/pages_to_scan), wanted $pts"
	[ "$(cat $khp/defrag)" = $df ] || bad "defrag: $(cat $khp/defrag), wanted $df"
	[ "$(cat $khp/scan_sleep_millisecs)" = 9000 ] || bad "scan_sleep_millisecs: $(cat $khp/scan_sleep_millisecs)"
	"$kv" --config "$tmp/k.conf" verify >"$tmp/out" 2>&1 || bad "khugepaged verify: $(cat "$tmp/out")"
	for f in defrag pages_to_scan scan_sleep_millisecs; do echo "${saved[$khp/$f]}" >$khp/$f; done
	run apply revert >"$tmp/out" 2>&1 || bad "khugepaged apply + revert: $(cat "$tmp/out")"
	for f in defrag pages_to_scan scan_sleep_millisecs; do
		[ "$(cat $khp/$f)" = "${saved[$khp/$f]}" ] || bad "revert $f: $(cat $khp/$f), was ${saved[$khp/$f]}"
	done
	# max_ptes_none above HPAGE_PMD_NR - 1: refused at plan, the file untouched
	nr=$(( $(cat /sys/kernel/mm/transparent_hugepage/hpage_pmd_size) / $(getconf PAGESIZE) ))
	printf '[thp]\nkhugepaged.max_ptes_none = %s\n' $nr >"$tmp/k.conf"
	run apply >"$tmp/out" 2>"$tmp/err"; rc=$?
	[ $rc = 1 ] || bad "max_ptes_none $nr: exit $rc"
	grep -q "k.conf:2: thp khugepaged.max_ptes_none: at most $((nr - 1))" "$tmp/err" || bad "max_ptes_none: $(cat "$tmp/err")"
	[ "$(cat $khp/max_ptes_none)" = "${saved[$khp/max_ptes_none]}" ] || bad "max_ptes_none written"
	# the kernel agrees: it refuses that value
	echo $nr >$khp/max_ptes_none 2>/dev/null && bad "the kernel took max_ptes_none = $nr"
fi

# ---- [hugepages] node.N: node0's 2M pool, two pages more ----
np=/sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages
if [ -w $np ]; then
	tested="$tested node-pool"
	save $np
	want=$(( ${saved[$np]} + 2 ))
	printf '[hugepages "2M"]\nnode.0 = %s\n' $want >"$tmp/k.conf"
	run apply >"$tmp/out" 2>"$tmp/err" || bad "node pool apply: $(cat "$tmp/err")"
	[ "$(cat $np)" = $want ] || bad "node0 pool: $(cat $np), wanted $want"
	"$kv" --config "$tmp/k.conf" verify >"$tmp/out" 2>&1 || bad "node pool verify: $(cat "$tmp/out")"
	echo "${saved[$np]}" >$np
	run apply revert >"$tmp/out" 2>&1 || bad "node pool apply + revert: $(cat "$tmp/out")"
	[ "$(cat $np)" = "${saved[$np]}" ] || bad "node pool revert: $(cat $np), was ${saved[$np]}"
	# a node this system does not have
	printf '[hugepages "2M"]\nnode.4095 = 1\n' >"$tmp/k.conf"
	run apply >"$tmp/out" 2>"$tmp/err"; rc=$?
	[ $rc = 1 ] && grep -q "k.conf:2: hugepages 2M node.4095: this system has no node 4095" "$tmp/err" ||
		bad "node.4095: exit $rc: $(cat "$tmp/err")"
fi

[ -n "$tested" ] || skip "no loop0 with mq-deadline"
[ $fail = 0 ] && echo "PASS: typed keys live:$tested, all put back"
exit $fail
