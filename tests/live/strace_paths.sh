#!/bin/bash
# Live test: which paths does kvmtune touch on the real kernel?  Under
# `strace -f -y -e trace=%file`, run
#   1. `plan` of a hostile configuration (traversal in sysctl keys and in
#      [block]/[netdev]/[hugetlbfs] names, globs, every section) on the host
#      (plan writes nothing), and
#   2. `apply` then `revert` of a hostile configuration with harmless net
#      settings inside `unshare -n -m` (private network namespace, private
#      /run and /sys, a hugetlbfs mount point of its own),
# and check that every path a file syscall names lies in /proc/sys, /sys, the
# configuration directory, /run/kvmtune, the configured mount point, or what
# the C library, libkmod and libmount need (shared libraries, locale files,
# module configuration, /proc/self/mountinfo, /proc/cmdline, /proc/meminfo).
# Relative paths are resolved against the directory fd strace shows (-y).
set -u
. "$(dirname "$0")/lib.bash"
live_require netns

command -v strace >/dev/null || skip "strace is not installed"
command -v perl >/dev/null || skip "perl is not installed"
[ -x "$kv" ] || { echo "FAIL: no kvmtune binary at $kv"; exit 1; }
case $(head -c 4 "$kv" | od -An -c | tr -d ' ') in
	177ELF) ;;
	*) skip "$kv is not an ELF binary (a wrapper script?)" ;;
esac
grep -qa '__asan_init\|__ubsan_handle' "$kv" && skip "a sanitizer build (LeakSanitizer does not work under ptrace)"
strace -f -o /dev/null true 2>/dev/null || skip "strace cannot trace here (ptrace not permitted)"

