#!/bin/bash
# Live property test over the knobs kvmtune writes: for each value in a
# table (edge forms included), `apply`, then `verify` exits 0 and a second
# `apply` makes zero kernel writes (pwrite64 counted with strace); where the
# kernel stores a value differently, kvmtune either knows it ("kernel
# stores" in plan) or apply fails naming what the kernel stored.  Each case
# is reverted afterwards.  Network, UTS and mount namespaces (tmpfs on /run,
# /sys remounted) hold the net and kernel.domainname cases; a loop device,
# KSM, THP and the 2M hugepage pool are global and are put back at the end.
set -u
. "$(dirname "$0")/lib.bash"
live_require ip netns
[ -x "$kv" ] || { echo "FAIL: no kvmtune binary at $kv"; exit 1; }
command -v strace >/dev/null || skip "strace is not installed"
unshare -u true 2>/dev/null || skip "cannot create a UTS namespace"

tmp=$(mktemp -d /tmp/kvmtune-live-XXXXXX) || exit 1
dev=loop0
q=/sys/block/$dev/queue
globals=("$q/read_ahead_kb" "$q/nr_requests" /sys/kernel/mm/ksm/pages_to_scan /sys/kernel/mm/ksm/run
	/sys/kernel/mm/transparent_hugepage/defrag /sys/kernel/mm/transparent_hugepage/enabled
	/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages /proc/sys/vm/swappiness)
[ -w "$q/read_ahead_kb" ] || skip "no writable $q/read_ahead_kb"
declare -A orig
for f in "${globals[@]}" $q/scheduler; do
	[ -e "$f" ] && orig[$f]=$(sed 's/.*\[\(.*\)\].*/\1/' "$f")
done
restore() {
	for f in "${!orig[@]}"; do echo "${orig[$f]}" >"$f" 2>/dev/null; done
	rm -rf "$tmp"
}
trap restore EXIT
long=$(printf 'd%.0s' $(seq 1 70))

unshare -n -m -u bash -s "$kv" "$tmp" "$dev" "$long" <<'INNER'
set -u
kv=$1 tmp=$2 dev=$3 long=$4 fail=0 n=0
bad() { echo "FAIL: $*"; fail=1; }
mount --make-rprivate / 2>/dev/null
mount -t tmpfs tmpfs /run || exit 1
mount -t sysfs sysfs /sys || exit 1
ip link add kvp0 type veth peer name kvp1 || { echo "SKIP: cannot create a veth pair"; exit 77; }

# case NAME CONF-TEXT FILE WANT [MESSAGE]
# WANT: the value FILE must hold after apply (brackets: the chosen word);
# MESSAGE: apply must fail with it on stderr instead (FILE then unchanged).
case_() {
	local name=$1 conf=$2 file=$3 want=$4 msg=${5:-} before got writes
	n=$((n + 1))
	printf '%b' "$conf" >"$tmp/c.conf"
	before=$(cat "$file")
	"$kv" --config "$tmp/c.conf" apply >"$tmp/out" 2>"$tmp/err"; rc=$?
	got=$(cat "$file")
	if [ -n "$msg" ]; then
		[ $rc = 1 ] || bad "$name: apply exited $rc, expected 1"
		grep -qF -- "$msg" "$tmp/err" || bad "$name: no '$msg' in: $(cat "$tmp/err")"
	else
		[ $rc = 0 ] || bad "$name: apply exited $rc: $(cat "$tmp/err")"
		case $want in
		\[*) case $got in *"$want"*) ;; *) bad "$name: $file is '$got', expected $want" ;; esac ;;
		*) [ "$(echo $got)" = "$want" ] || bad "$name: $file is '$got', expected '$want'" ;;
		esac
		"$kv" --config "$tmp/c.conf" verify >"$tmp/vout" 2>&1 || bad "$name: verify after apply: $(grep -v '^ok' "$tmp/vout")"
		# LeakSanitizer cannot run under ptrace (a SANITIZE=1 build): leaks are not its job here
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -qq -e trace=pwrite64 -o "$tmp/trace" "$kv" --config "$tmp/c.conf" apply >"$tmp/out2" 2>&1 ||
			bad "$name: second apply: $(cat "$tmp/out2")"
		writes=$(grep -c pwrite64 "$tmp/trace")
		[ "$writes" = 0 ] || bad "$name: second apply made $writes kernel writes: $(cat "$tmp/trace")"
	fi
	"$kv" revert >"$tmp/rout" 2>&1 || bad "$name: revert: $(cat "$tmp/rout")"
	[ "$(cat "$file")" = "$before" ] || bad "$name: revert left $file at '$(cat "$file")', was '$before'"
}

