#!/bin/bash
# SPDX-License-Identifier: MIT
# Real boot of the Debian package (`make boot-e2e`): a minimal Debian 12
# root (mmdebstrap: systemd, udev, kmod, iproute2, ethtool), the kvmtune .deb
# installed into it with dpkg, tests/boot/90-boot.conf in /etc/kvmtune/conf.d,
# booted with Debian's kernel under qemu (TCG, serial console, in a network
# namespace of its own) with 3 virtio disks and 3 NICs: a virtio one on a
# user-mode network with restrict=on (no route out), a multiqueue virtio one
# (mq=on, 4 queue pairs, on a tap device of that namespace) and an e1000e.
# The guest checks itself (guest/kvmtune-boot-check) and prints PASS/FAIL.
# Boots: "full" (virtio_net in the initramfs; then a disk and a NIC are
# hot-added through QMP, then revert/verify), "boot" (virtio_net loaded from
# the root), "disabled" (kvmtune=0) and "ksm-auto" ([ksm] run = auto:
# kvmtune-ksm.timer starts at boot and ticks; then kvmtune-verify.service
# writes its metrics, and a newer version of the package is installed over
# the running one: both timers run again, kvmtune.service is not re-run).
# Then the timing boots (tests/boot/timing.sh): the packaged defaults (and,
# on request, a heavy configuration), with the initrd hook, timed, a report
# printed and never asserted.
# Before the boots, tests/boot/deb-root.sh installs, upgrades and purges the
# package in a chroot and lists what is left.
#
# Environment: KVMTUNE_DEB (the .deb; default ../kvmtune_VERSION_amd64.deb),
# KVMTUNE_BOOT_CACHE (default /var/tmp/kvmtune-boot), KVMTUNE_BOOT_KEEP=1,
# KVMTUNE_BOOT_VERBOSE=1, KVMTUNE_BOOT_TIMEOUT (seconds per boot, 900),
# KVMTUNE_BOOT_ONLY (the boots to run, default "full boot disabled ksm-auto
# timing"), BOOT_TIMING_BOOTS and BOOT_TIMING_CONFS (tests/boot/timing.sh).
# Exit: 0 passed, 1 a check failed, 77 skipped.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=${KVMTUNE_BOOT_CACHE:-/var/tmp/kvmtune-boot}
boot_timeout=${KVMTUNE_BOOT_TIMEOUT:-900}
started=$SECONDS
skip() { echo "SKIP: $*"; exit 77; }
die() { echo "FAIL: $*"; exit 1; }
say() { echo "boot-e2e: $*"; }

[ "$(id -u)" = 0 ] || skip "not root (needs apt-get, mmdebstrap, dpkg in a chroot)"
[ "$(uname -m)" = x86_64 ] || skip "needs an x86_64 host"
if [ -z "${KVMTUNE_DEB:-}" ]; then
	ver=$(cd "$top" && dpkg-parsechangelog -S Version 2> /dev/null)
	KVMTUNE_DEB=$top/../kvmtune_${ver}_amd64.deb
fi
[ -f "$KVMTUNE_DEB" ] || die "no package $KVMTUNE_DEB (run make deb)"

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq > /dev/null 2>&1 || skip "apt-get update failed (no package archive)"
missing=
for p in mmdebstrap qemu-system-x86 dracut-core cpio kmod e2fsprogs; do
	dpkg-query -W -f='${Status}' "$p" 2> /dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	say "installing:$missing"
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing > /dev/null 2>&1 || skip "cannot install$missing"
fi

