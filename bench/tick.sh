#!/bin/bash
# SPDX-License-Identifier: MIT
# [ksm] run = auto against ksmtuned (issue 36): the CPU time and the wall
# time of one tick, at 10 and at 1,000 processes.  Run by `make bench` (the
# part "tick" of BENCH_ONLY) or alone, as root.  See bench/README.md.
#
# kvmtune's tick is what kvmtune-ksm.service starts: `kvmtune apply
# --only=ksm`, here with --root on a tree whose proc is this PID namespace's
# procfs, whose run is a tmpfs (as /run is), whose sys/kernel/mm/ksm holds
# plain files on a tmpfs (sysfs is in memory too), and whose configuration is the packaged conf.d plus
# `[ksm] run = auto` in /etc.  hyperfine -N runs it, `--prepare` setting the
# knobs away from the decision and the state file to a tick an interval old,
# so that every run decides and writes.  CPU time: the user + system time
# hyperfine takes from the kernel for each run (getrusage); wall: hyperfine's.
# `kvmtune --version` in the same hyperfine run gives the floor: the start
# and exit of the same static binary; bench/tick-floor.c, built as kvmtune
# is linked, the tick's reads and writes and nothing else (no parse, no
# decision, no revert record, no read-back): the cost of the tick's system
# calls, below which no tool that execs once a tick goes.  Where perf is installed, the same
# tick under `perf stat -e task-clock` in the same hyperfine run gives its
# CPU time from its exec on (what perf counts: not the exec itself, nor the
# spawning process's side of it).
#
# ksmtuned's iteration is one pass of its loop, `sleep N & wait $!; adjust`
# (with `sleep 0`), in one long-lived bash that sourced Debian's ksmtuned
# (apt-get download + dpkg-deb -x into the cache of
# tests/live/ksmtuned_diff.sh; never installed), its KSMCTL writing the same
# three files into a tmpfs of its own instead of /sys/kernel/mm/ksm.
# `adjust` alone is measured too.  CPU time: getrusage through bash's `times`
# (the shell's own time and that of every child it waited for: ps, pgrep,
# awk, the subshells), over TICK_ITER_KSMTUNED iterations; wall:
# $EPOCHREALTIME around them.
#
# Both run in a PID namespace of their own (unshare -p --mount-proc), so that
# the process table they scan holds what the bench starts: 2 stand-in guests
# (tests/live/memhold.c built as qemu-system-x86_64, so that its exe and comm
# name a guest, under a `qemu-system-x86_64 -enable-kvm -m 64` argv,
# as tests/live/ksm_auto.sh starts them, 64 MiB resident each) and sleeping
# processes up to N in all, for each N of TICK_PROCS.  Two states of the
# policy, both tools configured alike: "stop" (the defaults; free memory is
# above the 20% threshold: KSM stopped) and "boost" (a threshold of 100% of
# MemTotal: KSM started, npages boosted).
#
# TICK_ROUNDS rounds (5), the tools' order reversed every other round; the
# report gives the median of the rounds' means and every round's mean.
#
# Environment: KVMTUNE (./kvmtune), BENCH_OUT (a directory: tick.tsv,
# tick.machine and the hyperfine JSON under tick-json/), TICK_ROUNDS (5),
# TICK_PROCS ("10 1000"), TICK_RUNS_KVMTUNE (60 per round),
# TICK_ITER_KSMTUNED (10 per round), KVMTUNE_TEST_CACHE (/var/tmp/kvmtune-tests),
# TICK_TRACE (set: the namespace's part runs under bash -x).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
say() { printf 'bench tick: %s\n' "$*" >&2; }

