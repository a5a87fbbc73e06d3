"""workflow-structure: the file parses but is not shaped like a workflow."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.findings import Hit
from auditor.rule import Rule, RuleContext
from auditor.span import Span


def check(ctx: RuleContext) -> Iterator[Hit]:
    for problem in ctx.file.problems:
        if problem.rule == "workflow-structure":
            yield Hit(
                problem.message,
                Span(problem.line, problem.column, problem.end_line or problem.line,
                     problem.end_column or problem.column + 1),
                problem.subject,
            )


RULE = Rule(
    id="workflow-structure",
    severity="error",
    summary="The file parses as YAML but is not a well-formed workflow.",
    what="""
Reports a workflow whose shape the runner rejects or misreads: no `jobs` (or
`jobs` that is not a mapping), no `on`, a job that is not a mapping or has
neither `steps` nor `uses`, a step with neither `run` nor `uses` (or both),
`needs` that is not a job id or list of ids, and an unterminated `${{`.
""",
    why="""
A malformed workflow fails at run time or, worse, runs without the step the
author meant to have. The release-pipeline rules reason about jobs and steps;
what they cannot see they cannot prove.
""",
    example="""
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - name: Push
        with: {push: true}      # neither run nor uses
""",
    use_instead="""
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - name: Push
        uses: docker/build-push-action@v6
        with: {push: true}
""",
    check=check,
    scope="file",
    kinds=frozenset({"workflow", "action"}),
    tags=("correctness",),
)
