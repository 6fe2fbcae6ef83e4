# rc.local files of one shape, N lines, for tests/import_linear.sh and
# bench/import-scale.sh (sourced; not a test of its own).
# The fake root they are imported under: the files the shapes write.
shape_root() {
	mkdir -p "$1/proc/sys/vm" "$1/proc/sys/net/core" "$1/proc/sys/net/ipv4/conf/eth0" \
		"$1/sys/devices/system/cpu/cpu0/cpufreq"
	echo 60 >"$1/proc/sys/vm/swappiness"
	echo 4096 >"$1/proc/sys/net/core/somaxconn"
	echo 0 >"$1/proc/sys/net/ipv4/conf/eth0/rp_filter"
	echo powersave >"$1/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"
}

SHAPES="same distinct forlit forglob guard ifguard modprobe tee"

# shape N: N lines of one shape
shape() {
	local name=$1 n=$2 i
	echo '#!/bin/sh'
	for ((i = 0; i < n; i++)); do
		case $name in
		same) echo "echo $((i % 100)) > /proc/sys/vm/swappiness" ;;
		distinct) echo "echo 1 > /proc/sys/net/ipv4/conf/eth$i/rp_filter" ;;
		forlit) echo "for d in sda$i sdb$i; do echo 4096 > /sys/block/\$d/queue/read_ahead_kb; done" ;;
		forglob) echo "for f in /proc/sys/net/ipv4/conf/*/rp_filter; do echo $((i % 3)) > \$f; done" ;;
		guard) echo "[ -w /proc/sys/vm/swappiness ] && echo $((i % 100)) > /proc/sys/vm/swappiness" ;;
		ifguard) printf 'if [ -w /proc/sys/net/core/somaxconn ]; then\n  echo %d > /proc/sys/net/core/somaxconn\nfi\n' $((i + 4096)) ;;
		modprobe) echo "modprobe mod$i" ;;
		tee) echo "echo performance | tee /sys/devices/system/cpu/cpu*/cpufreq/scaling_governor > /dev/null" ;;
		esac
	done
}
