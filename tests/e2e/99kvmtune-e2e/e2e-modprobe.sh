#!/bin/sh
# Stands in for the kernel's usermode modprobe helper during the e2e boot.
echo "<28>kvmtune-e2e: kernel request_module refused: $*" > /dev/kmsg
exit 1
