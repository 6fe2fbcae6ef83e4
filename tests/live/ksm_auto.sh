#!/bin/bash
# [ksm] run = auto on the running kernel: a process holding 4 GiB, its
# executable named qemu-system-x86_64 (tests/live/memhold.c built under that
# name: kvmtune knows a guest by its exe) and its argv
# `qemu-system-x86_64 -enable-kvm`, takes free memory below the
# threshold, so apply turns KSM on (pages_to_scan and sleep_millisecs as
# ksmtuned's first boost sets them, verify met), and once it has exited,
# apply turns KSM off again.  The threshold is set in kB to 2 GiB below
# the host's free memory at the start, so the test needs 4 GiB whatever the
# host's size; the 2 GiB either side of it are wider than the free memory
# this VM's kernel drifts by between two reads (about half a GiB was seen,
# which made a margin of half a GiB fail one run in two).  kvmtune runs in a private mount namespace with
# a tmpfs on /run (the host's revert record and state are not touched);
# every writable /sys/kernel/mm/ksm knob is saved first and put back on exit.
. "$(dirname "$0")/lib.bash"
ksm=/sys/kernel/mm/ksm

if [ "${1:-}" != --inner ]; then
	live_require mountns
	[ -x "$kv" ] || { echo "FAIL: no kvmtune binary at $kv"; exit 1; }
	[ -w $ksm/run ] || skip "no KSM on this kernel"
	command -v "${CC:-cc}" >/dev/null || skip "no C compiler for the stand-in guest"
	tmp=$(mktemp -d /tmp/kvmtune-ksmauto-XXXXXX) || exit 1
	chmod 0755 "$tmp"
	declare -A saved
	for f in $ksm/*; do
		[ -f "$f" ] && [ -w "$f" ] && saved[$f]=$(cat "$f")
	done
	restore() {
		local f
		# run last; a knob the kernel refuses while pages are merged is left as it is, and said
		for f in "${!saved[@]}"; do
			[ "$f" = $ksm/run ] && continue
			[ "$(cat "$f")" = "${saved[$f]}" ] || echo "${saved[$f]}" >"$f" 2>/dev/null ||
				echo "WARNING: could not restore $f to ${saved[$f]}"
		done
		[ "$(cat $ksm/run)" = "${saved[$ksm/run]}" ] || echo "${saved[$ksm/run]}" >$ksm/run ||
			echo "WARNING: could not restore $ksm/run to ${saved[$ksm/run]}"
		rm -rf "$tmp"
	}
	trap restore EXIT
	${CC:-cc} -O2 -o "$tmp/qemu-system-x86_64" "$repo/tests/live/memhold.c" || { echo "FAIL: cannot build memhold"; exit 1; }
	unshare --mount --propagation private bash "$0" --inner "$tmp"
	exit $?
fi

tmp=$2
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
mount -t tmpfs -o mode=0755 tmpfs /run || { echo "FAIL: cannot mount a private /run"; exit 1; }
run() {         # run ARGS...: kvmtune, its stdout in $out, stderr in $err, status in $rc
	"$kv" --config "$tmp/ksm.conf" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out") err=$(cat "$tmp/err")
}
show() { echo "    exit $rc"; sed 's/^/    out: /' "$tmp/out"; sed 's/^/    err: /' "$tmp/err"; }
free_kb() { awk '/^(MemFree|Buffers|Cached):/ { f += $2 } END { print f }' /proc/meminfo; }
total=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)

threshold=$(($(free_kb) - 2048 * 1024))
[ $threshold -gt $((2048 * 1024)) ] || { echo "SKIP: less than 4 GiB free"; exit 77; }
printf '[ksm]\nrun = auto\nauto-interval = 0\nauto-threshold = %sk\n' $threshold >"$tmp/ksm.conf"
chmod 0644 "$tmp/ksm.conf"
want_sleep=$((10 * 16 * 1024 * 1024 / total))
[ $want_sleep -le 10 ] && want_sleep=10

# no guest: free is above the threshold, KSM stopped
run apply --only=ksm
[ $rc = 0 ] && [ "$(cat $ksm/run)" = 0 ] && ok "no guest: run = 0" || { fail "no guest: run $(cat $ksm/run)"; show; }

# a guest holding 4 GiB: free falls below the threshold, KSM on at ksmtuned's first boost
# (up to 3 minutes: on the development VM, which has a virtio balloon,
# touching the 4 GiB once took 30 s, then 0.8 s)
( exec -a qemu-system-x86_64 "$tmp/qemu-system-x86_64" -enable-kvm -m 4096 -pidfile "$tmp/guest.pid" ) &
starting=$!
for i in $(seq 1800); do
	[ -s "$tmp/guest.pid" ] && break
	kill -0 $starting 2>/dev/null || break          # it failed (mmap): no need to wait
	sleep 0.1
done
guest=$(cat "$tmp/guest.pid" 2>/dev/null)
[ -n "$guest" ] || { echo "FAIL: the stand-in guest did not start in $((i / 10)) s"; exit 1; }
run plan --only=ksm
grep -q "ksm run: 0 -> 1 (auto: free .* < threshold .*, guests [0-9.]*G ([1-9][0-9]*) + threshold" <<<"$out" &&
	ok "plan: $(grep 'ksm run' <<<"$out")" || { fail "plan does not show the guest and the boost"; show; }
run apply --only=ksm
if [ $rc = 0 ] && [ "$(cat $ksm/run)" = 1 ] && [ "$(cat $ksm/pages_to_scan)" = 300 ] &&
	[ "$(cat $ksm/sleep_millisecs)" = $want_sleep ]; then
	ok "guest of 4 GiB: run = 1, pages_to_scan = 300, sleep_millisecs = $want_sleep"
else
	fail "guest of 4 GiB: run $(cat $ksm/run), pages_to_scan $(cat $ksm/pages_to_scan), sleep_millisecs $(cat $ksm/sleep_millisecs)"
	show
fi
grep -q '^npages 300$' /run/kvmtune/ksm-auto && ok "state: npages 300" || fail "state: $(cat /run/kvmtune/ksm-auto)"

# it exits: free is back above the threshold, KSM off
kill "$guest" && wait "$guest" 2>/dev/null
run apply --only=ksm
[ $rc = 0 ] && [ "$(cat $ksm/run)" = 0 ] && ok "guest gone: run = 0" || { fail "guest gone: run $(cat $ksm/run)"; show; }
run verify --only=ksm
[ $rc = 0 ] && ok "verify met" || { fail "verify exit $rc"; show; }

[ $fails = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo PASS
