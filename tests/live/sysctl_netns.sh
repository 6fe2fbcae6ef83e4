#!/bin/bash
# Live test of [sysctl] on the running kernel, inside a private network
# namespace (whose net.* sysctls are its own): apply the bundled net keys
# plus a glob over a veth pair, read them back from /proc/sys, verify, change
# a value behind kvmtune's back, verify again.  Only net.* keys are touched,
# and only inside the namespace; the host's values are compared before and
# after (and restored, failing the test, should one have changed).
set -u
. "$(dirname "$0")/lib.bash"
live_require ip netns

[ -x "$kv" ] || { echo "FAIL: no kvmtune binary at $kv"; exit 1; }

tmp=$(mktemp -d /tmp/kvmtune-live-XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
chmod 0755 "$tmp"
mkdir -m 0755 "$tmp/conf.d"

# net.* key = value lines of the bundled configuration ('-' kept)
: >"$tmp/keys"
for f in "$repo"/conf.d/*.conf; do
	[ -e "$f" ] || continue
	sed -n 's/^[[:space:]]*\(-\{0,1\}net\.[A-Za-z0-9_.*-]*\)[[:space:]]*=[[:space:]]*\(.*\)$/\1=\2/p' "$f" |
		sed 's/[[:space:]]\{1,\}[#;].*$//; s/[[:space:]]*$//' >>"$tmp/keys"
done
# some of our own when conf.d has none
cat >>"$tmp/keys" <<'EOF'
net.ipv4.tcp_fin_timeout=31
net.core.somaxconn=1234
EOF

# the host's values of every key, to prove the namespace kept them private
host_values() {
	while IFS='=' read -r key _; do
		key=${key#-}
		p=/proc/sys/$(echo "$key" | tr . /)
		[ -r "$p" ] && printf '%s=%s\n' "$key" "$(tr -s ' \t' '  ' <"$p")"
	done <"$tmp/keys"
	for p in /proc/sys/net/ipv4/conf/{all,default,lo}/{rp_filter,log_martians}; do
		printf '%s=%s\n' "$p" "$(cat "$p")"
	done
}
host_values >"$tmp/host.before"

cat >"$tmp/inner.sh" <<'INNER'
set -u
kv=$1 tmp=$2
fail() { echo "FAIL: $*"; exit 1; }
val() { tr -s ' \t' '  ' <"/proc/sys/$(echo "$1" | tr . /)"; }

mount --make-rprivate / || fail "mount --make-rprivate /"
mount -t tmpfs tmpfs /run || fail "mount tmpfs on /run"
mount -t sysfs sysfs /sys || fail "mount sysfs"
ip link set lo up
ip link add v0 type veth peer name v1 || fail "cannot create a veth pair"
# Does the kernel copy default.log_martians into devices here?  Not when the
# host ever wrote its own default.log_martians: a new namespace copies the
# host's "written" bits and new devices copy them in turn.  Probe on a device
# created like v1 (writing default does not mark the existing devices).
ip link add probe0 type veth peer name probe1 || fail "cannot create a probe veth pair"
echo 1 >/proc/sys/net/ipv4/conf/default/log_martians
propagates=$(cat /proc/sys/net/ipv4/conf/probe0/log_martians)
echo 0 >/proc/sys/net/ipv4/conf/default/log_martians
ip link del probe0
[ -d /proc/sys/net/ipv4/conf/v0 ] || fail "v0 not visible in /proc/sys"

# the configuration: bundled keys that this namespace has and lets us write
# (a namespace does not show, or shows read-only, keys that are not its own,
# such as net.core.rmem_max on many kernels), plus a glob
conf=$tmp/conf.d/50-net.conf
{
	echo "[sysctl]"
	while IFS='=' read -r key value; do
		bare=${key#-}
		[ -w "/proc/sys/$(echo "$bare" | tr . /)" ] || continue
		echo "$key = $value"
		echo "$bare=$value" >>"$tmp/applied"
	done <"$tmp/keys"
	echo "net.ipv4.conf.v*.rp_filter = 2"
	# the kernel copies default.X to interfaces whose X was never written:
	# lo = 0 must survive default = 1 (all/default are written first)
	echo "net.ipv4.conf.lo.log_martians = 0"
	echo "net.ipv4.conf.v0.log_martians = 0"
	echo "net.ipv4.conf.default.log_martians = 1"
} >"$conf"
chmod 0644 "$conf"
[ -s "$tmp/applied" ] || fail "no net key of conf.d exists in this namespace"

"$kv" --config-dir "$tmp/conf.d" --only sysctl apply >"$tmp/out" 2>"$tmp/err"
rc=$?
cat "$tmp/out" "$tmp/err"
[ $rc = 0 ] || fail "apply exited $rc"

# the last value of each key wins
awk -F= '{ v[$1] = $0 } END { for (k in v) print v[k] }' "$tmp/applied" >"$tmp/wanted"
while IFS='=' read -r key value; do
	got=$(val "$key")
	want=$(echo "$value" | tr -s ' \t' '  ')
	[ "$got" = "$want" ] || fail "$key is '$got', configured '$want'"
done <"$tmp/wanted"
for dev in v0 v1; do
	[ "$(val net.ipv4.conf.$dev.rp_filter)" = 2 ] || fail "net.ipv4.conf.$dev.rp_filter not 2"
done
[ "$(val net.ipv4.conf.lo.rp_filter)" != 2 ] || fail "glob v* matched lo"
[ "$(val net.ipv4.conf.default.log_martians)" = 1 ] || fail "default.log_martians not 1"
[ "$(val net.ipv4.conf.lo.log_martians)" = 0 ] || fail "lo.log_martians overwritten by default"
[ "$(val net.ipv4.conf.v0.log_martians)" = 0 ] || fail "v0.log_martians overwritten by default"
if [ "$propagates" = 1 ]; then
	[ "$(val net.ipv4.conf.v1.log_martians)" = 1 ] || fail "v1.log_martians did not follow default"
else
	echo "NOTE: this host wrote its default.log_martians once; the kernel's copy to new devices is not observable here"
fi

"$kv" --config-dir "$tmp/conf.d" --only sysctl verify >"$tmp/out" 2>&1
rc=$?
[ $rc = 0 ] || { cat "$tmp/out"; fail "verify after apply exited $rc"; }

# a second apply changes nothing
"$kv" --config-dir "$tmp/conf.d" --only sysctl apply >"$tmp/out" 2>&1
rc=$?
[ $rc = 0 ] || { cat "$tmp/out"; fail "second apply exited $rc"; }
! grep -q -- '->' "$tmp/out" || { cat "$tmp/out"; fail "second apply changed something"; }

# behind kvmtune's back
if command -v sysctl >/dev/null; then
	sysctl -q -w net.ipv4.conf.v1.rp_filter=0 || fail "sysctl -w"
else
	echo 0 >/proc/sys/net/ipv4/conf/v1/rp_filter
fi
"$kv" --config-dir "$tmp/conf.d" --only sysctl verify >"$tmp/out" 2>&1
rc=$?
cat "$tmp/out"
[ $rc = 1 ] || fail "verify after a change exited $rc, expected 1"
grep -q 'net\.ipv4\.conf\.v1\.rp_filter' "$tmp/out" || fail "verify does not name net.ipv4.conf.v1.rp_filter"
! grep -q '^set .*net\.ipv4\.conf\.v0\.rp_filter' "$tmp/out" || fail "verify names v0, which did not change"
echo "inner: ok"
INNER

unshare -n -m bash "$tmp/inner.sh" "$kv" "$tmp"
rc=$?

host_values >"$tmp/host.after"
if ! cmp -s "$tmp/host.before" "$tmp/host.after"; then
	echo "FAIL: a host value changed; restoring:"
	diff "$tmp/host.before" "$tmp/host.after"
	while IFS='=' read -r key value; do
		case $key in
		/*) p=$key ;;
		*) p=/proc/sys/$(echo "$key" | tr . /) ;;
		esac
		[ -w "$p" ] && echo "$value" >"$p"
	done <"$tmp/host.before"
	exit 1
fi
exit $rc
