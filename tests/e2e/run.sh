#!/bin/bash
# SPDX-License-Identifier: MIT
# End-to-end boot test (`make e2e`): build an initramfs with the project's
# dracut module 90kvmtune and tests/e2e/kvmtune-e2e.conf, boot Debian's
# kernel in it under qemu (software emulation), and check from the serial
# console what kvmtune did inside the guest.  A second boot with kvmtune=0
# on the kernel command line must show none of it.  A third boot uses a
# systemd initramfs (dracut's default on a host with systemd), where the
# hook runs in dracut-pre-udev.service and kvmtune logs to the journal.
#
# Needs root (apt-get, dracut's cpio ownership).  Installs qemu-system-x86
# and dracut-core when missing.  Debian's kernel package is downloaded with
# `apt-get download` into $KVMTUNE_E2E_CACHE (default /var/tmp/kvmtune-e2e)
# and unpacked into a temporary directory, never installed.
#
# Environment: KVMTUNE (binary, default ./kvmtune), KVMTUNE_E2E_CACHE,
# KVMTUNE_E2E_TIMEOUT (seconds per boot, default 300), KVMTUNE_E2E_KEEP=1
# (keep the work directory and print its path), KVMTUNE_E2E_VERBOSE=1
# (print both serial consoles).
#
# Exit: 0 all checks passed, 1 a check failed, 77 skipped ("SKIP: reason").
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
KVMTUNE=${KVMTUNE:-$top/kvmtune}
cache=${KVMTUNE_E2E_CACHE:-/var/tmp/kvmtune-e2e}
boot_timeout=${KVMTUNE_E2E_TIMEOUT:-300}
started=$SECONDS

skip() { echo "SKIP: $*"; exit 77; }
die() { echo "FAIL: $*"; exit 1; }
say() { echo "e2e: $*"; }

[ "$(id -u)" = 0 ] || skip "not root (needs apt-get, and dracut must write root-owned files)"
[ "$(uname -m)" = x86_64 ] || skip "needs an x86_64 host for Debian's amd64 kernel"
[ -x "$KVMTUNE" ] || die "$KVMTUNE is not built (run make)"

# ---- tools ---------------------------------------------------------------
export DEBIAN_FRONTEND=noninteractive
apt_updated=
apt_update() {
	[ -n "$apt_updated" ] && return 0
	apt-get update -qq > /dev/null 2>&1 || skip "apt-get update failed (no network?)"
	apt_updated=1
}
missing=
for p in qemu-system-x86 dracut-core cpio kmod; do
	dpkg-query -W -f='${Status}' "$p" 2> /dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	say "installing:$missing"
	apt_update
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing > /dev/null 2>&1 \
		|| skip "cannot install$missing (no network?)"
fi
command -v qemu-system-x86_64 > /dev/null || skip "qemu-system-x86_64 not found"
command -v dracut > /dev/null || skip "dracut not found"

# ---- kernel: the version linux-image-amd64 points at, cached as a .deb ----
kpkg() { apt-cache depends linux-image-amd64 2> /dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }'; }
pkg=$(kpkg)
if [ -z "$pkg" ]; then
	apt_update
	pkg=$(kpkg)
fi
[ -n "$pkg" ] || skip "apt knows no linux-image-amd64 (no Debian package lists?)"
mkdir -p "$cache"
exec 9> "$cache/.lock"
flock 9 # one download at a time
deb=$(ls "$cache/${pkg}"_*_amd64.deb 2> /dev/null | tail -n 1)
if [ -z "$deb" ]; then
	say "downloading $pkg into $cache"
	(cd "$cache" && apt-get download -qq -o APT::Sandbox::User=root "$pkg" > /dev/null 2>&1) \
		|| { apt_update; (cd "$cache" && apt-get download -qq -o APT::Sandbox::User=root "$pkg" > /dev/null 2>&1); } \
		|| skip "cannot download $pkg (no network?)"
	deb=$(ls "$cache/${pkg}"_*_amd64.deb 2> /dev/null | tail -n 1)
	[ -n "$deb" ] || skip "apt-get download $pkg left no .deb"
	# Keep only the current kernel in the cache.
	for old in "$cache"/linux-image-*.deb; do
		[ "$old" = "$deb" ] || rm -f "$old"
	done
