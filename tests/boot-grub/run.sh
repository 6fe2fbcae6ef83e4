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
mem=8G test=grub what=GRUB guest_check=kvmtune-grub-check tag=KVMTUNE-GRUB shown='phase|POOL|\|'
# shellcheck source=tests/boot-grub/image.bash
. "$here/image.bash"
grub_image_build
kver=$(ls "$mnt"/usr/lib/modules | head -n 1)
cp "$mnt/boot/vmlinuz-$kver" "$mnt/boot/initrd.img-$kver" "$work/" || die "no kernel or initrd in the image"
vmlinuz=$work/vmlinuz-$kver
# the image's root, for the initramfs stage's dracut (kernel modules, kvmtune)
mkdir "$work/root"
tar -C "$mnt" -cf - usr/lib/modules usr/sbin/kvmtune usr/lib/kvmtune | tar -C "$work/root" -xf -
unmount_all

# boot NAME [KERNEL-ARGS]: through GRUB, or with -kernel/-append when KERNEL-ARGS are given
boot() {
	if [ -n "${2:-}" ]; then
		boot_qemu "$1" -smp 2 -drive file="$img",format=raw,if=virtio \
			-kernel "$vmlinuz" -initrd "$work/initrd.img-$kver" -append "$2"
	else
		boot_qemu "$1" -smp 2 -drive file="$img",format=raw,if=virtio
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
