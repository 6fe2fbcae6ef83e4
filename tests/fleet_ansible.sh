#!/bin/bash
# contrib/ansible's kvmtune role under Debian's ansible-core
# (`ansible-playbook -c local`, installed by .ci/install-deps fleet when
# missing), on a fake root: the first run changes, the second does not,
# check mode reports drift and changes nothing, a broken snippet fails with
# its FILE:LINE.  Also: ansible-doc reads the module's documentation,
# meta/argument_specs.yml refuses variables of the wrong type,
# kvmtune_snippets_exclusive removes snippets no longer listed, --diff
# without --check gives every changed task a diff (the apply's is kvmtune's
# plan), the optional package and timer tasks, and ansible-lint (Debian's,
# .ci/install-deps fleet) passes with --profile production.
set -u
cd "$(dirname "$0")/.."
repo=$PWD
kv=${KVMTUNE:-$PWD/kvmtune}
skip() { echo "SKIP: $*"; exit 77; }
if ! command -v ansible-playbook >/dev/null || ! command -v ansible-lint >/dev/null; then
	[ "$(id -u)" = 0 ] || skip "ansible-playbook or ansible-lint is not installed (and not root to install them)"
	.ci/install-deps fleet >/dev/null || skip "cannot install ansible-core and ansible-lint"