fi
flock -u 9

# ---- work directory --------------------------------------------------------
work=$(mktemp -d /var/tmp/kvmtune-e2e-run.XXXXXX) || die "mktemp failed"
cleanup() {
	if [ -n "${KVMTUNE_E2E_KEEP:-}" ]; then
		say "kept $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "unpacking ${deb##*/}"
mkdir "$work/kernel"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work/kernel" --wildcards './boot/vmlinuz-*' './lib/modules/*' \
	|| die "cannot unpack $deb"
vmlinuz=$(ls "$work"/kernel/boot/vmlinuz-* | head -n 1)
kver=${vmlinuz##*/vmlinuz-}
depmod -b "$work/kernel" "$kver" || die "depmod failed"

# dracut's own modules plus ours, without touching /usr/lib/dracut.
mkdir -p "$work/dracut/modules.d" "$work/dracut.conf.d"
for f in /usr/lib/dracut/*; do
	[ "${f##*/}" = modules.d ] || ln -s "$f" "$work/dracut/"
done
for m in /usr/lib/dracut/modules.d/*; do
	case ${m##*/} in 90kvmtune | 99kvmtune-e2e) ;; *) ln -s "$m" "$work/dracut/modules.d/" ;; esac
done
ln -s "$top/dracut/90kvmtune" "$work/dracut/modules.d/90kvmtune"
ln -s "$here/99kvmtune-e2e" "$work/dracut/modules.d/99kvmtune-e2e"

# The configuration, laid out as on a host, root-owned like kvmtune wants.
install -d -m 0755 -o root -g root "$work/conf/etc" "$work/conf/etc/kvmtune" "$work/conf/etc/kvmtune/conf.d"
install -m 0644 -o root -g root "$here/kvmtune-e2e.conf" "$work/conf/etc/kvmtune/conf.d/50-e2e.conf"

pass=0 fail=0
check() { # check NAME OK? DETAIL
	if [ "$2" = 0 ]; then
		pass=$((pass + 1)); echo "PASS: $1"
	else
		fail=$((fail + 1)); echo "FAIL: $1${3:+ ($3)}"
	fi
}

# ---- initramfs images -------------------------------------------------------
# mkinitrd NAME MODULES [ADD]: $work/NAME.img and its file list $work/NAME.list
mkinitrd() {
	local name=$1 modules=$2 add=${3:-} t0=$SECONDS
	if ! env dracutbasedir="$work/dracut" kvmtune_binary="$KVMTUNE" kvmtune_confroot="$work/conf" \
		dracut --force --quiet --no-hostonly --no-hostonly-cmdline \
		--conf /dev/null --confdir "$work/dracut.conf.d" --tmpdir "$work" \
		--kver "$kver" --kmoddir "$work/kernel/lib/modules/$kver" \
		--modules "$modules" ${add:+--add "$add"} \
		--no-compress --no-early-microcode "$work/$name.img" > "$work/$name.dracut.log" 2>&1; then
		check "dracut builds the $name initramfs" 1 "dracut log below"
		sed 's/^/    /' "$work/$name.dracut.log"
		return 1
	fi
	cpio -it --quiet < "$work/$name.img" > "$work/$name.list" 2> /dev/null
	say "$name initramfs: $(($(stat -c %s "$work/$name.img") / 1024)) KiB in $((SECONDS - t0))s"
}

# The image the first two boots use: dracut's shell init (base), no systemd.
say "building the initramfs images for $kver"
mkinitrd shell base "kvmtune kvmtune-e2e" || die "cannot build the initramfs"
for want in '^usr/sbin/kvmtune$' '^usr/lib/kvmtune/kvmtune-full$' '/libkmod\.so\.2' '/libmount\.so\.1' \
	'^etc/kvmtune/conf\.d/50-e2e\.conf$' '^(usr/)?lib/dracut/hooks/pre-udev/05-kvmtune-initrd\.sh$' \
	'/tcp_htcp\.ko' '/nf_conntrack\.ko'; do
	grep -Eq "$want" "$work/shell.list"; check "initramfs holds $want" $?
