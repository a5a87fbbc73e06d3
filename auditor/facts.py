"""One analysis pass: everything rules ask about a workflow, computed once, immutable.

The engine builds a ``Facts`` per workflow before any rule runs: the job
graph, the reference index, the roles of every job and step (with
structured reasons), which promotes move an artifact, the promote paths and
the facts of every workflow a job calls. Rules read it and never change it;
nothing downstream re-derives what is here, so two rules cannot disagree
about what a job is.
"""

from __future__ import annotations

from collections.abc import Mapping
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
            {j: tuple((str(role), r.text) for role, r in sorted(self.roles.reasons.get(j, {}).items()))
             for j in jobs},
        )  # fmt: skip


def analyse(workflow: Workflow, policy: Policy, repo: RepoContext,
            _depth: int = 0, _stack: frozenset[str] = frozenset()) -> Facts:  # fmt: skip
    """The facts of ``workflow``; ``repo`` resolves the workflows its jobs call and holds
    the scripts its steps run."""
    graph = build_graph(workflow, repo.resolve_local_uses)
    stack = _stack | {workflow.path}
    callees: dict[str, Facts] = {}
    for job_id, callee in graph.callees.items():
        if _depth >= MAX_CALL_DEPTH or callee.path in stack:
            continue
        callees[job_id] = analyse(callee, policy, repo, _depth + 1, stack)
    refs = build_index(workflow)
    roles = assign(workflow, graph, refs, policy, {j: f.roles for j, f in callees.items()})
    paths = compute(graph, roles.jobs)
    scripts = StepScripts(repo, policy.max_file_bytes, workflow, paths.on_path, paths.describe)
    return Facts(workflow, graph, refs, roles, paths, scripts, callees)
