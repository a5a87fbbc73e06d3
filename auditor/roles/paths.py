"""Promote paths, and how messages name them, in time linear in the graph.

The **promote path** (DESIGN.md, "Roles"): every job on a graph path from a
publish job to a promote job, the promote jobs, and the verify jobs below
them. Computed with one multi-source reachability pass each way instead of a
closure per job, so a needs chain of thousands of promote jobs costs what
its size says (issue 11 measured 14.6 s for 2,000 with per-job closures).

``describe`` names the path through a job for a message
(``publish → promote-pin → verify-pin``) from breadth-first parent pointers
computed once; a long chain is shortened (``publish → … 1,995 jobs … → a →
promote``) so each message stays short and the report stays linear.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from auditor.graph import JobGraph

_SHOWN = 3  # jobs shown on each side of a shortened chain


Links = Mapping[str, tuple[int, str | None, str]]  # job → (distance, next hop, nearest source)


def _bfs(graph: JobGraph, sources: Iterable[str], *, down: bool) -> dict[str, tuple[int, str | None, str]]:
    """For every job reachable from ``sources`` (sources included): its distance, the job
    one hop nearer the nearest source, and that source. Sources are tried in file order,
    so ties break the way a reader scans the file."""
    edges = graph.succs if down else graph.preds
    out: dict[str, tuple[int, str | None, str]] = {}
    queue: deque[str] = deque()
    for source in sources:
        if source not in out:
            out[source] = (0, None, source)
            queue.append(source)
    while queue:
        node = queue.popleft()
        dist, _link, origin = out[node]
        for nxt in edges.get(node, []):
            if nxt not in out:
                out[nxt] = (dist + 1, node, origin)
                queue.append(nxt)
    return out


def _walk(job_id: str, links: Links) -> tuple[list[str], int, str]:
    """``job_id`` and up to ``_SHOWN`` hops toward its source; the distance; the source."""
    dist, _link, origin = links[job_id]
    hops = [job_id]
    node: str | None = job_id
    while node is not None and len(hops) <= _SHOWN:
        node = links[node][1]
        if node is not None:
            hops.append(node)
    return hops, dist, origin


def _up(job_id: str, links: Links) -> list[str]:
    """From the source above ``job_id`` down to it (shortened past ``_SHOWN`` hops)."""
    if job_id not in links:
        return [job_id]
    hops, dist, origin = _walk(job_id, links)
    hops.reverse()
    if hops[0] == origin:
        return hops
    hidden = dist - _SHOWN - 1
    return [origin, f"… {hidden:,} jobs …", *hops] if hidden > 0 else [origin, *hops]


def _down(job_id: str, links: Links) -> list[str]:
    """From ``job_id`` to the nearest target below it (shortened past ``_SHOWN`` hops)."""
    if job_id not in links:
        return [job_id]
    hops, dist, origin = _walk(job_id, links)
    if hops[-1] == origin:
        return hops
    hidden = dist - _SHOWN - 1
    return [*hops, f"… {hidden:,} jobs …", origin] if hidden > 0 else [*hops, origin]


@dataclass(frozen=True, slots=True)
class Paths:
    """The promote path of one workflow and what ``describe`` needs, computed once."""

    on_path: frozenset[str]
    from_publish: Links  # nearest publisher above each job below one (parent links)
    from_promote: Links  # nearest promote above
    to_promote: Links  # nearest promote below (next links)
    to_verify: Links  # nearest verify below

    def describe(self, job_id: str) -> str:
        """The promote path through ``job_id`` as people read it."""
        if job_id in self.to_promote:
            # a promote, or a job above one: publisher → … → job → … → promote → … → verify
            chain = _up(job_id, self.from_publish)
            to_promote = _down(job_id, self.to_promote)
            chain += to_promote[1:]
            promote = to_promote[-1]
            chain += _down(promote, self.to_verify)[1:]
        elif job_id in self.from_promote:
            # below a promote (its verify): publisher → … → promote → … → job
            from_promote = _up(job_id, self.from_promote)
            chain = _up(from_promote[0], self.from_publish)[:-1] + from_promote
        else:
            chain = [job_id]
        out: list[str] = []
        for job in chain:
            if job.startswith("… ") or job not in out:
                out.append(job)
        return " → ".join(out)


def compute(graph: JobGraph, roles: Mapping[str, frozenset[str]]) -> Paths:
    order = list(graph.jobs)
    publishers = [j for j in order if "publish" in roles.get(j, ())]
    promotes = [j for j in order if "promote" in roles.get(j, ())]
    verifies = [j for j in order if "verify" in roles.get(j, ())]
    above_promote = graph.reach(promotes, down=False)
    below_publish = graph.reach(publishers)
    below_promote = graph.reach(promotes)
    on_path = set(promotes)
    on_path.update(j for j in publishers if j in above_promote)
    on_path.update(below_publish & above_promote)
    on_path.update(v for v in verifies if v in below_promote)
    return Paths(
        frozenset(on_path),
        from_publish=_bfs(graph, publishers, down=True),
        from_promote=_bfs(graph, promotes, down=True),
        to_promote=_bfs(graph, promotes, down=False),
        to_verify=_bfs(graph, verifies, down=False),
    )
