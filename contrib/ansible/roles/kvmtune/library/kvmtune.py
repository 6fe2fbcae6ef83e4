#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Ansible module: run `kvmtune apply --json` (`plan --json` in check mode)."""

import json
import re

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
---
module: kvmtune
short_description: Apply kvmtune's configuration, changed when kvmtune changed a setting
description:
  - Runs C(kvmtune apply --json) and reports C(changed) exactly when kvmtune
    changed a setting of the live system (its report's C(changes) count).
  - "In check mode it runs C(kvmtune plan --json) instead, which writes
    nothing, and reports C(changed) when a setting would be written.  The
    plan is of the snippets as installed: in check mode a snippet that a
    copy task would change is not installed yet."
  - "In diff mode the diff is kvmtune's plan: for each setting written (or,
    in check mode, to be written) its current value before and its wanted
    value after.  Without check mode the plan is taken by a
    C(kvmtune plan --json) run just before the apply."
  - Fails, with kvmtune's C(FILE:LINE) messages, when kvmtune exits non-zero
    (every valid setting has still been applied then).
version_added: "0.1"
author: kvmtune developers
options:
  binary:
    description: The kvmtune binary, a name looked up in PATH and /usr/sbin, or a path.
    type: str
    default: kvmtune
  root:
    description: Passed as C(--root) (a fake root, for tests); empty for the host itself.
    type: str
    default: ""
  only:
    description: Sections to limit the run to (C(--only)).
    type: list
    elements: str
    default: []
notes:
  - Supports check mode and diff mode.
  - Does not install snippets; the C(kvmtune) role's copy tasks do.
"""

EXAMPLES = r"""
- name: Apply /etc/kvmtune
  kvmtune:
  register: kvmtune_result

- name: Apply only the sysctl and ksm sections, with an explicit binary
  kvmtune:
    binary: /usr/sbin/kvmtune
    only: [sysctl, ksm]

- name: Show what kvmtune changed
  ansible.builtin.debug:
    var: kvmtune_result.changed_settings
"""

RETURN = r"""
changes:
  description: Settings kvmtune changed (in check mode, would change).
  returned: success and when kvmtune failed after planning
  type: int
  sample: 2
changed_settings:
  description: "C(SECTION NAME = WANTED) for each of them; in check mode C(SECTION NAME: CURRENT -> WANTED)."
  returned: success and when kvmtune failed after planning
  type: list
  elements: str
  sample: ["sysctl net.ipv4.tcp_fin_timeout = 30"]
errors:
  description: kvmtune's error messages, each with its FILE:LINE.
  returned: always
  type: list
  elements: str
  sample: ["/etc/kvmtune/conf.d/70-broken.conf:3: not a key = value line"]
cmd:
  description: The kvmtune command run.
  returned: always
  type: list
  elements: str
  sample: ["/usr/sbin/kvmtune", "apply", "--json"]
rc:
  description: kvmtune's exit status.
  returned: always
  type: int
  sample: 0
report:
  description: kvmtune's whole C(--json) report (C(command), C(errors), C(changes), C(settings)).
  returned: success and when kvmtune failed after planning
  type: dict
"""

PREFIX = re.compile(r"^(<\d>)?kvmtune: ")


def run_json(module, base, command):
    """kvmtune COMMAND --json: (cmd, rc, err, errors, report)"""
    cmd = base + [command, "--json"]
    rc, out, err = module.run_command(cmd, environ_update={"LC_ALL": "C"})
    errors = [PREFIX.sub("", line) for line in err.splitlines() if PREFIX.match(line)]
    try:
        report = json.loads(out)
    except ValueError:
        module.fail_json(msg="kvmtune: %s" % ("; ".join(errors) or err.strip() or "no JSON report"),
                         cmd=cmd, rc=rc, stdout=out, stderr=err, errors=errors, changed=False)
    return cmd, rc, err, errors, report


def key(s):
    return (s.get("section"), s.get("name"))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            binary=dict(type="str", default="kvmtune"),
            root=dict(type="str", default=""),
            only=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    p = module.params
    binary = p["binary"]
    if "/" not in binary:
        binary = module.get_bin_path(binary, required=True, opt_dirs=["/usr/sbin", "/sbin"])
    base = [binary]
    if p["root"]:
        base += ["--root", p["root"]]
    if p["only"]:
        base += ["--only", ",".join(p["only"])]

    # the plan's current values, for the diff: the check run's own, or a plan just before the apply
    planned = {}
    if module._diff and not module.check_mode:
        plan = run_json(module, base, "plan")[4]
        planned = {key(s): s.get("current") for s in plan.get("settings", []) if s.get("action") == "set"}

    cmd, rc, err, errors, report = run_json(module, base, "plan" if module.check_mode else "apply")
    settings = report.get("settings", [])
    if module.check_mode:
        touched = [s for s in settings if s.get("action") == "set"]
        changes = len(touched)
        shown = ["%s %s: %s -> %s" % (s.get("section"), s.get("name"), s.get("current"), s.get("wanted"))
                 for s in touched]
        before = {key(s): s.get("current") for s in touched}
    else:
        touched = [s for s in settings if s.get("changed")]
        changes = int(report.get("changes", 0))
        # apply's report holds the values as written, not the old ones
        shown = ["%s %s = %s" % (s.get("section"), s.get("name"), s.get("wanted")) for s in touched]
        before = planned
    result = dict(changed=changes > 0, changes=changes, changed_settings=shown, errors=errors,
                  cmd=cmd, rc=rc, report=report)
    if module._diff and touched:
        where = " under %s" % p["root"] if p["root"] else ""
        result["diff"] = dict(
            before_header="kvmtune plan%s: current" % where,
            after_header="kvmtune plan%s: wanted" % where,
            before="".join("%s %s = %s\n" % (s["section"], s["name"], before.get(key(s))) for s in touched),
            after="".join("%s %s = %s\n" % (s["section"], s["name"], s.get("wanted")) for s in touched))
    if rc != 0:
        failed = ["%s:%s: %s %s: %s" % (s.get("file"), s.get("line"), s.get("section"), s.get("name"),
                                        s.get("note")) for s in settings if s.get("action") == "error"]
        msg = "; ".join(errors) or "; ".join(failed) or err.strip() or "exit status %d" % rc
        module.fail_json(msg="kvmtune %s failed: %s" % (cmd[-2], msg), stderr=err, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
