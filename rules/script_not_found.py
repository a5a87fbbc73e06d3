"""script-not-found: a promote-path step runs a repository script that does not exist."""

from __future__ import annotations

from collections.abc import Iterator

from auditor import stepscripts
from auditor.findings import Hit
from auditor.rule import Rule, RuleContext


def check(ctx: RuleContext) -> Iterator[Hit]:
    return stepscripts.hits(ctx, stepscripts.NOT_FOUND)


RULE = Rule(
    id="script-not-found",
    severity="note",
    summary="A promote-path step runs a repository script that is not in the repository.",
    what="""
Reports a script that a promote-path step runs (`./scripts/x.sh`,
`bash deploy/run.sh`, `source lib.sh`, `python3 tools/promote.py`), resolved
against the repository root and the step's `working-directory` (or the
job's and workflow's `defaults.run.working-directory`), when no such file is
in the repository. Only relative paths inside the repository are checked,
in jobs that check this repository out, and not when the step (or an earlier
step of the job) mentions the file — it may create or download it — or
changes into a folder that cannot be known statically. With
`rules: {script-not-found: {scope: all}}` every job is checked.
""",
    why="""
A missing script fails the step at run time (a promote that never happens),
and auditor cannot check code it cannot read for swallowed failures: a
promotion whose logic lives in a script nobody committed is unverified.
A wrong `working-directory` is the usual cause.
""",
    example="""
jobs:
  verify:
    needs: promote
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: ./scripts/verify-pin.sh     # the script lives in .gitea/scripts/
""",
    use_instead="""
jobs:
  verify:
    needs: promote
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: .gitea/scripts/verify-pin.sh
""",
    check=check,
    tags=("promote-path", "scripts"),
    options=("scope",),
)
