"""scan-incomplete: part of the repository was not checked (a file over the analysis budget,
a workflow folder that cannot be read)."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.budget import INCOMPLETE_RULE
from auditor.findings import Hit
from auditor.rule import Rule, RuleContext
from auditor.yamltree import Span


def check(ctx: RuleContext) -> Iterator[Hit]:
    for problem in ctx.file.problems:
        if problem.rule == INCOMPLETE_RULE:
            yield Hit(problem.message, Span(problem.line, problem.column, problem.line,
                                            problem.column + 1), problem.subject)  # fmt: skip


RULE = Rule(
    id=INCOMPLETE_RULE,
    severity="error",
    summary="Part of the repository could not be checked, so nothing can be said about it.",
    what="""
Reports what a scan had to leave unchecked, located at the file or folder:

- a file whose analysis used up the per-file budget (10 s of wall time, or a
  bound on deterministic work; `AUDITOR_FILE_SECONDS` and `AUDITOR_FILE_WORK`
  change them). The scan stops that file and goes on with the next one, so one
  hostile or generated file can neither hang nor end a scan;
- a workflow folder (or a subfolder of one: Gitea and Forgejo run those too)
  that cannot be listed — no permission, a path too long for the system, a
  symbolic link leading out of the repository — or one so large that
  discovery stopped in it.
""",
    why="""
A pull request gate that silently skips what it cannot read is a gate a
hostile change can walk around: make a workflow slow to analyse, or hide it in
a folder the scan cannot open, and nothing in it is checked. Reporting it as an
error keeps the gate closed until someone looks; a waiver for the path says the
skip is intended.
""",
    example="""
# .gitea/workflows/nested/ exists but cannot be read by the scan
# (chmod 000), so its workflows are unknown to the checker
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: make
""",
    use_instead="""
# every workflow folder readable, every workflow of ordinary size
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: make
""",
    check=check,
    scope="file",
    kinds=frozenset({"workflow", "action", "folder"}),
    tags=("robustness", "security"),
)
