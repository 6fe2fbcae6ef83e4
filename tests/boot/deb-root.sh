#!/bin/bash
# SPDX-License-Identifier: MIT
# The package's life in a throwaway Debian 12 root (a chroot, no systemd
# running): install, upgrade to a newer version, purge; then list what is
# left that was not there before the install: nothing of kvmtune's (its
# files, the units' enablement symlinks, deb-systemd-helper's state, the
# metrics file, /run/kvmtune, /run/modprobe.d/kvmtune.conf).
# Run by tests/boot/run.sh (`make boot-e2e`) as root:
#   tests/boot/deb-root.sh KVMTUNE.deb BASE-ROOT.tar
# Prints PASS:/FAIL: lines; exit 0 passed, 1 failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
deb=$1 base=$2
fail=0
check() {
	if [ "$2" = 0 ]; then echo "PASS: $1"; else fail=1; echo "FAIL: $1${3:+ ($3)}"; fi
}
work=$(mktemp -d /var/tmp/kvmtune-deb-root.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir "$root"
tar -C "$root" -xf "$base" || { echo "FAIL: cannot unpack $base"; exit 1; }
"$here/bump-deb" "$deb" "$work/new.deb" > "$work/bump.log" 2>&1 ||
	{ echo "FAIL: bump-deb: $(cat "$work/bump.log")"; exit 1; }
cp "$deb" "$root/tmp/old.deb"
cp "$work/new.deb" "$root/tmp/new.deb"
# node_exporter's textfile directory, as prometheus-node-exporter leaves it
mkdir -p "$root/var/lib/prometheus/node-exporter"

# every path, with its type, but dpkg's own bookkeeping (its database, log, backups)
snapshot() {
	(cd "$root" && find . -xdev -printf '%y %p\n') |
		grep -v -E '^. \./(var/lib/dpkg/(status|status-old|available|available-old|diversions|diversions-old|statoverride|statoverride-old|lock|lock-frontend|triggers/Lock|triggers/Unincorp)|var/log/dpkg\.log|var/log/alternatives\.log|tmp/.*)$' | sort
}
snapshot > "$work/before"

chroot "$root" dpkg -i /tmp/old.deb > "$work/dpkg.log" 2>&1
check "install ${deb##*/} in a chroot" $? "$(tail -n 3 "$work/dpkg.log" | tr '\n' ' ')"
chroot "$root" dpkg -i /tmp/new.deb > "$work/dpkg.log" 2>&1
check "upgrade to $(dpkg-deb -f "$work/new.deb" Version)" $? "$(tail -n 3 "$work/dpkg.log" | tr '\n' ' ')"
[ "$(chroot "$root" dpkg-query -W -f='${Version}' kvmtune)" = "$(dpkg-deb -f "$work/new.deb" Version)" ]
check "dpkg knows the new version" $?
[ -L "$root/etc/systemd/system/sysinit.target.wants/kvmtune.service" ] &&
	[ -L "$root/etc/systemd/system/timers.target.wants/kvmtune-ksm.timer" ]
check "the upgrade kept kvmtune.service and kvmtune-ksm.timer enabled" $?

# What kvmtune writes outside /etc while it runs: the metrics file (written here by the
# installed binary; verify only reads, and the chroot has no /proc or /sys of the host),
# a write of it cut short, and the run-time files its apply leaves.
chroot "$root" /usr/sbin/kvmtune verify --quiet --metrics /var/lib/prometheus/node-exporter/kvmtune.prom > "$work/verify.log" 2>&1
[ -s "$root/var/lib/prometheus/node-exporter/kvmtune.prom" ]
check "kvmtune verify --metrics wrote kvmtune.prom in the chroot" $? "$(head -n 2 "$work/verify.log" | tr '\n' ' ')"
echo partial > "$root/var/lib/prometheus/node-exporter/.kvmtune.prom.0123456789abcdef"
mkdir -p "$root/run/kvmtune" "$root/run/modprobe.d"
for f in lock revert last-apply ksm-auto; do echo x > "$root/run/kvmtune/$f"; done
echo "options kvm halt_poll_ns=0" > "$root/run/modprobe.d/kvmtune.conf"

chroot "$root" dpkg --purge kvmtune > "$work/dpkg.log" 2>&1
check "purge" $? "$(tail -n 3 "$work/dpkg.log" | tr '\n' ' ')"
snapshot > "$work/after"
left=$(comm -13 "$work/before" "$work/after")
gone=$(comm -23 "$work/before" "$work/after")
echo "what the install, upgrade and purge left behind: ${left:-nothing}"
check "nothing is left of kvmtune after the purge" "$([ -z "$left" ] && echo 0 || echo 1)" "$(echo $left)"
check "nothing that was there before is gone" "$([ -z "$gone" ] && echo 0 || echo 1)" "$(echo $gone)"
exit $fail
