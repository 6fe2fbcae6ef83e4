#!/bin/bash
# Live [block]: the loop devices' scheduler set to mq-deadline through the
# legacy name 'deadline' in a [block "loop*"] section, a fallback past a
# name the kernel refuses, verify, and a second apply that writes nothing.
# Every loop device's scheduler is put back afterwards.  The apply runs in a
# private mount namespace with a tmpfs on /run (the host's revert record is
# not touched).
set -u
. "$(dirname "$0")/lib.bash"
live_require mountns
[ -x "$kv" ] || { echo "FAIL: no kvmtune binary at $kv"; exit 1; }
ls /sys/block/loop*/queue/scheduler >/dev/null 2>&1 || skip "no loop devices with a scheduler"
grep -qw mq-deadline /sys/block/loop0/queue/scheduler || skip "loop0 does not offer mq-deadline"

tmp=$(mktemp -d /tmp/kvmtune-live-XXXXXX) || exit 1
declare -A orig
for f in /sys/block/loop*/queue/scheduler; do
	orig[$f]=$(sed -n 's/.*\[\(.*\)\].*/\1/p' "$f")
done
restore() {
	for f in "${!orig[@]}"; do echo "${orig[$f]}" >"$f" 2>/dev/null; done
	rm -rf "$tmp"
}
trap restore EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
run() { unshare -m sh -c 'mount -t tmpfs tmpfs /run && exec "$@"' sh "$kv" --config "$tmp/b.conf" "$@"; }

# start from none, so that the apply changes something
for f in /sys/block/loop*/queue/scheduler; do echo none >"$f"; done
printf '[block "loop*"]\nscheduler = deadline\n' >"$tmp/b.conf"
run apply >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc = 0 ] || bad "apply exited $rc: $(cat "$tmp/err")"
grep -q "'deadline' is the legacy name of 'mq-deadline'" "$tmp/err" || bad "no legacy-name notice: $(cat "$tmp/err")"
for f in /sys/block/loop*/queue/scheduler; do
	grep -q '\[mq-deadline\]' "$f" || bad "$f: $(cat "$f")"
done
grep -q "block loop0 scheduler: none -> mq-deadline" "$tmp/out" || bad "no change line: $(cat "$tmp/out")"
run verify >"$tmp/out" 2>&1 || bad "verify after apply: $(cat "$tmp/out")"
run apply >"$tmp/out" 2>/dev/null
[ -s "$tmp/out" ] && bad "second apply changed something: $(cat "$tmp/out")"

# revert puts back the old scheduler (apply and revert share one private /run)
echo none >/sys/block/loop1/queue/scheduler
printf '[block "loop1"]\nscheduler = mq-deadline\n' >"$tmp/b.conf"
unshare -m sh -c 'mount -t tmpfs tmpfs /run && "$1" --config "$2" apply && "$1" --config "$2" revert' \
	sh "$kv" "$tmp/b.conf" >"$tmp/out" 2>&1 || bad "apply + revert: $(cat "$tmp/out")"
grep -q '\[none\]' /sys/block/loop1/queue/scheduler || bad "revert: $(cat /sys/block/loop1/queue/scheduler)"

# a refused name moves on to the next
echo none >/sys/block/loop0/queue/scheduler
printf '[block "loop0"]\nscheduler = nosuch-sched mq-deadline\n' >"$tmp/b.conf"
run apply >"$tmp/out" 2>"$tmp/err" || bad "fallback apply failed: $(cat "$tmp/err")"
grep -q '\[mq-deadline\]' /sys/block/loop0/queue/scheduler || bad "fallback: $(cat /sys/block/loop0/queue/scheduler)"

# none accepted: an error naming the device
printf '[block "loop0"]\nscheduler = nosuch-sched\n' >"$tmp/b.conf"
run apply >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc = 1 ] || bad "no scheduler accepted: exit $rc"
grep -q "loop0 accepts none of the schedulers: nosuch-sched" "$tmp/err" || bad "message: $(cat "$tmp/err")"

[ $fail = 0 ] && echo "PASS: loop devices set to mq-deadline, restored"
exit $fail
