# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# The GRUB disk image of `make boot-grub` and `make boot-isolation`, sourced
# by both run.sh: the prerequisites (root, x86_64, the .deb, mmdebstrap,
# qemu, a loop device), the cached base root (mmdebstrap, Debian 12 with
# Debian's kernel, initramfs-tools and grub-pc), the work directory and its
# clean-up, check(), grub_image_build (a 4 GiB disk image: one ext4
# partition with the base root, the .deb installed, the guest's check and
# its unit, GRUB on the serial console installed into the MBR; left
# mounted on $mnt: unmount_all) and boot_qemu (one boot under TCG and its
# PASS/FAIL lines).
#
# The caller sets: here (its directory), top (the repository), cache,
# boot_timeout, mem (the guest's memory), test (grub or isolation: the
# messages' prefix boot-$test, the work directory, /var/lib/kvmtune-$test in
# the guest), what (GRUB or isolation: the check unit's description),
# guest_check (the check script in $here/guest, and its unit's name), tag
# (the prefix of the guest's result lines) and shown (what else of them is
# shown: an extended regular expression after the tag).
lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
started=$SECONDS
skip() { echo "SKIP: $*"; exit 77; }
die() { echo "FAIL: $*"; exit 1; }
say() { echo "boot-$test: $*"; }

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
work=$(mktemp -d "/var/tmp/kvmtune-boot-$test-run.XXXXXX") || die "mktemp failed"
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

grub_image_build() {
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
	install -m 0755 "$here/guest/$guest_check" "$mnt/usr/local/sbin/$guest_check"
	sed -e "s/kvmtune-grub-check/$guest_check/g" -e "s/GRUB boot test checks/$what boot test checks/" \
		"$lib/guest/kvmtune-grub-check.service" > "$mnt/etc/systemd/system/$guest_check.service"
	ln -s "../$guest_check.service" "$mnt/etc/systemd/system/multi-user.target.wants/$guest_check.service"
	ln -sf /lib/systemd/system/multi-user.target "$mnt/etc/systemd/system/default.target"
	ln -sf /dev/null "$mnt/etc/systemd/system/serial-getty@ttyS0.service"
	ln -sf /dev/null "$mnt/etc/systemd/system/getty@tty1.service"
	mkdir -p "$mnt/var/lib/kvmtune-$test"
	echo 1 > "$mnt/var/lib/kvmtune-$test/phase"
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
}

# boot_qemu NAME QEMU-ARGS...: one boot under TCG with the caller's disk and
# CPUs (and kernel, if any); its console in $work/NAME.txt, its results counted
boot_qemu() {
	local name=$1 t0=$SECONDS log=$work/$1.log
	shift
	say "booting ($name) ..."
	timeout "$boot_timeout" qemu-system-x86_64 -accel tcg -cpu max -m "$mem" -nographic -no-reboot -nic none \
		"$@" < /dev/null > "$log" 2>&1 &
	qemu_pid=$!
	wait "$qemu_pid"; local rc=$?; qemu_pid=
	tr -d '\r' < "$log" | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g' > "$work/$name.txt"
	say "boot ($name) took $((SECONDS - t0))s"
	[ -n "${KVMTUNE_GRUB_VERBOSE:-}" ] && sed "s/^/    [$name] /" "$work/$name.txt"
	sed -n "s/^$tag: \(PASS\|FAIL\): /\1: /p" "$work/$name.txt" > "$work/$name.res"
	while IFS= read -r l; do
		echo "$l"
		case $l in PASS:*) pass=$((pass + 1)) ;; *) fail=$((fail + 1)) ;; esac
	done < "$work/$name.res"
	grep -E "^$tag: ($shown)" "$work/$name.txt" | sed 's/^/    /'
	if ! grep -q "^$tag: END" "$work/$name.txt"; then
		check "boot ($name) ran the guest's checks to the end" 1 "qemu exit $rc; console tail below"
		tail -n 40 "$work/$name.txt" | sed 's/^/    /'
	else
		check "boot ($name) ran the guest's checks to the end ($(wc -l < "$work/$name.res") checks)" 0
	fi
}
