#!/bin/bash
# SPDX-License-Identifier: MIT
# Real boots through GRUB (`make boot-grub`): a Debian 12 disk image
# (mmdebstrap: systemd, Debian's kernel with initramfs-tools, grub-pc
# installed into the image's MBR with grub-install) with the kvmtune .deb,
# booted by SeaBIOS and GRUB under qemu (TCG, -cpu max for 1G pages, 8 GiB).
# The guest checks itself (guest/kvmtune-grub-check) and prints PASS/FAIL:
#   boot 1  [cmdline] args = intel_iommu=on iommu=pt and [hugepages "1G"]
#           pages = 6, at = cmdline: apply writes /etc/default/grub.d/kvmtune.cfg
#           and runs update-grub; plan shows reboot; a second apply changes nothing
#   boot 2  /proc/cmdline holds them; verify 0, kvmtune_reboot_required 0;
#           the section removed, apply
#   boot 3  the arguments gone, /proc/cmdline and grub.cfg as in boot 1
#   ref     the same image with the same arguments given to qemu (-append):
#           the kernel reserves as many 1G pages as in boot 2
# Then the initramfs stage (dracut with the project's 90kvmtune module, the
# image's kernel, no root): [hugepages "1G"] pages = 6 alone, and with 512
# 2M pages too; the 1G pool must get at least as much with the 2M pool
# (pools are reserved largest first).
#
# Environment: KVMTUNE_DEB (the .deb; default ../kvmtune_VERSION_amd64.deb),
# KVMTUNE_GRUB_CACHE (default /var/tmp/kvmtune-boot-grub), KVMTUNE_GRUB_KEEP=1,
# KVMTUNE_GRUB_VERBOSE=1, KVMTUNE_GRUB_TIMEOUT (seconds per boot, 1200).
# Exit: 0 passed, 1 a check failed, 77 skipped.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=${KVMTUNE_GRUB_CACHE:-/var/tmp/kvmtune-boot-grub}
boot_timeout=${KVMTUNE_GRUB_TIMEOUT:-1200}
mem=8G
started=$SECONDS
skip() { echo "SKIP: $*"; exit 77; }
die() { echo "FAIL: $*"; exit 1; }
say() { echo "boot-grub: $*"; }

[ "$(id -u)" = 0 ] || skip "not root (needs apt-get, mmdebstrap, a loop device, chroot)"
[ "$(uname -m)" = x86_64 ] || skip "needs an x86_64 host"
if [ -z "${KVMTUNE_DEB:-}" ]; then
	ver=$(cd "$top" && dpkg-parsechangelog -S Version 2> /dev/null)
	KVMTUNE_DEB=$top/../kvmtune_${ver}_amd64.deb
fi
[ -f "$KVMTUNE_DEB" ] || die "no package $KVMTUNE_DEB (run make deb)"

export DEBIAN_FRONTEND=noninteractive
missing=
for p in mmdebstrap qemu-system-x86 dracut-core cpio kmod e2fsprogs fdisk mount; do
	dpkg-query -W -f='${Status}' "$p" 2> /dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	say "installing:$missing"
	apt-get update -qq > /dev/null 2>&1 || skip "apt-get update failed (no package archive)"
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing > /dev/null 2>&1 || skip "cannot install$missing"
fi
losetup -f > /dev/null 2>&1 || skip "no free loop device"

mkdir -p "$cache"
exec 9> "$cache/.lock"
flock 9
# ---- the base root, cached -------------------------------------------------------
include=systemd,systemd-sysv,udev,kmod,iproute2,libinih1,libkmod2,libmount1,linux-image-amd64,initramfs-tools,grub-pc,e2fsprogs
base=$cache/grub-bookworm-$(echo "$include" | md5sum | cut -c1-8).tar
if [ ! -s "$base" ]; then
	say "building the base root with mmdebstrap"
	t0=$SECONDS
	mmdebstrap --quiet --format=tar --variant=minbase --include="$include" bookworm "$base.tmp" > "$cache/mmdebstrap.log" 2>&1 \
		|| { tail -n 20 "$cache/mmdebstrap.log"; rm -f "$base.tmp"; die "mmdebstrap failed"; }
	mv "$base.tmp" "$base"
	say "base root built in $((SECONDS - t0))s"
fi
flock -u 9

