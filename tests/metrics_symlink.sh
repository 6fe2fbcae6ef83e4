#!/bin/bash
# `verify --metrics` as root, with the textfile directory's parent owned by an
# unprivileged user, as Debian lays out /var/lib/prometheus (the prometheus
# user's) and node-exporter/ (root's).  A throwaway system user (useradd here,
# userdel on exit) swaps node-exporter/ for a symlink to a directory of
# root's, absolute or relative, or plants one in a sticky or group-writable
# directory: root's kvmtune.prom must not appear there.  The controls: the
# Debian layout as it is, a directory of the user's own (written: it is the
# real directory named), and symlinks only root could have made (followed).
set -u
cd "$(dirname "$0")/.."
kv=${KVMTUNE:-$PWD/kvmtune}
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (a throwaway user and files of two owners)"
for c in useradd userdel setpriv; do command -v $c >/dev/null || skip "$c is not installed"; done
[ -x "$kv" ] || { echo "FAIL: no kvmtune binary at $kv"; exit 1; }

user=kvmtune-m$$
tmp=$(mktemp -d /tmp/kvmtune-metricslink-XXXXXX) || exit 1
cleanup() {
	rm -rf "$tmp"
	id "$user" >/dev/null 2>&1 && userdel "$user" 2>/dev/null
}
trap cleanup EXIT
useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$user" ||
	{ echo "FAIL: useradd $user"; exit 1; }
as_user() { setpriv --reuid="$user" --regid="$user" --clear-groups -- "$@"; }
chmod 0755 "$tmp"
fail=0
ok() { echo "PASS: $1"; }
bad() { echo "FAIL: $1"; fail=1; }

root=$tmp/root
mkdir -p "$root/proc/sys/net/ipv4" "$root/etc/kvmtune/conf.d" "$root/sys/class/net"
echo 30 > "$root/proc/sys/net/ipv4/tcp_fin_timeout"   # no drift: verify exits 0 unless --metrics fails
printf '[sysctl]\nnet.ipv4.tcp_fin_timeout = 30\n' > "$root/etc/kvmtune/conf.d/50-m.conf"
# verify PATH: kvmtune verify --metrics PATH as root; its stderr in $tmp/err
verify() { "$kv" --root "$root" verify --quiet --metrics "$1" >/dev/null 2>"$tmp/err"; }

prom=$tmp/var/lib/prometheus                    # the user's
secret=$tmp/secret                              # root's, say /etc/cron.d
mkdir -p "$prom/node-exporter" "$secret"
chown "$user:$user" "$prom"
textfile=$prom/node-exporter/kvmtune.prom

# control: Debian's layout as it is
verify "$textfile"
[ -s "$textfile" ] && grep -q '^kvmtune_drift 0$' "$textfile" && ok "Debian's layout: written" \
	|| bad "Debian's layout: not written ($(cat "$tmp/err"))"

# the attack: node-exporter/ becomes a symlink to root's directory
attack() { # attack WHAT TARGET: the user replaces node-exporter with a symlink to TARGET
	rm -rf "$prom/node-exporter.old"
	as_user mv "$prom/node-exporter" "$prom/node-exporter.old" || bad "$1: the user cannot move node-exporter"
	as_user ln -s "$2" "$prom/node-exporter" || bad "$1: the user cannot make the symlink"
	[ "$(stat -c %U "$prom/node-exporter")" = "$user" ] || bad "$1: the symlink is not the user's"
	verify "$textfile"
	local rc=$?
	if [ -z "$(ls -A "$secret")" ]; then ok "$1: nothing written in root's directory"
	else bad "$1: root's directory now holds: $(ls -A "$secret")"; fi
	[ $rc != 0 ] && grep -q 'not following the symlink node-exporter' "$tmp/err" && ok "$1: refused, exit $rc: $(cat "$tmp/err")" \
		|| bad "$1: exit $rc, stderr: $(cat "$tmp/err")"
	as_user rm "$prom/node-exporter"
	as_user mv "$prom/node-exporter.old" "$prom/node-exporter"
}
attack "absolute symlink" "$secret"
attack "relative symlink" "../../../secret"
# one level further up: the user's symlink named as a middle component
as_user ln -s "$secret" "$prom/up"
verify "$prom/up/kvmtune.prom"
[ $? != 0 ] && [ -z "$(ls -A "$secret")" ] && ok "a middle component: refused" || bad "a middle component: $(ls -A "$secret") $(cat "$tmp/err")"

# a real directory of the user's own: written there (the file is where the path says)
as_user mkdir "$prom/own"
verify "$prom/own/kvmtune.prom" && [ -s "$prom/own/kvmtune.prom" ] && ok "the user's own real directory: written" \
	|| bad "the user's own real directory: $(cat "$tmp/err")"
[ "$(stat -c %U "$prom/own/kvmtune.prom")" = root ] && ok "... as root's file" || bad "... owned by $(stat -c %U "$prom/own/kvmtune.prom")"

# symlinks only root could have made are followed
ln -s var/lib/prometheus/node-exporter "$tmp/link"
rm -f "$textfile"
verify "$tmp/link/kvmtune.prom" && [ -s "$textfile" ] && ok "root's symlink in root's directory: followed" \
	|| bad "root's symlink in root's directory: $(cat "$tmp/err")"
mkdir -m 1777 "$tmp/sticky"
ln -s ../var/lib/prometheus/node-exporter "$tmp/sticky/root-link"
rm -f "$textfile"
verify "$tmp/sticky/root-link/kvmtune.prom" && [ -s "$textfile" ] && ok "root's symlink in a sticky directory: followed" \
	|| bad "root's symlink in a sticky directory: $(cat "$tmp/err")"
# ... and not the user's in that sticky directory, nor root's in a group-writable one
as_user ln -s "$secret" "$tmp/sticky/user-link"
verify "$tmp/sticky/user-link/kvmtune.prom"
[ $? != 0 ] && [ -z "$(ls -A "$secret")" ] && ok "the user's symlink in a sticky directory: refused" \
	|| bad "the user's symlink in a sticky directory: $(ls -A "$secret") $(cat "$tmp/err")"
mkdir -m 0775 "$tmp/group"
chgrp "$user" "$tmp/group"
ln -s "$secret" "$tmp/group/link"
verify "$tmp/group/link/kvmtune.prom"
[ $? != 0 ] && [ -z "$(ls -A "$secret")" ] && ok "a symlink in a directory the user's group can write: refused" \
	|| bad "a symlink in a group-writable directory: $(ls -A "$secret") $(cat "$tmp/err")"
# no temp file left behind anywhere
left=$(find "$tmp" -name '.kvmtune.prom.*')
[ -z "$left" ] && ok "no temp file left" || bad "temp files left: $left"
exit $fail
