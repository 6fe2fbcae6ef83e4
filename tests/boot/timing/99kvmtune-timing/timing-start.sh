echo "kvmtune-timing: initrd hook start" > /dev/kmsg