done

# The kvmtune module alone (no base, whose kmod and mount binaries bring
# libkmod and libmount anyway) must bring the libraries kvmtune dlopen()s,
# with their own dependencies.
if mkinitrd alone kvmtune; then
	for so in libkmod.so.2 libmount.so.1; do
		path=$(ldconfig -p | awk -v so="$so" '$1 == so && /x86-64/ { print $NF; exit }')
		deps=$(ldd "$path" 2> /dev/null | awk '$2 == "=>" { print $1 }' | tr '\n' ' ')
		deps=${deps% }
		missing=
		for lib in $so $deps; do
			grep -q "/$lib\$" "$work/alone.list" || missing="$missing $lib"
		done
		[ -z "$missing" ]; check "kvmtune module alone installs $so and its libraries ($so $deps)" $? "missing:$missing"
	done
fi

# A systemd initramfs, as Debian's dracut builds by default when systemd is
# installed: the hook then runs in dracut-pre-udev.service.
have_systemd=
if [ -x /lib/systemd/systemd ] || [ -x /usr/lib/systemd/systemd ]; then
	mkinitrd systemd "dracut-systemd base" "kvmtune kvmtune-e2e" && have_systemd=1
else
	say "no systemd on this host: the systemd initramfs boot is left out"
fi

# ---- boots -----------------------------------------------------------------
# boot NAME IMAGE EXTRA-CMDLINE: boot to the report hook; the console goes to $work/NAME.log
boot() {
	local name=$1 image=$2 extra=$3 t0=$SECONDS rc
	say "booting ($name) ..."
	timeout "$boot_timeout" qemu-system-x86_64 -accel tcg -m 1024 -smp 1 \
		-nographic -no-reboot -nic none \
		-kernel "$vmlinuz" -initrd "$work/$image.img" \
		-append "console=ttyS0 panic=-1 quiet root=kvmtune-e2e rd.shell=0 rd.emergency=poweroff $extra" \
		< /dev/null > "$work/$name.log" 2>&1
	rc=$?
	tr -d '\r' < "$work/$name.log" > "$work/$name.txt"
	say "boot ($name) took $((SECONDS - t0))s"
	[ -n "${KVMTUNE_E2E_VERBOSE:-}" ] && sed "s/^/    [$name] /" "$work/$name.txt"
	[ $rc = 124 ] && echo "FAIL: boot ($name) timed out after ${boot_timeout}s"
	if ! grep -q '^KVMTUNE-E2E: end=ok' "$work/$name.txt"; then
		check "boot ($name) reached the report hook" 1 "qemu exit $rc; console tail below"
		tail -n 40 "$work/$name.txt" | sed 's/^/    /'
		return 1
	fi
	check "boot ($name) reached the report hook" 0
}
# val NAME LOG: the value the guest reported
val() { sed -n "s/^KVMTUNE-E2E: $1=//p" "$work/$2.txt" | tail -n 1; }
# kmsg LOG: the kvmtune lines of the guest's kernel log (dmesg -x: "daemon:info  : [time] kvmtune: ...")
kmsg() { sed -n 's/^KVMTUNE-E2E-DMESG: //p' "$work/$1.txt"; }
# is NAME LOG WANT DESCRIPTION
is() {
	local got; got=$(val "$1" "$2")
	[ "$got" = "$3" ]; check "$4" $? "got '$got', want '$3'"
}
isnt() {
	local got; got=$(val "$1" "$2")
	[ "$got" != "$3" ]; check "$4" $? "got '$got'"
}
logged() { # logged LOG REGEX DESCRIPTION
	kmsg "$1" | grep -Eq "$2"; check "$3" $? "no kernel log line matches /$2/"
}

