#!/bin/sh
# shellcheck disable=SC2154,SC2034  # root, rootok: dracut's init
# cmdline hook: there is no root file system in this test; the boot ends at
# pre-trigger.  Satisfy dracut's "root=" check for root=kvmtune-pools.
if [ "$root" = "kvmtune-pools" ]; then
    rootok=1
fi