tmp=$(mktemp -d /tmp/kvmtune-strace-XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
chmod 0755 "$tmp"
mkdir -m 0755 "$tmp/conf.d"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

have_hugetlbfs=0
grep -qw hugetlbfs /proc/filesystems && [ -d /sys/kernel/mm/hugepages ] && have_hugetlbfs=1

# --- 1. plan of a hostile configuration on the host ------------------------
cat >"$tmp/conf.d/50-hostile.conf" <<EOF
[sysctl]
net/ipv4/../../../../etc/shadow = 1
/etc/passwd = 1
-net.ipv4.conf.*.kvmtune_no_such_key = 1
-*/.*/.*/.*/etc/shadow = 1
-kernel.kvmtune_no_such_key = 1
net.ipv4.tcp_fin_timeout = 31
[block "../../etc"]
scheduler = none
[block "/dev/sda"]
read_ahead_kb = 1
[block "*"]
scheduler = ../../etc/shadow
[block "*"]
scheduler = mq-deadline none
read_ahead_kb = 128
[netdev "../lo"]
txqueuelen = 1
[netdev "*"]
txqueuelen = 1000
[hugetlbfs "/mnt/../etc"]
pagesize = 2M
[hugetlbfs "$tmp/huge"]
pagesize = 2M
mode = 1770
uid = 0
gid = 0
[hugepages]
memory = 99999999T
[ksm]
../../etc/shadow = 1
run = 0
[thp]
enabled = ../../etc/shadow
[modules]
load = ../../tmp/evil /tmp/evil.ko
[conntrack]
load = no
max = 262144
EOF
printf '[sysctl]\n\0 = 1\n\xff\xfe[block "\x01"]\n' >"$tmp/conf.d/60-binary.conf"
mkfifo "$tmp/conf.d/80-fifo.conf"
chmod 0644 "$tmp/conf.d/"*.conf

strace -f -y -qq -e trace=%file -o "$tmp/plan.trace" \
	"$kv" --config-dir "$tmp/conf.d" plan >"$tmp/plan.out" 2>"$tmp/plan.err"
rc=$?
[ $rc = 1 ] || fail "plan of the hostile configuration: exit $rc, expected 1"
grep -q 'invalid sysctl key' "$tmp/plan.err" || fail "plan: no 'invalid sysctl key' in: $(cat "$tmp/plan.err")"

# --- 2. apply and revert inside private namespaces ---------------------------
cat >"$tmp/conf.d/50-hostile.conf" <<EOF
[sysctl]
net/ipv4/../../../../etc/shadow = 1
-net.ipv4.conf.*.kvmtune_no_such_key = 1
net.ipv4.tcp_fin_timeout = 31
net.ipv4.conf.lo.rp_filter = 2
[block "../../etc"]
scheduler = none
[netdev "../lo"]
txqueuelen = 1
[netdev "lo"]
txqueuelen = 500
[hugetlbfs "/mnt/../etc"]
pagesize = 2M
[ksm]
../../etc/shadow = 1
[modules]
load = ../../tmp/evil
EOF
if [ $have_hugetlbfs = 1 ]; then
	printf '[hugetlbfs "%s"]\npagesize = 2M\nmode = 1770\n' "$tmp/huge" >>"$tmp/conf.d/50-hostile.conf"
fi
rm -f "$tmp/conf.d/60-binary.conf" "$tmp/conf.d/80-fifo.conf"

cat >"$tmp/inner.sh" <<'INNER'
set -u
kv=$1 tmp=$2
mount --make-rprivate / || exit 3
mount -t tmpfs tmpfs /run || exit 3
mount -t sysfs sysfs /sys || exit 3
strace -f -y -qq -e trace=%file -o "$tmp/apply.trace" "$kv" --config-dir "$tmp/conf.d" apply \
	>"$tmp/apply.out" 2>"$tmp/apply.err"
echo $? >"$tmp/apply.rc"
cat /proc/sys/net/ipv4/tcp_fin_timeout /sys/class/net/lo/tx_queue_len >"$tmp/applied"
[ -e /run/kvmtune/revert ] && echo record >>"$tmp/applied"
strace -f -y -qq -e trace=%file -o "$tmp/revert.trace" "$kv" revert >"$tmp/revert.out" 2>"$tmp/revert.err"
echo $? >"$tmp/revert.rc"
cat /proc/sys/net/ipv4/tcp_fin_timeout /sys/class/net/lo/tx_queue_len >"$tmp/reverted"
[ -e /run/kvmtune/revert ] && echo record >>"$tmp/reverted"
exit 0
INNER
before=$(cat /proc/sys/net/ipv4/tcp_fin_timeout)
unshare -n -m bash "$tmp/inner.sh" "$kv" "$tmp" || fail "namespace set-up failed (exit $?)"
[ "$(cat /proc/sys/net/ipv4/tcp_fin_timeout)" = "$before" ] || fail "the host's tcp_fin_timeout changed"
[ "$(cat "$tmp/apply.rc" 2>/dev/null)" = 1 ] || fail "apply: exit $(cat "$tmp/apply.rc" 2>/dev/null), expected 1: $(cat "$tmp/apply.err" 2>/dev/null)"
[ "$(tr '\n' ' ' <"$tmp/applied" 2>/dev/null)" = "31 500 record " ] ||
	fail "apply did not apply the valid settings: $(tr '\n' ' ' <"$tmp/applied" 2>/dev/null)"
[ "$(cat "$tmp/revert.rc" 2>/dev/null)" = 0 ] || fail "revert: exit $(cat "$tmp/revert.rc" 2>/dev/null): $(cat "$tmp/revert.err" 2>/dev/null)"
if [ -e "$tmp/reverted" ] && [ "$(sed -n 1p "$tmp/reverted")" = 31 ]; then
	fail "revert did not put tcp_fin_timeout back"
fi
grep -q record "$tmp/reverted" 2>/dev/null && fail "revert left the record"

# --- the paths -------------------------------------------------------------------
# Print every path a traced file syscall names that is not allowed.
check_trace() {
	perl -e '
		my ($conf, $mnt, $kv) = @ARGV[1..3];
		# the dynamically linked twin that a static kvmtune runs (src/linkage.c)
		(my $full = $kv) =~ s{[^/]+$}{kvmtune-full};
		my @ok = (qr{^/proc/sys(/|$)}, qr{^/sys(/|$)}, qr{^\Q$conf\E(/|$)}, qr{^/run/kvmtune(/|$)},
			qr{^\Q$mnt\E(/|$)}, qr{^/$}, qr{^\Q$kv\E$}, qr{^\Q$full\E$},
			# the C library and the dlopen()ed libraries: libraries, locale
			qr{^/etc/ld\.so\.(cache|preload)$}, qr{^/(usr/)?lib(64|32|x32)?/},
			qr{^/usr/share/locale/}, qr{^/usr/lib/locale/}, qr{^/usr/share/zoneinfo/}, qr{^/etc/localtime$},
			# libselinux, which libmount links, looks for its configuration when loaded
			qr{^/etc/selinux/config$}, qr{^/selinux$},
			# libkmod: module tree and modprobe.d, the kernel module list
			qr{^/(usr/)?lib/modules/}, qr{^/(etc|run|usr/local/lib|usr/lib|lib)/modprobe\.d(/|$)},
			qr{^/etc/modprobe\.conf$}, qr{^/proc/modules$},
			# the kernel state kvmtune reads
			qr{^/proc/cmdline$}, qr{^/proc/meminfo$}, qr{^/proc/(self|[0-9]+)/mountinfo$},
			qr{^/proc/filesystems$},
			# names of users and groups (hugetlbfs uid/gid)
			qr{^/etc/(nsswitch\.conf|passwd|group)$},
			# [cmdline]: its own GRUB drop-in, read to find arguments no longer configured
			qr{^/etc/default/grub\.d/kvmtune\.cfg$},
			# [isolation]: its own systemd drop-ins (read to remove them when no longer configured),
			# the interrupts' affinity, PID 1's CPUs
			qr{^/etc/systemd/system/irqbalance\.service\.d/kvmtune\.conf$},
			qr{^/etc/systemd/system\.conf\.d/kvmtune\.conf$}, qr{^/proc/irq(/|$)}, qr{^/proc/1/status$});
		# looking at (or creating) a directory on the way to an allowed place is fine
		my @anchors = ($conf, $mnt, "/run/kvmtune/revert", "/proc/self/mountinfo");
		my %meta = map { $_ => 1 } qw(readlink readlinkat statfs lstat stat newfstatat statx access
			faccessat faccessat2 mkdir mkdirat);
		open my $t, "<", $ARGV[0] or die "$ARGV[0]: $!";
		my %bad;
		while (<$t>) {
			chomp;
			next if /^\d+ \+\+\+|^\d+ ---/;
			my ($call, $args) = /^\d+\s+(\w+)\((.*)$/ or next;
			my @paths;
			if ($call eq "mount") {
				# mount(source, target, ...): the source of a virtual file system is a name
				push @paths, $1 if $args =~ /^"(?:[^"\\]|\\.)*", "((?:[^"\\]|\\.)*)"/;
			} else {
				# dirfd-relative calls: FD<dir>, "path" (renameat/linkat: two pairs)
				while ($args =~ /(?:AT_FDCWD|-?\d+)<([^>]*)>, "((?:[^"\\]|\\.)*)"/g) {
					my ($dir, $p) = ($1, $2);
					next if $p eq "";     # AT_EMPTY_PATH: an fd already open
					push @paths, $p =~ m{^/} ? $p : "$dir/$p";
				}
				push @paths, $1 if !@paths && $args =~ /^"((?:[^"\\]|\\.)*)"/;
			}
			for my $p (@paths) {
				$p =~ s{/+}{/}g;
				1 while $p =~ s{/[^/]+/\.\.(/|$)}{/};
				$p =~ s{/\.(/|$)}{/}g;
				$p =~ s{(.)/$}{$1};
				next if grep { $p =~ $_ } @ok;
				# (an O_PATH open of a directory is a look, too)
				my $look = $meta{$call} || ($call =~ /^openat2?$/ && $args =~ /O_PATH/);
				next if $look && grep { index("$_/", "$p/") == 0 } @anchors;
				next if $look && $p =~ m{^/proc/[0-9]+$};
				# the name of a descriptor kvmtune holds (a mount point, symlinks resolved)
				next if $call eq "readlink" && $p =~ m{^/proc/self/fd/[0-9]+$};
				# where the program is: a static glibc asks at start, linkage.c for its twin
				next if $call eq "readlink" && $p eq "/proc/self/exe";
				$bad{"$call $p"}++;
			}
		}
		print "$_\n" for sort keys %bad;
	' "$@"
}
for t in plan apply revert; do
	[ -s "$tmp/$t.trace" ] || { fail "$t: no trace"; continue; }
	bad=$(check_trace "$tmp/$t.trace" "$tmp/conf.d" "$tmp/huge" "$(readlink -f "$kv")")
	if [ -n "$bad" ]; then
		fail "$t opened paths outside the allowed set:"
		echo "$bad" | sed 's/^/    /'
	fi
	n=$(grep -c . "$tmp/$t.trace")
	echo "ok: $t: $n file syscalls traced"
done
# nothing of the hostile names reached a syscall
if grep -hE '"[^"]*(etc/shadow|tmp/evil)' "$tmp"/*.trace | grep -q .; then
	fail "a hostile path reached a syscall:"
	grep -hE '"[^"]*(etc/shadow|tmp/evil)' "$tmp"/*.trace | sed 's/^/    /' | head
fi

[ $fails = 0 ] || exit 1
echo "ok: no path outside /proc/sys, /sys, the config directory, /run/kvmtune and the mount point"
