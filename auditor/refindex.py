"""An index of every expression and context reference in a workflow, with its owner.

Several rules ask the same questions — which secrets does job J read, where
is ``needs.X.outputs.Y`` used, what does this output map to — so the
workflow's string values are walked once, when ``auditor.facts`` is built,
and every rule reads the same index.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from auditor.expressions import Reference, references
from auditor.model import Job, Map, Seq, Step, Text, Value, Workflow
from auditor.record import record

_WALK_LIMIT = 200_000  # values per file; the parser already bounds alias expansion


@record
class Ref:
    """A reference found in ``scalar`` of ``job``/``step`` (both None at workflow level)."""

    ref: Reference
    scalar: Text
    job: Job | None
    step: Step | None
    key: str  # the key whose value holds it: 'env.TOKEN', 'run', 'with.tags', 'if', 'outputs.x'


@dataclass(frozen=True, slots=True)
class RefIndex:
    """All references of one workflow, and the same grouped by the job that holds them."""

    all: tuple[Ref, ...]
    by_job: Mapping[str | None, tuple[Ref, ...]]

    def of_job(self, job_id: str | None) -> tuple[Ref, ...]:
        return self.by_job.get(job_id, ())

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.all)

    def __len__(self) -> int:
        return len(self.all)


def _walk(value: Value, key: str, job: Job | None, step: Step | None, out: list[Ref],
          budget: list[int]) -> None:  # fmt: skip
    # (value, the dotted key of its mapping, its own key): the dotted key of a value is
    # made only for a reference found in it, not for each of the ~100,000 entries a
    # corpus-sized scan walks
    stack: list[tuple[Value, str, str]] = [(value, "", key)]
    while stack:
        budget[0] -= 1
        if budget[0] < 0:
            return
        node, parent, last = stack.pop()
        if isinstance(node, Text):
            _scan(node, parent, last, job, step, out)
        elif isinstance(node, Map):
            where = f"{parent}.{last}" if parent else last
            for k, v in reversed(node.entries):
                stack.append((v, where, k.value))
        elif isinstance(node, Seq):
            stack.extend((item, parent, last) for item in reversed(node.items))


def _scan(value: Text, parent: str, last: str, job: Job | None, step: Step | None,
          out: list[Ref]) -> None:  # fmt: skip
    text = value.value
    # the dotted key ends in ".if" exactly when its last key is "if" or ends in ".if"
    condition = job is not None and (last == "if" or last.endswith(".if"))
    if not condition and "${{" not in text:
        return
    if condition and value.kind != "str":
        return
    key = f"{parent}.{last}" if parent else last
    for ref in references(text, condition=condition):
        out.append(Ref(ref, value, job, step, key))


def build_index(workflow: Workflow) -> RefIndex:
    out: list[Ref] = []
    budget = [_WALK_LIMIT]
    by_job: dict[str | None, list[Ref]] = {}
    for k, v in workflow.root.entries:
        if k.value != "jobs":
            _walk(v, k.value, None, None, out, budget)
    by_job[None] = list(out)
    for job in workflow.jobs:
        start = len(out)
        for k, v in job.node.entries:
            if k.value != "steps":
                _walk(v, k.value, job, None, out, budget)
        for step in job.flat_steps:
            for k, v in step.node.entries:
                if k.value != "parallel":  # a group's members are walked as steps of their own
                    _walk(v, k.value, job, step, out, budget)
        by_job[job.id] = out[start:]
    return RefIndex(tuple(out), {j: tuple(refs) for j, refs in by_job.items()})