mkdir -p "$cache"
exec 9> "$cache/.lock"
flock 9
# ---- kernel .deb and base root, cached -----------------------------------------
kpkg=$(apt-cache depends linux-image-amd64 2> /dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
[ -n "$kpkg" ] || skip "apt knows no linux-image-amd64"
kdeb=$(ls "$cache/${kpkg}"_*_amd64.deb 2> /dev/null | tail -n 1)
if [ -z "$kdeb" ]; then
	say "downloading $kpkg"
	(cd "$cache" && apt-get download -qq -o APT::Sandbox::User=root "$kpkg" > /dev/null 2>&1) || skip "cannot download $kpkg"
	kdeb=$(ls "$cache/${kpkg}"_*_amd64.deb | tail -n 1)
	for old in "$cache"/linux-image-*.deb; do [ "$old" = "$kdeb" ] || rm -f "$old"; done
fi
include=systemd,systemd-sysv,udev,kmod,iproute2,ethtool,libinih1,libkmod2,libmount1
base=$cache/base-bookworm-$(echo "$include" | md5sum | cut -c1-8).tar
if [ ! -s "$base" ]; then
	say "building the base root with mmdebstrap"
	t0=$SECONDS
	mmdebstrap --quiet --format=tar --variant=minbase --include="$include" bookworm "$base.tmp" > "$cache/mmdebstrap.log" 2>&1 \
		|| { tail -n 20 "$cache/mmdebstrap.log"; rm -f "$base.tmp"; die "mmdebstrap failed"; }
	mv "$base.tmp" "$base"
	say "base root built in $((SECONDS - t0))s"
fi
flock -u 9

only=" ${KVMTUNE_BOOT_ONLY:-full boot disabled ksm-auto timing} "
pass=0 fail=0
# ---- install, upgrade, purge in a chroot ------------------------------------------
say "install, upgrade and purge in a chroot"
while IFS= read -r l; do
	echo "$l"
	case $l in PASS:*) pass=$((pass + 1)) ;; FAIL:*) fail=$((fail + 1)) ;; esac
done < <(bash "$here/deb-root.sh" "$KVMTUNE_DEB" "$base" 2>&1)

