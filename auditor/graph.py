"""The job dependency graph of one workflow.

Adjacency is kept in plain dictionaries because the hot path (ancestors,
descendants, direct needs) runs for every workflow of every scan, and
importing networkx costs ~0.3 s — more than a whole PR-lint run may take.
networkx is imported only where its algorithms earn their cost: naming the
cycles of a cyclic graph and exporting the graph (``to_networkx``), which is
the ``DiGraph`` the design card promises (edge from each need to the job).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from auditor.model import Job, Need, Workflow

if TYPE_CHECKING:
    import networkx


@dataclass(slots=True, eq=False)
class JobGraph:
    """Jobs as nodes, an edge from each (existing) need to the job that needs it.

    Built once per workflow and never changed afterwards: what the analysis
    learns about the jobs (roles, promote paths) lives in ``auditor.facts``.
    The closures are memoised privately; the multi-source ``reach`` is the
    linear way to ask about many jobs at once.
    """

    workflow: Workflow
    jobs: dict[str, Job]
    preds: dict[str, list[str]]
    succs: dict[str, list[str]]
    unknown_needs: list[tuple[Job, Need]]
    # reusable-call job → the local (or org-resolved) workflow it calls
    callees: dict[str, Workflow] = field(default_factory=dict)
    _ancestors: dict[str, frozenset[str]] = field(default_factory=dict)
    _descendants: dict[str, frozenset[str]] = field(default_factory=dict)
    _by_lower: dict[str, str] | None = None

    def job_named(self, name: str) -> str | None:
        """The id of the job ``name`` names, case-insensitively (as the runners match
        ``needs`` and contexts); the index is built once per graph, not per lookup."""
        if self._by_lower is None:
            self._by_lower = {j.lower(): j for j in self.jobs}
        return self._by_lower.get(name.lower())

    def needs(self, job_id: str) -> list[str]:
        """Direct needs that exist (the only jobs the ``needs`` context holds)."""
        return self.preds.get(job_id, [])

    def ancestors(self, job_id: str) -> frozenset[str]:
        cached = self._ancestors.get(job_id)
        if cached is None:
            cached = self._closure(job_id, self.preds)
            self._ancestors[job_id] = cached
        return cached

    def descendants(self, job_id: str) -> frozenset[str]:
        cached = self._descendants.get(job_id)
        if cached is None:
            cached = self._closure(job_id, self.succs)
            self._descendants[job_id] = cached
        return cached

    def reach(self, sources: Iterable[str], *, down: bool = True) -> frozenset[str]:
        """Every job reachable from any of ``sources`` (excluded unless reached again),
        following needs edges forward (``down``) or backward: one pass for all sources."""
        edges = self.succs if down else self.preds
        starts = list(sources)
        seen: set[str] = set()
        stack = [n for s in starts for n in edges.get(s, [])]
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            stack.extend(edges.get(node, []))
        return frozenset(seen)

    @staticmethod
    def _closure(start: str, edges: dict[str, list[str]]) -> frozenset[str]:
        seen: set[str] = set()
        stack = list(edges.get(start, []))
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            stack.extend(edges.get(node, []))
        seen.discard(start)
        return frozenset(seen)

    def has_cycle(self) -> bool:
        """Iterative three-colour DFS: cheap, and no networkx import when acyclic."""
        colour: dict[str, int] = {}
        for root in self.jobs:
            if colour.get(root):
                continue
            stack: list[tuple[str, int]] = [(root, 0)]
            colour[root] = 1
            while stack:
                node, index = stack[-1]
                nexts = self.succs.get(node, [])
                if index < len(nexts):
                    stack[-1] = (node, index + 1)
                    nxt = nexts[index]
                    state = colour.get(nxt, 0)
                    if state == 1:
                        return True
                    if state == 0:
                        colour[nxt] = 1
                        stack.append((nxt, 0))
                else:
                    colour[node] = 2
                    stack.pop()
        return False

    def cycles(self, limit: int = 20) -> list[list[str]]:
        """Elementary cycles (at most ``limit``), each in ``needs`` order, starting anywhere."""
        if not self.has_cycle():
            return []
        import networkx as nx

        out: list[list[str]] = []
        for cycle in nx.simple_cycles(self.to_networkx()):
            out.append(list(cycle))
            if len(out) >= limit:
                break
        return out

    def shortest_path(self, source: str, target: str) -> list[str] | None:
        """Jobs from ``source`` to ``target`` along needs edges (breadth first)."""
        if source == target:
            return [source]
        previous: dict[str, str] = {}
        frontier = [source]
        seen = {source}
        while frontier:
            nxt_frontier: list[str] = []
            for node in frontier:
                for nxt in self.succs.get(node, []):
                    if nxt in seen:
                        continue
                    seen.add(nxt)
                    previous[nxt] = node
                    if nxt == target:
                        path = [target]
                        while path[-1] != source:
                            path.append(previous[path[-1]])
                        return list(reversed(path))
                    nxt_frontier.append(nxt)
            frontier = nxt_frontier
        return None

    def to_networkx(self) -> networkx.DiGraph[Any]:
        """The graph as a networkx ``DiGraph`` (imported lazily), job models as node data."""
        import networkx as nx

        graph: networkx.DiGraph[Any] = nx.DiGraph()
        for job_id, job in self.jobs.items():
            graph.add_node(job_id, job=job)
        for job_id, preds in self.preds.items():
            for pred in preds:
                graph.add_edge(pred, job_id)
        return graph


LocalResolver = Callable[[str], "Workflow | None"]


def build_graph(workflow: Workflow, resolve_local: LocalResolver | None = None) -> JobGraph:
    """The job graph of ``workflow``; reusable-workflow calls resolved when possible."""
    jobs = {job.id: job for job in workflow.jobs}
    preds: dict[str, list[str]] = {job_id: [] for job_id in jobs}
    succs: dict[str, list[str]] = {job_id: [] for job_id in jobs}
    unknown: list[tuple[Job, Need]] = []
    for job in workflow.jobs:
        for need in job.needs:
            if need.job in jobs:
                if need.job not in preds[job.id]:
                    preds[job.id].append(need.job)
                    succs[need.job].append(job.id)
            else:
                unknown.append((job, need))
    graph = JobGraph(workflow, jobs, preds, succs, unknown)
    if resolve_local is not None:
        for job in workflow.jobs:
            # "./x.yml" is local; "owner/repo/x.yml@ref" is resolved only when the
            # resolver knows that repository (org scans), else it stays a leaf.
            if job.uses is not None and (job.uses.kind == "reusable-local" or job.uses.ref is not None):
                callee = resolve_local(job.uses.raw)
                if callee is not None:
                    graph.callees[job.id] = callee
    return graph
