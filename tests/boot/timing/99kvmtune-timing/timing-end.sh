echo "kvmtune-timing: initrd hook end" > /dev/kmsg
