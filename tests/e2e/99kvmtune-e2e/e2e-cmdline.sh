#!/bin/sh
# shellcheck disable=SC2154,SC2034  # root, rootok: dracut's init
# cmdline hook: there is no root file system in this test; the boot ends at
# pre-trigger.  Satisfy dracut's "root=" check for root=kvmtune-e2e.
if [ "$root" = "kvmtune-e2e" ]; then
    rootok=1
fi
# The kernel's request_module() runs this stub instead of modprobe: it only
# logs, so a module can only have been loaded through libkmod.
echo /usr/sbin/kvmtune-e2e-modprobe > /proc/sys/kernel/modprobe
