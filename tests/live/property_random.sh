#!/bin/bash
# Randomised property test of exactness (see property_random.py): seeded
# random configurations over every section this kernel has, on veths in a
# network namespace and on two loop devices made here: apply, verify, a
# second apply that writes nothing, revert, and every file the settings or
# the kernel's side effects of them can change is as it was, byte for byte;
# then apply and revert killed at random moments, and revert is exact.  The
# seed is printed; KVMTUNE_PROPERTY_SEED=N repeats a run,
# KVMTUNE_PROPERTY_ROUNDS=N sets the number of configurations (60);
# KVMTUNE_PROPERTY_LOCAL=1 leaves out the global knobs (vm, KSM, THP), for
# a run outside tests/run's lock.
# Global knobs (vm, KSM, THP, the loop devices) are put back at the end.
set -u
. "$(dirname "$0")/lib.bash"
live_require ip netns
[ -x "$kv" ] || { echo "FAIL: no kvmtune binary at $kv"; exit 1; }
command -v strace >/dev/null || skip "strace is not installed"
command -v python3 >/dev/null || skip "python3 is not installed"
command -v losetup >/dev/null || skip "losetup is not installed"
seed=${KVMTUNE_PROPERTY_SEED:-$(( (RANDOM << 15) | RANDOM ))}
rounds=${KVMTUNE_PROPERTY_ROUNDS:-60}
echo "seed $seed (again: KVMTUNE_PROPERTY_SEED=$seed bash tests/live/property_random.sh)"

tmp=$(mktemp -d /tmp/kvmtune-prop-XXXXXX) || exit 1
loops=()
cleanup() {
	local l
	for l in "${loops[@]}"; do
		losetup -d "/dev/$l" 2>/dev/null
		python3 -c 'import fcntl, os, sys, time
fd = os.open("/dev/loop-control", os.O_RDWR)
for _ in range(50):
    try:
        fcntl.ioctl(fd, 0x4C81, int(sys.argv[1])); break     # LOOP_CTL_REMOVE
    except OSError:
        time.sleep(0.1)' "${l#loop}" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
# loop devices of their own numbers (LOOP_CTL_ADD), apart from the loop0 other tests use
for i in 0 1; do
	truncate -s 64M "$tmp/disk$i" || exit 1
	n=$(python3 -c 'import fcntl, os, sys
fd = os.open("/dev/loop-control", os.O_RDWR)
for n in range(40 + int(sys.argv[1]), 250, 2):
    try:
        fcntl.ioctl(fd, 0x4C80, n)      # LOOP_CTL_ADD
        print(n); break
    except OSError:
        continue' "$i" 2>/dev/null) && [ -n "$n" ] || skip "cannot add a loop device"
	[ -b "/dev/loop$n" ] || mknod "/dev/loop$n" b 7 "$n" || skip "no /dev/loop$n"
	losetup "/dev/loop$n" "$tmp/disk$i" 2>/dev/null || skip "cannot attach /dev/loop$n"
	loops+=("loop$n")
done
grep -qw mq-deadline "/sys/block/${loops[0]}/queue/scheduler" || skip "${loops[0]} does not offer mq-deadline"

unshare -n -m bash -s "$kv" "$tmp" "$seed" "$rounds" "$(dirname "$0")/property_random.py" "${loops[@]}" <<'INNER'
kv=$1 tmp=$2 seed=$3 rounds=$4 driver=$5
shift 5
mount --make-rprivate / 2>/dev/null
mount -t tmpfs tmpfs /run || exit 1
mount -t sysfs sysfs /sys || exit 1
ip link add kvr0 type veth peer name kvr1 || { echo "SKIP: cannot create a veth pair"; exit 77; }
ip link add kvr2 type veth peer name kvr3 || exit 1
exec python3 "$driver" "$kv" "$tmp" "$seed" "$rounds" "$@"
INNER
