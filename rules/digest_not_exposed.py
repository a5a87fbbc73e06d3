"""digest-not-exposed: a publish job that a promote depends on does not expose the pushed digest."""

from __future__ import annotations

from collections.abc import Iterator

from auditor import roles
from auditor.expressions import references
from auditor.findings import Hit, hit
from auditor.graph import JobGraph
from auditor.known_actions import PUSHING_ACTIONS, action_name
from auditor.model import Job
from auditor.rule import Rule, RuleContext
from auditor.yamltree import YMap, YScalar


def _exposes(graph: JobGraph, job: Job, names: frozenset[str]) -> bool:
    outputs: YMap | None = job.outputs
    callee = graph.callees.get(job.id)
    if callee is not None:
        outputs = callee.call_outputs
    if outputs is None:
        return False
    for key, value in outputs.items():
        low = key.value.lower()
        if low in names or "digest" in low:
            return True
        text = value.value if isinstance(value, YScalar) else ""
        if isinstance(value, YMap):
            inner = value.get("value")
            text = inner.value if isinstance(inner, YScalar) else ""
        for ref in references(text):
            if ref.part(1) == "outputs" and "digest" in (ref.part(2) or "").lower():
                return True
    return False


def _push_step_hint(graph: JobGraph, job: Job) -> str:
    for step in job.steps:
        if roles.PUBLISH in graph.step_roles.get((job.id, step.index), ()):
            if step.uses is not None and action_name(step.uses.value) in PUSHING_ACTIONS:
                sid = step.id.value if step.id is not None else "push"
                extra = "" if step.id is not None else f" (give step '{step.label}' `id: push`)"
                return f"`outputs: {{digest: ${{{{ steps.{sid}.outputs.digest }}}}}}`{extra}"
            return (f"`outputs: {{digest: ${{{{ steps.<id>.outputs.digest }}}}}}`, with step "
                    f"'{step.label}' writing `digest=…` to $GITHUB_OUTPUT")
    return "`outputs: {digest: ${{ steps.<push>.outputs.digest }}}`"


def check(ctx: RuleContext) -> Iterator[Hit]:
    graph = ctx.graph
    if graph is None:
        return
    names = roles.digest_names(ctx.policy)
    for job in graph.workflow.jobs:
        if roles.PUBLISH not in graph.roles.get(job.id, ()):
            continue
        promotes = [p for p in graph.jobs
                    if p in graph.artifact_promotes and job.id in graph.ancestors(p)]  # fmt: skip
        if not promotes or _exposes(graph, job, names):
            continue
        pair = job.node.entry("outputs")
        node = pair[0] if pair is not None else job.key
        yield hit(
            node,
            f"publish job '{job.id}' pushes an image that '{promotes[0]}' promotes (path "
            f"{roles.describe_path(graph, promotes[0])}) but exposes no digest output, so "
            f"the promote and verify cannot pin what was pushed; add "
            f"{_push_step_hint(graph, job)}",
            "digest",
            job=job.id,
        )


RULE = Rule(
    id="digest-not-exposed",
    severity="error",
    summary="A publish job that a promote depends on does not output the pushed digest.",
    what="""
Reports a publish job (one that pushes an image, see DESIGN.md "Roles") that an
artifact promote job depends on, when it declares no job output named like a
digest (policy `publish.digest_outputs`, default `digest`, `image_digest`,
`image-digest`) nor one mapped to a step's digest output. A reusable-workflow
call is judged by the callee's `on.workflow_call.outputs`.
""",
    why="""
Tags move; a digest does not. A promote that cannot read the digest of the
image just pushed can only promote a tag such as `:latest`, which may already
point at another build — and the verify cannot tell.
""",
    example="""
  publish:
    runs-on: ubuntu-latest
    steps: [{id: push, uses: docker/build-push-action@v6, with: {push: true}}]
  promote-pin: {needs: publish, runs-on: ubuntu-latest, steps: [{run: ./promote.sh latest}]}
""",
    use_instead="""
  publish:
    runs-on: ubuntu-latest
    outputs: {digest: '${{ steps.push.outputs.digest }}'}
    steps: [{id: push, uses: docker/build-push-action@v6, with: {push: true}}]
  promote-pin:
    needs: publish
    runs-on: ubuntu-latest
    steps: [{run: './promote.sh ${{ needs.publish.outputs.digest }}'}]
""",
    check=check,
    tags=("promote", "digest"),
)
