#!/bin/bash
# [ksm] run = auto against ksmtuned itself.  Debian's ksmtuned package is
# downloaded (apt-get download) and unpacked with dpkg-deb, never installed;
# at test time its script is cut down to its variables and functions (its
# /etc/ksmtuned.conf sourcing and its sleep loop left out) and sourced here,
# so each call of its own `adjust` is one tick.  In a private mount and PID
# namespace, /proc/meminfo and /sys/kernel/mm/ksm are bind-mounted fakes and
# real processes stand in for guests (tests/live/memhold.c, started under a
# `qemu-system-x86_64 -enable-kvm -m N` argv, holding N MiB resident, its
# executable a hard link named as argv[0] without its directory: kvmtune
# knows a guest by its exe, ksmtuned by its command line).
# kvmtune `apply --only=ksm` runs after every tick on the same inputs, with
# --root on a tree whose proc is the namespace's procfs with the same fake
# meminfo (and a fake uptime, one interval further each tick) and whose
# sys/kernel/mm/ksm is a second fake directory; run, pages_to_scan,
# sleep_millisecs and npages must equal ksmtuned's after every tick, over
# several scenarios (defaults, ksmtuned.conf-style parameters, hosts from
# 8 MB to 1 TB) of at least 50 states in all, and every branch of the
# policy (stop, boost, decay, both clamps) must be reached.  Then the
# deliberate differences, one case each: guests that ksmtuned's
# `^qemu-system.*-enable-kvm` misses (`-accel kvm`, a full path as libvirt
# passes it, qemu-kvm, kvm, a guest without KVM) count for kvmtune; a
# process that only calls itself qemu-system-x86_64 counts for ksmtuned alone.
. "$(dirname "$0")/lib.bash"

if [ "${1:-}" != --inner ]; then
	live_require mountns
	[ -x "$kv" ] || { echo "FAIL: no kvmtune binary at $kv"; exit 1; }
	for c in pgrep ps awk dpkg-deb apt-get ${CC:-cc}; do
		command -v "$c" >/dev/null || skip "$c is not available"
	done
	unshare --mount --pid --fork --mount-proc true 2>/dev/null || skip "cannot create mount and PID namespaces"
	[ -d /sys/kernel/mm ] || skip "no /sys/kernel/mm"
	# the package: downloaded once into a cache, never installed
	cache=${KVMTUNE_TEST_CACHE:-/var/tmp/kvmtune-tests}
	mkdir -p "$cache" || skip "cannot create $cache"
	deb=$(ls "$cache"/ksmtuned_*.deb 2>/dev/null | tail -1)
	if [ -z "$deb" ]; then
		(cd "$cache" && { apt-get download -qq ksmtuned 2>/dev/null ||
			{ apt-get update -qq >/dev/null 2>&1 && apt-get download -qq ksmtuned 2>/dev/null; }; })
		deb=$(ls "$cache"/ksmtuned_*.deb 2>/dev/null | tail -1)
		[ -n "$deb" ] || skip "cannot download the ksmtuned package (apt-get download ksmtuned)"
	fi
	tmp=$(mktemp -d /tmp/kvmtune-ksmdiff-XXXXXX) || exit 1
	trap 'rm -rf "$tmp"' EXIT
	chmod 0755 "$tmp"
	dpkg-deb -x "$deb" "$tmp/pkg" || { echo "FAIL: cannot unpack $deb"; exit 1; }
	script=$tmp/pkg/usr/sbin/ksmtuned
	# its variables and functions: not its config file (the test sets KSM_*), not its loop
	sed -e '/^if \[ -f \/etc\/ksmtuned.conf \]; then$/,/^fi$/d' -e '/^PIDFILE=/,$d' "$script" >"$tmp/ksmtuned-tick.bash"
	for fn in adjust committed_memory free_memory increase_npages KSMCTL; do
		grep -q "^$fn *()" "$tmp/ksmtuned-tick.bash" || { echo "FAIL: $script has no $fn(): a new ksmtuned?"; exit 1; }
	done
	! grep -q 'ksmtuned.conf\|^ *loop &' "$tmp/ksmtuned-tick.bash" || { echo "FAIL: could not cut $script down"; exit 1; }
	${CC:-cc} -O2 -o "$tmp/memhold" "$repo/tests/live/memhold.c" || { echo "FAIL: cannot build memhold"; exit 1; }
	echo "ksmtuned from $(basename "$deb")"
	unshare --mount --pid --fork --mount-proc --propagation private bash "$0" --inner "$tmp"
	exit $?
