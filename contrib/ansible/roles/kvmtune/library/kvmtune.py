#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Ansible module: run `kvmtune apply --json` (`plan --json` in check mode)."""

import json
import re

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
---
module: kvmtune
short_description: Apply kvmtune's configuration; changed when kvmtune changed a setting
description:
  - Runs C(kvmtune apply --json) and reports C(changed) exactly when kvmtune
    changed a setting of the live system (its report's C(changes) count).
  - In check mode it runs C(kvmtune plan --json) instead, which writes
    nothing, and reports C(changed) when a setting would be written.  The
    plan is of the snippets as installed: in check mode a snippet that a
    copy task would change is not installed yet.
  - Fails, with kvmtune's C(FILE:LINE) messages, when kvmtune exits non-zero
    (every valid setting has still been applied then).
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
"""

RETURN = r"""
changes:
  description: Settings kvmtune changed (in check mode, would change).
  type: int
changed_settings:
  description: "C(SECTION NAME = WANTED) for each of them; in check mode C(SECTION NAME: CURRENT -> WANTED)."
  type: list
errors:
  description: kvmtune's error messages, each with its FILE:LINE.
  type: list
report:
  description: kvmtune's whole --json report.
  type: dict
"""

PREFIX = re.compile(r"^(<\d>)?kvmtune: ")


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
    cmd = [binary]
    if p["root"]:
        cmd += ["--root", p["root"]]
    if p["only"]:
        cmd += ["--only", ",".join(p["only"])]
    cmd += ["plan" if module.check_mode else "apply", "--json"]

    rc, out, err = module.run_command(cmd, environ_update={"LC_ALL": "C"})
    errors = [PREFIX.sub("", line) for line in err.splitlines() if PREFIX.match(line)]
    try:
        report = json.loads(out)
    except ValueError:
        module.fail_json(msg="kvmtune: %s" % ("; ".join(errors) or err.strip() or "no JSON report"),
                         cmd=cmd, rc=rc, stdout=out, stderr=err, errors=errors, changed=False)
    settings = report.get("settings", [])
    if module.check_mode:
        touched = [s for s in settings if s.get("action") == "set"]
        changes = len(touched)
    else:
        touched = [s for s in settings if s.get("changed")]
        changes = int(report.get("changes", 0))
    if module.check_mode:
        shown = ["%s %s: %s -> %s" % (s.get("section"), s.get("name"), s.get("current"), s.get("wanted"))
                 for s in touched]
    else:
        # apply's report holds the values as written, not the old ones
        shown = ["%s %s = %s" % (s.get("section"), s.get("name"), s.get("wanted")) for s in touched]
    result = dict(changed=changes > 0, changes=changes, changed_settings=shown, errors=errors,
                  cmd=cmd, rc=rc, report=report)
    if module._diff and module.check_mode and touched:
        result["diff"] = dict(
            before="".join("%s %s = %s\n" % (s["section"], s["name"], s.get("current")) for s in touched),
            after="".join("%s %s = %s\n" % (s["section"], s["name"], s.get("wanted")) for s in touched))
    if rc != 0:
        failed = ["%s:%s: %s %s: %s" % (s.get("file"), s.get("line"), s.get("section"), s.get("name"),
                                        s.get("note")) for s in settings if s.get("action") == "error"]
        msg = "; ".join(errors) or "; ".join(failed) or err.strip() or "exit status %d" % rc
        module.fail_json(msg="kvmtune %s failed: %s" % (cmd[-2], msg), stderr=err, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
