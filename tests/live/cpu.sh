#!/bin/bash
# Live test of [cpu] on the running kernel, for the knobs it has: per-CPU
# power/pm_qos_resume_latency_us (a number, and n/a) and the cpuidle states
# (idle_max_latency_us disables those deeper than the limit); then verify,
# a second apply that writes nothing, --device=cpuN as the udev rule runs it,
# and revert.  governor and energy_perf_bias are in the configuration too:
# where this kernel lacks cpufreq or energy_perf_bias they must be skipped
# with a notice (said here as "SKIP (part)"); where it has them, the current
# value is configured, so nothing changes.  kvmtune runs in a private mount
# namespace with a tmpfs on /run (the host's revert record is untouched);
# every value touched is saved first and put back on exit.
set -u
. "$(dirname "$0")/lib.bash"
live_require mountns
[ -x "$kv" ] || { echo "FAIL: no kvmtune binary at $kv"; exit 1; }
cpu=/sys/devices/system/cpu
[ -r $cpu/online ] || skip "no $cpu/online"

# online CPUs, from the kernel's cpulist ("0-3,8")
cpus=()
IFS=, read -ra ranges <"$cpu/online"
for r in "${ranges[@]}"; do
	a=${r%-*} b=${r#*-}
	for ((c = a; c <= b; c++)); do cpus+=("$c"); done
done
[ ${#cpus[@]} -gt 0 ] || skip "no online CPU"

# what this kernel lets us write
saved_files=()
have_qos=1 have_idle=1
for c in "${cpus[@]}"; do
	f=$cpu/cpu$c/power/pm_qos_resume_latency_us
	if [ -w "$f" ]; then saved_files+=("$f"); else have_qos=0; fi
	n=0
	for s in "$cpu/cpu$c"/cpuidle/state*; do
		[ -w "$s/disable" ] && [ -r "$s/latency" ] || continue
		saved_files+=("$s/disable")
		n=$((n + 1))
	done
	[ $n -gt 0 ] || have_idle=0
done
[ $have_qos = 1 ] || [ $have_idle = 1 ] || skip "neither pm_qos_resume_latency_us nor cpuidle states are writable on every online CPU"

fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

declare -A saved
for f in "${saved_files[@]}"; do saved[$f]=$(cat "$f"); done
tmp=$(mktemp -d /tmp/kvmtune-live-cpu-XXXXXX) || exit 1
restore() {
	local f
	for f in "${saved_files[@]}"; do
		[ "$(cat "$f")" = "${saved[$f]}" ] && continue
		echo "${saved[$f]}" >"$f" 2>/dev/null || echo "WARNING: could not restore $f to ${saved[$f]}"
	done
	rm -rf "$tmp"
}
trap restore EXIT
chmod 0755 "$tmp"

conf() {        # conf NAME <<EOF: a config file kvmtune accepts (root's, 0644)
	cat >"$tmp/$1"
	chown root:root "$tmp/$1"
	chmod 0644 "$tmp/$1"
}
run() {         # run CONF ARGS...: kvmtune with a private /run; stdout $out, stderr $err, status $rc
	local c=$1; shift
	unshare -m sh -c 'mount -t tmpfs tmpfs /run && exec "$@"' sh "$kv" --config "$tmp/$c" "$@" \
		>"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}
show() { echo "    exit $rc"; sed 's/^/    out: /' "$tmp/out"; sed 's/^/    err: /' "$tmp/err"; }

# --- the configuration -----------------------------------------------------
c0=${cpus[0]}
# a resume latency that differs from cpu0's, and a limit below the deepest state's exit latency
want_qos=25
[ $have_qos = 1 ] && [ "$(cat $cpu/cpu$c0/power/pm_qos_resume_latency_us)" = 25 ] && want_qos=30
deepest=0
for s in "$cpu/cpu$c0"/cpuidle/state*; do
	[ -r "$s/latency" ] || continue
	l=$(cat "$s/latency")
	[ "$l" -gt "$deepest" ] && deepest=$l
done
limit=$((deepest > 0 ? deepest - 1 : 0))
have_gov=0 have_epb=0
[ -r $cpu/cpu$c0/cpufreq/scaling_governor ] && have_gov=1
[ -r $cpu/cpu$c0/power/energy_perf_bias ] && have_epb=1
[ $have_gov = 1 ] || echo "SKIP (part): no cpufreq on cpu$c0: governor is only checked to be skipped with a notice"
[ $have_epb = 1 ] || echo "SKIP (part): no energy_perf_bias on cpu$c0: only checked to be skipped with a notice"
{
	echo "[cpu]"
	[ $have_qos = 1 ] && echo "resume_latency_us = $want_qos"
	[ $have_idle = 1 ] && echo "idle_max_latency_us = $limit"
	# where the knob exists, its current value: nothing to restore
	if [ $have_gov = 1 ]; then echo "governor = $(cat $cpu/cpu$c0/cpufreq/scaling_governor)"; else echo "governor = performance"; fi
	if [ $have_epb = 1 ]; then echo "energy_perf_bias = $(cat $cpu/cpu$c0/power/energy_perf_bias)"; else echo "energy_perf_bias = performance"; fi
} | conf cpu.conf
[ -d $cpu/intel_pstate ] || echo "SKIP (part): no intel_pstate here: min_perf_pct, max_perf_pct and no_turbo are not tested live"
[ $have_qos = 1 ] || echo "SKIP (part): pm_qos_resume_latency_us is not writable on every online CPU"
[ $have_idle = 1 ] || echo "SKIP (part): cpuidle states are not writable on every online CPU"

# start from every state enabled and no latency constraint, so that apply writes
for f in "${saved_files[@]}"; do echo 0 >"$f"; done

# --- apply, check, verify, apply again -------------------------------------
run cpu.conf apply
if [ $rc = 0 ]; then ok "apply exits 0"; else fail "apply exits $rc"; show; fi
[ $have_gov = 1 ] || grep -q "cpu governor: skipped: no cpufreq on CPU" <<<"$err" \
	&& ok "governor: set or skipped with a notice" || { fail "no notice for the missing cpufreq"; show; }
[ $have_epb = 1 ] || grep -q "cpu energy_perf_bias: skipped: no power/energy_perf_bias on CPU" <<<"$err" \
	&& ok "energy_perf_bias: set or skipped with a notice" || { fail "no notice for the missing energy_perf_bias"; show; }
bad=0
for c in "${cpus[@]}"; do
	if [ $have_qos = 1 ]; then
		v=$(cat $cpu/cpu$c/power/pm_qos_resume_latency_us)
		[ "$v" = $want_qos ] || { fail "cpu$c pm_qos_resume_latency_us is $v, expected $want_qos"; bad=1; }
	fi
	[ $have_idle = 1 ] || continue
	for s in "$cpu/cpu$c"/cpuidle/state*; do
		[ -w "$s/disable" ] || continue
		l=$(cat "$s/latency") d=$(cat "$s/disable")
		w=0; [ "$l" -gt $limit ] && w=1
		[ "$d" = $w ] || { fail "$s/disable is $d with latency $l and limit $limit"; bad=1; }
	done
done
[ $bad = 0 ] && ok "every online CPU reads back as configured"
if [ $have_idle = 1 ] && [ $deepest -gt 0 ]; then
	grep -q "cpuidle state[0-9]* disable: 0 -> 1" <<<"$out" && ok "a deep idle state was disabled" \
		|| { fail "apply disabled no idle state"; show; }
fi

run cpu.conf verify
if [ $rc = 0 ]; then ok "verify after apply exits 0"; else fail "verify exits $rc"; show; fi
run cpu.conf apply
if [ $rc = 0 ] && [ -z "$out" ]; then ok "a second apply writes nothing"; else fail "second apply: exit $rc"; show; fi

# --- n/a: no resume latency tolerated at all ---------------------------------
if [ $have_qos = 1 ]; then
	printf '[cpu "%s"]\nresume_latency_us = n/a\n' "$c0" | conf na.conf
	run na.conf apply
	v=$(cat $cpu/cpu$c0/power/pm_qos_resume_latency_us)
	[ $rc = 0 ] && [ "$v" = n/a ] && ok "resume_latency_us = n/a reads back as n/a" || { fail "n/a: cpu$c0 reads $v"; show; }
	run na.conf verify
	[ $rc = 0 ] && ok "verify counts n/a as met" || { fail "verify after n/a exits $rc"; show; }
	echo $want_qos >$cpu/cpu$c0/power/pm_qos_resume_latency_us
fi

# --- the udev rule's command for one CPU --------------------------------------
rules=$repo/udev/81-kvmtune.rules.in
cmd=$(sed -n '/SUBSYSTEM=="cpu"/s/.*RUN+="\([^"]*\)".*/\1/p' "$rules")
if [ -z "$cmd" ]; then
	fail "no cpu RUN+= in $rules"
elif [ ${#cpus[@]} -lt 2 ] || [ $have_qos = 0 ]; then
	echo "SKIP (part): --device=cpuN needs two online CPUs with pm_qos_resume_latency_us"
else
	c1=${cpus[1]}
	args=${cmd#*/kvmtune }
	args=${args//%k/cpu$c1}
	echo 0 >$cpu/cpu$c0/power/pm_qos_resume_latency_us
	echo 0 >$cpu/cpu$c1/power/pm_qos_resume_latency_us
	# shellcheck disable=SC2086
	run cpu.conf $args
	v0=$(cat $cpu/cpu$c0/power/pm_qos_resume_latency_us) v1=$(cat $cpu/cpu$c1/power/pm_qos_resume_latency_us)
	if [ $rc = 0 ] && [ "$v1" = $want_qos ] && [ "$v0" = 0 ]; then
		ok "the rule's command ($args) set cpu$c1 only"
	else
		fail "$args: exit $rc, cpu$c0 $v0, cpu$c1 $v1"; show
	fi
fi

# --- revert, within one private /run ------------------------------------------
for f in "${saved_files[@]}"; do echo 0 >"$f"; done
unshare -m sh -c 'mount -t tmpfs tmpfs /run && "$1" --config "$2" apply && "$1" --config "$2" revert' \
	sh "$kv" "$tmp/cpu.conf" >"$tmp/out" 2>"$tmp/err"
rc=$?
bad=0
for f in "${saved_files[@]}"; do
	[ "$(cat "$f")" = 0 ] || { fail "after revert $f is $(cat "$f"), expected 0"; bad=1; }
done
[ $rc = 0 ] || { fail "apply and revert: exit $rc"; show; }
[ $rc = 0 ] && [ $bad = 0 ] && ok "revert puts every value back"

[ $fails = 0 ] && echo "PASS: [cpu] on the live kernel"
exit $((fails > 0))
