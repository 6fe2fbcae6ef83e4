#!/bin/bash
# SPDX-License-Identifier: MIT
# shellcheck disable=SC2154  # moddir: set by dracut
# Test-only dracut module for tests/boot-grub/run.sh: lets a root-less
# initramfs get past dracut's root= check and, at the pre-trigger hook
# (after kvmtune's pre-udev hook), prints the hugepage pools, then powers off.

# called by dracut
check() {
    return 255 # only when asked for
}

# called by dracut
depends() {
    echo kvmtune
    return 0
}

# called by dracut
install() {
    inst_multiple cat dmesg grep sed tr
    inst_hook cmdline 99 "$moddir/pools-cmdline.sh"
    inst_hook pre-trigger 99 "$moddir/pools-report.sh"
}