# ---- work directory ------------------------------------------------------------
work=$(mktemp -d /var/tmp/kvmtune-boot-grub-run.XXXXXX) || die "mktemp failed"
mnt=$work/mnt
loop='' qemu_pid='' made_node='' made_link=''
unmount_all() {
	local m
	for m in dev/pts dev proc sys ""; do
		mountpoint -q "$mnt/$m" 2> /dev/null && umount "$mnt/$m"
	done
	[ -n "$loop" ] && losetup -d "$loop" 2> /dev/null
	[ -n "$made_node" ] && rm -f "$made_node"
	[ -n "$made_link" ] && rm -f "$made_link"
	loop='' made_node='' made_link=
}
cleanup() {
	[ -n "$qemu_pid" ] && kill "$qemu_pid" 2> /dev/null
	unmount_all
	if [ -n "${KVMTUNE_GRUB_KEEP:-}" ]; then say "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
pass=0 fail=0
check() {
	if [ "$2" = 0 ]; then pass=$((pass + 1)); echo "PASS: $1"; else fail=$((fail + 1)); echo "FAIL: $1${3:+ ($3)}"; fi
}

# ---- the disk image: one MBR partition, ext4, GRUB in the MBR ---------------------
img=$work/disk.img
truncate -s 4G "$img"
echo 'label: dos
start=2048, type=83, bootable' | sfdisk -q "$img" > /dev/null || die "sfdisk failed"
loop=$(losetup -f --show -P "$img") || die "losetup failed"
udevadm settle 2> /dev/null
part=${loop}p1
[ -e "/sys/block/${loop#/dev/}/${part#/dev/}" ] || partx -a "$loop" > /dev/null 2>&1
if [ ! -b "$part" ] && [ -r "/sys/block/${loop#/dev/}/${part#/dev/}/dev" ]; then
	# no udev (a container): the kernel made the partition, make its node
	IFS=: read -r maj min < "/sys/block/${loop#/dev/}/${part#/dev/}/dev"
	mknod "$part" b "$maj" "$min" && made_node=$part
fi
[ -b "$part" ] || die "no partition device $part"
mkfs.ext4 -q -L root "$part" || die "mkfs.ext4 failed"
mkdir "$mnt"
mount "$part" "$mnt" || die "cannot mount $part"
tar -C "$mnt" -xf "$base" || die "cannot unpack $base"
cp "$KVMTUNE_DEB" "$mnt/tmp/kvmtune.deb"
chroot "$mnt" dpkg -i /tmp/kvmtune.deb > "$work/dpkg.log" 2>&1
check "dpkg -i installs ${KVMTUNE_DEB##*/} in the image" $? "$(tail -n 3 "$work/dpkg.log" | tr '\n' ' ')"
rm -f "$mnt/tmp/kvmtune.deb"
install -m 0755 "$here/guest/kvmtune-grub-check" "$mnt/usr/local/sbin/kvmtune-grub-check"
install -m 0644 "$here/guest/kvmtune-grub-check.service" "$mnt/etc/systemd/system/"
ln -s ../kvmtune-grub-check.service "$mnt/etc/systemd/system/multi-user.target.wants/kvmtune-grub-check.service"
ln -sf /lib/systemd/system/multi-user.target "$mnt/etc/systemd/system/default.target"
ln -sf /dev/null "$mnt/etc/systemd/system/serial-getty@ttyS0.service"
ln -sf /dev/null "$mnt/etc/systemd/system/getty@tty1.service"
mkdir -p "$mnt/var/lib/kvmtune-grub"
echo 1 > "$mnt/var/lib/kvmtune-grub/phase"
echo kvmtune-grub > "$mnt/etc/hostname"
tr -d '-' < /proc/sys/kernel/random/uuid > "$mnt/etc/machine-id"
echo 'LABEL=root / ext4 defaults 0 1' > "$mnt/etc/fstab"
# GRUB on the serial console, no menu wait; the admin's own arguments stay
sed -i -e 's/^GRUB_TIMEOUT=.*/GRUB_TIMEOUT=0/' \
	-e 's/^GRUB_CMDLINE_LINUX_DEFAULT=.*/GRUB_CMDLINE_LINUX_DEFAULT="quiet systemd.show_status=0"/' \
	-e 's/^GRUB_CMDLINE_LINUX=.*/GRUB_CMDLINE_LINUX="console=ttyS0 panic=-1"/' "$mnt/etc/default/grub"
printf 'GRUB_TERMINAL=serial\nGRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"\n' >> "$mnt/etc/default/grub"
for m in dev dev/pts proc sys; do mount --bind "/$m" "$mnt/$m" || die "cannot bind /$m"; done
# grub-mkconfig writes root=UUID=... only when /dev/disk/by-uuid has the
# file system (udev makes it; without udev it would write the loop device)
uuid=$(blkid -s UUID -o value "$part")
if [ -n "$uuid" ] && [ ! -e "/dev/disk/by-uuid/$uuid" ]; then
	mkdir -p /dev/disk/by-uuid && ln -s "$part" "/dev/disk/by-uuid/$uuid" && made_link=/dev/disk/by-uuid/$uuid
fi
chroot "$mnt" grub-install --target=i386-pc "$loop" > "$work/grub-install.log" 2>&1
check "grub-install (grub-pc, BIOS) into the image's MBR" $? "$(tail -n 3 "$work/grub-install.log" | tr '\n' ' ')"
chroot "$mnt" update-grub > "$work/update-grub.log" 2>&1
check "update-grub writes /boot/grub/grub.cfg" $? "$(tail -n 3 "$work/update-grub.log" | tr '\n' ' ')"
grep -q 'console=ttyS0' "$mnt/boot/grub/grub.cfg"; check "grub.cfg boots with the admin's GRUB_CMDLINE_LINUX" $?
grep -q "root=UUID=$uuid" "$mnt/boot/grub/grub.cfg"; check "grub.cfg names the root by UUID" $?
kver=$(ls "$mnt"/usr/lib/modules | head -n 1)
cp "$mnt/boot/vmlinuz-$kver" "$mnt/boot/initrd.img-$kver" "$work/" || die "no kernel or initrd in the image"
vmlinuz=$work/vmlinuz-$kver
# the image's root, for the initramfs stage's dracut (kernel modules, kvmtune)
mkdir "$work/root"
tar -C "$mnt" -cf - usr/lib/modules usr/sbin/kvmtune usr/lib/kvmtune | tar -C "$work/root" -xf -
unmount_all

# boot NAME [KERNEL-ARGS]: through GRUB, or with -kernel/-append when KERNEL-ARGS are given
boot() {
	local name=$1 append=${2:-} t0=$SECONDS log=$work/$1.log
	say "booting ($name) ..."
	if [ -n "$append" ]; then
		set -- -kernel "$vmlinuz" -initrd "$work/initrd.img-$kver" -append "$append"
	else
		set --
	fi
	timeout "$boot_timeout" qemu-system-x86_64 -accel tcg -cpu max -m "$mem" -smp 2 -nographic -no-reboot \
		-drive file="$img",format=raw,if=virtio -nic none "$@" < /dev/null > "$log" 2>&1 &
	qemu_pid=$!
	wait "$qemu_pid"; local rc=$?; qemu_pid=
	tr -d '\r' < "$log" | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g' > "$work/$name.txt"
	say "boot ($name) took $((SECONDS - t0))s"
	[ -n "${KVMTUNE_GRUB_VERBOSE:-}" ] && sed "s/^/    [$name] /" "$work/$name.txt"
	sed -n 's/^KVMTUNE-GRUB: \(PASS\|FAIL\): /\1: /p' "$work/$name.txt" > "$work/$name.res"
	while IFS= read -r l; do
		echo "$l"
		case $l in PASS:*) pass=$((pass + 1)) ;; *) fail=$((fail + 1)) ;; esac
	done < "$work/$name.res"
	grep -E '^KVMTUNE-GRUB: (phase|POOL|\|)' "$work/$name.txt" | sed 's/^/    /'
	if ! grep -q '^KVMTUNE-GRUB: END' "$work/$name.txt"; then
		check "boot ($name) ran the guest's checks to the end" 1 "qemu exit $rc; console tail below"
		tail -n 40 "$work/$name.txt" | sed 's/^/    /'
	else
		check "boot ($name) ran the guest's checks to the end ($(wc -l < "$work/$name.res") checks)" 0
	fi
}
pool_of() { sed -n "s/^KVMTUNE-GRUB: POOL $2 \([0-9]*\) .*/\1/p" "$work/$1.txt"; }

