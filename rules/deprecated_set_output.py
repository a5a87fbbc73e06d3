"""deprecated-set-output: a step sets an output with the `::set-output` workflow command."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.findings import Hit, hit_in
from auditor.model import RunStep
from auditor.rule import Rule, RuleContext
from auditor.scripts.shell import github_output_writes


def check(ctx: RuleContext) -> Iterator[Hit]:
    workflow = ctx.workflow
    if workflow is None:
        return
    for job in workflow.jobs:
        for step in job.flat_steps:
            run = step.run if isinstance(step, RunStep) else None
            if run is None or "set-output" not in run.value:
                continue
            for write in github_output_writes(run.value):
                if not write.deprecated:
                    continue
                yield hit_in(
                    run, write.start, write.end,
                    f"step '{step.label}' sets output '{write.name}' with the deprecated "
                    "`::set-output` command, which GitHub has announced it will disable and "
                    "runners that disable it leave the output empty; write it to "
                    f"$GITHUB_OUTPUT instead: `echo \"{write.name}=…\" >> \"$GITHUB_OUTPUT\"`",
                    f"set-output:{write.name}",
                    job=None if job.id == "(composite)" else job.id,
                    step=step,
                )  # fmt: skip


RULE = Rule(
    id="deprecated-set-output",
    severity="note",
    summary="`::set-output` is deprecated; runners that disable it leave the output empty.",
    what="""
Reports each `::set-output name=…::` workflow command in a `run:` body (of a
workflow or a local composite action), at its exact column.
""",
    why="""
GitHub deprecated the `set-output` and `save-state` commands in favour of the
`$GITHUB_OUTPUT` and `$GITHUB_STATE` files; runners that disable them leave the
output empty, and an empty digest downstream is a promote of nothing.
""",
    example="""
      - id: meta
        run: echo "::set-output name=digest::$(cat digest.txt)"
""",
    use_instead="""
      - id: meta
        run: echo "digest=$(cat digest.txt)" >> "$GITHUB_OUTPUT"
""",
    check=check,
    kinds=frozenset({"workflow", "action"}),
    tags=("outputs",),
)
