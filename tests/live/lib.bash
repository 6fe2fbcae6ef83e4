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