S='[sysctl]\n'
T=/proc/sys/net/ipv4/tcp_fin_timeout
case_ "sysctl decimal" "${S}net.ipv4.tcp_fin_timeout = 31\n" $T 31
case_ "sysctl hex (base 0)" "${S}net.ipv4.tcp_fin_timeout = 0x1e\n" $T 30
case_ "sysctl octal refused" "${S}net.ipv4.tcp_fin_timeout = 010\n" $T - "is octal to the kernel, which would store 8"
case_ "sysctl fields, tab" "${S}net.ipv4.ip_local_port_range = 40000\t50000\n" /proc/sys/net/ipv4/ip_local_port_range "40000 50000"
case_ "sysctl ip_forward then an interface" "${S}net.ipv4.conf.kvp0.forwarding = 0\nnet.ipv4.ip_forward = 1\n" \
	/proc/sys/net/ipv4/conf/kvp0/forwarding 0
case_ "sysctl all.forwarding then default" "${S}net.ipv4.conf.default.forwarding = 0\nnet.ipv4.conf.all.forwarding = 1\n" \
	/proc/sys/net/ipv4/conf/default/forwarding 0
case_ "sysctl ipv6 all.forwarding then an interface" "${S}net.ipv6.conf.kvp1.forwarding = 0\nnet.ipv6.conf.all.forwarding = 1\n" \
	/proc/sys/net/ipv6/conf/kvp1/forwarding 0
case_ "sysctl default then an interface" "${S}net.ipv4.conf.kvp0.log_martians = 0\nnet.ipv4.conf.default.log_martians = 1\n" \
	/proc/sys/net/ipv4/conf/kvp0/log_martians 0
case_ "sysctl string the kernel truncates" "${S}kernel.domainname = $long\n" /proc/sys/kernel/domainname - \
	"but the kernel stores '${long:0:64}'"
case_ "sysctl at least, already beyond" "${S}net.core.somaxconn = >= 16\n" /proc/sys/net/core/somaxconn 4096
case_ "sysctl at least, raised" "${S}net.core.somaxconn = >= 8192\n" /proc/sys/net/core/somaxconn 8192
case_ "sysctl at most, lowered" "${S}net.ipv4.tcp_fin_timeout = <= 20\n" $T 20
case_ "sysctl trigger refused" "${S}vm.drop_caches = 3\n" /proc/sys/kernel/domainname - "is an action"

B="[block \"$dev\"]\n"
case_ "read_ahead_kb whole pages" "${B}read_ahead_kb = 1234\n" /sys/block/$dev/queue/read_ahead_kb 1232
case_ "read_ahead_kb 130" "${B}read_ahead_kb = 130\n" /sys/block/$dev/queue/read_ahead_kb 128
case_ "read_ahead_kb at most" "${B}read_ahead_kb = <= 64\n" /sys/block/$dev/queue/read_ahead_kb 64
case_ "read_ahead_kb 0" "${B}read_ahead_kb = 0\n" /sys/block/$dev/queue/read_ahead_kb 0
case_ "nr_requests clamped to 4" "${B}nr_requests = 2\n" /sys/block/$dev/queue/nr_requests 4
case_ "nr_requests 64" "${B}nr_requests = 64\n" /sys/block/$dev/queue/nr_requests 64
case_ "scheduler legacy name" "${B}scheduler = deadline\n" /sys/block/$dev/queue/scheduler "[mq-deadline]"
case_ "scheduler fallback" "${B}scheduler = nosuch none\n" /sys/block/$dev/queue/scheduler "[none]"

N='[netdev "kvp0"]\n'
case_ "txqueuelen 0" "${N}txqueuelen = 0\n" /sys/class/net/kvp0/tx_queue_len 0
case_ "txqueuelen max (shown with %d)" "${N}txqueuelen = 4294967295\n" /sys/class/net/kvp0/tx_queue_len -1

case_ "ksm pages_to_scan" "[ksm]\npages_to_scan = 1234\n" /sys/kernel/mm/ksm/pages_to_scan 1234
case_ "ksm run boolean" "[ksm]\nrun = yes\n" /sys/kernel/mm/ksm/run 1
case_ "thp defrag" "[thp]\ndefrag = defer\n" /sys/kernel/mm/transparent_hugepage/defrag "[defer]"
case_ "thp enabled" "[thp]\nenabled = madvise\n" /sys/kernel/mm/transparent_hugepage/enabled "[madvise]"
case_ "sysctl vm hex (global)" "${S}vm.swappiness = 0x0b\n" /proc/sys/vm/swappiness 11
case_ "hugepages 2M" "[hugepages \"2M\"]\npages = 3\nreserve = 0\n" /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages 3
[ $fail = 0 ] && echo "ok: $n cases"
exit $fail
INNER
rc=$?
[ $rc = 0 ] && echo "PASS: every knob's value reads back, verifies and converges; what the kernel changes is told"
exit $rc
