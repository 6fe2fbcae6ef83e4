#!/bin/bash
# SPDX-License-Identifier: MIT
# [isolation] through a real reboot (`make boot-isolation`): the Debian 12
# GRUB image of `make boot-grub` (its cached base root) with the kvmtune
# .deb, booted by SeaBIOS and GRUB under qemu with 4 vCPUs (TCG) and a
# single-queue virtio disk.  The guest checks itself
# (guest/kvmtune-isolation-check) and prints PASS/FAIL:
#   boot 1  [isolation] cpus = 2-3, managed-irq = yes: apply exits 0, writes
#           GRUB's drop-in and systemd's CPUAffinity= drop-in; plan shows reboot
#   boot 2  /sys/devices/system/cpu/isolated and nohz_full are 2-3, every IRQ's
#           effective affinity is off 2-3, the workqueue cpumask is 3, PID 1
#           runs on 0-1, verify exits 0
# Environment: KVMTUNE_DEB, KVMTUNE_GRUB_CACHE, KVMTUNE_GRUB_KEEP=1,
# KVMTUNE_GRUB_VERBOSE=1, KVMTUNE_GRUB_TIMEOUT, as for make boot-grub.
# Exit: 0 passed, 1 a check failed, 77 skipped.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=${KVMTUNE_GRUB_CACHE:-/var/tmp/kvmtune-boot-grub}   # the base root of make boot-grub, shared
boot_timeout=${KVMTUNE_GRUB_TIMEOUT:-1200}
mem=2G test=isolation what=isolation guest_check=kvmtune-isolation-check tag=KVMTUNE-ISO shown='phase|\|'
# shellcheck source=tests/boot-grub/image.bash
. "$here/../boot-grub/image.bash"
grub_image_build
unmount_all

# boot NAME: through GRUB, 4 vCPUs, one virtio queue (no per-CPU managed queue IRQs)
boot() {
	boot_qemu "$1" -smp 4 -drive file="$img",format=raw,if=none,id=d0 -device virtio-blk-pci,drive=d0,num-queues=1
}
boot iso1
boot iso2
say "ran in $((SECONDS - started))s"
echo "boot-isolation: $pass passed, $fail failed"
[ $fail = 0 ]
