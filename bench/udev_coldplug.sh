#!/bin/bash
# SPDX-License-Identifier: MIT
# One coldplug udev run of kvmtune on this host, as 81-kvmtune.rules starts
# it (`apply --only=KIND --device=NAME`, here with the bundled conf.d), for
# a device no section names and for one that a section names, against
# true(1): system calls (`strace -f -c`, and the files opened) and time
# (hyperfine -N, wall; perf stat -e task-clock, CPU).  In a private mount namespace with a tmpfs on /run (the
# record's lock), so the host's /run/kvmtune is never touched.  The named
# device's run compares its values and writes nothing when the host already
# has them (the bundled [block] wants mq-deadline on a rotational vd* disk).
#
#   bench/udev_coldplug.sh [KVMTUNE ...]     (default: ./kvmtune; root)
# Each binary's rows are labelled with its file name (copy builds of two
# commits to kvmtune-COMMIT to compare them).
# Environment: NOMATCH_NET (default eth0), NOMATCH_BLOCK (zram0),
# MATCH_BLOCK (vda), RUNS (hyperfine runs per command, 300).
# Prints a markdown table; exit 0.  Not a test: nothing is asserted.
set -u
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 1; }
if [ -z "${IN_NS:-}" ]; then
	exec unshare -m env IN_NS=1 bash -c 'mount --make-rprivate / && mount -t tmpfs tmpfs /run && exec "$0" "$@"' "$0" "$@"
fi
[ $# -gt 0 ] || set -- ./kvmtune
net=${NOMATCH_NET:-eth0} blk=${NOMATCH_BLOCK:-zram0} mblk=${MATCH_BLOCK:-vda} runs=${RUNS:-300}
conf=$PWD/conf.d
tmp=$(mktemp -d /tmp/kvmtune-udevbench-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

count() { # count COMMAND...: "syscalls opens" (of a second run: the first made /run/kvmtune)
	"$@" > /dev/null 2>&1
	strace -f -qq -o "$tmp/st" "$@" > /dev/null 2>&1
	echo "$(grep -vc '^[0-9]* *+++\|^[0-9]* *---' "$tmp/st") $(grep -c 'open\(at\|at2\)\?(' "$tmp/st")"
}
median_ms() { # median_ms COMMAND...
	hyperfine -N -w 20 -r "$runs" --export-json "$tmp/h.json" "$*" > /dev/null 2>&1 &&
		python3 -c 'import json,statistics,sys; t=json.load(open(sys.argv[1]))["results"][0]["times"]; print("%.2f" % (statistics.median(t)*1000))' "$tmp/h.json"
}
task_ms() { # task_ms COMMAND...: the mean CPU time (perf stat task-clock), ms
	perf stat -r "$runs" -x, -e task-clock "$@" 2>&1 > /dev/null | awk -F, '/task-clock/ { printf "%.3f", $1 }'
}
row() { # row LABEL COMMAND...
	local label=$1; shift
	read -r calls opens <<< "$(count "$@")"
	echo "| $label | $calls | $opens | $(median_ms "$@") | $(task_ms "$@") |"
}

echo "| run | system calls | opens | wall, median ms | CPU (task-clock), mean ms |"
echo "|---|---:|---:|---:|---:|"
row "true" /bin/true
for kv in "$@"; do
	v=$(basename "$kv")
	row "$v --only=netdev --device=$net (no section)" "$kv" --config-dir "$conf" apply --only=netdev --device="$net"
	row "$v --only=block --device=$blk (no section)" "$kv" --config-dir "$conf" apply --only=block --device="$blk"
	row "$v --only=cpu --device=cpu0 (no section)" "$kv" --config-dir "$conf" apply --only=cpu --device=cpu0
	row "$v --only=block --device=$mblk (named, values met)" "$kv" --config-dir "$conf" apply --only=block --device="$mblk"
done
