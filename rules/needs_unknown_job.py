"""needs-unknown-job: `needs` names a job that does not exist in the workflow."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from auditor.findings import Hit, hit
from auditor.rule import Rule, RuleContext


def check(ctx: RuleContext) -> Iterator[Hit]:
    if ctx.facts is None:
        return
    graph = ctx.facts.graph
    for job, need in graph.unknown_needs:
        close = difflib.get_close_matches(need.job, list(graph.jobs), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else "; fix the id or add the job"
        yield hit(
            need.node,
            f"job '{job.id}' needs '{need.job}', which is not a job of this workflow — the "
            f"runner rejects the workflow{hint}",
            f"needs:{need.job}",
            job=job.id,
        )


RULE = Rule(
    id="needs-unknown-job",
    severity="error",
    summary="`needs` names a job that does not exist.",
    what="""
Reports each entry of a job's `needs` that is not the id of a job in the same
workflow (ids are case-sensitive). It points at the entry and suggests the
closest existing job id.
""",
    why="""
The runner refuses to start a workflow whose `needs` names a missing job, so
the release never runs; after a rename, the verify job that was meant to wait
for the promote may also silently stop being wired to it.
""",
    example="""
jobs:
  publish: {runs-on: ubuntu-latest, steps: [{run: make push}]}
  promote-pin:
    needs: publsh
""",
    use_instead="""
jobs:
  publish: {runs-on: ubuntu-latest, steps: [{run: make push}]}
  promote-pin:
    needs: publish
""",
    check=check,
    tags=("graph", "correctness"),
)