# ---------------------------------------------------------------- outer
if [ "${1:-}" != --inner ]; then
	[ "$(id -u)" = 0 ] || { say "must run as root (namespaces, bind mounts)"; exit 1; }
	KV=${KVMTUNE:-$repo/kvmtune}
	[ -x "$KV" ] || { say "no kvmtune binary at $KV (make kvmtune)"; exit 1; }
	if ldd "$KV" 2>/dev/null | grep -qE 'libasan|libubsan'; then
		say "$KV is an instrumented build (SANITIZE=1?): rebuild with 'make kvmtune'"
		exit 1
	fi
	for c in hyperfine pgrep ps awk dpkg-deb apt-get unshare python3 readelf "${CC:-cc}"; do
		command -v "$c" >/dev/null || { say "$c is not available"; exit 1; }
	done
	cache=${KVMTUNE_TEST_CACHE:-/var/tmp/kvmtune-tests}
	mkdir -p "$cache"
	deb=$(ls "$cache"/ksmtuned_*.deb 2>/dev/null | tail -1 || true)
	if [ -z "$deb" ]; then
		(cd "$cache" && { apt-get download -qq ksmtuned 2>/dev/null ||
			{ apt-get update -qq >/dev/null 2>&1 && apt-get download -qq ksmtuned; }; })
		deb=$(ls "$cache"/ksmtuned_*.deb | tail -1)
	fi
	T=$(mktemp -d /tmp/kvmtune-tick-XXXXXX)
	chmod 0755 "$T"
	trap 'rm -rf "$T"' EXIT
	OUT=${BENCH_OUT:-$T/out}
	mkdir -p "$OUT/tick-json"
	rm -f "$OUT"/tick-json/*.json
	dpkg-deb -x "$deb" "$T/pkg"
	install -m 0755 "$KV" "$T/kvmtune"	# a private copy: the work tree may be rebuilt meanwhile
	"${CC:-cc}" -O2 -o "$T/qemu-system-x86_64" "$repo/tests/live/memhold.c"
	# the reference: the tick's system calls alone, linked as kvmtune is (static-pie or pie)
	link=-static-pie; readelf -l "$KV" | grep -q INTERP && link=-pie
	"${CC:-cc}" -std=gnu11 -O2 -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE $link \
		-Wl,-z,relro,-z,now -o "$T/tick-floor" "$here/tick-floor.c"
	{
		echo "ksmtuned: $(basename "$deb"), adjust from its /usr/sbin/ksmtuned"
		echo "kvmtune: $KV, $("$KV" --version) ($(cd "$repo" && git describe --always --dirty 2>/dev/null || echo '?'))"
		echo "procps: $(ps --version 2>&1 | head -1); awk: $(readlink -f "$(command -v awk)"); $(hyperfine --version)"
		echo "load average at the start of the tick part: $(cut -d' ' -f1-3 /proc/loadavg)"
	} >"$OUT/tick.machine"
	T=$T OUT=$OUT unshare --mount --pid --fork --mount-proc --propagation private \
		bash ${TICK_TRACE:+-x} "$0" --inner
	echo "load average at the end of the tick part: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/tick.machine"
	if [ -z "${BENCH_INNER:-}" ]; then	# alone: the report's tick section
		python3 "$here/genconf.py" tick-report "$OUT" | tee "$OUT/tick.md"
	fi
	exit 0
fi

# ------------------------------------- inside: PID 1 of a namespace of our own
ROUNDS=${TICK_ROUNDS:-5}
PERF=$(command -v perf || true)		# optional: the tick from its exec on
NKV=${TICK_RUNS_KVMTUNE:-60}
NKT=${TICK_ITER_KSMTUNED:-10}
R=$T/root
KT=$T/ksm-ksmtuned		# ksmtuned's KSMCTL writes here
KK=$R/sys/kernel/mm/ksm		# kvmtune's
ST=$R/run/kvmtune/ksm-auto
mkdir -p "$R/proc" "$R/run" "$R/sys" "$KT" "$R/etc/kvmtune/conf.d" "$R/usr/lib/kvmtune/conf.d"
mount --bind /proc "$R/proc"
mount -t tmpfs -o mode=0755 tmpfs "$R/run"
mkdir "$R/run/kvmtune"
# the fake knobs of both tools on tmpfs, as sysfs is in memory: a write
# truncates a plain file, which on the disk's file system freed its block
# and discarded it, synchronously (a fifth of a tick at 10 processes)
mount -t tmpfs -o mode=0755 tmpfs "$R/sys"
mount -t tmpfs -o mode=0755 tmpfs "$KT"
mkdir -p "$KK"
install -m 0644 "$repo"/conf.d/*.conf "$R/usr/lib/kvmtune/conf.d/"
for d in "$KK" "$KT"; do
	echo 0 >"$d/run"; echo 100 >"$d/pages_to_scan"; echo 20 >"$d/sleep_millisecs"
done

# ksmtuned: its variables and functions (not its config file, not its loop), KSMCTL on $KT
script=$T/pkg/usr/sbin/ksmtuned
sed -e '/^if \[ -f \/etc\/ksmtuned.conf \]; then$/,/^fi$/d' -e '/^PIDFILE=/,$d' \
	-e "s#/sys/kernel/mm/ksm/#$KT/#g" "$script" >"$T/ksmtuned-tick.bash"
for fn in adjust committed_memory free_memory increase_npages KSMCTL; do
	grep -q "^$fn *()" "$T/ksmtuned-tick.bash" || { say "$script has no $fn(): a new ksmtuned?"; exit 1; }
done
! grep -q '/sys/kernel/mm/ksm\|ksmtuned.conf\|^ *loop &' "$T/ksmtuned-tick.bash" ||
	{ say "could not cut $script down"; exit 1; }

# ksmtuned-loop.bash MODE N: N iterations of `sleep 0 & wait $!; adjust`
# (MODE loop) or of `adjust` (MODE adjust).  Prints the CPU time and the
# wall time of all N in µs, the committed memory and npages it saw.
cat >"$T/ksmtuned-loop.bash" <<-'EOF'
us() {	# the times that `times` wrote into FILE, summed, in µs
	local v t=0 m s
	for v in $(<"$1"); do
		m=${v%%m*} s=${v#*m}; s=${s%s}
		t=$((t + m * 60000000 + ${s%.*} * 1000000 + 10#${s#*.} * 1000))
	done
	echo $t
}
DEBUG= LOGFILE=
[ "$STATE" = boost ] && KSM_THRES_COEF=100
. "$T/ksmtuned-tick.bash"
adjust; adjust				# warm-up
times >"$T/t0"; s=${EPOCHREALTIME/./}
if [ "$1" = loop ]; then
	for ((i = 0; i < $2; i++)); do sleep 0 & wait $!; adjust; done
else
	for ((i = 0; i < $2; i++)); do adjust; done
fi
e=${EPOCHREALTIME/./}; times >"$T/t1"
echo "$(($(us "$T/t1") - $(us "$T/t0"))) $((10#$e - 10#$s)) $(committed_memory) $npages"
EOF

# reset.bash: before each kvmtune run, the knobs away from the decision
# (run flipped, pages_to_scan 100, sleep_millisecs 20) and the state file
# as the last tick left it, but an interval old
cat >"$T/reset.bash" <<-EOF
read -r run <"$KK/run"
echo \$((1 - run)) >"$KK/run"; echo 100 >"$KK/pages_to_scan"; echo 20 >"$KK/sleep_millisecs"
cp "$T/state.prep" "$ST"
EOF

conf() {	# conf STATE: the snippet of a host with run = auto, in /etc
	{
		printf '# bench/tick.sh: ksmtuned'"'"'s policy, every minute\n[ksm]\nrun = auto\n'
		if [ "$1" = boost ]; then printf 'auto-threshold = 100%%\n'; fi
	} >"$R/etc/kvmtune/conf.d/70-ksm-auto.conf"
}
field() { awk -v k="$1" '$1 == k {print $2}' "$ST"; }
count_procs() { local p; nprocs=0; for p in /proc/[0-9]*; do nprocs=$((nprocs + 1)); done; }

for g in 1 2; do
	( exec -a qemu-system-x86_64 "$T/qemu-system-x86_64" -enable-kvm -m 64 -smp 1 -name guest$g -pidfile "$T/guest$g.pid" ) &
done
for _ in $(seq 400); do [ -s "$T/guest1.pid" ] && [ -s "$T/guest2.pid" ] && break; sleep 0.05; done
[ -s "$T/guest1.pid" ] && [ -s "$T/guest2.pid" ] || { say "the stand-in guests did not start"; exit 1; }

: >"$OUT/tick.tsv"
for n in ${TICK_PROCS:-10 1000}; do
	# N in all while a tool runs: this shell, the guests, the sleepers and the tool
	count_procs
	for ((i = nprocs; i < n - 1; i++)); do sleep 1d & done
	count_procs
	have=$((nprocs + 1))
	for state in stop boost; do
		conf $state
		rm -f "$ST"
		"$T/kvmtune" --root "$R" apply --only=ksm >/dev/null
		sed 's/^tick_ms .*/tick_ms 0/' "$ST" >"$T/state.prep"
		say "$have processes, $state: $ROUNDS rounds"
		for ((r = 0; r < ROUNDS; r++)); do
			order="kvmtune ksmtuned-loop ksmtuned-adjust"
			[ $((r % 2)) = 1 ] && order="ksmtuned-adjust ksmtuned-loop kvmtune"
			for tool in $order; do
				case $tool in
				kvmtune)
					j=$OUT/tick-json/$have-$state-$r.json
					cmds=("$T/kvmtune --root $R apply --only=ksm" "$T/kvmtune --version" "$T/tick-floor $R")
					[ $((r % 2)) = 1 ] && cmds=("${cmds[2]}" "${cmds[1]}" "${cmds[0]}")
					# the same tick counted from its exec on (perf's task-clock): without the exec itself
					rm -f "$T/perf.csv"
					[ -n "$PERF" ] && cmds+=("$PERF stat -x , -e task-clock --append -o $T/perf.csv $T/kvmtune --root $R apply --only=ksm")
					hyperfine -N -i --style none --warmup 3 --runs "$NKV" --prepare "bash $T/reset.bash" \
						--export-json "$j" "${cmds[@]}" >/dev/null 2>"$T/hyperfine.err" ||
						{ say "hyperfine failed"; cat "$T/hyperfine.err" >&2; exit 1; }
					# hyperfine's results: CPU (user + system) and wall per run in µs, exit codes
					# and perf's task-clock of the last NKV runs (the warm-ups come first)
					python3 - "$j" "$T/perf.csv" "$NKV" >"$T/hf" <<-'EOF'
					import json, os, sys
					for r in json.load(open(sys.argv[1]))["results"]:
					    if r["command"].startswith(("perf ", "/")) and " stat " in r["command"]:
					        clocks = [float(l.split(",")[0]) for l in open(sys.argv[2])
					                  if l.strip() and not l.startswith("#")][-int(sys.argv[3]):]
					        print("kvmtune-exec", round(sum(clocks) / len(clocks) * 1e3), 0,
					              ",".join(str(c) for c in sorted(set(r["exit_codes"]))))
					        continue
					    tool = ("kvmtune-version" if r["command"].endswith("--version") else
					            "tick-floor" if "/tick-floor " in r["command"] else "kvmtune")
					    print(tool, round((r["user"] + r["system"]) * 1e6), round(r["mean"] * 1e6),
					          ",".join(str(c) for c in sorted(set(r["exit_codes"]))))
					EOF
					# then one tick more, untimed: the decision it wrote
					bash "$T/reset.bash"
					"$T/kvmtune" --root "$R" apply --only=ksm >/dev/null
					while read -r t cpu wall ex; do
						[ "$ex" = 0 ] || { say "$t exited $ex"; exit 1; }
						knobs="$(<"$KK/run")/$(<"$KK/pages_to_scan")"
						[ $t = kvmtune ] || knobs=
						[ $t = kvmtune-exec ] && wall=
						printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$have" "$state" "$t" "$r" \
							"$NKV" "$cpu" "$wall" "$(field committed_kb)" "$(field npages)" "$knobs" \
							"$(field guests)" >>"$OUT/tick.tsv"
					done <"$T/hf"
					;;
				ksmtuned-*)
					set -- $(T=$T STATE=$state bash "$T/ksmtuned-loop.bash" "${tool#ksmtuned-}" "$NKT")
					[ $# = 4 ] || { say "$tool: no result"; exit 1; }
					printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$have" "$state" "$tool" "$r" \
						"$NKT" "$(($1 / NKT))" "$(($2 / NKT))" "$3" "$4" "$(<"$KT/run")/$(<"$KT/pages_to_scan")" \
						"" >>"$OUT/tick.tsv"
					;;
				esac
			done
		done
	done
done