fi

# ---- inside the namespaces: PID 1 here, our own /proc ----------------------
tmp=$2
root=$tmp/root
ksm_a=$tmp/ksm-ksmtuned          # what ksmtuned writes (bind-mounted on /sys/kernel/mm/ksm)
ksm_b=$root/sys/kernel/mm/ksm     # what kvmtune writes
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

mkdir -p "$root/proc" "$ksm_a" "$ksm_b" "$root/run" || exit 1
: >"$tmp/meminfo"
: >"$tmp/uptime"
touch "$ksm_a/.fake"
if [ ! -d /sys/kernel/mm/ksm ]; then
	mount -t tmpfs none /sys/kernel/mm && mkdir /sys/kernel/mm/ksm || { echo "FAIL: no place for a fake ksm"; exit 1; }
fi
mount --bind "$ksm_a" /sys/kernel/mm/ksm &&
	mount --bind "$tmp/meminfo" /proc/meminfo &&
	mount -t proc proc "$root/proc" &&
	mount --bind "$tmp/meminfo" "$root/proc/meminfo" &&
	mount --bind "$tmp/uptime" "$root/proc/uptime" || { echo "FAIL: cannot bind-mount the fakes"; exit 1; }
# never the real knobs
[ -e /sys/kernel/mm/ksm/.fake ] || { echo "FAIL: /sys/kernel/mm/ksm is not the fake"; exit 1; }

guests=()                               # pids of the running stand-ins
guest_start() {                         # guest_start ARGV0 ARGS...: one process, resident when this returns
	local pf=$tmp/pid.$RANDOM.$RANDOM n exe=$tmp/exe/${exe_name:-${1##*/}}
	mkdir -p "$tmp/exe" && ln -f "$tmp/memhold" "$exe" || { fail "cannot link $exe"; return; }
	( exec -a "$1" "$exe" "${@:2}" -pidfile "$pf" ) &
	for n in $(seq 400); do [ -s "$pf" ] && break; sleep 0.05; done
	[ -s "$pf" ] || { fail "guest $* did not start"; return; }
	guests+=("$(cat "$pf")")
	rm -f "$pf"
}
guest_stop() {                          # guest_stop INDEX: killed and reaped (no zombie left in the table)
	local pid=${guests[$1]}
	kill "$pid" && wait "$pid" 2>/dev/null
	guests=("${guests[@]:0:$1}" "${guests[@]:$(($1 + 1))}")
}
guests_stop_all() { while [ ${#guests[@]} -gt 0 ]; do guest_stop 0; done; }

meminfo() {                             # meminfo TOTAL FREE BUFFERS CACHED (kB), written in place
	printf 'MemTotal:       %s kB\nMemFree:        %s kB\nMemAvailable:   %s kB\nBuffers:        %s kB\nCached:         %s kB\nSwapCached:     777 kB\nActive:         1000 kB\n' \
		"$1" "$2" "$2" "$3" "$4" >"$tmp/meminfo"
}
knobs_reset() {
	local d
	for d in "$ksm_a" "$ksm_b"; do
		echo 0 >"$d/run"; echo 100 >"$d/pages_to_scan"; echo 20 >"$d/sleep_millisecs"
	done
}

# scenario NAME TOTAL KSM_VARS...: a fresh ksmtuned (its start: npages 0, total read once) and a fresh kvmtune state
scenario() {
	local v key val conf=$tmp/ksm.conf
	sc_name=$1 sc_total=$2
	shift 2
	guests_stop_all
	knobs_reset
	rm -f "$root/run/kvmtune/ksm-auto"
	unset KSM_MONITOR_INTERVAL KSM_NPAGES_BOOST KSM_NPAGES_DECAY KSM_NPAGES_MIN KSM_NPAGES_MAX \
		KSM_SLEEP_MSEC KSM_THRES_COEF KSM_THRES_CONST
	printf '[ksm]\nrun = auto\n' >"$conf"
	for v in "$@"; do
		key=${v%%=*} val=${v#*=}
		eval "$key=\$val"
		case $key in
		KSM_NPAGES_BOOST) echo "auto-boost = $val" ;;
		KSM_NPAGES_DECAY) echo "auto-decay = ${val#-}" ;;
		KSM_NPAGES_MIN) echo "auto-pages-min = $val" ;;
		KSM_NPAGES_MAX) echo "auto-pages-max = $val" ;;
		KSM_SLEEP_MSEC) echo "auto-sleep-millisecs = $val" ;;
		KSM_THRES_COEF) echo "auto-threshold = $val%" ;;
		KSM_THRES_CONST) echo "auto-threshold-min = ${val}k" ;;
		esac >>"$conf"
	done
	chmod 0644 "$conf"
	meminfo "$sc_total" "$sc_total" 0 0
	DEBUG= LOGFILE=
	. "$tmp/ksmtuned-tick.bash"         # total, thres, sleep, npages=0: ksmtuned starting
	clock=1000
}

