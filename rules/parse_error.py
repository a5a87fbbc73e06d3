"""parse-error: the file is not valid YAML (or not UTF-8 text, or hostile YAML)."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.findings import Hit
from auditor.rule import Rule, RuleContext
from auditor.span import Span


def check(ctx: RuleContext) -> Iterator[Hit]:
    for problem in ctx.file.problems:
        if problem.rule == "parse-error":
            end_line = problem.end_line or problem.line
            end_col = problem.end_column or problem.column + 1
            yield Hit(
                problem.message + " — fix the YAML; nothing else in this file was checked",
                Span(problem.line, problem.column, end_line, end_col),
                problem.subject,
            )


RULE = Rule(
    id="parse-error",
    severity="error",
    summary="The file is not valid YAML, so none of its jobs were checked.",
    what="""
Reports a workflow or action file that cannot be read as one YAML 1.2 document:
syntax errors (with the line and column of the fault), duplicate keys, more
than one document, bytes that are not UTF-8, binary content, nesting deeper
than 500 levels, recursive aliases and alias bombs (aliases that expand to
more than two million nodes).
""",
    why="""
A file the runner cannot parse never runs, and a file with a duplicate key runs
with whichever value the runner happens to keep. Either way the pipeline is not
what the reviewer read, and no other rule can vouch for it.
""",
    example="""
name: ci
on:
  pull_request:
jobs:
  test:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    runs-on: self-hosted
    steps:
      - uses: actions/checkout@v4
      - run: make test
""",
    use_instead="""
name: ci
on:
  pull_request:
jobs:
  test:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - uses: actions/checkout@v4
      - run: make test
""",
    example_line=8,
    example_path='.github/workflows/ci.yml',
    check=check,
    scope="file",
    kinds=frozenset({"workflow", "action"}),
    tags=("yaml", "correctness"),
)
