#!/bin/bash
# kvmtune import over every profile of Debian's tuned package, on a fake
# x86 host and on a fake aarch64 Marvell ThunderX host.  The package is
# downloaded (apt-get download tuned), cached and unpacked with dpkg-deb,
# never installed.  Each fake root holds the profiles, Debian's
# tuned-main.conf, /proc/cpuinfo, the uname files of /proc/sys/kernel, every
# sysctl the profiles name (seeded with this machine's value, or 0), THP and
# one CPU with cpufreq.  For each profile and host:
#  - every key line of every profile file TuneD loads (the include chain,
#    outside [main] and [variables]) is reported carried or not carried;
#  - no condition or instance key (uname_regex, cpuinfo_regex, type, ...)
#    is a setting, and no [sysctl] value holds a quote;
#  - x86: no setting comes from a line under cpuinfo_regex=/uname_regex=,
#    so THP is untouched where only [vm.thunderx] sets it; ThunderX: THP is
#    'never' where only [vm.thunderx] sets it, and the condition's lines are
#    carried;
#  - the output applies on the fake root (kvmtune --root FAKE apply exits 0)
#    and writes nothing the kernel would refuse: every sysctl file still
#    holds as many integer fields as it was seeded with, and THP holds one of
#    the words its file offers.
# Skips (77) only when the package cannot be downloaded.
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
kv=${KVMTUNE:-$repo/kvmtune}
skip() { echo "SKIP: $*"; exit 77; }
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

[ -x "$kv" ] || { echo "FAIL: no kvmtune binary at $kv"; exit 1; }
for c in apt-get dpkg-deb awk; do
	command -v "$c" >/dev/null || skip "$c is not available"
done
cache=${KVMTUNE_TEST_CACHE:-/var/tmp/kvmtune-tests}
mkdir -p "$cache" || skip "cannot create $cache"
newest_deb() { find "$cache" -maxdepth 1 -name 'tuned_*_all.deb' | sort | tail -1; }
deb=$(newest_deb)
if [ -z "$deb" ]; then
	(cd "$cache" && { apt-get download -qq tuned 2>/dev/null ||
		{ apt-get update -qq >/dev/null 2>&1 && apt-get download -qq tuned 2>/dev/null; }; })
	deb=$(newest_deb)
	[ -n "$deb" ] || skip "cannot download the tuned package (apt-get download tuned)"
