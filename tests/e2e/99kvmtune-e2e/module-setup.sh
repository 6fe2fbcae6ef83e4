#!/bin/bash
# SPDX-License-Identifier: MIT
# shellcheck disable=SC2154  # moddir: set by dracut
# Test-only dracut module for tests/e2e/run.sh: lets a root-less initramfs
# get past dracut's root= check, makes the kernel's own module auto-loading
# fail loudly (so only libkmod can load a module), and at the pre-trigger
# hook prints what kvmtune did to the serial console, then powers off.

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
    inst_multiple cat dmesg grep sed tr wc
    inst_multiple -o journalctl
    inst_script "$moddir/e2e-modprobe.sh" /usr/sbin/kvmtune-e2e-modprobe
    inst_hook cmdline 99 "$moddir/e2e-cmdline.sh"
    inst_hook pre-trigger 99 "$moddir/e2e-report.sh"
}
