#!/bin/sh
for f in /sys/block/vd*/queue/scheduler; do echo deadline > $f; done
for n in /proc/sys/net/ipv4/conf/*/rp_filter; do echo 2 > "$n"; done
for d in vda zram0
do
  echo 256 > /sys/block/${d}/queue/read_ahead_kb
done
echo 8 > /sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages
blockdev --setra 8192 /dev/vda
sysctl -p
tuned-adm profile kvm
mount -t hugetlbfs none /mnt/huge/ -o pagesize=2M
