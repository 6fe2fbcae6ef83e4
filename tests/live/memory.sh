#!/bin/bash
# Live test of [hugepages], [ksm], [thp] and [hugetlbfs] on the running
# kernel: reserve 64 2M pages and one 1G page and read the pools back, verify,
# apply again (nothing to do), have the reserve rail refuse an absurd pool,
# turn KSM on, switch THP to madvise, and mount a hugetlbfs inside a private
# mount namespace.  Every value touched is saved first and put back on exit.
set -u
. "$(dirname "$0")/lib.bash"
live_require
hp=/sys/kernel/mm/hugepages
ksm=/sys/kernel/mm/ksm
thp=/sys/kernel/mm/transparent_hugepage

[ -x "$kv" ] || { echo "FAIL: no kvmtune binary at $kv"; exit 1; }
[ -w $hp/hugepages-2048kB/nr_hugepages ] || skip "no 2M hugepages on this kernel"
[ "$(awk '/^Hugepagesize:/ {print $2}' /proc/meminfo)" = 2048 ] || skip "the default hugepage size is not 2M"
[ -w $ksm/run ] || skip "no KSM on this kernel"
[ -w $thp/enabled ] || skip "no transparent hugepages on this kernel"
have_1g=0
[ -w $hp/hugepages-1048576kB/nr_hugepages ] && have_1g=1

fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# --- save, and restore on exit --------------------------------------------
saved_files="$hp/hugepages-2048kB/nr_hugepages $ksm/pages_to_scan $ksm/run"
[ $have_1g = 1 ] && saved_files="$hp/hugepages-1048576kB/nr_hugepages $saved_files"
declare -A saved
for f in $saved_files; do saved[$f]=$(cat "$f"); done
saved_thp=$(sed 's/.*\[\(.*\)\].*/\1/' $thp/enabled)

tmp=$(mktemp -d /tmp/kvmtune-live-XXXXXX) || exit 1
restore() {
	local f
	# run last: pages_to_scan is accepted at any time
	for f in $saved_files; do
		echo "${saved[$f]}" >"$f" 2>/dev/null || echo "WARNING: could not restore $f to ${saved[$f]}"
	done
	echo "$saved_thp" >$thp/enabled 2>/dev/null || echo "WARNING: could not restore $thp/enabled"
	rm -rf "$tmp"
}
trap restore EXIT
chmod 0755 "$tmp"

conf() {        # conf NAME <<EOF: a config file kvmtune accepts (root's, 0644)
	cat >"$tmp/$1"
	chown root:root "$tmp/$1"
	chmod 0644 "$tmp/$1"
}
run() {         # run ARGS...: kvmtune, its stdout in $out, stderr in $err, status in $rc
	"$kv" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}
hp_total() { awk '/^HugePages_Total:/ {print $2}' /proc/meminfo; }
show() { echo "    exit $rc"; sed 's/^/    out: /' "$tmp/out"; sed 's/^/    err: /' "$tmp/err"; }

# --- hugepages, ksm, thp --------------------------------------------------
echo always >$thp/enabled || fail "cannot set $thp/enabled to always by hand"
grep -q '\[always\]' $thp/enabled || fail "$thp/enabled is not [always] after setting it by hand"
echo 0 >$hp/hugepages-2048kB/nr_hugepages
[ $have_1g = 1 ] && echo 0 >$hp/hugepages-1048576kB/nr_hugepages

{
	printf '[hugepages]\npages = 64\n'
	[ $have_1g = 1 ] && printf '[hugepages "1G"]\npages = 1\n'
	printf '[ksm]\nrun = 1\npages_to_scan = 300\n'
	printf '[thp]\nenabled = madvise\n'
} | conf memory.conf

run apply --config "$tmp/memory.conf"
if [ $rc = 0 ]; then ok "apply exits 0"; else fail "apply exits $rc"; show; fi
[ "$(hp_total)" = 64 ] && ok "HugePages_Total is 64" || fail "HugePages_Total is $(hp_total), expected 64"
[ "$(cat $hp/hugepages-2048kB/nr_hugepages)" = 64 ] || fail "2M nr_hugepages is $(cat $hp/hugepages-2048kB/nr_hugepages)"
if [ $have_1g = 1 ]; then
	n=$(cat $hp/hugepages-1048576kB/nr_hugepages)
	[ "$n" = 1 ] && ok "the 1G pool holds 1 page" || fail "1G nr_hugepages is $n, expected 1"