fi
tmp=$(mktemp -d /tmp/kvmtune-ansible-XXXXXX)
timer=kvmtune-fleettest-$$.timer                # a throwaway unit for kvmtune_timers
cleanup() {
	if [ -e "/etc/systemd/system/$timer" ]; then
		systemctl disable "$timer" >/dev/null 2>&1
		rm -f "/etc/systemd/system/$timer" "/etc/systemd/system/${timer%.timer}.service"
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
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
		[ -n "${EXTRA:-}" ] && printf '%s\n' "$EXTRA"
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
task = {t["task"].split(" : ", 1)[-1]: t for t in r["tasks"]}
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

# ansible-doc: the module's documentation parses, with examples and return values
ANSIBLE_LIBRARY=$repo/contrib/ansible/roles/kvmtune/library ansible-doc -j -t module kvmtune > "$tmp/doc.json" 2> "$tmp/doc.err" \
	&& ok "ansible-doc -t module kvmtune" || bad "ansible-doc -t module kvmtune: $(cat "$tmp/doc.err")"
python3 - "$tmp/doc.json" > "$tmp/doc.out" 2>&1 <<'PY' && ok "ansible-doc: $(cat "$tmp/doc.out")" || bad "ansible-doc: $(cat "$tmp/doc.out")"
import json, sys
d = json.load(open(sys.argv[1]))["kvmtune"]
assert sorted(d["doc"]["options"]) == ["binary", "only", "root"], d["doc"]["options"]
assert "kvmtune:" in d["examples"], d["examples"]
assert {"changes", "changed_settings", "errors", "report"} <= set(d["return"]), d["return"]
print("options, EXAMPLES and RETURN (%s)" % ", ".join(sorted(d["return"])))
PY

# argument_specs: a wrong type or section is refused before any task runs
vars "$tmp/vars.yml"
sed -i 's/^kvmtune_snippets:$/kvmtune_snippets: "60-fleet.conf"\nkvmtune_unused:/' "$tmp/vars.yml"
if play badtype; then bad "kvmtune_snippets as a string did not fail"; else ok "kvmtune_snippets as a string fails the play"; fi
expect "argument_specs" badtype '[t["result"]["msg"].splitlines()[0] for t in r["tasks"] if t["status"] == "failed"]' \
	"['Validation of arguments failed:']"
expect "argument_specs" badtype '"kvmtune_snippets" in str([t["result"].get("argument_errors") for t in r["tasks"]])' True
EXTRA='kvmtune_only: [sysctl, nosuchsection]' vars "$tmp/vars.yml"
if play badonly; then bad "kvmtune_only: [nosuchsection] did not fail"; else ok "kvmtune_only: [nosuchsection] fails the play"; fi
expect "argument_specs" badonly '"nosuchsection" in str([t["result"].get("argument_errors") for t in r["tasks"]])' True

# kvmtune_snippets_exclusive: a snippet no longer listed is removed (and one made by hand), not without it
rm "$root/etc/kvmtune/conf.d/70-broken.conf"
EXTRA='  70-extra.conf: |
    [sysctl]
    net.ipv4.tcp_tw_reuse = 1' vars "$tmp/vars.yml"
play extra && [ -f "$root/etc/kvmtune/conf.d/70-extra.conf" ] && ok "a second snippet installed" || bad "70-extra.conf not installed"
echo '[sysctl]' > "$root/etc/kvmtune/conf.d/80-hand.conf"
vars "$tmp/vars.yml"
play notexclusive && ok "without kvmtune_snippets_exclusive: runs" || bad "not exclusive: exit $?"
[ -f "$root/etc/kvmtune/conf.d/70-extra.conf" ] && [ -f "$root/etc/kvmtune/conf.d/80-hand.conf" ] \
	&& ok "without kvmtune_snippets_exclusive: unlisted snippets stay" || bad "not exclusive: a snippet was removed"
EXTRA='kvmtune_snippets_exclusive: true' vars "$tmp/vars.yml"
play exclusivecheck --check --diff && ok "kvmtune_snippets_exclusive in check mode: runs" || bad "exclusive --check: exit $?"
expect "exclusive, check mode" exclusivecheck \
	'sorted(x["item"]["path"].split("/")[-1] for x in task["Snippets not listed are removed"]["result"]["results"] if x.get("changed"))' \
	"['70-extra.conf', '80-hand.conf']"
[ -f "$root/etc/kvmtune/conf.d/70-extra.conf" ] && ok "exclusive, check mode: nothing removed" || bad "exclusive --check removed a file"
play exclusive && ok "kvmtune_snippets_exclusive: runs" || bad "exclusive: exit $?"
[ "$(ls "$root/etc/kvmtune/conf.d")" = 60-fleet.conf ] && ok "kvmtune_snippets_exclusive: only the listed snippet is left" \
	|| bad "exclusive: conf.d holds $(ls "$root/etc/kvmtune/conf.d")"

# --diff without --check: every changed task has a diff; the apply's is kvmtune's plan
echo 45 > "$root/proc/sys/net/ipv4/tcp_fin_timeout"
FIN=25 vars "$tmp/vars.yml"
play diff --diff && ok "--diff without --check: runs" || bad "--diff: exit $?"
expect "--diff" diff 'sorted(n for n in task if task[n]["result"].get("changed"))' \
	"['Settings are applied: kvmtune apply', 'Snippets are installed']"
expect "--diff: every changed task has a diff" diff \
	'[t["task"] for t in r["tasks"] if t["result"].get("changed") and not (t["result"].get("diff") or any(x.get("diff") for x in t["result"].get("results", [])))]' "[]"
expect "--diff: kvmtune's plan" diff '(t["diff"]["before"], t["diff"]["after"])' \
	"('sysctl net.ipv4.tcp_fin_timeout = 45\\n', 'sysctl net.ipv4.tcp_fin_timeout = 25\\n')"
expect "--diff: the snippet's diff" diff \
	'[x["diff"][0]["after"].splitlines()[1] for x in task["Snippets are installed"]["result"]["results"]]' \
	"['net.ipv4.tcp_fin_timeout = 25']"
[ "$(value tcp_fin_timeout)" = 25 ] && ok "--diff applied" || bad "--diff: tcp_fin_timeout is $(value tcp_fin_timeout)"

# the package: installed when asked (a package this host has: unchanged), else not touched
EXTRA='kvmtune_install_package: true
kvmtune_package_name: python3' vars "$tmp/vars.yml"
play package && ok "kvmtune_install_package: runs" || bad "package: exit $? $(cat "$tmp/package.err")"
expect "kvmtune_install_package" package 'task["The kvmtune package is installed"]["status"], task["The kvmtune package is installed"]["result"]["changed"]' \
	"('ok', False)"
expect "without kvmtune_install_package" diff 'task["The kvmtune package is installed"]["status"]' skipped

# the timers: a throwaway timer is enabled; started only on a host booted with systemd
if command -v systemctl >/dev/null && [ "$(id -u)" = 0 ]; then
	printf '[Unit]\nDescription=kvmtune fleet test\n[Service]\nType=oneshot\nExecStart=/bin/true\n' \
		> "/etc/systemd/system/${timer%.timer}.service"
	printf '[Unit]\nDescription=kvmtune fleet test\n[Timer]\nOnActiveSec=1h\n[Install]\nWantedBy=timers.target\n' \
		> "/etc/systemd/system/$timer"
	[ -d /run/systemd/system ] && systemctl daemon-reload
	EXTRA="kvmtune_timers: [$timer]" vars "$tmp/vars.yml"
	play timers && ok "kvmtune_timers: runs" || bad "timers: exit $? $(cat "$tmp/timers.err") $(head -c 2000 "$tmp/timers.json")"
	[ "$(systemctl is-enabled "$timer" 2>&1)" = enabled ] && ok "kvmtune_timers: $timer is enabled" \
		|| bad "kvmtune_timers: $timer is $(systemctl is-enabled "$timer" 2>&1)"
	if [ -d /run/systemd/system ]; then
		expect "kvmtune_timers, systemd running" timers 'task["The timers are started"]["result"]["changed"]' True
		systemctl stop "$timer"
	else
		expect "kvmtune_timers, not booted with systemd" timers 'task["The timers are started"]["status"]' skipped
	fi
fi

# ansible-lint, production profile, offline, its caches in the test's directory
(cd "$repo/contrib/ansible" && HOME=$tmp/home XDG_CACHE_HOME=$tmp/cache ANSIBLE_LIBRARY=$PWD/roles/kvmtune/library \
	ansible-lint --offline --nocolor --profile production -p) > "$tmp/lint" 2>&1 \
	&& ok "ansible-lint --profile production: $(tail -1 "$tmp/lint")" || bad "ansible-lint --profile production: $(cat "$tmp/lint")"
exit $fail
