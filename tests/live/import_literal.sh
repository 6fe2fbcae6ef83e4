#!/bin/bash
# Live: imported values are literal writes (issue 35).  Inside a private
# network and mount namespace, a sysctl file with a bound (">=5000"), a
# quoted number list, a plain number, an octal number ("012": 10 to the
# kernel) and a number the kernel reads as a bad octal ("09") is loaded by
# the host's own tool (procps sysctl -p, or systemd-sysctl), and an rc.local
# writes ">= 5000" with echo: the kernel refuses the bound, the list, "09"
# and the echo (EINVAL), and takes the others.  `kvmtune import` must report
# exactly the refused ones and carry the octal one as the decimal the kernel
# stored, and `kvmtune apply` of its output, after a reset, must give the
# values the old tools left: somaxconn, tcp_rmem and tcp_syn_retries
# untouched, tcp_fin_timeout and tcp_keepalive_probes set.
set -u
. "$(dirname "$0")/lib.bash"
live_require netns

[ -x "$kv" ] || { echo "FAIL: no kvmtune binary at $kv"; exit 1; }
command -v unshare >/dev/null || skip "unshare is not available"
if command -v sysctl >/dev/null; then
	loader="sysctl -q -p"
elif [ -x /lib/systemd/systemd-sysctl ]; then
	loader=/lib/systemd/systemd-sysctl
else
	skip "neither procps sysctl nor systemd-sysctl is installed"
fi

tmp=$(mktemp -d /tmp/kvmtune-live-XXXXXX) || exit 1
chmod 0755 "$tmp"
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/inner.sh" <<'INNER'
set -u
kv=$1 tmp=$2 loader=$3
fail() { echo "FAIL: $*"; exit 1; }
mount --make-rprivate / || fail "mount --make-rprivate /"
mount -t tmpfs tmpfs /run || fail "cannot mount a tmpfs on /run"
values() {
	for k in net/core/somaxconn net/ipv4/tcp_rmem net/ipv4/tcp_fin_timeout net/ipv4/tcp_keepalive_probes \
		net/ipv4/tcp_syn_retries; do
		printf '%s=%s\n' "$k" "$(tr -s ' \t' '  ' </proc/sys/$k)"
	done
}
values >"$tmp/before"
fin=$(cat /proc/sys/net/ipv4/tcp_fin_timeout)
fin=$((fin == 29 ? 31 : 29))
probes=$(cat /proc/sys/net/ipv4/tcp_keepalive_probes)
probes=$((probes == 10 ? 11 : 10))
cat >"$tmp/60-old.conf" <<EOF
net.core.somaxconn = >=5000
net.ipv4.tcp_rmem = "4096 87380 16777216"
net.ipv4.tcp_fin_timeout = $fin
net.ipv4.tcp_keepalive_probes = 0$(printf %o $probes)
net.ipv4.tcp_syn_retries = 09
EOF
printf '#!/bin/sh\necho ">= 5000" > /proc/sys/net/core/somaxconn\n' >"$tmp/rc.local"
chmod 0755 "$tmp/rc.local"

# the old host: its own tools, on the real kernel
$loader "$tmp/60-old.conf" >"$tmp/loader.out" 2>&1 && fail "$loader took every line: $(cat "$tmp/loader.out")"
sh "$tmp/rc.local" 2>/dev/null && fail "the kernel took '>= 5000' for somaxconn"
values >"$tmp/old"
echo "the old host's tools left:"; sed 's/^/    /' "$tmp/old"
grep -qx "net/ipv4/tcp_fin_timeout=$fin" "$tmp/old" || fail "$loader did not set tcp_fin_timeout"
grep -qx "net/ipv4/tcp_keepalive_probes=$probes" "$tmp/old" ||
	fail "$loader did not set tcp_keepalive_probes to $probes (0$(printf %o $probes) in octal)"
diff <(grep -v 'fin_timeout\|keepalive_probes' "$tmp/before") <(grep -v 'fin_timeout\|keepalive_probes' "$tmp/old") \
	>/dev/null || fail "the kernel took a value this test expects it to refuse"

"$kv" import "$tmp/60-old.conf" "$tmp/rc.local" >"$tmp/imported.conf" 2>"$tmp/import.err"
rc=$?
sed 's/^/    import: /' "$tmp/import.err"
[ $rc = 1 ] || fail "import exited $rc, not 1 (lines not carried)"
grep -q '60-old.conf:1: not carried: ' "$tmp/import.err" || fail "the bound was not reported"
grep -q '60-old.conf:2: not carried: ' "$tmp/import.err" || fail "the quoted list was not reported"
grep -q '60-old.conf:3: carried: ' "$tmp/import.err" || fail "tcp_fin_timeout was not carried"
grep -q '60-old.conf:4: carried: ' "$tmp/import.err" || fail "the octal tcp_keepalive_probes was not carried"
grep -qx "net.ipv4.tcp_keepalive_probes = $probes" "$tmp/imported.conf" ||
	fail "the octal tcp_keepalive_probes was not carried as $probes, the decimal the kernel stored"
grep -q '60-old.conf:5: not carried: ' "$tmp/import.err" || fail "tcp_syn_retries = 09 was not reported"
grep -q 'rc.local:2: not carried: ' "$tmp/import.err" || fail "echo '>= 5000' was not reported"
grep -Eq '^net\.core\.somaxconn|^net\.ipv4\.tcp_rmem|^net\.ipv4\.tcp_syn_retries|>=' "$tmp/imported.conf" &&
	fail "a refused value was carried"
chmod 0644 "$tmp/imported.conf"

echo "$(sed -n 's/^net\/ipv4\/tcp_fin_timeout=//p' "$tmp/before")" >/proc/sys/net/ipv4/tcp_fin_timeout
echo "$(sed -n 's/^net\/ipv4\/tcp_keepalive_probes=//p' "$tmp/before")" >/proc/sys/net/ipv4/tcp_keepalive_probes
values | cmp -s - "$tmp/before" || fail "could not reset tcp_fin_timeout and tcp_keepalive_probes"
"$kv" apply --config "$tmp/imported.conf" >"$tmp/apply.out" 2>&1
rc=$?
sed 's/^/    apply: /' "$tmp/apply.out"
[ $rc = 0 ] || fail "apply exited $rc"
values >"$tmp/after"
if ! cmp -s "$tmp/old" "$tmp/after"; then
	diff "$tmp/old" "$tmp/after"
	fail "apply of the imported configuration did not give what the old tools left"
fi
echo "inner: ok"
INNER

in_netns "what the kernel refused was reported, and apply gave what the old tools left" \
	"$tmp/inner.sh" "$kv" "$tmp" "$loader"
