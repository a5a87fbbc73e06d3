"""Where a reference really comes from, and which ones carry a pushed digest.

``needs.publish.outputs.digest`` whose output is ``${{ steps.push.outputs.digest }}``
resolves to ``publish/steps.push.outputs.digest``: the promote and the verify
read the same digest when their references resolve to the same origin.
"""

from __future__ import annotations

from auditor.graph import JobGraph
from auditor.model import Job, Text
from auditor.policy import Policy
from auditor.refindex import Ref, RefIndex

_MAX_HOPS = 8


def digest_names(policy: Policy) -> frozenset[str]:
    return frozenset(n.lower() for n in policy.digest_outputs)


def is_digest_name(name: str | None, policy: Policy) -> bool:
    if not name:
        return False
    low = name.lower()
    return low in digest_names(policy) or "digest" in low


def ref_origin(graph: JobGraph, index: RefIndex, job: Job, ref: Ref, depth: int = 0) -> str | None:
    """The origin of a ``steps``/``needs``/``inputs`` output reference, or None."""
    r = ref.ref
    if r.context == "steps" and r.part(1) == "outputs" and r.part(0) and r.part(2):
        return f"{job.id}/steps.{r.part(0)}.outputs.{r.part(2)}"
    if r.context == "inputs" and r.part(0):
        return f"inputs.{r.part(0)}"
    if r.context == "github" and r.part(0) == "event" and r.part(1) == "inputs" and r.part(2):
        return f"inputs.{r.part(2)}"
    if r.context == "needs" and r.part(1) == "outputs" and r.part(0) and r.part(2):
        return _output_origin(graph, index, r.part(0) or "", r.part(2) or "", depth)
    return None


def _output_origin(graph: JobGraph, index: RefIndex, job_id: str, output: str, depth: int) -> str:
    plain = f"{job_id}/outputs.{output}"
    source = graph.jobs.get(job_id)
    if source is None or depth > _MAX_HOPS:
        return plain
    value = source.output(output)
    if not isinstance(value, Text):
        return plain
    for item in index.of_job(source.id):
        if item.scalar.same(value):
            origin = ref_origin(graph, index, source, item, depth + 1)
            if origin is not None:
                return origin
    return plain


def digest_origin(graph: JobGraph, index: RefIndex, job: Job, ref: Ref, policy: Policy) -> str | None:
    """The origin of ``ref`` when it reads a digest (by output name), else None."""
    r = ref.ref
    name: str | None = None
    if r.context in ("steps", "needs") and r.part(1) == "outputs":
        name = r.part(2)
    elif r.context == "inputs":
        name = r.part(0)
    elif r.context == "github" and r.part(0) == "event" and r.part(1) == "inputs":
        name = r.part(2)
    else:
        return None
    origin = ref_origin(graph, index, job, ref)
    if origin is None:
        return None
    if is_digest_name(name, policy) or is_digest_name(origin.rsplit(".", 1)[-1], policy):
        return origin
    return None


def digest_origins(graph: JobGraph, index: RefIndex, job_id: str, policy: Policy) -> dict[str, Ref]:
    """Digest origins job ``job_id`` reads (origin → first reference), its outputs aside."""
    job = graph.jobs.get(job_id)
    if job is None:
        return {}
    out: dict[str, Ref] = {}
    for ref in index.of_job(job_id):
        if ref.key.startswith("outputs"):
            continue
        origin = digest_origin(graph, index, job, ref, policy)
        if origin is not None:
            out.setdefault(origin, ref)
    return out
