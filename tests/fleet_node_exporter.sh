#!/bin/bash
# Debian's prometheus-node-exporter (installed by .ci/install-deps fleet when
# missing) reads `kvmtune verify --metrics` through its textfile collector:
# on 127.0.0.1 and a free port, only that collector, scraped over loopback.
# On a fake root: kvmtune_drift is 0 after apply, 1 after a value changed
# behind kvmtune's back, node_textfile_scrape_error stays 0, and the last
# apply's status is exported.  The exporter is stopped on exit.  Every file
# written also passes `promtool check metrics` (Prometheus' own linter), from
# Debian's prometheus package, downloaded with apt-get and unpacked in a
# cache, never installed (that would add and enable the prometheus service).
set -u
cd "$(dirname "$0")/.."
kv=${KVMTUNE:-$PWD/kvmtune}
skip() { echo "SKIP: $*"; exit 77; }
exporter=/usr/bin/prometheus-node-exporter
if [ ! -x "$exporter" ]; then
	[ "$(id -u)" = 0 ] || skip "prometheus-node-exporter is not installed (and not root to install it)"
	.ci/install-deps fleet >/dev/null || skip "cannot install prometheus-node-exporter"
fi
command -v python3 >/dev/null || skip "python3 is not installed"
cache=${KVMTUNE_TEST_CACHE:-/var/tmp/kvmtune-tests}
promtool=$cache/prometheus/usr/bin/promtool
if [ ! -x "$promtool" ]; then
	mkdir -p "$cache" || skip "cannot create $cache"
	deb=$(ls "$cache"/prometheus_*.deb 2>/dev/null | tail -1)
	if [ -z "$deb" ]; then
		(cd "$cache" && { apt-get download -qq prometheus 2>/dev/null ||
			{ apt-get update -qq >/dev/null 2>&1 && apt-get download -qq prometheus 2>/dev/null; }; })
		deb=$(ls "$cache"/prometheus_*.deb 2>/dev/null | tail -1)
		[ -n "$deb" ] || skip "cannot download the prometheus package (apt-get download prometheus) for promtool"
	fi
	mkdir -p "$cache/prometheus"
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$cache/prometheus" ./usr/bin/promtool ||
		{ echo "FAIL: cannot unpack promtool from $deb"; exit 1; }
fi
tmp=$(mktemp -d /tmp/kvmtune-nodeexp-XXXXXX)
pid=
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
	rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
ok() { echo "PASS: $1"; }
bad() { echo "FAIL: $1"; fail=1; }

root=$tmp/root textdir=$tmp/textfile
mkdir -p "$root/proc/sys/net/ipv4" "$root/etc/kvmtune/conf.d" "$root/sys/class/net" "$textdir"
echo 60 > "$root/proc/sys/net/ipv4/tcp_fin_timeout"
echo 0 > "$root/proc/sys/net/ipv4/tcp_tw_reuse"
printf '[sysctl]\nnet.ipv4.tcp_fin_timeout = 30\nnet.ipv4.tcp_tw_reuse = 1\n' > "$root/etc/kvmtune/conf.d/50-fleet.conf"

# lint WHAT: promtool check metrics on the file as it is now
lint() {
	if "$promtool" check metrics < "$textdir/kvmtune.prom" > "$tmp/lint" 2>&1; then ok "$1: promtool check metrics"
	else bad "$1: promtool check metrics: $(cat "$tmp/lint")"; fi
}
# before any apply: the last-apply series say so (time 0, status -1)
"$kv" --root "$root" verify --metrics "$textdir/kvmtune.prom" >/dev/null
lint "before any apply"
grep -qx 'kvmtune_last_apply_exit_status -1' "$textdir/kvmtune.prom" && ok "before any apply: kvmtune_last_apply_exit_status -1" \
	|| bad "before any apply: $(grep kvmtune_last_apply_exit_status "$textdir/kvmtune.prom")"

"$kv" --root "$root" apply >/dev/null || bad "apply failed"
"$kv" --root "$root" verify --metrics "$textdir/kvmtune.prom" >/dev/null || bad "verify after apply: exit $?"
lint "after apply"

# a port nobody listens on now; the exporter is given a few tries should another take it first
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
scrape() { # scrape: the exporter's /metrics, or nothing
	python3 - "$port" <<'PY'
import sys, urllib.request
try:
    with urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=5) as r:
        sys.stdout.write(r.read().decode())
except Exception as e:
    sys.stderr.write("scrape: %s\n" % e)
    sys.exit(1)