fi
tmp=$(mktemp -d /tmp/kvmtune-tunedcorpus-XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$deb" "$tmp/pkg" || { echo "FAIL: cannot unpack $deb"; exit 1; }
lib=$tmp/pkg/usr/lib/tuned
profiles=$(cd "$lib" && for d in */; do [ -f "$d/tuned.conf" ] && echo "${d%/}"; done)
n_profiles=$(echo "$profiles" | wc -w)
[ "$n_profiles" -ge 30 ] || { echo "FAIL: $deb holds $n_profiles profiles, expected Debian 12's 37"; exit 1; }
echo "$(basename "$deb"): $n_profiles profiles"

# the sysctl keys the profiles name, with this machine's value as the seed
sysctls=$(cat "$lib"/*/tuned.conf | awk -F= '/^[ \t]*(kernel|vm|net|fs|user|dev|sunrpc|abi)\.[A-Za-z0-9_.-]+[ \t]*=/ {
	gsub(/[ \t]/, "", $1); print $1 }' | sort -u)

make_host() {  # DIR ARCH CPUINFO
	local root=$1 key path val
	mkdir -p "$root/usr/lib" "$root/etc/tuned" "$root/proc/sys/kernel" \
		"$root/sys/kernel/mm/transparent_hugepage" "$root/sys/kernel/mm/ksm" || exit 1
	cp -a "$lib" "$root/usr/lib/tuned"
	cp "$tmp/pkg/etc/tuned/tuned-main.conf" "$root/etc/tuned/"
	printf '%s' "$3" >"$root/proc/cpuinfo"
	echo Linux >"$root/proc/sys/kernel/ostype"
	echo kvm1 >"$root/proc/sys/kernel/hostname"
	echo 6.1.0-13 >"$root/proc/sys/kernel/osrelease"
	echo '#1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 (2023-09-29)' >"$root/proc/sys/kernel/version"
	echo "$2" >"$root/proc/sys/kernel/arch"
	for key in $sysctls; do
		path=proc/sys/${key//./\/}
		mkdir -p "$root/${path%/*}"
		val=$(cat "/$path" 2>/dev/null) || val=0
		[ -n "$val" ] || val=0
		printf '%s\n' "$val" >"$root/$path"
	done
	echo 'always [madvise] never' >"$root/sys/kernel/mm/transparent_hugepage/enabled"
	echo 'always defer defer+madvise [madvise] never' >"$root/sys/kernel/mm/transparent_hugepage/defrag"
	echo 0 >"$root/sys/kernel/mm/ksm/run"
	local cpu=$root/sys/devices/system/cpu
	mkdir -p "$cpu/cpu0/cpufreq" "$cpu/cpu0/power" "$cpu/intel_pstate"
	echo 0 >"$cpu/online"
	echo 0 >"$cpu/possible"
	echo 0 >"$cpu/present"
	echo powersave >"$cpu/cpu0/cpufreq/scaling_governor"
	echo 'performance powersave' >"$cpu/cpu0/cpufreq/scaling_available_governors"
	echo intel_pstate >"$cpu/cpu0/cpufreq/scaling_driver"
	echo balance_performance >"$cpu/cpu0/cpufreq/energy_performance_preference"
	echo 'default performance balance_performance balance_power power' \
		>"$cpu/cpu0/cpufreq/energy_performance_available_preferences"
	echo 6 >"$cpu/cpu0/power/energy_perf_bias"
	echo 10 >"$cpu/intel_pstate/min_perf_pct"
	echo 100 >"$cpu/intel_pstate/max_perf_pct"
	echo 0 >"$cpu/intel_pstate/no_turbo"
	# the seeds, to compare after apply: PATH FIELDS
	for key in $sysctls; do
		path=proc/sys/${key//./\/}
		echo "$path $(wc -w <"$root/$path")"
	done >"$root.seeds"
}

# the profile files TuneD loads for NAME, includes first (the fake roots have no /etc/tuned profiles)
chain() {
	local name=$1 inc p
	case " $seen " in *" $name "*) return ;; esac
	[ -f "$lib/$name/tuned.conf" ] || return
	seen="$seen $name"
	inc=$(awk '/^\[/ { main = ($0 == "[main]") } main && /^[ \t]*include[ \t]*=/ { sub(/^[^=]*=[ \t]*/, ""); print }' \
		"$lib/$name/tuned.conf")
	case $inc in *'$'*) inc= ;; esac
	for p in $(echo "$inc" | tr ',;' '  '); do chain "$p"; done
	echo "/usr/lib/tuned/$name/tuned.conf"
}

