#!/bin/bash
# completion/kvmtune.bash driven as bash's programmable completion does:
# `complete -p` names its function; with COMP_WORDS/COMP_CWORD set, the
# function offers the commands, every long option of `kvmtune --help`,
# the real section names for --only (also after a comma and as --only=),
# the stages, and the devices of /sys/block and /sys/class/net under the
# --root on the line.
set -u
cd "$(dirname "$0")/.."
kv=${KVMTUNE:-$PWD/kvmtune}
# under make valgrind, KVMTUNE is a wrapper script: complete the real binary
[ -x "$PWD/kvmtune" ] && kv=$PWD/kvmtune
fail=0
tmp=$(mktemp -d /tmp/kvmtune-compl-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=../completion/kvmtune.bash
source completion/kvmtune.bash

ok() { echo "PASS: $1"; }
bad() { echo "FAIL: $1"; fail=1; }
# comp WORD...: the completions for the last word (sorted, one a line)
comp() {
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_kvmtune
	printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d' | sort
}
# expect WHAT GOT WANT (newline-separated lists, compared sorted)
expect() {
	local want; want=$(printf '%s\n' $3 | sort)
	if [ "$2" = "$want" ]; then ok "$1"; else bad "$1: got [$(echo $2)], want [$(echo $want)]"; fi
}

[ "$(complete -p kvmtune 2>&1)" = "complete -F _kvmtune kvmtune" ] && ok "complete -p kvmtune" \
	|| bad "complete -p kvmtune: $(complete -p kvmtune 2>&1)"

expect "commands" "$(comp "$kv" "")" "apply plan verify cat-config revert import"
expect "a command by prefix" "$(comp "$kv" -q "ve")" "verify"
expect "after a command, no second command" "$(comp "$kv" plan "")" ""
expect "after --root DIR, commands" "$(comp "$kv" --root /tmp c)" "cat-config"

# every long option kvmtune --help lists, and only those (plus -q -v -h)
help_opts=$("$kv" --help | grep -o -- '--[a-z][a-z0-9-]*' | sort -u)
for o in --root --config-dir --config --only --device --stage --json --metrics --quiet --verbose --help --version; do
	grep -qx -- "$o" <<<"$help_opts" || bad "kvmtune --help lacks $o"
done
expect "options" "$(comp "$kv" verify "--")" "$help_opts"
expect "short options" "$(comp "$kv" "-")" "$help_opts -q -v -h"
expect "an option by prefix" "$(comp "$kv" "--me")" "--metrics"

# --only: the section names of src/sections/*.c
sections=$(grep -ho '^ *\.name = "[a-z]*"' src/sections/*.c | sed 's/.*"\(.*\)"/\1/' | sort)
[ "$(echo $sections | wc -w)" -ge 9 ] || bad "found only $(echo $sections) in src/sections"
expect "--only SECTION" "$(comp "$kv" --only "")" "$sections"
expect "--only after a comma" "$(comp "$kv" --only "sysctl,k")" "sysctl,ksm"
expect "--only by prefix" "$(comp "$kv" plan --only "hug")" "hugepages hugetlbfs"
expect "--only = split off (COMP_WORDBREAKS)" "$(comp "$kv" --only = "net")" "netdev"
expect "--only=..., one word" "$(comp "$kv" "--only=sysctl,net")" "--only=sysctl,netdev"
# without a binary to ask, the built-in list, which must be the same
expect "--only, fallback list" "$(comp /nonexistent/kvmtune --only "")" "$sections"
expect "options, fallback list" "$(comp /nonexistent/kvmtune "--")" "$help_opts"

expect "--stage" "$(comp "$kv" --stage "")" "initrd boot"

# --device: /sys/block and /sys/class/net under --root
mkdir -p "$tmp/root/sys/block" "$tmp/root/sys/class/net" "$tmp/root/sys/devices/virtual/net/eth0"
ln -s ../devices/pci0000:00/block/vda "$tmp/root/sys/block/vda"
ln -s ../../devices/virtual/net/eth0 "$tmp/root/sys/class/net/eth0"
ln -s ../../devices/virtual/net/ens3 "$tmp/root/sys/class/net/ens3"
expect "--device under --root" "$(comp "$kv" --root "$tmp/root" apply --only netdev --device "")" "vda eth0 ens3"
expect "--device by prefix, --root=DIR" "$(comp "$kv" "--root=$tmp/root" --device "e")" "eth0 ens3"
if [ -d /sys/class/net/lo ]; then
	expect "--device on this host: lo" "$(comp "$kv" --device "l" | grep -x lo)" "lo"
fi

# values of --config and import are files
touch "$tmp/a.conf" "$tmp/b.conf"
expect "--config FILE" "$(comp "$kv" --config "$tmp/a")" "$tmp/a.conf"
expect "import FILE..." "$(comp "$kv" import "$tmp/a.conf" "$tmp/")" "$tmp/a.conf $tmp/b.conf $tmp/root"
exit $fail