# ---- work directory ------------------------------------------------------------
work=$(mktemp -d /var/tmp/kvmtune-boot-run.XXXXXX) || die "mktemp failed"
qemu_pid=
cleanup() {
	[ -n "$qemu_pid" ] && kill "$qemu_pid" 2> /dev/null
	if [ -n "${KVMTUNE_BOOT_KEEP:-}" ]; then say "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
check() {
	if [ "$2" = 0 ]; then pass=$((pass + 1)); echo "PASS: $1"; else fail=$((fail + 1)); echo "FAIL: $1${3:+ ($3)}"; fi
}

root=$work/root
mkdir "$root" "$work/kernel"
tar -C "$root" -xf "$base" || die "cannot unpack $base"
dpkg-deb --fsys-tarfile "$kdeb" | tar -x -C "$work/kernel" --wildcards './boot/vmlinuz-*' || die "cannot unpack $kdeb"
dpkg-deb --fsys-tarfile "$kdeb" | tar -x -C "$root" --keep-directory-symlink --wildcards './lib/modules/*' || die "cannot unpack modules"
vmlinuz=$(ls "$work"/kernel/boot/vmlinuz-* | head -n 1)
kver=${vmlinuz##*/vmlinuz-}
depmod -b "$root" "$kver" || die "depmod failed"

cp "$KVMTUNE_DEB" "$root/tmp/kvmtune.deb"
chroot "$root" dpkg -i /tmp/kvmtune.deb > "$work/dpkg.log" 2>&1
check "dpkg -i installs ${KVMTUNE_DEB##*/} in the root" $? "$(tail -n 3 "$work/dpkg.log" | tr '\n' ' ')"
rm -f "$root/tmp/kvmtune.deb"
[ -L "$root/etc/systemd/system/sysinit.target.wants/kvmtune.service" ]
check "postinst enabled kvmtune.service (sysinit.target.wants)" $?
[ -f "$root/lib/systemd/system/kvmtune-verify.timer" ] && [ ! -e "$root/etc/systemd/system/timers.target.wants/kvmtune-verify.timer" ]
check "kvmtune-verify.timer installed, not enabled" $?
# the newer version the ksm-auto boot upgrades to
"$here/bump-deb" "$KVMTUNE_DEB" "$root/root/kvmtune-upgrade.deb" || die "bump-deb failed"
install -d -m 0755 "$root/etc/kvmtune/conf.d"
# the disabled boot leaves this for the ksm-auto one
[[ $only == *" ksm-auto "* && $only != *" disabled "* ]] &&
	printf '[ksm]\nrun = auto\n' > "$root/etc/kvmtune/conf.d/95-ksm-auto.conf"
install -m 0644 "$here/90-boot.conf" "$root/etc/kvmtune/conf.d/90-boot.conf"
install -m 0755 "$here/guest/kvmtune-boot-check" "$root/usr/local/sbin/kvmtune-boot-check"
install -m 0644 "$here/guest/kvmtune-boot-check.service" "$root/etc/systemd/system/"
ln -s ../kvmtune-boot-check.service "$root/etc/systemd/system/multi-user.target.wants/kvmtune-boot-check.service"
ln -sf /lib/systemd/system/multi-user.target "$root/etc/systemd/system/default.target"
ln -sf /dev/null "$root/etc/systemd/system/serial-getty@ttyS0.service"
ln -sf /dev/null "$root/etc/systemd/system/getty@tty1.service"
echo kvmtune-boot > "$root/etc/hostname"
tr -d '-' < /proc/sys/kernel/random/uuid > "$root/etc/machine-id"
truncate -s 2G "$work/vda.img"
mkfs.ext4 -q -F -L root -d "$root" "$work/vda.img" || die "mkfs.ext4 -d failed"
for d in vdb vdc vdd; do truncate -s 64M "$work/$d.img"; done

# mkinitrd NAME DRIVERS: a shell-init dracut initramfs with exactly these drivers
mkinitrd() {
	mkdir -p "$work/dracut.conf.d"
	dracut --force --quiet --no-hostonly --no-hostonly-cmdline --conf /dev/null --confdir "$work/dracut.conf.d" \
		--tmpdir "$work" --kver "$kver" --kmoddir "$root/lib/modules/$kver" \
		--modules "base rootfs-block kernel-modules udev-rules" --drivers "$2" \
		--no-compress --no-early-microcode "$work/$1.img" > "$work/$1.dracut.log" 2>&1 \
		|| { sed 's/^/    /' "$work/$1.dracut.log"; die "dracut ($1) failed"; }
	cpio -it --quiet < "$work/$1.img" > "$work/$1.list" 2> /dev/null
}
mkinitrd with-net "virtio_pci virtio_blk ext4 virtio_net"
mkinitrd without-net "virtio_pci virtio_blk ext4"
grep -q '/virtio_net\.ko' "$work/with-net.list"; check "initramfs 1 holds virtio_net" $?
! grep -q '/virtio_net\.ko' "$work/without-net.list"; check "initramfs 2 does not (virtio_net comes from the root)" $?

qmp() { # qmp JSON: send, wait for its return
	local line
	echo "$1" >&7
	while read -t 60 -r line <&8; do
		case $line in *'"return"'*) return 0 ;; *'"error"'*) echo "    qmp: $line"; return 1 ;; esac
	done
	return 1
}
# boot NAME INITRD PHASE EXTRA-CMDLINE
boot() {
	local name=$1 img=$2 phase=$3 extra=${4:-} t0=$SECONDS log=$work/$1.log hot=
	say "booting ($name) ..."
	rm -f "$work/qmp.in" "$work/qmp.out"; mkfifo "$work/qmp.in" "$work/qmp.out"
	# shellcheck disable=SC2086  # boot_qemu: words
	timeout "$boot_timeout" unshare -n qemu-system-x86_64 -accel tcg ${boot_qemu:-} -m "${boot_mem:-1536}" -smp 1 -nographic -no-reboot \
		-kernel "$vmlinuz" -initrd "$work/$img.img" \
		-append "console=ttyS0 root=/dev/vda rootfstype=ext4 rw panic=-1 quiet systemd.show_status=0 kvmtune_boot.phase=$phase kvmtune_boot.disks=3 kvmtune_boot.nics=3 $extra" \
		-drive file="$work/${boot_disk:-vda.img}",format=raw,if=virtio -drive file="$work/vdb.img",format=raw,if=virtio \
		-drive file="$work/vdc.img",format=raw,if=virtio \
		-netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0 \
		-netdev tap,id=n1,ifname=kvtap1,script=no,downscript=no,queues=4 -device virtio-net-pci,netdev=n1,mq=on,vectors=10 \
		-netdev user,id=n2,restrict=on -device e1000e,netdev=n2,addr=0x8 \
		-chardev pipe,id=qmp,path="$work/qmp" -mon chardev=qmp,mode=control \
		< /dev/null > "$log" 2>&1 &
	qemu_pid=$!
	exec 7<> "$work/qmp.in" 8<> "$work/qmp.out"
	qmp '{"execute":"qmp_capabilities"}' || echo "    qmp: no greeting"
	while kill -0 "$qemu_pid" 2> /dev/null; do
		if [ -z "$hot" ] && grep -q '^KVMTUNE-BOOT: HOTPLUG' "$log" 2> /dev/null; then
			hot=1
			qmp '{"execute":"blockdev-add","arguments":{"driver":"raw","node-name":"hd9","file":{"driver":"file","filename":"'"$work/vdd.img"'"}}}' &&
				qmp '{"execute":"device_add","arguments":{"driver":"virtio-blk-pci","drive":"hd9","id":"vd9"}}'
			check "QMP: a virtio disk hot-added" $?
			qmp '{"execute":"netdev_add","arguments":{"type":"user","id":"hn9","restrict":true}}' &&
				qmp '{"execute":"device_add","arguments":{"driver":"virtio-net-pci","netdev":"hn9","id":"nic9"}}'
			check "QMP: a virtio NIC hot-added" $?
		fi
		sleep 1
	done
	wait "$qemu_pid"; local rc=$?; qemu_pid=
	exec 7>&- 8<&-
	tr -d '\r' < "$log" > "$work/$name.txt"
	say "boot ($name) took $((SECONDS - t0))s"
	[ -n "${KVMTUNE_BOOT_VERBOSE:-}" ] && sed "s/^/    [$name] /" "$work/$name.txt"
	sed -n 's/^KVMTUNE-BOOT: \(PASS\|FAIL\): /\1: '"$name"': /p' "$work/$name.txt" > "$work/$name.res"
	while IFS= read -r l; do
		echo "$l"
		case $l in PASS:*) pass=$((pass + 1)) ;; *) fail=$((fail + 1)) ;; esac
	done < "$work/$name.res"
	grep -E '^KVMTUNE-BOOT: (phase|timestamps|udev|verify|revert)' "$work/$name.txt" | sed 's/^/    /'
	if ! grep -q '^KVMTUNE-BOOT: END' "$work/$name.txt"; then
		check "boot ($name) ran the guest's checks to the end" 1 "qemu exit $rc; console tail below"
		tail -n 40 "$work/$name.txt" | sed 's/^/    /'
	else
		check "boot ($name) ran the guest's checks to the end ($(wc -l < "$work/$name.res") checks)" 0
	fi
}
[[ $only == *" full "* ]] && boot full with-net full
[[ $only == *" boot "* ]] && boot boot without-net boot
[[ $only == *" disabled "* ]] && boot disabled with-net disabled kvmtune=0
[[ $only == *" ksm-auto "* ]] && boot ksm-auto with-net ksm-auto
if [[ $only == *" timing "* ]]; then
	. "$here/timing.sh"
	timing_boots
fi
say "ran in $((SECONDS - started))s"
echo "boot-e2e: $pass passed, $fail failed"
[ $fail = 0 ]
