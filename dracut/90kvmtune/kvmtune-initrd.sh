#!/bin/sh
# SPDX-License-Identifier: MIT
# dracut pre-udev hook (sourced by dracut's init or dracut-pre-udev.service):
# apply kvmtune's kernel state before udev starts.  kvmtune itself honours
# kvmtune=0 on the kernel command line and, when no journal runs yet, logs
# to /dev/kmsg.  A failed setting never stops the boot.

if [ -x /usr/sbin/kvmtune ]; then
    /usr/sbin/kvmtune apply --stage=initrd < /dev/null
    _kvmtune_rc=$?
    if [ "$_kvmtune_rc" -ne 0 ]; then
        warn "kvmtune: apply --stage=initrd exited with status $_kvmtune_rc"
    fi
    unset _kvmtune_rc
fi