# "FILE:LINE" of every key line outside [main] and [variables]; with 'cond', only those under a condition
key_lines() {  # FILE [cond]
	awk -v f="$1" -v only="${2:-}" '
		function flush() { for (i = 0; i < n; i++) if (only == "" || cond) print f ":" ln[i]; n = 0; cond = 0 }
		/^[ \t]*[#;]/ || /^[ \t]*$/ { next }
		/^\[/ { flush(); sec = $0; next }
		sec != "[main]" && sec != "[variables]" && /=/ {
			ln[n++] = NR
			if ($0 ~ /^[ \t]*(uname_regex|cpuinfo_regex)[ \t]*=/) cond = 1
		}
		END { flush() }' "$tmp/pkg$1"
}

want() {  # REL VALUE: the fake root's file, blanks squeezed
	local got
	got=$(tr -s ' \t\n' '   ' <"$root/$1" | sed 's/ $//')
	[ "$got" = "$2" ] || fail "$host $p: /$1 holds '$got' after apply, expected '$2'"
}

check() {  # HOST ROOT PROFILE SEEDS
	local host=$1 root=$2 p=$3 seeds=$4 out=$tmp/$1.$3.out err=$tmp/$1.$3.err rc files f l
	echo "$p" >"$root/etc/tuned/active_profile"
	"$kv" --root "$root" import >"$out" 2>"$err"
	rc=$?
	[ $rc -le 1 ] || { fail "$host $p: import exits $rc"; sed 's/^/    /' "$err"; return; }
	seen=
	files=$(chain "$p")
	for f in $files; do
		for l in $(key_lines "$f"); do
			grep -q -F -e "kvmtune: $l: carried: " -e "kvmtune: $l: not carried: " "$err" ||
				fail "$host $p: $l is neither carried nor reported"
		done
		for l in $(key_lines "$f" cond); do
			if [ "$host" = x86 ]; then
				! grep -q -F "# $l: " "$out" || fail "$host $p: a setting comes from $l, under a condition"
			elif grep -F "kvmtune: $l: not carried: " "$err" | grep -q ' only where '; then
				fail "$host $p: $l reported under a condition that holds on ThunderX"
			fi
		done
	done
	grep -v '^#' "$out" | grep -E '^-?(uname_regex|cpuinfo_regex|devices_udev_regex|type|devices|replace|priority|drop|script_pre|script_post)[ ]*=' &&
		fail "$host $p: a condition or instance key is a setting"
	awk '/^\[/ { s = $0 } s == "[sysctl]" && !/^#/ && /"/' "$out" | grep -q . && fail "$host $p: a quoted [sysctl] value"
	# the output applies on the fake root, and nothing written is what the kernel refuses
	mkdir -p "$root/etc/kvmtune/conf.d"
	cp "$out" "$root/etc/kvmtune/conf.d/50-imported.conf"
	if ! "$kv" --root "$root" apply >"$tmp/apply.out" 2>&1; then
		fail "$host $p: the output does not apply on the fake root"
		sed 's/^/    /' "$tmp/apply.out"
	fi
	while read -r f n; do
		awk -v want="$n" '{ for (i = 1; i <= NF; i++) if ($i !~ /^-?[0-9]+$/) bad = 1; fields += NF }
			END { exit !(fields == want && !bad) }' "$root/$f" ||
			fail "$host $p: /$f holds '$(cat "$root/$f")', which the kernel would refuse ($n integer fields)"
	done <"$seeds"
	# what the Debian profiles set, as written on the fake root
	case $host.$p in
	*.network-throughput) want proc/sys/net/ipv4/tcp_rmem '4096 87380 16777216' ;;
	*.optimize-serial-console) want proc/sys/kernel/printk '4 4 1 7' ;;
	thunderx.throughput-performance)
		want proc/sys/kernel/numa_balancing 0
		want sys/kernel/mm/transparent_hugepage/enabled never ;;
	x86.throughput-performance)
		want sys/kernel/mm/transparent_hugepage/enabled 'always [madvise] never' ;;
	esac
	grep -q -x -E 'always|madvise|never|always \[madvise\] never' "$root/sys/kernel/mm/transparent_hugepage/enabled" ||
		fail "$host $p: THP enabled holds '$(cat "$root/sys/kernel/mm/transparent_hugepage/enabled")'"
	rm -f "$root/etc/kvmtune/conf.d/50-imported.conf"
	rm -rf "${root:?}/run" "${root:?}/var"
}

x86_cpuinfo=$'processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel name\t: Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz\nflags\t\t: fpu vme de pse tsc msr pae mce\n'
thunderx_cpuinfo=$'processor\t: 0\nBogoMIPS\t: 200.00\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics cpuid asimdrdm\nCPU implementer\t: 0x43\nCPU architecture: 8\nCPU variant\t: 0x1\nCPU part\t: 0x0af\nCPU revision\t: 1\n'
for host in x86 thunderx; do
	root=$tmp/$host
	if [ $host = x86 ]; then make_host "$root" x86_64 "$x86_cpuinfo"; else make_host "$root" aarch64 "$thunderx_cpuinfo"; fi
	for p in $profiles; do
		# each profile on a fresh copy of the host's sysctl seeds and THP
		rm -rf "$root.run" && cp -a "$root" "$root.run"
		check "$host" "$root.run" "$p" "$root.seeds"
	done
done

# THP: what [vm.thunderx] alone sets is 'never' on ThunderX and left alone on x86
n_thp=0
for p in $profiles; do
	grep -q -F '[vm.thunderx]' "$tmp/x86.$p.err" || continue
	n_thp=$((n_thp + 1))
	if ! awk '/^\[/ { s = $0 } s == "[thp]" && /^enabled =/' "$tmp/x86.$p.out" | grep -q .; then
		grep -q -x 'enabled = never' "$tmp/thunderx.$p.out" || fail "thunderx $p: THP is not 'never'"
	fi
	awk '/^\[/ { s = $0 } s == "[thp]" && /^enabled =/' "$tmp/x86.$p.out" | grep -q -x 'enabled = never' &&
		! grep -q '^\[vm\]' "$lib/$p/tuned.conf" && fail "x86 $p: THP set to never"
done
[ "$n_thp" -ge 10 ] || fail "only $n_thp profiles hold [vm.thunderx] (Debian 12: 13 with throughput-performance)"
echo "$n_thp profiles hold [vm.thunderx]"
[ "$fails" = 0 ] || { echo "FAIL: $fails"; exit 1; }
echo "PASS: $n_profiles profiles on x86 and ThunderX: every key line carried or reported, no condition key set, THP as TuneD sets it, no quoted sysctl value, and the output applies with no refused write"
