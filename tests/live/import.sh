#!/bin/bash
# Live round trip of `kvmtune import` on the running kernel, inside a private
# network and mount namespace (tmpfs on /run, so the host's revert record is
# untouched; /sys remounted, so it shows the namespace's interfaces): a small
# rc.local-style script sets net sysctls, a veth's txqueuelen and a loop
# device's I/O scheduler, through an existence guard, sh -c with echo's
# backslash escapes (run by the real /bin/sh), a for loop over an interface
# glob and echo | tee; the values are reset; `kvmtune apply` with the
# imported configuration must bring back exactly what the script had set.
# The loop device's scheduler is global: it is saved and restored outside.
set -u
. "$(dirname "$0")/lib.bash"
live_require netns

[ -x "$kv" ] || { echo "FAIL: no kvmtune binary at $kv"; exit 1; }
for cmd in unshare ip losetup; do
	command -v $cmd >/dev/null || skip "$cmd is not available"
done

tmp=$(mktemp -d /tmp/kvmtune-live-XXXXXX) || exit 1
chmod 0755 "$tmp"
loop=
saved_sched=
cleanup() {
	if [ -n "$loop" ]; then
		[ -n "$saved_sched" ] && { echo "$saved_sched" >"/sys/block/$loop/queue/scheduler" ||
			echo "WARNING: could not restore the scheduler of $loop to $saved_sched"; }
		losetup -d "/dev/$loop" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

# a loop device of our own, so that no disk in use is touched
truncate -s 16M "$tmp/backing" || skip "cannot create a backing file"
dev=$(losetup -f --show "$tmp/backing" 2>/dev/null) || skip "cannot attach a loop device"
loop=${dev#/dev/}
sched=/sys/block/$loop/queue/scheduler
[ -w "$sched" ] || skip "$loop has no writable scheduler file"
saved_sched=$(sed 's/.*\[\(.*\)\].*/\1/' "$sched")
grep -qw mq-deadline "$sched" || modprobe -q mq-deadline 2>/dev/null
grep -qw mq-deadline "$sched" || skip "mq-deadline is not offered for $loop"

cat >"$tmp/inner.sh" <<'INNER'
set -u
kv=$1 tmp=$2 loop=$3
fail() { echo "FAIL: $*"; exit 1; }
mount --make-rprivate / || fail "mount --make-rprivate /"
mount -t tmpfs tmpfs /run || fail "cannot mount a tmpfs on /run"
mount -t sysfs sysfs /sys || fail "cannot remount /sys"
ip link set lo up
ip link add kvt0 type veth peer name kvt1 2>/dev/null || skip "cannot create a veth pair (no veth module?)"
sched=/sys/block/$loop/queue/scheduler
cur() { sed 's/.*\[\(.*\)\].*/\1/' "$sched"; }
values() {
	for k in net/core/somaxconn net/ipv4/tcp_fin_timeout net/ipv4/tcp_rmem; do
		printf '%s=%s\n' "$k" "$(tr -s ' \t' '  ' </proc/sys/$k)"
	done
	printf 'kvt0=%s\n' "$(cat /sys/class/net/kvt0/tx_queue_len)"
	printf 'kvt1=%s\n' "$(cat /sys/class/net/kvt1/tx_queue_len)"
	printf '%s=%s\n' "$loop" "$(cur)"
}
values >"$tmp/before"

# the host's old tuning, rc.local style
cat >"$tmp/rc.local" <<EOF
#!/bin/sh -e
# tuning from a KVM guide, in the forms real rc.local files use
[ -w /proc/sys/net/core/somaxconn ] && echo 4099 > /proc/sys/net/core/somaxconn
/sbin/sysctl -w net.ipv4.tcp_fin_timeout=23 >/dev/null; sh -c 'echo "4096\t131072\t8388608" > /proc/sys/net/ipv4/tcp_rmem'
for f in /sys/class/net/kvt*; do echo 4321 > \$f/tx_queue_len; done
/usr/sbin/ip link set kvt1 txqlen 1234   # a longer queue for this one
echo mq-deadline | tee /sys/block/$loop/queue/scheduler >/dev/null
exit 0
EOF
sh "$tmp/rc.local" || fail "the rc.local script failed"
values >"$tmp/set"
cmp -s "$tmp/before" "$tmp/set" && fail "the script changed nothing"
echo "set by the script:"; sed 's/^/    /' "$tmp/set"

"$kv" import "$tmp/rc.local" >"$tmp/imported.conf" 2>"$tmp/import.err"
rc=$?
sed 's/^/    import: /' "$tmp/import.err"
[ $rc = 0 ] || fail "import exited $rc"
chmod 0644 "$tmp/imported.conf"

# reset everything the script set
while IFS='=' read -r k v; do
	case $k in
	kvt0|kvt1) ip link set dev "$k" txqueuelen "$v" ;;
	"$loop") echo "$v" >"$sched" ;;
	*) echo "$v" >"/proc/sys/$k" ;;
	esac
done <"$tmp/before"
values >"$tmp/reset"
cmp -s "$tmp/reset" "$tmp/before" || fail "could not reset the values"

"$kv" apply --config "$tmp/imported.conf" >"$tmp/apply.out" 2>&1
rc=$?
sed 's/^/    apply: /' "$tmp/apply.out"
[ $rc = 0 ] || fail "apply exited $rc"
values >"$tmp/after"
if ! cmp -s "$tmp/set" "$tmp/after"; then
	diff "$tmp/set" "$tmp/after"
	fail "apply did not bring back what the script had set"
fi
"$kv" verify --config "$tmp/imported.conf" >"$tmp/verify.out" 2>&1 || { cat "$tmp/verify.out"; fail "verify exited $?"; }
echo "inner: ok"
INNER

in_netns "apply of the imported configuration restored what the rc.local script had set" \
	"$tmp/inner.sh" "$kv" "$tmp" "$loop"