boot grub1
boot grub2
boot grub3
boot ref "root=LABEL=root ro console=ttyS0 panic=-1 quiet systemd.show_status=0 intel_iommu=on iommu=pt hugepagesz=1G hugepages=6 kvmtune_grub.phase=ref"
g=$(pool_of grub2 grub) a=$(pool_of ref append)
[ -n "$g" ] && [ "$g" = "$a" ]
check "the 1G pool through GRUB ($g) equals the pool of the -append boot ($a)" $?

# ---- the initramfs stage: 1G alone, and 1G with 512 2M pages -----------------------
mkdir -p "$work/dracut/modules.d" "$work/dracut.conf.d"
for f in /usr/lib/dracut/*; do
	[ "${f##*/}" = modules.d ] || ln -s "$f" "$work/dracut/"
done
for m in /usr/lib/dracut/modules.d/*; do
	case ${m##*/} in 90kvmtune | 99kvmtune-pools) ;; *) ln -s "$m" "$work/dracut/modules.d/" ;; esac
done
ln -s "$top/dracut/90kvmtune" "$work/dracut/modules.d/90kvmtune"
ln -s "$here/99kvmtune-pools" "$work/dracut/modules.d/99kvmtune-pools"
# initrd_pools NAME CONF: boot an initramfs whose kvmtune has CONF; prints the 1G pool
initrd_pools() {
	local name=$1 conf=$work/conf-$1 t0=$SECONDS
	install -d -m 0755 "$conf/etc/kvmtune/conf.d"
	printf '%b' "$2" > "$conf/etc/kvmtune/conf.d/50-pools.conf"
	chmod 0644 "$conf/etc/kvmtune/conf.d/50-pools.conf"
	if ! env dracutbasedir="$work/dracut" kvmtune_binary="$work/root/usr/sbin/kvmtune" kvmtune_confroot="$conf" \
		dracut --force --quiet --no-hostonly --no-hostonly-cmdline \
		--conf /dev/null --confdir "$work/dracut.conf.d" --tmpdir "$work" \
		--kver "$kver" --kmoddir "$work/root/usr/lib/modules/$kver" \
		--modules base --add "kvmtune kvmtune-pools" \
		--no-compress --no-early-microcode "$work/$name.img" > "$work/$name.dracut.log" 2>&1; then
		check "dracut builds the $name initramfs" 1 "$(tail -n 3 "$work/$name.dracut.log" | tr '\n' ' ')"
		return
	fi
	say "booting ($name) ..."
	timeout "$boot_timeout" qemu-system-x86_64 -accel tcg -cpu max -m "$mem" -smp 2 -nographic -no-reboot -nic none \
		-kernel "$vmlinuz" -initrd "$work/$name.img" \
		-append "console=ttyS0 panic=-1 quiet root=kvmtune-pools rd.shell=0 rd.emergency=poweroff" \
		< /dev/null > "$work/$name.log" 2>&1
	tr -d '\r' < "$work/$name.log" > "$work/$name.txt"
	say "boot ($name) took $((SECONDS - t0))s"
	[ -n "${KVMTUNE_GRUB_VERBOSE:-}" ] && sed "s/^/    [$name] /" "$work/$name.txt"
	grep -E '^KVMTUNE-POOLS' "$work/$name.txt" | sed 's/^/    /'
}
initrd_pools 1g '[hugepages "1G"]\npages = 6\n'
initrd_pools 1g2m '[hugepages "1G"]\npages = 6\nforce = yes\n[hugepages "2M"]\npages = 512\nforce = yes\n'
one=$(sed -n 's/^KVMTUNE-POOLS: 1G=\([0-9]*\) .*/\1/p' "$work/1g.txt" 2> /dev/null)
both=$(sed -n 's/^KVMTUNE-POOLS: 1G=\([0-9]*\) 2M=\([0-9]*\).*/\1 \2/p' "$work/1g2m.txt" 2> /dev/null)
[ -n "$one" ] && [ -n "$both" ] && [ "${both% *}" -ge "$one" ] && [ "${both#* }" -gt 0 ]
check "initramfs stage: the 1G pool with 512 2M pages (${both% *} 1G, ${both#* } 2M) gets at least what it gets alone (${one:-?})" $?

say "ran in $((SECONDS - started))s"
echo "boot-grub: $pass passed, $fail failed"
[ $fail = 0 ]
