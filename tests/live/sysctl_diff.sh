#!/bin/bash
# Differential test against systemd-sysctl: the same sysctl.d lines (globs
# with ? and [...], '-KEY' exclusions, interface names with + and @, a dot in
# a name) applied by systemd-sysctl in one fresh network namespace and by
# kvmtune (the lines under [sysctl]) in another, with the same interfaces;
# then every readable net.* value of the two namespaces is compared.
# Nothing outside the two namespaces is touched.
set -u
. "$(dirname "$0")/lib.bash"
live_require netns ip
[ -x "$kv" ] || { echo "FAIL: no kvmtune binary at $kv"; exit 1; }
sds=/usr/lib/systemd/systemd-sysctl
[ -x $sds ] || sds=/lib/systemd/systemd-sysctl
[ -x $sds ] || skip "systemd-sysctl is not installed"

tmp=$(mktemp -d /tmp/kvmtune-sysctl-diff-XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/lines" <<'EOF'
net.ipv6.conf.v?.disable_ipv6 = 1
net.ipv4.conf.[xa]*.log_martians = 1
net.ipv4.conf.*.rp_filter = 2
-net.ipv4.conf.lo.rp_filter
-net.ipv4.conf.v1.rp_filter
net.ipv4.conf.x+1.accept_redirects = 0
net.ipv4.conf.a@b.send_redirects = 0
net/ipv4/conf/vl.7/arp_ignore = 1
net.ipv4.conf.v[!0].arp_announce = 2
net.ipv6.conf.*.accept_ra = 0
-net.ipv6.conf.x+1.accept_ra
net.ipv4.tcp_fin_timeout = 33
net.core.somaxconn = 2048
EOF
{ echo "[sysctl]"; cat "$tmp/lines"; } >"$tmp/kvmtune.conf"
cp "$tmp/lines" "$tmp/sysctl.conf"

# in a new namespace: the same interfaces, then TOOL, then every net.* value
cat >"$tmp/ns.sh" <<'EOF'
set -u
tool=$1 tmp=$2 kv=$3 sds=$4
mount --make-rprivate / 2>/dev/null
mount -t tmpfs tmpfs /run || exit 10
ip link set lo up
for n in v0 v1 vx x+1 a@b vl.7; do
	ip link add "$n" type dummy 2>/dev/null || ip link add "$n" type veth peer name "p$RANDOM" || exit 11
done
case $tool in
sds) "$sds" "$tmp/sysctl.conf" || exit 12 ;;
kvmtune) "$kv" -q apply --config "$tmp/kvmtune.conf" || exit 12 ;;
esac
# every value, the peers' interfaces left out (their names are random)
find /proc/sys/net -type f -perm -0400 2>/dev/null | grep -v '/p[0-9]*/' | sort | while read -r f; do
	v=$(cat "$f" 2>/dev/null) || continue
	printf '%s=%s\n' "${f#/proc/sys/}" "$(echo $v)"
done
EOF
unshare -n -m bash "$tmp/ns.sh" sds "$tmp" "$kv" "$sds" >"$tmp/sds.out" 2>"$tmp/sds.err"
rc1=$?
unshare -n -m bash "$tmp/ns.sh" kvmtune "$tmp" "$kv" "$sds" >"$tmp/kv.out" 2>"$tmp/kv.err"
rc2=$?
if [ $rc1 != 0 ] || [ $rc2 != 0 ]; then
	grep -q "cannot\|Operation not supported" "$tmp/sds.err" "$tmp/kv.err" && [ $rc1 = 11 ] && skip "cannot create the interfaces"
	echo "FAIL: systemd-sysctl run exited $rc1, kvmtune run $rc2"
	sed 's/^/    sds: /' "$tmp/sds.err"; sed 's/^/    kvmtune: /' "$tmp/kv.err"
	exit 1
fi
n=$(wc -l <"$tmp/kv.out")
[ "$n" -gt 500 ] || { echo "FAIL: only $n values read"; exit 1; }
# the lines took effect at all (a comparison of two untouched namespaces proves nothing)
for want in "net/ipv4/conf/x+1/log_martians=1" "net/ipv4/conf/a@b/send_redirects=0" "net/ipv6/conf/v0/disable_ipv6=1" \
	    "net/ipv6/conf/vx/disable_ipv6=1" "net/ipv4/conf/vl.7/arp_ignore=1" "net/ipv4/conf/v1/arp_announce=2" \
	    "net/ipv4/conf/v0/arp_announce=0" "net/ipv4/conf/vx/rp_filter=2" "net/ipv6/conf/x+1/accept_ra=1" \
	    "net/ipv4/tcp_fin_timeout=33"; do
	grep -qxF "$want" "$tmp/kv.out" || { echo "FAIL: kvmtune: no $want"; grep -F "${want%=*}=" "$tmp/kv.out"; exit 1; }
done
if ! diff -u "$tmp/sds.out" "$tmp/kv.out" >"$tmp/diff"; then
	echo "FAIL: net.* values differ between systemd-sysctl and kvmtune:"
	grep '^[-+][^-+]' "$tmp/diff" | head -40
	exit 1
fi
echo "PASS: $n net.* values equal after systemd-sysctl and kvmtune applied the same $(wc -l <"$tmp/lines") lines"
