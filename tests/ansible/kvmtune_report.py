# SPDX-License-Identifier: MIT
# A stdout callback for tests/fleet_ansible.sh: the play's task results and
# its recap as one JSON document (ansible-core ships no JSON callback).
import json

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: kvmtune_report
type: stdout
short_description: task results and stats as one JSON document
description: For kvmtune's tests.
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "kvmtune_report"

    def __init__(self):
        super().__init__()
        self.tasks = []

    def _add(self, result, status):
        self.tasks.append({"task": result._task.get_name(), "host": result._host.get_name(),
                           "status": status, "result": result._result})

    def v2_runner_on_ok(self, result):
        self._add(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._add(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._add(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._add(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        summary = {h: stats.summarize(h) for h in sorted(stats.processed)}
        self._display.display(json.dumps({"tasks": self.tasks, "stats": summary}, default=str))
