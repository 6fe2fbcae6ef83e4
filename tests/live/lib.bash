# Sourced by the live tests (not a test itself): where things are, how a
# test skips (exit 77 with a "SKIP: reason" line), and the usual checks.
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
kv=${KVMTUNE:-$repo/kvmtune}
skip() { echo "SKIP: $*"; exit 77; }

# live_require [netns] [mountns] [ip]: root, kvmtune not disabled on this
# kernel's command line, and what the test creates
live_require() {
	[ "$(id -u)" = 0 ] || skip "not root"
	grep -qw 'kvmtune=0' /proc/cmdline && skip "kvmtune=0 on this kernel's command line"
	local need
	for need in "$@"; do
		case $need in
		netns)
			command -v unshare >/dev/null || skip "unshare is not available"
			unshare -n -m true 2>/dev/null || skip "cannot create network/mount namespaces" ;;
		mountns)
			command -v unshare >/dev/null || skip "unshare is not available"
			unshare -m true 2>/dev/null || skip "cannot create a mount namespace" ;;
		ip)
			command -v ip >/dev/null || skip "ip (iproute2) is not available" ;;
		esac
	done
}

# in_netns OK_MESSAGE SCRIPT ARGS...: bash SCRIPT ARGS in a private network
# and mount namespace; exits with its status (77 a skip), and fails when the
# host's own somaxconn or tcp_fin_timeout changed meanwhile (the script's
# writes must stay in the namespace); OK_MESSAGE is said on success
in_netns() {
	local ok=$1 rc before after
	shift
	before=$(cat /proc/sys/net/core/somaxconn /proc/sys/net/ipv4/tcp_fin_timeout)
	unshare -n -m bash "$@"
	rc=$?
	after=$(cat /proc/sys/net/core/somaxconn /proc/sys/net/ipv4/tcp_fin_timeout)
	if [ "$before" != "$after" ]; then
		echo "FAIL: a host sysctl changed outside the namespace"
		rc=1
	fi
	[ $rc = 0 ] && echo "ok: $ok"
	exit $rc
}
