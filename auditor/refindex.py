"""An index of every expression and context reference in a workflow, with its owner.

Several rules ask the same questions — which secrets does job J read, where
is ``needs.X.outputs.Y`` used, is there an unterminated ``${{`` — so the
workflow's string values are walked once per file and the answers shared
through ``RuleContext.memo``.
"""

from __future__ import annotations

from dataclasses import dataclass

from auditor.expressions import Reference, references
from auditor.model import Job, Step, Workflow
from auditor.rule import RuleContext
from auditor.yamltree import YMap, YNode, YScalar, raw_scalars


@dataclass(frozen=True, slots=True)
class Ref:
    """A reference found in ``scalar`` of ``job``/``step`` (both None at workflow level)."""

    ref: Reference
    scalar: YScalar
    job: Job | None
    step: Step | None
    key: str  # the key whose value holds it: 'env.TOKEN', 'run', 'with.tags', 'if', 'outputs.x'


def _walk(node: YNode | None, key: str, job: Job | None, step: Step | None, out: list[Ref]) -> None:
    if node is None:
        return
    if isinstance(node, YScalar):
        _scan(node, key, job, step, out)
        return
    if isinstance(node, YMap):
        for k, v in node.items():
            sub = f"{key}.{k.value}" if key else k.value
            if isinstance(v, YScalar):
                _scan(v, sub, job, step, out)
            else:
                _walk(v, sub, job, step, out)
        return
    source = node.source
    for raw in raw_scalars(node.raw):
        if "${{" in raw.value:
            _scan(YScalar(raw, source), key, job, step, out)


def _scan(value: YScalar, key: str, job: Job | None, step: Step | None, out: list[Ref]) -> None:
    text = value.raw.value
    condition = job is not None and (key == "if" or key.endswith(".if"))
    if not condition and "${{" not in text:
        return
    if condition and value.kind != "str":
        return
    for ref in references(text, condition=condition):
        out.append(Ref(ref, value, job, step, key))


def build_index(workflow: Workflow) -> list[Ref]:
    out: list[Ref] = []
    for k, v in workflow.root.items():
        if k.value == "jobs":
            continue
        _walk(v, k.value, None, None, out)
    for job in workflow.jobs:
        for k, v in job.node.items():
            if k.value == "steps":
                continue
            _walk(v, k.value, job, None, out)
        for step in job.steps:
            if isinstance(step.node, YMap):
                for k, v in step.node.items():
                    _walk(v, k.value, job, step, out)
    return out


def workflow_refs(ctx: RuleContext) -> list[Ref]:
    """The workflow's reference index, built once per file and shared by rules."""
    cached = ctx.memo.get("refindex")
    if cached is None:
        graph = ctx.graph
        if graph is not None and graph.ref_index is not None and graph.workflow is ctx.workflow:
            cached = graph.ref_index  # built by auditor.roles for the same workflow
        else:
            cached = build_index(ctx.workflow) if ctx.workflow is not None else []
            if graph is not None and graph.ref_index is None and graph.workflow is ctx.workflow:
                graph.ref_index = cached  # auditor.roles reads it there: build it once
        ctx.memo["refindex"] = cached
    return cached
