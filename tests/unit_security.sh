#!/bin/bash
# The units' sandboxing, as `make install` installs them:
# - `systemd-analyze security --offline=true` gives each service an exposure
#   no higher than README.md's table says ("Sandboxing"): a directive dropped
#   or loosened raises the score and fails here;
# - kvmtune.service creates no mount namespace (its hugetlbfs mounts must be
#   the host's): none of the directives that make one;
# - kvmtune-verify.service keeps the host's network namespace (verify checks
#   the host's interfaces).
# Skipped only when systemd-analyze lacks `security --offline` (systemd < 252).
set -u
cd "$(dirname "$0")/.." || exit 1
command -v systemd-analyze > /dev/null || { echo "SKIP: systemd-analyze is not installed"; exit 77; }
systemd-analyze security --help 2>&1 | grep -q -- '--offline' ||
	{ echo "SKIP: systemd-analyze security has no --offline ($(systemd-analyze --version | head -n 1))"; exit 77; }
dest=$(mktemp -d /tmp/kvmtune-security-XXXXXX)
trap 'rm -rf "$dest"' EXIT
fail=0
make -s install DESTDIR="$dest" SYSTEMDUNITDIR=/units > /dev/null || { echo "FAIL: make install"; exit 1; }
units=$dest/units

for unit in kvmtune.service kvmtune-ksm.service kvmtune-verify.service; do
	# README.md: | `kvmtune.service` | 4.7 | ... |
	documented=$(sed -n "s/^| \`$unit\` | \([0-9.]*\) |.*/\1/p" README.md)
	[ -n "$documented" ] || { echo "FAIL: README.md documents no exposure for $unit"; fail=1; continue; }
	out=$(cd "$units" && systemd-analyze security --offline=true --no-pager "./$unit" 2>&1)
	score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) .*/\1/p' <<< "$out")
	if [ -z "$score" ]; then
		echo "FAIL: $unit: no score from systemd-analyze security:"; sed 's/^/    /' <<< "$out"; fail=1
	elif awk -v s="$score" -v d="$documented" 'BEGIN { exit !(s > d) }'; then
		echo "FAIL: $unit: exposure $score, above README.md's $documented; what it allows:"
		grep '✗' <<< "$out" | sed 's/^/    /'
		fail=1
	else
		echo "ok: $unit: exposure $score (README.md: $documented)"
	fi
done

# The boot unit's hugetlbfs mounts, sysctl and sysfs writes are the host's: nothing that
# makes a mount namespace (systemd's exec_needs_mount_namespace()).
ns=$(grep -E '^(ProtectSystem|ProtectHome|PrivateTmp|PrivateDevices|PrivateMounts|PrivateNetwork|PrivateUsers|PrivateIPC|ReadWritePaths|ReadOnlyPaths|InaccessiblePaths|ExecPaths|NoExecPaths|BindPaths|BindReadOnlyPaths|TemporaryFileSystem|MountFlags|ProtectKernelTunables|ProtectKernelModules|ProtectKernelLogs|ProtectControlGroups|ProtectHostname|ProtectProc|ProcSubset|RootDirectory|RootImage|MountAPIVFS|StateDirectory|CacheDirectory|LogsDirectory|RuntimeDirectory|DynamicUser)=' \
	"$units/kvmtune.service")
if [ -n "$ns" ]; then
	echo "FAIL: kvmtune.service would run in a namespace of its own:"; sed 's/^/    /' <<< "$ns"; fail=1
else
	echo "ok: kvmtune.service: no namespace directive"
fi
grep -q '^PrivateNetwork=' "$units/kvmtune-verify.service" &&
	{ echo "FAIL: kvmtune-verify.service has PrivateNetwork=: verify would see no interface"; fail=1; }
exit $fail
