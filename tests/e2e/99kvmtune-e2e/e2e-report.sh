#!/bin/sh
# pre-trigger hook: report the state kvmtune should have set, one
# "KVMTUNE-E2E: name=value" line each, then power off.
_e2e() {
    echo "KVMTUNE-E2E: $1=$2" > /dev/console
}
_e2e_file() {
    if [ -e "$2" ]; then
        _e2e "$1" "$(tr '\n\t' '  ' < "$2" 2> /dev/null | sed 's/ *$//')"
    else
        _e2e "$1" "<absent>"
    fi
}
_e2e begin "$(cat /proc/cmdline)"
_e2e_file swappiness /proc/sys/vm/swappiness
_e2e_file tcp_cc /proc/sys/net/ipv4/tcp_congestion_control
_e2e_file tcp_htcp_module /sys/module/tcp_htcp/initstate
_e2e_file conntrack_module /sys/module/nf_conntrack/initstate
_e2e_file conntrack_hashsize /sys/module/nf_conntrack/parameters/hashsize
_e2e_file hugepages_2M /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
_e2e_file ksm_run /sys/kernel/mm/ksm/run
_e2e_file modprobe_helper /proc/sys/kernel/modprobe
dmesg -x | grep 'kvmtune' | while IFS= read -r _l; do
    echo "KVMTUNE-E2E-DMESG: $_l" > /dev/console
done
# In a systemd initramfs kvmtune logs to the journal (JOURNAL_STREAM).
if command -v journalctl > /dev/null 2>&1; then
    _e2e journal_errors "$(journalctl -b -t kvmtune -p err -o cat --no-pager 2> /dev/null | wc -l)"
    journalctl -b -o short-monotonic --no-pager 2> /dev/null | grep -E 'kvmtune|dracut-pre-udev' | while IFS= read -r _l; do
        echo "KVMTUNE-E2E-JOURNAL: $_l" > /dev/console
    done
fi
_e2e end ok
# Power off at once (the qemu test runs with -no-reboot).
echo o > /proc/sysrq-trigger
sleep 30
