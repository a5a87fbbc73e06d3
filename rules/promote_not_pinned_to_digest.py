"""promote-not-pinned-to-digest: an artifact promote does not consume the pushed digest."""

from __future__ import annotations

import re
from collections.abc import Iterator

from auditor import roles
from auditor.findings import Hit, hit, hit_in
from auditor.model import Job, Step
from auditor.rule import Rule, RuleContext
from auditor.yamltree import YMap, YScalar, scalars

_MUTABLE_TAG = re.compile(r":(?:latest|main|master|stable|edge|nightly|prod|production|staging)\b")


def _tag_in(steps: list[Step]) -> tuple[YScalar, re.Match[str], Step] | None:
    for step in steps:
        for value in ([step.run] if step.run is not None else []) + (
            list(scalars(step.with_)) if step.with_ is not None else []
        ):
            if value is None:
                continue
            m = _MUTABLE_TAG.search(value.value)
            if m:
                return value, m, step
    return None


def _where(job: Job, steps: list[Step]) -> tuple[YScalar, Step | None]:
    for step in steps:
        if isinstance(step.node, YMap):
            pair = step.node.entry("run") or step.node.entry("uses")
            if pair is not None:
                return pair[0], step
    return job.key, None


def check(ctx: RuleContext) -> Iterator[Hit]:
    graph = ctx.graph
    if graph is None:
        return
    for job in graph.workflow.jobs:
        if job.id not in graph.artifact_promotes or job.is_reusable_call:
            continue  # a called workflow is checked in its own file
        if roles.digest_origins(graph, job.id, ctx.policy):
            continue
        steps = roles.promote_steps(graph, job) or list(job.steps)
        publishers = [j for j in graph.jobs if roles.PUBLISH in graph.roles.get(j, ())
                      and j in graph.ancestors(job.id)]  # fmt: skip
        source = (f"`${{{{ needs.{publishers[0]}.outputs.digest }}}}`" if publishers
                  else "the digest output of the push step")  # fmt: skip
        path = roles.describe_path(graph, job.id)
        tag = _tag_in(steps)
        if tag is not None:
            value, m, step = tag
            yield hit_in(
                value, m.start(), m.end(),
                f"promote job '{job.id}' (path {path}) promotes the mutable tag "
                f"'{m.group(0)}', which may already point at another build; promote the "
                f"digest just pushed instead: {source}",
                "tag", job=job.id, step=step,
            )  # fmt: skip
            continue
        node, step_ref = _where(job, steps)
        yield hit(
            node,
            f"promote job '{job.id}' (path {path}) consumes no digest, so it promotes "
            f"whatever a tag points to when it runs; pass it {source} and promote that",
            "no-digest",
            job=job.id,
            step=step_ref,
        )


RULE = Rule(
    id="promote-not-pinned-to-digest",
    severity="error",
    summary="A promote does not consume the digest of the image that was pushed.",
    what="""
Reports each artifact promote job that reads no digest: no `needs.J.outputs.O`,
`steps.S.outputs.O` or `inputs.O` whose output is a digest (named in the
policy's `publish.digest_outputs` or containing `digest`, followed through job
outputs to the step that set it), directly or through `env`. When a promote
step names a mutable tag (`:latest`, `:main`, ...) the finding points at it.
""",
    why="""
Between the push and the promote another build can move the tag; promoting the
tag pins whatever it points to now. The digest identifies exactly the image
that was built, tested and pushed.
""",
    example="""
  promote-pin:
    needs: publish
    steps: [{run: 'curl --fail -X POST "$CP/promote" -d image=acme/app:latest'}]
""",
    use_instead="""
  promote-pin:
    needs: publish
    env: {DIGEST: '${{ needs.publish.outputs.digest }}'}
    steps: [{run: 'curl --fail -X POST "$CP/promote" -d "digest=$DIGEST"'}]
""",
    check=check,
    tags=("promote", "digest"),
)
