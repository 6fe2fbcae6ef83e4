#!/bin/sh -e
sudo sysctl -w vm.swappiness=10 \
  net.core.somaxconn=1024
[ -w /sys/kernel/mm/ksm/run ] && echo 1 > /sys/kernel/mm/ksm/run
if test -f /sys/kernel/mm/transparent_hugepage/enabled; then
  echo never > /sys/kernel/mm/transparent_hugepage/enabled
fi
echo 512 | sudo tee -a /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages >/dev/null
sudo sh -c "echo \"4096\t87380\" > /proc/sys/net/ipv4/tcp_rmem"
exit 0
