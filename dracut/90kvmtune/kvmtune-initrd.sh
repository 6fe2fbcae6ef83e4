#!/bin/sh
# SPDX-License-Identifier: MIT
# dracut pre-udev hook (sourced by dracut's init or, in a systemd initramfs,
# by dracut-pre-udev.service): apply kvmtune's kernel state before udev
# starts.  kvmtune itself honours kvmtune=0 on the kernel command line.
# Without systemd its messages go to /dev/kmsg; under systemd they go to the
# journal through systemd-cat, so they carry kvmtune's own name and
# priorities instead of dracut-pre-udev's.  A failed setting never stops
# the boot.

if [ -x /usr/sbin/kvmtune ]; then
    if [ -n "$DRACUT_SYSTEMD" ] && command -v systemd-cat > /dev/null 2>&1; then
        systemd-cat -t kvmtune /usr/sbin/kvmtune apply --stage=initrd < /dev/null
    else
        /usr/sbin/kvmtune apply --stage=initrd < /dev/null
    fi
    _kvmtune_rc=$?
    if [ "$_kvmtune_rc" -ne 0 ]; then
        warn "kvmtune: apply --stage=initrd exited with status $_kvmtune_rc"
    fi
    unset _kvmtune_rc
fi