else
	echo "note: no 1G hugepages on this CPU/kernel, that part is left out"
fi
[ "$(cat $ksm/run)" = 1 ] && ok "ksm run is 1" || fail "ksm run is $(cat $ksm/run)"
[ "$(cat $ksm/pages_to_scan)" = 300 ] && ok "ksm pages_to_scan is 300" || fail "ksm pages_to_scan is $(cat $ksm/pages_to_scan)"
grep -q '\[madvise\]' $thp/enabled && ok "thp enabled reads [madvise]" || fail "thp enabled reads: $(cat $thp/enabled)"
grep -q 'hugepages 2M pages: 0 -> 64' "$tmp/out" || fail "no change line for the 2M pool"
grep -q 'thp enabled: always -> madvise' "$tmp/out" || fail "no change line for thp enabled"

run verify --config "$tmp/memory.conf"
if [ $rc = 0 ]; then ok "verify exits 0"; else fail "verify exits $rc"; show; fi

run apply --config "$tmp/memory.conf"
if [ $rc = 0 ] && [ -z "$out" ]; then ok "a second apply changes nothing"; else fail "second apply"; show; fi

run plan --config "$tmp/memory.conf"
grep -q '^ok    hugepages 2M pages: 64 -> 64 (128M)' "$tmp/out" && ok "plan shows the 2M pool: current, wanted, memory" ||
	{ fail "plan output for the 2M pool"; show; }

# --- the reserve rail -----------------------------------------------------
printf '[hugepages]\n# one typo away from an unbootable host\npages = 100000000\n' | conf huge.conf
run apply --config "$tmp/huge.conf"
if [ $rc = 1 ] && grep -q "huge.conf:3: hugepages 2M: refused by the reserve rail" "$tmp/err"; then
	ok "the reserve rail refuses 100000000 pages: $(head -1 "$tmp/err")"
else
	fail "the reserve rail"; show
fi
[ "$(hp_total)" = 64 ] && ok "HugePages_Total still 64" || fail "HugePages_Total is $(hp_total) after a refused pool"

# --- hugetlbfs in a private mount namespace -------------------------------
if [ ! -e "$repo/src/sections/hugetlbfs.c" ]; then
	echo "note: no [hugetlbfs] section in this tree, that part is left out"
elif ! command -v unshare >/dev/null || ! unshare -m true 2>/dev/null; then
	echo "note: cannot create a mount namespace, the hugetlbfs part is left out"
else
	grp=$(getent group kvm >/dev/null && echo kvm || echo daemon)
	gid=$(getent group "$grp" | cut -d: -f3)
	mnt="$tmp/hp"
	printf '[hugetlbfs "%s"]\npagesize = 2M\nmode = 1770\ngid = %s\n' "$mnt" "$grp" | conf hugetlbfs.conf
	cat >"$tmp/ns.sh" <<EOF
set -u
mount --make-rprivate / || exit 10
"$kv" apply --config "$tmp/hugetlbfs.conf" || exit 11
line=\$(awk '\$5 == "$mnt" && \$(NF-2) == "hugetlbfs"' /proc/self/mountinfo)
echo "mountinfo: \$line"
[ -n "\$line" ] || exit 12
case "\$line" in *pagesize=2M*) ;; *) exit 13 ;; esac
case "\$line" in *mode=1770*) ;; *) exit 14 ;; esac
case "\$line" in *gid=$gid*) ;; *) exit 15 ;; esac
[ "\$(stat -c %a "$mnt")" = 1770 ] || exit 16
"$kv" verify --config "$tmp/hugetlbfs.conf" || exit 17
"$kv" apply --config "$tmp/hugetlbfs.conf" >"$tmp/again" || exit 18
[ ! -s "$tmp/again" ] || exit 19
EOF
	unshare -m bash "$tmp/ns.sh" >"$tmp/ns.out" 2>&1
	rc=$?
	if [ $rc = 0 ]; then
		ok "hugetlbfs mounted in a mount namespace with pagesize=2M,mode=1770,gid=$grp; verify 0; again: nothing"
		sed 's/^/    /' "$tmp/ns.out"
	else
		fail "hugetlbfs in a mount namespace (step $rc)"; sed 's/^/    /' "$tmp/ns.out"
	fi
	awk -v m="$mnt" '$5 == m' /proc/self/mountinfo | grep -q . && fail "the hugetlbfs mount leaked out of the namespace"
fi

[ $fails = 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo "all memory checks passed"
