#!/bin/sh
# pre-trigger hook: the pools kvmtune reserved at --stage=initrd, then power off.
_pool() {
    cat "/sys/kernel/mm/hugepages/hugepages-$1/nr_hugepages" 2> /dev/null || echo absent
}
echo "KVMTUNE-POOLS: 1G=$(_pool 1048576kB) 2M=$(_pool 2048kB)" > /dev/console
dmesg | grep 'kvmtune' | while IFS= read -r _l; do
    echo "KVMTUNE-POOLS-DMESG: $_l" > /dev/console
done
echo "KVMTUNE-POOLS: end" > /dev/console
echo o > /proc/sysrq-trigger
sleep 30
