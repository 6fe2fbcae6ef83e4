#!/bin/bash
# The udev rule's own command line, taken from udev/81-kvmtune.rules.in with
# $name filled in (and without its systemd-cat, which the real boot test
# covers: a private /run hides the journal's socket), run for a new veth inside a private network and mount namespace:
# the configuration comes from the default search path (/run/kvmtune/conf.d on
# a private tmpfs), and the interface's txqueuelen ends up set.
set -u
. "$(dirname "$0")/lib.bash"
live_require ip netns
rules=$repo/udev/81-kvmtune.rules.in

# RUN+="..." of the net rule, the binary replaced by the one under test
cmd=$(sed -n '/SUBSYSTEM=="net"/s/.*RUN+="\([^"]*\)".*/\1/p' "$rules")
[ -n "$cmd" ] || { echo "FAIL: no net RUN+= in $rules"; exit 1; }
cmd=${cmd#/usr/bin/systemd-cat -t kvmtune }
cmd=${cmd/@SBINDIR@\/kvmtune/$kv}

unshare -n -m bash -s "$cmd" <<'INNER'
set -u
cmd=$1 fail=0
mount --make-rprivate / 2>/dev/null
mount -t tmpfs -o mode=0755 tmpfs /run || exit 1
mount -t sysfs sysfs /sys || exit 1
# hide any host configuration from the search path
for d in /etc/kvmtune /usr/local/lib/kvmtune /usr/lib/kvmtune; do
	[ -d "$d" ] && mount -t tmpfs tmpfs "$d"
done
mkdir -p /run/kvmtune/conf.d
printf '[netdev "vnet*"]\ntxqueuelen = 4242\n' >/run/kvmtune/conf.d/60-vnet.conf
chmod 0644 /run/kvmtune/conf.d/60-vnet.conf
ip link add vnet7 type veth peer name peer7 || { echo "SKIP: cannot create a veth pair"; exit 77; }
run=${cmd//\$name/vnet7}
echo "running: $run"
$run || { echo "FAIL: the rule's command exited $?"; fail=1; }
v=$(cat /sys/class/net/vnet7/tx_queue_len)
[ "$v" = 4242 ] || { echo "FAIL: vnet7 tx_queue_len is $v"; fail=1; }
# the peer does not match the glob and the command named only vnet7
v=$(cat /sys/class/net/peer7/tx_queue_len)
[ "$v" = 1000 ] || { echo "FAIL: peer7 tx_queue_len changed to $v"; fail=1; }
exit $fail
INNER
rc=$?
[ $rc = 0 ] && echo "PASS: the udev rule's command set vnet7's txqueuelen"
exit $rc
