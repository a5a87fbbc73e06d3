"""One analysis pass: everything rules ask about a workflow, computed once, immutable.

The engine builds a ``Facts`` per workflow before any rule runs: the job
graph, the reference index, the roles of every job and step (with
structured reasons), which promotes move an artifact, the promote paths and
the facts of every workflow a job calls. Rules read it and never change it;
nothing downstream re-derives what is here, so two rules cannot disagree
about what a job is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from auditor.graph import JobGraph, build_graph
from auditor.kinds import Role
from auditor.model import ActionStep, Job, Step, WaitAllStep, WaitStep, Workflow
from auditor.policy import Policy
from auditor.refindex import RefIndex, build_index
from auditor.roles.assign import RoleAssignment, assign
from auditor.roles.paths import Paths, compute
from auditor.stepscripts import StepScripts

if TYPE_CHECKING:
    from auditor.repo import RepoContext

MAX_CALL_DEPTH = 4
_CONTROL_PLANE = frozenset({"deploy-webhook", "deploy-webhook-action"})


@dataclass(frozen=True, slots=True)
class PipelineGraph:
    """A workflow's jobs, needs and roles as plain data: what reports and ``auditor graph``
    draw, and what the JSON summary and the cache keep."""

    path: str
    jobs: tuple[str, ...]
    needs: Mapping[str, tuple[str, ...]]
    roles: Mapping[str, frozenset[Role]]
    # job → (role, why) for each role it plays: which catalogue entry matched which step
    reasons: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Facts:
    workflow: Workflow
    graph: JobGraph
    refs: RefIndex
    roles: RoleAssignment
    paths: Paths
    scripts: StepScripts
    callees: Mapping[str, Facts] = field(default_factory=dict)  # reusable-call job → callee facts
    _verified: list[frozenset[str]] = field(default_factory=list, compare=False, repr=False)

    # -- questions rules ask ------------------------------------------------------------

    @property
    def promote_path(self) -> frozenset[str]:
        return self.paths.on_path

    @property
    def artifact_promotes(self) -> frozenset[str]:
        return self.roles.artifact_promotes

    def has(self, job_id: str, role: Role) -> bool:
        return self.roles.has(job_id, role)

    def jobs_with(self, role: Role) -> list[Job]:
        """Jobs playing ``role``, in file order."""
        return [job for job in self.workflow.jobs if self.roles.has(job.id, role)]

    def describe_path(self, job_id: str) -> str:
        return self.paths.describe(job_id)

    def verifies_of(self, job_id: str) -> list[str]:
        """Verify jobs below ``job_id`` (directly or transitively), in file order."""
        return [v for v in self.roles.players(Role.VERIFY)
                if v != job_id and job_id in self.graph.ancestors(v)]  # fmt: skip

    def verified_below(self) -> frozenset[str]:
        """Every job with a verify job below it (one backward pass over the graph)."""
        if not self._verified:  # worked out once: rules ask for every promote job
            verifiers = self.roles.players(Role.VERIFY)
            self._verified.append(self.graph.reach(verifiers, down=False) if verifiers else frozenset())
        return self._verified[0]

    def verified_within(self, job_id: str, depth: int = 0) -> bool:
        """The promote job ``job_id`` is verified inside this workflow: by a later step of
        its own, by a verify job below it, or (a call of a reusable workflow) by the called
        workflow verifying its own promote, however deep the calls nest."""
        if job_id in self.roles.self_verified or job_id in self.verified_below():
            return True
        sub = self.callees.get(job_id)
        return sub is not None and depth < MAX_CALL_DEPTH and any(
            sub.verified_within(p, depth + 1) for p in sub.artifact_promotes)  # fmt: skip

    def nearest_publisher(self, job_id: str) -> str | None:
        """The publish job nearest above ``job_id`` (not the job itself), or None."""
        link = self.paths.from_publish.get(job_id)
        if link is None:
            return None
        if link[0] > 0:
            return link[2]
        # the job publishes itself: look for a publisher above its needs
        found = [self.paths.from_publish[n] for n in self.graph.needs(job_id) if n in self.paths.from_publish]
        return min(found)[2] if found else None

    def cannot_turn_green(self, job: Job, step: Step) -> bool:
        """``step`` cannot turn a failed promotion green (DESIGN.md, "Semantics"): it runs
        only when something failed (``if: failure()``), or it runs after the job's promote
        step (a notification, a release note, under ``always()`` or not) and is neither a
        promote nor a verify itself. Its own continue-on-error or unchecked curl is then not
        a swallowed promotion."""
        condition = step.if_.value if step.if_ is not None and step.if_.kind == "str" else ""
        squeezed = "".join(condition.split())
        if "failure()" in squeezed and "!failure()" not in squeezed and "success()" not in squeezed:
            return True
        own = self.roles.step_roles(job.id, step.index)
        if own & {Role.PROMOTE, Role.VERIFY}:
            return False
        # After the promote step a step runs only once the promote succeeded (or under
        # always(), whatever it did): neither can make a failed promotion look passed.
        first = next((s.index for s in self.promote_steps(job)), None)
        return first is not None and step.index > first

    def unwaited_promotes(self, job: Job) -> list[ActionStep]:
        """Promote steps run with ``background: true`` that no later ``wait`` (naming them)
        or ``wait-all`` covers before the job ends: their failure can be lost (DESIGN.md,
        "Semantics"). ``parallel:`` members are waited for at the end of their group."""
        out: list[ActionStep] = []
        for step in self.promote_steps(job):
            if not step.background:
                continue
            sid = step.id.value if step.id is not None else None
            later = [s for s in job.flat_steps if s.index > step.index]
            if not any(isinstance(s, WaitAllStep) or (isinstance(s, WaitStep) and sid is not None
                                                     and any(t.stripped == sid for t in s.targets))
                       for s in later):  # fmt: skip
                out.append(step)
        return out

    def through_control_plane(self, job: Job) -> bool:
        """The job promotes by calling a control plane (a promote endpoint, a deploy hook, a
        step or job named promote, a called workflow that does), where the forge's platform
        token is no credential. A registry retag, a cluster deploy or a dispatch
        authenticates with registry logins, kubeconfigs and OIDC instead, and the platform
        token can be the right credential for a registry of the forge."""
        reasons = [r for s in self.promote_steps(job)
                   if (r := self.roles.steps.get((job.id, s.index), {}).get(Role.PROMOTE))]  # fmt: skip
        own = self.roles.reason(job.id, Role.PROMOTE)
        if own is not None:
            reasons.append(own)
        return any(r.by in ("name", "policy", "callee") or r.entry in _CONTROL_PLANE for r in reasons)

    def promote_steps(self, job: Job) -> list[ActionStep]:
        """The steps of ``job`` that promote, in run order."""
        return [s for s in job.action_steps() if Role.PROMOTE in self.roles.step_roles(job.id, s.index)]

    def pipeline(self) -> PipelineGraph:
        jobs = tuple(self.graph.jobs)
        return PipelineGraph(
            self.workflow.path, jobs,
            {j: tuple(self.graph.needs(j)) for j in jobs},
            {j: self.roles.of(j) for j in jobs},
            {j: tuple((str(role), self._reason_text(j, role, r.text))
                      for role, r in sorted(self.roles.reasons.get(j, {}).items()))
             for j in jobs},
        )  # fmt: skip

    def _reason_text(self, job_id: str, role: Role, text: str) -> str:
        """A role's reason as people read it; a promote that moves no artifact says it is
        name-only, so a report explains why such a job has the role and no digest finding."""
        if role is Role.PROMOTE and job_id not in self.roles.artifact_promotes:
            return f"{text} (name-only promote: nothing shows it moves a built artifact, so only " \
                   "the fail-loud rules apply)"
        return text


# What analysing a called workflow gave, by the identity of its model, with the files that
# analysis read: a reusable workflow that many jobs (or files) of a repository call is
# analysed once, and each caller is still keyed on what the analysis read.
CalleeMemo = dict[int, tuple[Workflow, "Facts", dict[str, str | None]]]


def analyse(workflow: Workflow, policy: Policy, repo: RepoContext,
            memo: CalleeMemo | None = None) -> Facts:  # fmt: skip
    """The facts of ``workflow``; ``repo`` resolves the workflows its jobs call and holds
    the scripts its steps run. ``memo`` (one repository's, under one policy) keeps the
    facts of called workflows, so each is analysed once however many jobs call it."""
    if memo is None or not workflow.is_reusable:
        return _analyse(workflow, policy, repo, memo, 0, frozenset())[0]
    # A reusable workflow scanned as a file and called by other workflows is one model
    # (``RepoContext.workflows``): analysed once, whichever comes first. Only reusable
    # ones are kept: nothing else can be called, and the memo lives as long as the repo.
    return _memoised(workflow, repo, memo, lambda: _analyse(workflow, policy, repo, memo, 0, frozenset()))[0]


def _memoised(workflow: Workflow, repo: RepoContext, memo: CalleeMemo | None,
              work: Callable[[], tuple[Facts, bool]]) -> tuple[Facts, bool]:  # fmt: skip
    """``work()`` (the facts of ``workflow``, whether a call was left out), or what ``memo``
    kept of it, with its reads replayed; kept only when nothing was left out."""
    known = memo.get(id(workflow)) if memo is not None else None
    if known is not None and known[0] is workflow:
        repo.replay(known[2])
        return known[1], False
    (facts, cut), reads = repo.reads_during(work)
    if memo is not None and not cut:
        memo[id(workflow)] = (workflow, facts, reads)  # the model is kept: its id is not reused
    return facts, cut


def _analyse(workflow: Workflow, policy: Policy, repo: RepoContext, memo: CalleeMemo | None,
             depth: int, stack: frozenset[str]) -> tuple[Facts, bool]:  # fmt: skip
    """(facts, whether a call was left out: a cycle or the depth bound). Only facts that
    left nothing out are kept in ``memo``: they are the same whoever calls the workflow."""
    graph = build_graph(workflow, repo.resolve_local_uses)
    stack = stack | {workflow.path}
    callees: dict[str, Facts] = {}
    cut = False
    for job_id, callee in graph.callees.items():
        if depth >= MAX_CALL_DEPTH or callee.path in stack:
            cut = True
            continue
        facts, inner_cut = _memoised(
            callee, repo, memo, lambda c=callee: _analyse(c, policy, repo, memo, depth + 1, stack))  # type: ignore[misc]
        callees[job_id] = facts
        cut = cut or inner_cut
    refs = build_index(workflow)
    roles = assign(workflow, graph, refs, policy, {j: f.roles for j, f in callees.items()})
    paths = compute(graph, roles.jobs)
    scripts = StepScripts(repo, policy.max_file_bytes, workflow, paths.on_path, paths.describe)
    return Facts(workflow, graph, refs, roles, paths, scripts, callees), cut
