#!/bin/bash
# JOURNAL_STREAM counts only when stdout and stderr are the stream it names
# ("DEV:INODE", as systemd's log.c checks it): otherwise a child of a service
# whose output went to a file would write <N> prefixes into that file.
set -u
cd "$(dirname "$0")/.."
kv=${KVMTUNE:-$PWD/kvmtune}
tmp=$(mktemp -d /tmp/kvmtune-jstream-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
# run NAME STREAM-VALUE [OTHER-STDOUT]: stderr (and stdout, unless given) to $tmp/NAME
run() {
	local out=$tmp/$1 val=$2 other=${3:-}
	: > "$out"
	[ "$val" = SELF ] && val=$(stat -c '%d:%i' "$out")
	if [ -n "$other" ]; then
		JOURNAL_STREAM=$val "$kv" --config /nonexistent/kvmtune.conf plan > "$tmp/$other" 2> "$out"
	else
		JOURNAL_STREAM=$val "$kv" --config /nonexistent/kvmtune.conf plan > "$out" 2>&1
	fi
}
prefixed() { grep -q '^<3>kvmtune: /nonexistent/kvmtune.conf' "$tmp/$1"; }
plain() { grep -q '^kvmtune: /nonexistent/kvmtune.conf' "$tmp/$1"; }
expect() { # expect NAME prefixed|plain WHAT
	if "$2" "$1"; then echo "PASS: $3"; else
		echo "FAIL: $3: got: $(head -c 300 "$tmp/$1")"; fail=1; fi
}
run match SELF;              expect match prefixed "stdout and stderr are the named stream: <N> prefixes"
run other "$(stat -c '%d:%i' /)"; expect other plain "another file's DEV:INODE: plain lines"
run stdout_elsewhere SELF out.txt; expect stdout_elsewhere plain "stderr is the stream, stdout is not: plain lines"
for bad in "" abc 1 "1:" ":2" "1:2x" "x1:2" "-1:2" "1:-2" "99999999999999999999999:1"; do
	run bad "$bad"; expect bad plain "malformed JOURNAL_STREAM='$bad': plain lines"
done
exit $fail
