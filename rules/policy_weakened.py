"""policy-weakened: the change under review weakens the policy file that gates it.

This rule compares two policies, not a workflow, so the engine (which runs
rules per file) skips it (``kinds`` is empty) and the gate
(``auditor.check``) calls ``policy_hits`` once per repository with the policy
of the gate's revision and the policy of the working tree. The comparison
itself is ``auditor.policy_diff.weakenings``; this module is the rule's id,
documentation and the hits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping

from auditor.findings import Hit, hit
from auditor.policy import Policy
from auditor.policy_diff import weakenings
from auditor.rule import Rule, RuleContext

RULE_ID = "policy-weakened"


def policy_hits(
    old: Policy, new: Policy, defaults: Mapping[str, str], rev: str, today: dt.date | None = None
) -> Iterator[Hit]:
    """A hit at each weakened key of ``new`` (the working tree's policy) against ``old``
    (the policy at ``rev``, which is the one that judges the change)."""
    for w in weakenings(old, new, defaults, today):
        yield hit(
            w.span,
            f"{w.message} — the policy at {rev} still judges this change, but merging it "
            f"weakens every later check; keep the policy as it is at {rev}, or change it in "
            "a pull request of its own that the policy's owners review",
            w.subject,
        )


def check(ctx: RuleContext) -> Iterator[Hit]:
    """Nothing per workflow: see ``policy_hits``."""
    return iter(())


RULE = Rule(
    id=RULE_ID,
    severity="error",
    summary="The change weakens the policy file (.auditor.yml) that gates it.",
    what="""
With `--new-since REV` (and with a `--baseline` recorded at a commit), the
policy is read from REV, so the base branch's `.auditor.yml` judges the
change. This rule then compares the working tree's policy with REV's and
reports, at the weakened key's line, every way the change would check less
once merged: a rule turned off or its severity lowered (which is also how
`--fail-on` would be sidestepped), a waiver added or extended (a later
`until`, a wider `path`, its `job` dropped), a required secret, platform
token or forbidden permission removed, `permissions.forbidden_in` narrowed,
a `custom_rules` entry added or removed, a publish/promote role pattern
removed or a verify pattern or script added, a digest output name or an
inventory secret added, a shared file dropped. Strengthening the policy is
not reported.
""",
    why="""
A gate that reads its policy from the change it gates can be switched off by
that change: one line in `.auditor.yml` (`statuses-write-permission: off`)
next to the workflow it would have failed. Reading the policy from the base
revision closes that hole for the change itself; this finding makes sure the
weakening is not merged quietly for every change after it.
""",
    example="""
# .auditor.yml as the pull request changes it (`auditor check . --new-since origin/main`)
version: 1
rules:
  statuses-write-permission: "off"
""",
    use_instead="""
# .auditor.yml as it is on the base branch: the change leaves it alone (a policy change
# goes in a reviewed pull request of its own)
version: 1
""",
    example_line=4,
    example_path=".auditor.yml",
    example_files=((".github/workflows/ci.yml", """
name: ci
on: pull_request
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make test
"""),),
    check=check,
    kinds=frozenset(),  # no file kind: the engine never runs it per file
    tags=("policy", "gate"),  # its docs example runs as a gate: use_instead is the base revision
)
