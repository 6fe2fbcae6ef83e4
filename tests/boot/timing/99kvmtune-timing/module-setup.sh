#!/bin/bash
# dracut module for the boot timing (tests/boot/timing.sh): marks in the
# kernel log before and after kvmtune's pre-udev hook (05-kvmtune-initrd.sh).
check() { return 255; }
depends() { echo kvmtune; }
install() {
    inst_hook pre-udev 04 "$moddir/timing-start.sh"
    inst_hook pre-udev 06 "$moddir/timing-end.sh"
}
