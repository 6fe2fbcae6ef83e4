#!/bin/bash
# Live test of [hugetlbfs] against the real kernel, inside a private mount
# namespace: mount options compared in the units the kernel shows in
# mountinfo (size=3M is shown as one 2M page, size=2097152; size=50% as half
# the pool at mount time, in bytes; with an empty pool as size=0, which
# kvmtune refuses), and a mount point reached through a symlink mounted once
# however often apply runs.  The 2M pool is saved and put back on exit.
set -u
. "$(dirname "$0")/lib.bash"
live_require mountns
pool=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
[ -x "$kv" ] || { echo "FAIL: no kvmtune binary at $kv"; exit 1; }
[ -w $pool ] || skip "no 2M hugepages on this kernel"
grep -qw hugetlbfs /proc/filesystems || skip "no hugetlbfs in this kernel"

saved=$(cat $pool)
tmp=$(mktemp -d /tmp/kvmtune-hugetlbfs-XXXXXX) || exit 1
restore() {
	echo "$saved" >$pool 2>/dev/null || echo "WARNING: could not restore $pool to $saved"
	rm -rf "$tmp"
}
trap restore EXIT
echo 0 >$pool || skip "cannot empty the 2M pool (pages in use)"

mkdir -p "$tmp/real" "$tmp/e"
ln -s real "$tmp/link"
printf '[hugetlbfs "%s/e"]\npagesize = 2M\nsize = 50%%\n' "$tmp" >"$tmp/e.conf"
printf '[hugetlbfs "%s/d"]\npagesize = 2M\nsize = 1M\n' "$tmp" >"$tmp/d.conf"
cat >"$tmp/main.conf" <<EOF
[hugepages]
pages = 4
[hugetlbfs "$tmp/a"]
pagesize = 2M
size = 3M
[hugetlbfs "$tmp/b"]
pagesize = 2M
size = 50%
[hugetlbfs "$tmp/link"]
pagesize = 2M
EOF

cat >"$tmp/ns.sh" <<EOF
set -u
t=$tmp
kv=$kv
. "$repo/tests/live/lib.bash"
fails=0
fail() { echo "FAIL: \$*"; fails=\$((fails + 1)); }
ok() { echo "ok: \$*"; }
opts() { awk -v m="\$1" '\$5 == m && \$(NF-2) == "hugetlbfs" {print \$NF}' /proc/self/mountinfo; }
count() { awk -v m="\$1" '\$5 == m' /proc/self/mountinfo | wc -l; }

mount --make-rprivate / || exit 10

# the kernel itself: 50% of an empty pool is shown as size=0
mount -t hugetlbfs -o pagesize=2M,size=50% none "\$t/e" || exit 11
case ",\$(opts "\$t/e")," in
*,size=0,*) ok "the kernel shows size=50% of an empty pool as size=0: \$(opts "\$t/e")" ;;
*) fail "mount -o size=50% with an empty pool shows \$(opts "\$t/e")" ;;
esac
"\$kv" verify --config "\$t/e.conf" >"\$t/out" 2>&1
if [ \$? = 1 ] && grep -q "size=50% of a pool of 0 pages of 2048 kB is no page" "\$t/out"; then
	ok "kvmtune refuses size=50% with an empty pool: \$(grep -m1 error "\$t/out")"
else
	fail "size=50% with an empty pool"; cat "\$t/out"
fi
umount "\$t/e"
"\$kv" plan --config "\$t/d.conf" >"\$t/out" 2>&1
if [ \$? = 1 ] && grep -q "size=1M is less than one page of 2048 kB" "\$t/out"; then
	ok "kvmtune refuses size=1M with 2M pages"
else
	fail "size=1M with 2M pages"; cat "\$t/out"
fi

# reserve 4 pages and mount three times, twice over
for run in 1 2 3; do
	"\$kv" apply --config "\$t/main.conf" >"\$t/apply\$run" 2>&1 || { fail "apply \$run exited \$?"; cat "\$t/apply\$run"; }
done
[ -s "\$t/apply2" ] && { fail "the second apply changed something"; cat "\$t/apply2"; }
case ",\$(opts "\$t/a")," in
*,size=2097152,*) ok "size=3M mounted as one page: \$(opts "\$t/a")" ;;
*) fail "size=3M: \$(opts "\$t/a")" ;;
esac
case ",\$(opts "\$t/b")," in
*,size=4194304,*) ok "size=50% of 4 pages mounted as 2 pages: \$(opts "\$t/b")" ;;
*) fail "size=50% of 4 pages: \$(opts "\$t/b")" ;;
esac
for m in "\$t/a" "\$t/b" "\$t/real"; do
	[ "\$(count "\$m")" = 1 ] || fail "\$m is mounted \$(count "\$m") times after three applies"
done
[ "\$(count "\$t/link")" = 0 ] || fail "mountinfo shows the symlink itself"
[ "\$(count "\$t/real")" = 1 ] && ok "the symlinked mount point: one mount at \$t/real after three applies"
"\$kv" verify --config "\$t/main.conf" >"\$t/out" 2>&1 && ok "verify exits 0" || { fail "verify"; cat "\$t/out"; }
exit \$fails
EOF
unshare -m --propagation private bash "$tmp/ns.sh"
rc=$?
awk -v t="$tmp/" 'index($5, t) == 1' /proc/self/mountinfo | grep -q . && { echo "FAIL: a mount leaked out of the namespace"; rc=1; }
[ $rc = 0 ] || { echo "FAIL: $rc check(s) failed"; exit 1; }
echo "all hugetlbfs checks passed"
