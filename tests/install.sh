#!/bin/bash
# `make install DESTDIR=...` gives exactly the spec's layout; the unit passes
# systemd-analyze verify; both man pages render without warnings.
set -u
shopt -s nullglob
cd "$(dirname "$0")/.."
dest=$(mktemp -d /tmp/kvmtune-install-XXXXXX)
trap 'rm -rf "$dest"' EXIT
fail=0
make -s install DESTDIR="$dest" >/dev/null || { echo "make install failed"; exit 1; }
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /usr/lib/systemd/system)
udevdir=$(pkg-config --variable=udevdir udev 2>/dev/null || echo /usr/lib/udev)
dracutdir=$(pkg-config --variable=dracutmodulesdir dracut 2>/dev/null || echo /usr/lib/dracut/modules.d)
bashcompdir=$(pkg-config --variable=completionsdir bash-completion 2>/dev/null || echo /usr/share/bash-completion/completions)
want=$(
	{
		echo /usr/sbin/kvmtune
		echo /usr/lib/kvmtune/kvmtune-full
		for f in conf.d/*.conf; do echo "/usr/lib/kvmtune/conf.d/${f#conf.d/}"; done
		echo "$unitdir/kvmtune.service"
		echo "$unitdir/kvmtune-verify.service"
		echo "$unitdir/kvmtune-verify.timer"
		echo "$bashcompdir/kvmtune"
		echo "$unitdir/kvmtune-ksm.service"
		echo "$unitdir/kvmtune-ksm.timer"
		echo "$udevdir/rules.d/81-kvmtune.rules"
		for f in dracut/90kvmtune/*.sh; do echo "$dracutdir/90kvmtune/${f##*/}"; done
		echo /usr/share/doc/kvmtune/examples/60-virtual-host.conf.example
		echo /usr/share/man/man8/kvmtune.8
		echo /usr/share/man/man5/kvmtune.conf.5
	} | sort)
have=$(cd "$dest" && find . -type f | sed 's/^\.//' | sort)
if [ "$want" != "$have" ]; then
	echo "installed layout differs:"; diff <(echo "$want") <(echo "$have"); fail=1
fi
[ -x "$dest/usr/sbin/kvmtune" ] || { echo "kvmtune not executable"; fail=1; }
[ -x "$dest/usr/lib/kvmtune/kvmtune-full" ] || { echo "kvmtune-full not executable"; fail=1; }
# the installed static kvmtune finds its twin at the path it was built with
grep -aq '/usr/lib/kvmtune/kvmtune-full' "$dest/usr/sbin/kvmtune" || { echo "kvmtune does not name /usr/lib/kvmtune/kvmtune-full"; fail=1; }
if command -v systemd-analyze >/dev/null; then
	# verify checks that ExecStart= exists: point it into the staging tree
	cp "$dest$unitdir/kvmtune.service" "$dest/kvmtune.service"
	sed -i "s|^ExecStart=/usr/sbin/kvmtune|ExecStart=$dest/usr/sbin/kvmtune|" "$dest/kvmtune.service"
	out=$(systemd-analyze verify --man=no "$dest/kvmtune.service" 2>&1)
	if [ -n "$out" ]; then echo "systemd-analyze verify: $out"; fail=1; fi
	# the metrics timer and its service (verify needs the timer's unit beside it)
	mkdir "$dest/verify"
	cp "$dest$unitdir/kvmtune-verify.timer" "$dest/verify/"
	sed "s|^ExecStart=/usr/sbin/kvmtune|ExecStart=$dest/usr/sbin/kvmtune|" \
		"$dest$unitdir/kvmtune-verify.service" > "$dest/verify/kvmtune-verify.service"
	out=$(cd "$dest/verify" && systemd-analyze verify --man=no kvmtune-verify.timer kvmtune-verify.service 2>&1)
	if [ -n "$out" ]; then echo "systemd-analyze verify (timer): $out"; fail=1; fi
else
	echo "systemd-analyze missing"; fail=1
fi
# The unit and the rule name the installed binary: @SBINDIR@ filled in, and
# SBINDIR follows PREFIX.
grep -rq '@[A-Z]*@' "$dest$unitdir" "$dest$udevdir" && { echo "unfilled @VAR@ in the unit or rule"; fail=1; }
grep -q '^ExecStart=/usr/sbin/kvmtune apply' "$dest$unitdir/kvmtune.service" || { echo "unit does not run /usr/sbin/kvmtune"; fail=1; }
grep -q '^ExecStart=/usr/sbin/kvmtune verify .*--metrics /var/lib/prometheus/node-exporter/kvmtune.prom$' \
	"$dest$unitdir/kvmtune-verify.service" || { echo "kvmtune-verify.service does not write the textfile"; fail=1; }
grep -q '^OnUnitActiveSec=5min$' "$dest$unitdir/kvmtune-verify.timer" || { echo "timer not every 5 minutes"; fail=1; }
bash -n "$dest$bashcompdir/kvmtune" || { echo "completion script: syntax error"; fail=1; }
[ "$(grep -c 'RUN+="/usr/bin/systemd-cat -t kvmtune /usr/sbin/kvmtune apply' "$dest$udevdir/rules.d/81-kvmtune.rules")" = 3 ] \
	|| { echo "rule does not run /usr/sbin/kvmtune three times (net, cpu, block)"; fail=1; }
local=$(mktemp -d /tmp/kvmtune-install-XXXXXX)
make -s install DESTDIR="$local" PREFIX=/usr/local SYSTEMDUNITDIR=/usr/local/lib/systemd/system \
	UDEVDIR=/usr/local/lib/udev DRACUTDIR=/usr/local/lib/dracut/modules.d >/dev/null || { echo "make install PREFIX=/usr/local failed"; fail=1; }
[ -x "$local/usr/local/sbin/kvmtune" ] || { echo "PREFIX=/usr/local: no /usr/local/sbin/kvmtune"; fail=1; }
grep -q '^ExecStart=/usr/local/sbin/kvmtune apply' "$local/usr/local/lib/systemd/system/kvmtune.service" \
	|| { echo "PREFIX=/usr/local: the unit does not run /usr/local/sbin/kvmtune"; fail=1; }
[ "$(grep -c '/usr/local/sbin/kvmtune apply' "$local/usr/local/lib/udev/rules.d/81-kvmtune.rules")" = 3 ] \
	|| { echo "PREFIX=/usr/local: the rule does not run /usr/local/sbin/kvmtune"; fail=1; }
rm -rf "$local"
for page in man/kvmtune.8 man/kvmtune.conf.5; do
	out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
	if [ -n "$out" ]; then echo "$page: $out"; fail=1; fi
done
# the targets README.md documents exist
for target in run check valgrind e2e bench fuzz install deb boot-e2e; do
	make -n "$target" >/dev/null 2>&1 || { echo "no make target '$target'"; fail=1; }
done
exit $fail
