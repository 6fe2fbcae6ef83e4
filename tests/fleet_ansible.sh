#!/bin/bash
# contrib/ansible's kvmtune role under Debian's ansible-core
# (`ansible-playbook -c local`, installed by .ci/install-deps fleet when
# missing), on a fake root: the first run changes, the second does not,
# check mode reports drift and changes nothing, a broken snippet fails with
# its FILE:LINE.
set -u
cd "$(dirname "$0")/.."
repo=$PWD
kv=${KVMTUNE:-$PWD/kvmtune}
skip() { echo "SKIP: $*"; exit 77; }
if ! command -v ansible-playbook >/dev/null; then
	[ "$(id -u)" = 0 ] || skip "ansible-playbook (ansible-core) is not installed (and not root to install it)"
	.ci/install-deps fleet >/dev/null || skip "cannot install ansible-core"
fi
tmp=$(mktemp -d /tmp/kvmtune-ansible-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "PASS: $1"; }
bad() { echo "FAIL: $1"; fail=1; }

root=$tmp/root
mkdir -p "$root/proc/sys/net/ipv4" "$root/sys/class/net"
echo 60 > "$root/proc/sys/net/ipv4/tcp_fin_timeout"
echo 0 > "$root/proc/sys/net/ipv4/tcp_tw_reuse"
cat > "$tmp/site.yml" <<'EOF'
- hosts: all
  gather_facts: false
  roles:
    - kvmtune
EOF
# vars FILE [BROKEN]: the role's variables, with a broken second snippet if asked
vars() {
	{
		echo "kvmtune_root: $root"
		echo "kvmtune_binary: $kv"
		echo "kvmtune_snippets:"
		echo "  60-fleet.conf: |"
		echo "    [sysctl]"
		echo "    net.ipv4.tcp_fin_timeout = ${FIN:-30}"
		echo "    net.ipv4.tcp_tw_reuse = 1"
		if [ -n "${2:-}" ]; then
			echo "  70-broken.conf: |"
			echo "    [sysctl]"
			echo "    net.ipv4.tcp_tw_reuse = 1"
			echo "    this is no setting"
		fi
	} > "$1"
}
export ANSIBLE_HOME=$tmp/ansible-home ANSIBLE_LOCAL_TEMP=$tmp/ansible-tmp ANSIBLE_REMOTE_TEMP=$tmp/ansible-tmp \
	ANSIBLE_ROLES_PATH=$repo/contrib/ansible/roles ANSIBLE_STDOUT_CALLBACK=kvmtune_report \
	ANSIBLE_CALLBACK_PLUGINS=$repo/tests/ansible ANSIBLE_NOCOLOR=1 \
	ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_DEPRECATION_WARNINGS=0
# play NAME [ARGS...]: run the playbook, its JSON report in $tmp/NAME.json; returns its exit status
play() {
	local name=$1; shift
	ansible-playbook -c local -i localhost, "$tmp/site.yml" -e "@$tmp/vars.yml" "$@" > "$tmp/$name.json" 2> "$tmp/$name.err"
}
# field NAME EXPR: a Python expression over the report r, the apply task's result t and its status
field() {
	python3 - "$tmp/$1.json" "$2" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
a = [task for task in r["tasks"] if task["task"].endswith("kvmtune apply")]
t = a[0]["result"] if a else {}
status = a[0]["status"] if a else None
print(eval(sys.argv[2]))
PY
}
expect() { # expect WHAT NAME EXPR WANT
	local got; got=$(field "$2" "$3" 2>&1)
	[ "$got" = "$4" ] && ok "$1: $3 = $got" || bad "$1: $3 is '$got', want '$4' ($(head -c 600 "$tmp/$2.err"))"
}
value() { cat "$root/proc/sys/net/ipv4/$1"; }

vars "$tmp/vars.yml"
play first && ok "first run succeeds" || bad "first run: exit $? $(cat "$tmp/first.err")"
expect "first run" first 't["changed"]' True
expect "first run" first 't["changes"]' 2
expect "first run" first 'sorted(t["changed_settings"])' \
	"['sysctl net.ipv4.tcp_fin_timeout = 30', 'sysctl net.ipv4.tcp_tw_reuse = 1']"
[ "$(value tcp_fin_timeout) $(value tcp_tw_reuse)" = "30 1" ] && ok "first run applied" || bad "not applied: $(value tcp_fin_timeout) $(value tcp_tw_reuse)"
[ -f "$root/etc/kvmtune/conf.d/60-fleet.conf" ] && ok "snippet installed" || bad "snippet not installed"

play second && ok "second run succeeds" || bad "second run: exit $?"
expect "second run" second 't["changed"]' False
expect "second run: nothing changed at all" second 'r["stats"]["localhost"]["changed"]' 0

# check mode: drift behind kvmtune's back is reported, nothing written
echo 45 > "$root/proc/sys/net/ipv4/tcp_fin_timeout"
snap() { (cd "$root" && find . -printf '%p %s %T@\n' | sort; cat etc/kvmtune/conf.d/* proc/sys/net/ipv4/*); }
before=$(snap)
play check --check && ok "check mode succeeds" || bad "check mode: exit $?"
expect "check mode" check 't["changed"]' True
expect "check mode" check 't["changed_settings"]' "['sysctl net.ipv4.tcp_fin_timeout: 45 -> 30']"
FIN=20 vars "$tmp/vars.yml"
play check2 --check --diff && ok "check mode with a new snippet succeeds" || bad "check mode 2: exit $?"
expect "check mode, a snippet to change" check2 'r["stats"]["localhost"]["changed"] >= 2' True
expect "check mode --diff" check2 't["diff"]["after"].splitlines()' "['sysctl net.ipv4.tcp_fin_timeout = 30']"
[ "$before" = "$(snap)" ] && ok "check mode changed nothing on the root" || bad "check mode changed files: $(diff <(echo "$before") <(snap))"

FIN=30 vars "$tmp/vars.yml"
play third && ok "third run succeeds" || bad "third run: exit $?"
expect "after drift" third 't["changed"]' True
expect "after drift" third 't["changed_settings"]' "['sysctl net.ipv4.tcp_fin_timeout = 30']"
[ "$(value tcp_fin_timeout)" = 30 ] && ok "drift repaired" || bad "tcp_fin_timeout is $(value tcp_fin_timeout)"

# a broken snippet: the play fails, naming its FILE:LINE
vars "$tmp/vars.yml" broken
if play broken; then bad "a broken snippet did not fail the play"; else ok "a broken snippet fails the play (exit $?)"; fi
expect "broken snippet" broken 'status' failed
expect "broken snippet" broken '"/etc/kvmtune/conf.d/70-broken.conf:3:" in t["msg"]' True
expect "broken snippet" broken 't["errors"][0].split(": ")[0]' "/etc/kvmtune/conf.d/70-broken.conf:3"
expect "broken snippet" broken 'r["stats"]["localhost"]["failures"]' 1
exit $fail