PY
}
for try in 1 2 3; do
	port=$(free_port)
	"$exporter" --web.listen-address="127.0.0.1:$port" --collector.disable-defaults \
		--collector.textfile --collector.textfile.directory="$textdir" >"$tmp/exporter.log" 2>&1 &
	pid=$!
	# up to 20 s for it to answer; it may also exit (port taken): try another port
	for _ in $(seq 100); do
		scrape >/dev/null 2>&1 && break 2
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=
done
[ -n "$pid" ] || { cat "$tmp/exporter.log"; echo "FAIL: node_exporter did not answer on 127.0.0.1"; exit 1; }
ok "node_exporter $("$exporter" --version 2>&1 | sed -n '1s/.*version \([^ ]*\).*/\1/p') answers on 127.0.0.1:$port"

# value NAME: the sample of series NAME (exactly as written) in the last scrape
value() { awk -v n="$1" '$1 == n { print $2 }' "$tmp/scrape"; }
check() { # check WHAT SERIES WANT
	local got; got=$(value "$2")
	[ "$got" = "$3" ] && ok "$1: $2 $got" || bad "$1: $2 is '${got}', want '$3'"
}

scrape > "$tmp/scrape" || bad "scrape failed"
check "after apply" kvmtune_drift 0
check "after apply" 'kvmtune_settings{section="sysctl",state="ok"}' 2
check "after apply" kvmtune_last_apply_exit_status 0
check "after apply" kvmtune_last_apply_changes 2
check "after apply" "kvmtune_build_info{version=\"$("$kv" --version | cut -d' ' -f2)\"}" 1
check "textfile parsed" node_textfile_scrape_error 0
grep -q '^# TYPE kvmtune_drift gauge$' "$tmp/scrape" && ok "kvmtune_drift is a gauge" || bad "no TYPE line for kvmtune_drift"
[ -n "$(value 'node_textfile_mtime_seconds{file="kvmtune.prom"}')" ] || \
	[ -n "$(value "node_textfile_mtime_seconds{file=\"$textdir/kvmtune.prom\"}")" ] && ok "kvmtune.prom read by the collector" \
	|| bad "node_textfile_mtime_seconds has no kvmtune.prom"

# the control: a file the collector cannot parse does show as a scrape error
printf 'kvmtune_drift{ 1\n' > "$textdir/broken.prom"
scrape > "$tmp/scrape" || bad "scrape failed"
check "control: a broken .prom file" node_textfile_scrape_error 1
rm -f "$textdir/broken.prom"

# behind kvmtune's back
echo 45 > "$root/proc/sys/net/ipv4/tcp_fin_timeout"
"$kv" --root "$root" verify --metrics "$textdir/kvmtune.prom" >/dev/null
[ $? = 1 ] && ok "verify exits 1 on drift" || bad "verify on drift did not exit 1"
lint "after drift"
scrape > "$tmp/scrape" || bad "scrape failed"
check "after drift" kvmtune_drift 1
check "after drift" 'kvmtune_settings{section="sysctl",state="set"}' 1
check "after drift" 'kvmtune_settings{section="sysctl",state="ok"}' 1
check "after drift" node_textfile_scrape_error 0

# -v: per-setting series, still valid for the collector
"$kv" --root "$root" -v verify --metrics "$textdir/kvmtune.prom" >/dev/null 2>&1
lint "-v"
scrape > "$tmp/scrape" || bad "scrape failed"
check "-v" 'kvmtune_setting_drift{device="",key="net.ipv4.tcp_fin_timeout",section="sysctl"}' 1
check "-v" 'kvmtune_setting_drift{device="",key="net.ipv4.tcp_tw_reuse",section="sysctl"}' 0
check "-v" node_textfile_scrape_error 0

# apply again: the drift is gone, the last apply's time moves on
"$kv" --root "$root" apply >/dev/null || bad "second apply failed"
"$kv" --root "$root" verify --metrics "$textdir/kvmtune.prom" >/dev/null || bad "verify after the second apply"
scrape > "$tmp/scrape" || bad "scrape failed"
check "after the second apply" kvmtune_drift 0
check "after the second apply" kvmtune_last_apply_changes 1
check "after the second apply" node_textfile_scrape_error 0
# no temp file left for the collector to trip over
[ "$(ls -A "$textdir")" = kvmtune.prom ] && ok "only kvmtune.prom in the textfile directory" \
	|| bad "textfile directory holds: $(ls -A "$textdir")"

kill "$pid"; wait "$pid" 2>/dev/null
kill -0 "$pid" 2>/dev/null && bad "the exporter is still running" || ok "exporter stopped"
pid=
exit $fail
