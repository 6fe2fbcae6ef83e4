#!/bin/bash
# kvmtune-ksm.timer and kvmtune-ksm.service, as `make install` installs them:
# systemd-analyze verify passes; the service runs one tick (`kvmtune apply
# --only=ksm`) of the installed binary; the timer ticks every minute, is
# enabled into timers.target, and starts only where the boot apply left the
# policy's state (/run/kvmtune/ksm-auto), after kvmtune.service.
set -u
cd "$(dirname "$0")/.."
command -v systemd-analyze >/dev/null || { echo "SKIP: systemd-analyze is not installed"; exit 77; }
dest=$(mktemp -d /tmp/kvmtune-units-XXXXXX)
trap 'rm -rf "$dest"' EXIT
fail=0
make -s install DESTDIR="$dest" SYSTEMDUNITDIR=/lib/systemd/system >/dev/null || { echo "make install failed"; exit 1; }
units=$dest/lib/systemd/system
svc=$units/kvmtune-ksm.service timer=$units/kvmtune-ksm.timer
[ -f "$svc" ] && [ -f "$timer" ] || { echo "FAIL: units not installed"; exit 1; }
grep -qx 'ExecStart=/usr/sbin/kvmtune apply --only=ksm' "$svc" || { echo "FAIL: the service does not run one tick"; fail=1; }
grep -q '^\[Install\]' "$svc" && { echo "FAIL: the service is enabled by itself, not by its timer"; fail=1; }
for line in 'OnUnitActiveSec=60s' 'ConditionPathExists=/run/kvmtune/ksm-auto' 'After=kvmtune.service' \
	'WantedBy=timers.target'; do
	grep -qx "$line" "$timer" || { echo "FAIL: the timer lacks $line"; fail=1; }
done
# verify checks that ExecStart= exists and that the timer's service is there: both into one staging dir
mkdir "$dest/verify"
sed "s|^ExecStart=/usr/sbin/kvmtune|ExecStart=$dest/usr/sbin/kvmtune|" "$svc" >"$dest/verify/kvmtune-ksm.service"
cp "$timer" "$dest/verify/"
sed "s|^ExecStart=/usr/sbin/kvmtune|ExecStart=$dest/usr/sbin/kvmtune|" "$units/kvmtune.service" >"$dest/verify/kvmtune.service"
out=$(cd "$dest/verify" && systemd-analyze verify --man=no kvmtune-ksm.timer kvmtune-ksm.service 2>&1)
if [ -n "$out" ]; then echo "FAIL: systemd-analyze verify: $out"; fail=1; else echo "ok: systemd-analyze verify"; fi
exit $fail
