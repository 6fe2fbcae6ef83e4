#!/bin/bash
# udev's run for a device that no section names (the udev rule's
# `apply --only=netdev|block|cpu --device=NAME`, at coldplug once per disk,
# interface and CPU): on a fake root under strace, it reads /proc/cmdline
# (kvmtune=0) and the configuration and exits 0; it opens nothing else,
# takes no lock, opens no socket, touches no /sys and /run, raises no limit
# and writes nothing.  A device a section names does take the record's lock
# (the same run goes on to plan and apply).  Counts, not times: the timing
# is in bench/README.md ("Boot cost").
set -u
cd "$(dirname "$0")/.." || exit 1
kv=${KVMTUNE:-$PWD/kvmtune}
command -v strace > /dev/null || { echo "SKIP: strace is not installed"; exit 77; }
grep -qa '__asan_init\|__ubsan_handle' "$kv" &&
	{ echo "SKIP: a sanitizer build (LeakSanitizer does not work under ptrace)"; exit 77; }
strace -f -o /dev/null true 2> /dev/null || { echo "SKIP: strace cannot trace here (ptrace not permitted)"; exit 77; }
tmp=$(mktemp -d /tmp/kvmtune-nomatch-XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "PASS: $1"; }
ko() { echo "FAIL: $1"; fail=1; }

# a fake root: a disk, a loop device, two interfaces, two CPUs
r=$tmp/root
mkdir -p "$r/proc" "$r/run/kvmtune" "$r/etc/kvmtune/conf.d" "$r/usr/lib/kvmtune/conf.d" \
	"$r/sys/block/vda/queue" "$r/sys/block/loop0/queue" "$r/sys/class/net/ens3" "$r/sys/class/net/dummy0" \
	"$r/sys/devices/system/cpu/cpu0" "$r/sys/devices/system/cpu/cpu1"
echo 'root=/dev/vda quiet' > "$r/proc/cmdline"
echo 0-1 > "$r/sys/devices/system/cpu/online"
for d in vda loop0; do
	echo '[mq-deadline] none' > "$r/sys/block/$d/queue/scheduler"
	echo 128 > "$r/sys/block/$d/queue/read_ahead_kb"
	echo 0 > "$r/sys/block/$d/queue/rotational"
done
for n in ens3 dummy0; do echo 1000 > "$r/sys/class/net/$n/tx_queue_len"; done
printf '[sysctl]\nvm.swappiness = 10\n[block "sd* vd*"]\nread_ahead_kb = 256\n' > "$r/usr/lib/kvmtune/conf.d/50-a.conf"
printf '[netdev "en*"]\ntxqueuelen = 2000\n[cpu "0"]\ngovernor = performance\n[netdev "dummy0"]\n' \
	> "$r/etc/kvmtune/conf.d/60-b.conf"

# trace NAME ARGS...: the run's system calls, one per line, in $tmp/NAME.st; exit status in $tmp/NAME.rc
trace() {
	local name=$1; shift
	strace -f -qq -e signal=none -o "$tmp/$name.st" "$@" > "$tmp/$name.out" 2>&1
	echo $? > "$tmp/$name.rc"
}
calls() { sed -n 's/^[0-9]* *\([a-z_0-9]*\)(.*/\1/p' "$tmp/$1.st"; }
# the paths opened, relative to the root ("/" for the root itself)
opened() {
	sed -n 's/^[0-9]* *open\(at\|at2\)\?([^"]*"\([^"]*\)".*/\2/p' "$tmp/$1.st" | sed "s|^$r/\?|/|"
}

trace true true
for run in "netdev dummy0" "netdev eth9" "block loop0" "cpu cpu1" "block vda" "netdev ens3"; do
	set -- $run
	trace "$1-$2" "$kv" --root "$r" apply --only="$1" --device="$2"
done

for name in netdev-dummy0 netdev-eth9 block-loop0 cpu-cpu1; do
	what="apply --only=${name%%-*} --device=${name#*-} (no section names it)"
	[ "$(cat "$tmp/$name.rc")" = 0 ] && ok "$what exits 0" || ko "$what exits $(cat "$tmp/$name.rc"): $(cat "$tmp/$name.out")"
	[ ! -s "$tmp/$name.out" ] && ok "$what prints nothing" || ko "$what printed: $(cat "$tmp/$name.out")"
	# a configuration file: by its path, or (a regular file) by its name beneath its opened directory
	extra=$(opened "$name" | grep -v -x -E '/|proc/cmdline|(run|etc|usr/local/lib|usr/lib)/kvmtune/conf\.d|(etc/kvmtune/conf\.d/)?60-b\.conf|(usr/lib/kvmtune/conf\.d/)?50-a\.conf')
	[ -z "$extra" ] && ok "$what opens only the root, /proc/cmdline and the configuration" ||
		ko "$what opens more: $(echo $extra)"
	bad=$(calls "$name" | grep -x -E 'flock|socket|ioctl|setrlimit|write|pwrite64|writev|mkdir|mkdirat|unlinkat|renameat2?|fsync|fdatasync|clone3?|fork|vfork|mount|finit_module|sendmsg')
	bad="$bad$(grep -o 'prlimit64(.*RLIMIT_NOFILE, {' "$tmp/$name.st")"
	[ -z "$bad" ] && ok "$what takes no lock, opens no socket, raises no limit, writes nothing, forks nothing" ||
		ko "$what makes these calls: $(echo $bad | tr ' ' '\n' | sort | uniq -c | tr '\n' ' ')"
	echo "    $what: $(wc -l < "$tmp/$name.st") system calls, $(opened "$name" | wc -l) opens (true: $(wc -l < "$tmp/true.st") calls)"
done

# what a device a section names gets: the record's lock, then the plan (its /sys files)
for name in block-vda netdev-ens3; do
	what="apply --only=${name%%-*} --device=${name#*-} (named)"
	opened "$name" | grep -q -x 'run/kvmtune\|lock' && calls "$name" | grep -q -x flock &&
		ok "$what takes the record's lock" || ko "$what does not take the record's lock: $(opened "$name" | tr '\n' ' ')"
	opened "$name" | grep -q "^sys/" && ok "$what reads its /sys files" || ko "$what reads no /sys file"
	echo "    $what: $(wc -l < "$tmp/$name.st") system calls, $(opened "$name" | wc -l) opens"
done
exit $fail
