#!/bin/bash
# The static kvmtune and its dynamically linked twin (src/linkage.c): a
# configuration without [modules], module needs or [hugetlbfs] runs in the
# static binary alone; one with them runs kvmtune-full, whose report, exit
# status and messages are those of kvmtune-full run directly, each message
# once; without kvmtune-full, only the sections that need a library fail.
set -u
cd "$(dirname "$0")/.."
kv=${KVMTUNE:-$PWD/kvmtune}
full=$(dirname "$kv")/kvmtune-full
if readelf -lW "$kv" 2> /dev/null | grep -q 'INTERP'; then
	echo "SKIP: $kv is dynamically linked (STATIC=0 or SANITIZE=1): it never runs kvmtune-full"
	exit 77
fi
[ -x "$full" ] || { echo "FAIL: $full is missing"; exit 1; }
tmp=$(mktemp -d /tmp/kvmtune-linkage-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "PASS: $1"; }
ko() { echo "FAIL: $1"; fail=1; }

# a fake root: one sysctl, a kernel without loadable modules
mkdir -p "$tmp/root/proc/sys/vm" "$tmp/root/etc" "$tmp/root/run" "$tmp/sysctl.d" "$tmp/mod.d" "$tmp/ht.d"
echo 60 > "$tmp/root/proc/sys/vm/swappiness"
printf '[sysctl]\nvm.swappiness = 10\n' > "$tmp/sysctl.d/50-s.conf"
printf '[modules]\nload = tcp_htcp\nbogus = 1\n[sysctl]\nvm.swappiness = 10\nnet.ipv4.tcp_congestion_control = htcp\n' \
	> "$tmp/mod.d/50-m.conf"
printf '[hugetlbfs "/dev/hugepages1G"]\npagesize = 1G\n[sysctl]\nvm.swappiness = 10\n' > "$tmp/ht.d/50-h.conf"

# execs BINARY ARGS...: the programs the run executed, one per line
execs() {
	strace -f -qq -e trace=execve -e signal=none -o "$tmp/strace" "$@" > /dev/null 2>&1
	sed -n 's/.*execve("\([^"]*\)".*= 0$/\1/p' "$tmp/strace"
}
if command -v strace > /dev/null; then
	n=$(execs "$kv" --root "$tmp/root" --config-dir "$tmp/sysctl.d" plan | wc -l)
	[ "$n" = 1 ] && ok "a [sysctl]-only plan runs in the static binary alone" ||
		ko "a [sysctl]-only plan executed $n programs: $(cat "$tmp/strace")"
	n=$(execs "$kv" --root "$tmp/root" --only netdev --device eth0 --config-dir "$tmp/mod.d" apply | wc -l)
	[ "$n" = 1 ] && ok "--only netdev (the udev path) runs in the static binary alone, whatever [modules] says" ||
		ko "--only netdev executed $n programs"
	last=$(execs "$kv" --root "$tmp/root" --config-dir "$tmp/mod.d" plan | tail -n 1)
	[ "$last" = "$(cd "$(dirname "$full")" && pwd)/kvmtune-full" ] &&
		ok "[modules] and a module need: kvmtune-full runs the plan" ||
		ko "[modules]: the last program executed was '$last', not $full"
	last=$(execs "$kv" --root "$tmp/root" --config-dir "$tmp/ht.d" plan | tail -n 1)
	[ "${last##*/}" = kvmtune-full ] && ok "[hugetlbfs]: kvmtune-full runs the plan" ||
		ko "[hugetlbfs]: the last program executed was '$last'"
else
	echo "strace is not installed: the checks of what runs where are left out"
fi

# the same report, status and messages as kvmtune-full's own, each message once
for args in "plan" "--json plan" "-v plan" "verify"; do
	# shellcheck disable=SC2086
	"$kv" --root "$tmp/root" --config-dir "$tmp/mod.d" $args > "$tmp/s.out" 2> "$tmp/s.err"
	s=$?
	# shellcheck disable=SC2086
	"$full" --root "$tmp/root" --config-dir "$tmp/mod.d" $args > "$tmp/f.out" 2> "$tmp/f.err"
	f=$?
	if [ $s = $f ] && cmp -s "$tmp/s.out" "$tmp/f.out" && cmp -s "$tmp/s.err" "$tmp/f.err"; then
		ok "$args: kvmtune and kvmtune-full give the same output and exit status ($s)"
	else
		ko "$args: exit $s vs $f; $(diff "$tmp/s.out" "$tmp/f.out" | head -5) $(diff "$tmp/s.err" "$tmp/f.err" | head -5)"
	fi
done
n=$(grep -c "unknown key 'bogus'" "$tmp/s.err")
[ "$n" = 1 ] && ok "a configuration error is told once, not by both binaries" || ko "told $n times: $(cat "$tmp/s.err")"
[ -z "${KVMTUNE_CONFIG_REPORTED:-}" ] || ko "KVMTUNE_CONFIG_REPORTED leaked into the test's environment"

# without kvmtune-full (beside the binary or at the path it was built with)
mkdir "$tmp/alone"
cp "$kv" "$tmp/alone/kvmtune"
built=$(grep -aoE '/[A-Za-z0-9_./+-]*/kvmtune-full' "$kv" | head -n 1)
if [ -e "$built" ]; then
	echo "$built is installed: the run without kvmtune-full is left out"
else
	"$tmp/alone/kvmtune" --root "$tmp/root" --config-dir "$tmp/ht.d" plan > "$tmp/a.out" 2> "$tmp/a.err"
	rc=$?
	if [ $rc = 1 ] && grep -q "statically linked.*kvmtune-full.*missing" "$tmp/a.err" &&
		grep -q "^set   sysctl vm.swappiness: 60 -> 10" "$tmp/a.out"; then
		ok "no kvmtune-full: [hugetlbfs] fails with the reason, [sysctl] is planned (exit 1)"
	else
		ko "no kvmtune-full: exit $rc; $(cat "$tmp/a.out" "$tmp/a.err")"
	fi
fi

# a kvmtune-full that is itself static (a wrong install) runs once, not in a loop
mkdir "$tmp/loop"
cp "$kv" "$tmp/loop/kvmtune"
cp "$kv" "$tmp/loop/kvmtune-full"
timeout 10 "$tmp/loop/kvmtune" --root "$tmp/root" --config-dir "$tmp/mod.d" plan > "$tmp/l.out" 2> "$tmp/l.err"
rc=$?
[ $rc != 124 ] && [ $rc != 137 ] && ok "a static kvmtune-full is run once (exit $rc), not again and again" ||
	ko "a static kvmtune-full re-executes itself until killed (exit $rc)"

# an inherited KVMTUNE_CONFIG_REPORTED does not silence the configuration's errors
for bin in "$kv" "$full"; do
	KVMTUNE_CONFIG_REPORTED=1 "$bin" --root "$tmp/root" --config-dir "$tmp/mod.d" plan > /dev/null 2> "$tmp/e.err"
	grep -q "unknown key 'bogus'" "$tmp/e.err" && ok "${bin##*/} with an inherited KVMTUNE_CONFIG_REPORTED tells the errors" ||
		ko "${bin##*/} with an inherited KVMTUNE_CONFIG_REPORTED says nothing: $(cat "$tmp/e.err")"
done
exit $fail