if boot applied shell ""; then
	L=applied
	is swappiness $L 17 "sysctl: vm.swappiness = 17"
	logged $L '^daemon:info *:.*kvmtune: sysctl vm\.swappiness: [0-9]+ -> 17$' \
		"log: the sysctl change line reached the kernel log at daemon.info"
	# [modules] and the congestion-control sysctl
	is tcp_htcp_module $L live "modules: tcp_htcp is loaded"
	refused=$(kmsg $L | grep -E 'request_module refused' || true)
	[ -z "$refused" ]; check "modules: loaded through libkmod, not the kernel's modprobe helper" $? \
		"$(echo "$refused" | head -n 3 | tr '\n' ';')"
	is tcp_cc $L htcp "sysctl: net.ipv4.tcp_congestion_control = htcp"
	logged $L 'kvmtune: .*tcp_htcp' "log: a kvmtune line about tcp_htcp"
	logged $L 'kvmtune: sysctl net\.ipv4\.tcp_congestion_control: [a-z0-9_]+ -> htcp$' \
		"log: the congestion-control change line"
	# [conntrack]
	is conntrack_module $L live "conntrack: nf_conntrack is loaded"
	is conntrack_hashsize $L 32768 "conntrack: hashsize = 32768"
	logged $L 'kvmtune: .*(nf_conntrack|hashsize)' "log: a kvmtune line about conntrack"
	# [hugepages "2M"]
	is hugepages_2M $L 64 "hugepages: the 2M pool holds 64 pages"
	logged $L 'kvmtune: .*huge' "log: a kvmtune line about hugepages"
	# [ksm]
	is ksm_run $L 1 "ksm: run = 1"
	logged $L 'kvmtune: .*ksm' "log: a kvmtune line about ksm"
	errs=$(kmsg $L | grep -E '^[a-z]+:(emerg|alert|crit|err) *:.*kvmtune' || true)
	[ -z "$errs" ]; check "log: no kvmtune errors in the kernel log" $? "$(echo "$errs" | head -n 5 | tr '\n' ';')"
fi

if boot disabled shell "kvmtune=0"; then
	L=disabled
	logged $L 'kvmtune: disabled by kvmtune=0 on the kernel command line' \
		"kvmtune=0: the disabled notice reached the kernel log"
	changes=$(kmsg $L | grep -E 'kvmtune: .* -> ' || true)
	[ -z "$changes" ]; check "kvmtune=0: no change lines" $? "$(echo "$changes" | head -n 5 | tr '\n' ';')"
	isnt swappiness $L 17 "kvmtune=0: vm.swappiness not set"
	is tcp_htcp_module $L "<absent>" "kvmtune=0: tcp_htcp not loaded"
	isnt tcp_cc $L htcp "kvmtune=0: congestion control is not htcp"
	is conntrack_module $L "<absent>" "kvmtune=0: nf_conntrack not loaded"
	is hugepages_2M $L 0 "kvmtune=0: no 2M hugepages"
	is ksm_run $L 0 "kvmtune=0: ksm not running"
fi

# jlogged LOG REGEX DESCRIPTION: a journal line of the guest matches
jlogged() {
	sed -n 's/^KVMTUNE-E2E-JOURNAL: //p' "$work/$1.txt" | grep -Eq "$2"; check "$3" $? "no journal line matches /$2/"
}
if [ -n "$have_systemd" ] && boot systemd systemd ""; then
	L=systemd
	is swappiness $L 17 "systemd initramfs: vm.swappiness = 17"
	is tcp_cc $L htcp "systemd initramfs: congestion control htcp"
	is tcp_htcp_module $L live "systemd initramfs: tcp_htcp loaded"
	is conntrack_hashsize $L 32768 "systemd initramfs: conntrack hashsize = 32768"
	is hugepages_2M $L 64 "systemd initramfs: 64 2M hugepages"
	is ksm_run $L 1 "systemd initramfs: ksm run = 1"
	jlogged $L ' kvmtune\[[0-9]+\]: sysctl vm\.swappiness: [0-9]+ -> 17$' \
		"systemd initramfs: the change lines reached the journal under kvmtune's name"
	is journal_errors $L 0 "systemd initramfs: no kvmtune errors in the journal"
fi

say "ran in $((SECONDS - started))s"
echo "e2e: $pass passed, $fail failed"
[ $fail = 0 ]