states=0
declare -A seen
# tick FREE BUFFERS CACHED: one tick of each on the same inputs, then compare
tick() {
	local f a b st dec
	meminfo "$sc_total" "$1" "$2" "$3"
	clock=$((clock + 60))
	echo "$clock.37 100.00" >"$tmp/uptime"
	adjust
	"$kv" --root "$root" --config "$tmp/ksm.conf" apply --only=ksm >"$tmp/out" 2>"$tmp/err" ||
		{ fail "$sc_name: kvmtune apply exit $?: $(cat "$tmp/err")"; }
	[ "${compare:-1}" = 1 ] || return 0
	states=$((states + 1))
	for f in run pages_to_scan sleep_millisecs; do
		a=$(cat "$ksm_a/$f") b=$(cat "$ksm_b/$f")
		[ "$a" = "$b" ] || fail "$sc_name tick $states: $f: ksmtuned $a, kvmtune $b (free $1+$2+$3 of $sc_total, guests ${#guests[@]})"
	done
	st=$(cat "$root/run/kvmtune/ksm-auto")
	[ "$(awk '$1 == "npages" {print $2}' <<<"$st")" = "$npages" ] ||
		fail "$sc_name tick $states: npages: ksmtuned $npages, kvmtune $(awk '$1 == "npages" {print $2}' <<<"$st")"
	dec=$(awk '$1 == "run" {r = $2} $1 == "free_kb" {f = $2} $1 == "threshold_kb" {t = $2} $1 == "npages" {n = $2}
		END { print (r == 0 ? "stop" : f < t ? "boost" : "decay") }' <<<"$st")
	seen[$dec]=1
	[ "$dec" != stop ] && [ "$npages" = "${KSM_NPAGES_MAX:-1250}" ] && seen[max]=1
	[ "$dec" = decay ] && [ "$npages" = "${KSM_NPAGES_MIN:-64}" ] && seen[min]=1
	[ "$(cat "$ksm_a/run")" = 1 ] && [ "$committed_seen" = 0 ] && [ "$(committed_memory)" -gt 0 ] && committed_seen=1
}
committed_seen=0

RANDOM=13                                # the same walk every run
# free around the threshold: far below, just below, equal, just above, far above; parts in Buffers and Cached
free_pick() {
	local t=$thres r=$((RANDOM % 7)) f
	case $r in
	0) f=$((t / 3)) ;; 1) f=$((t - 1)) ;; 2) f=$t ;; 3) f=$((t + 1)) ;;
	4) f=$((t * 2)) ;; 5) f=$((t - t / 10)) ;; *) f=$((sc_total - t / 2)) ;;
	esac
	[ $f -gt "$sc_total" ] && f=$sc_total
	echo "$((f - f / 4 - f / 8)) $((f / 8)) $((f / 4))"
}
walk() {                                # walk N SIZES...: N ticks, guests of these MiB coming and going
	local i n=$1 sizes=("${@:2}")
	for ((i = 0; i < n; i++)); do
		if [ ${#guests[@]} -gt 0 ] && [ $((RANDOM % 3)) = 0 ]; then
			guest_stop $((RANDOM % ${#guests[@]}))
		elif [ ${#guests[@]} -lt 4 ] && [ $((RANDOM % 2)) = 0 ]; then
			guest_start qemu-system-x86_64 -enable-kvm -m "${sizes[$((RANDOM % ${#sizes[@]}))]}" -smp 1
		fi
		# shellcheck disable=SC2046
		tick $(free_pick)
	done
}

# defaults, a 64 MiB host: threshold 12.8 MiB, so guests of 8-24 MiB cross committed + threshold < total
scenario small-host 65536
guest_start qemu-img convert -m 16              # not a guest, for either
walk 18 8 16 24
# runs of boosts up to the ceiling, then decays down to the floor
for i in 1 2 3 4 5; do tick $((thres / 2)) 0 0; done
guest_start qemu-system-x86_64 -enable-kvm -m 56
for i in $(seq 25); do tick $((thres + 5)) 0 0; done

# an 8 MB host: 20% is below ksmtuned's 2048 kB minimum
scenario tiny-host 8000
walk 8 2 4

# the edge of committed + threshold < total, exactly: a host sized to the guests' resident memory
# (the threshold is the 2048 kB minimum there); ksmtuned reads MemTotal once, so it starts again
scenario edge 10000
guest_start qemu-system-x86_64 -enable-kvm -m 2
guest_start qemu-system-x86_64 -enable-kvm -m 2
edge=$(committed_memory)
for sc_total in $((edge + 2048)) $((edge + 2049)) $((edge + 2047)); do
	meminfo "$sc_total" "$sc_total" 0 0
	. "$tmp/ksmtuned-tick.bash"             # a restart of each: npages 0
	rm -f "$root/run/kvmtune/ksm-auto"
	[ "$thres" = 2048 ] || fail "edge: threshold $thres, not the 2048 kB minimum"
	tick 4000 0 0
	tick 4000 0 0
done

# ksmtuned.conf-style parameters, a 128 MiB host
scenario tuned-params 131072 KSM_NPAGES_BOOST=500 KSM_NPAGES_DECAY=-100 KSM_NPAGES_MIN=32 \
	KSM_NPAGES_MAX=2000 KSM_SLEEP_MSEC=20 KSM_THRES_COEF=30 KSM_THRES_CONST=4096
walk 14 16 32 48
for i in 1 2 3 4 5; do tick 100 0 0; done

# a 1 TB host: sleep below the floor of 10, and only free memory decides
scenario big-host 1073741824
walk 10 4

guests_stop_all
[ $states -ge 50 ] || fail "only $states states compared"
for what in stop boost decay max min; do
	[ -n "${seen[$what]:-}" ] || fail "no tick reached $what"
done
[ $committed_seen = 1 ] || fail "no tick started KSM with guests running"
echo "compared $states states: run, pages_to_scan, sleep_millisecs and npages equal after every tick" \
	"(reached: ${!seen[*]})"

# ---- the deliberate differences, one case each -----------------------------
# A 64 MiB host with plenty free and one guest of 56 MiB: counted, it makes
# committed + threshold >= total (KSM on); not counted, ksmtuned stops KSM.
differ() {                              # differ WANT_KSMTUNED WANT_KVMTUNE ARGV...
	local a b
	scenario "guest ${*:3}" 65536
	guest_start "${@:3}" -m 56
	compare=0 tick 60000 0 0
	a=$(cat "$ksm_a/run") b=$(cat "$ksm_b/run")
	if [ "$a" = "$1" ] && [ "$b" = "$2" ]; then
		echo "ok: ${*:3}: ksmtuned run=$a, kvmtune run=$b"
	else
		fail "${*:3}: ksmtuned run=$a (want $1), kvmtune run=$b (want $2)"
	fi
}
differ 1 1 qemu-system-x86_64 -enable-kvm              # the control: both count it
differ 0 1 qemu-system-x86_64 -accel kvm               # modern libvirt
differ 0 1 qemu-system-x86_64 -machine q35,accel=kvm
differ 0 1 /usr/bin/qemu-system-x86_64 -enable-kvm     # argv[0] with its directory, as libvirt execs it
differ 0 1 qemu-kvm -enable-kvm                        # RHEL's name
differ 0 1 /usr/bin/kvm -id 100                        # Proxmox's
differ 0 1 qemu-system-aarch64 -machine virt,accel=tcg # no KVM: its RAM is committed all the same
differ 0 0 qemu-img -enable-kvm                        # neither: not a guest
differ 0 0 qemu-x86_64 -enable-kvm                     # a user-mode emulator
exe_name=memhold differ 1 0 qemu-system-x86_64 -enable-kvm # its argv[0] alone says qemu: not a guest
guests_stop_all
[ $fails = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "PASS"
