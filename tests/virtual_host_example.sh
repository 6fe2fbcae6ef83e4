#!/bin/bash
# conf.d/60-virtual-host.conf.example (TuneD's virtual-host profile as
# kvmtune configuration) parses and plans on this machine: exit 0, no error
# line, every one of its settings planned (set, ok, or skip with a reason
# where this host lacks the knob, as TuneD skips it).
set -u
cd "$(dirname "$0")/.." || exit 1
kv=${KVMTUNE:-$PWD/kvmtune}
ex=conf.d/60-virtual-host.conf.example
out=$("$kv" plan --config "$ex" 2>/tmp/kvmtune-vh.err); rc=$?
err=$(cat /tmp/kvmtune-vh.err); rm -f /tmp/kvmtune-vh.err
fail=0
[ $rc = 0 ] || { echo "FAIL: plan exited $rc"; fail=1; }
if grep -q '^error' <<<"$out" || grep -qiE 'syntax|unknown|invalid' <<<"$err"; then
	echo "FAIL: errors:"; grep '^error' <<<"$out"; echo "$err"; fail=1
fi
for want in "sysctl vm.dirty_ratio" "sysctl vm.swappiness" "sysctl net.core.somaxconn" \
	    "sysctl vm.dirty_background_ratio" "cpu min_perf_pct" "governor" "energy_perf_bias" \
	    $([ -d /sys/devices/system/cpu/cpu0/cpuidle ] && echo cpuidle); do
	grep -q "$want" <<<"$out" || { echo "FAIL: '$want' not planned"; fail=1; }
done
grep -q "vm.dirty_background_ratio: [0-9]* -> 5" <<<"$out" || { echo "FAIL: virtual-host's 5 does not win"; fail=1; }
[ $fail = 0 ] && echo "PASS: $(wc -l <<<"$out") settings planned from $ex"
exit $fail
