"""Which jobs and steps publish, promote and verify (DESIGN.md, "Roles").

``assign`` runs once per workflow, inside ``auditor.facts``, and returns an
immutable ``RoleAssignment``: the roles of every job and step, each with its
structured reason, and which promotes move an artifact. Definitions, with
the defaults a policy may change:

- **publish** step: ``docker/build-push-action`` / ``docker/bake-action`` whose
  ``push`` is not false (an expression counts: it may push) or whose
  ``outputs`` go to a registry; a ``run:`` that calls ``docker|podman|buildah
  push``, ``docker manifest push``, ``docker buildx build|bake … --push``,
  ``docker buildx imagetools create``, ``crane push|copy``, ``skopeo copy`` or
  ``oras push``; or an id/name matching ``roles.publish.names``.
- **promote** step: id or name matching ``roles.promote.names``, a ``run:``
  that calls (curl, wget, …) a URL matching ``roles.promote.endpoints``, a
  ``with:`` URL matching one, or a ``uses:`` listed in ``roles.promote.uses``.
- **verify** step: a ``run:`` that runs a script listed in
  ``roles.verify.scripts`` (verify *names* count for jobs only).
- A job plays a role when its id or name matches the role's names or when one
  of its steps plays it; a reusable-workflow call plays the roles of the
  workflow it calls.
- An **artifact promote** has a publish job upstream, a publish step before
  its promote step, a promote endpoint or action, or consumes a digest output;
  any other promote is **name-only** (the fail-loud rules only).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from auditor.graph import JobGraph
from auditor.kinds import Role
from auditor.known_actions import PUSHING_ACTIONS
from auditor.model import ActionStep, Job, RunStep, Text, UsesStep, Workflow
from auditor.policy import Policy
from auditor.refindex import RefIndex
from auditor.roles.digests import digest_origins
from auditor.roles.matchers import endpoint_call, matching, publishes_in_run, runs_script
from auditor.roles.reasons import RoleReason

PUBLISH, PROMOTE, VERIFY = Role.PUBLISH, Role.PROMOTE, Role.VERIFY
ROLES = (PUBLISH, PROMOTE, VERIFY)

StepKey = tuple[str, int]  # (job id, flat step index)


@dataclass(frozen=True, slots=True)
class RoleAssignment:
    """The roles of one workflow's jobs and steps, with their reasons."""

    jobs: Mapping[str, frozenset[Role]]
    reasons: Mapping[str, Mapping[Role, RoleReason]]  # job → role → the first reason
    steps: Mapping[StepKey, Mapping[Role, RoleReason]] = field(default_factory=dict)
    artifact_promotes: frozenset[str] = frozenset()

    def of(self, job_id: str) -> frozenset[Role]:
        return self.jobs.get(job_id, frozenset())

    def has(self, job_id: str, role: Role) -> bool:
        return role in self.jobs.get(job_id, ())

    def step_roles(self, job_id: str, index: int) -> frozenset[Role]:
        found = self.steps.get((job_id, index))
        return frozenset(found) if found else frozenset()

    def reason(self, job_id: str, role: Role) -> RoleReason | None:
        return self.reasons.get(job_id, {}).get(role)

    def players(self, role: Role) -> list[str]:
        """Jobs playing ``role``, in file order."""
        return [j for j, r in self.jobs.items() if role in r]


def _pushes(step: UsesStep) -> bool:
    push = step.with_text("push")
    pushes = push is not None and not push.is_null and not push.is_false() \
        and push.stripped.lower() not in ("false", "")
    outputs = step.with_text("outputs")
    exports = outputs is not None and ("type=registry" in outputs.value or "push=true" in outputs.value)
    return pushes or exports


def _labels(step: ActionStep) -> list[str]:
    return [t.value for t in (step.id, step.name) if t is not None]


def step_reasons(job: Job, step: ActionStep, policy: Policy) -> dict[Role, RoleReason]:
    """The roles ``step`` plays, each with its reason."""
    out: dict[Role, RoleReason] = {}
    label = step.label

    def add(role: Role, by: str, entry: str, detail: str, moves: bool = False) -> None:
        out.setdefault(role, RoleReason(role, by, entry, detail, job.id, step.index, label,  # type: ignore[arg-type]
                                        moves_artifact=moves))  # fmt: skip

    uses = step.uses if isinstance(step, UsesStep) else None
    run = step.run.value if isinstance(step, RunStep) and step.run is not None else None
    # publish
    if uses is not None and uses.name in PUSHING_ACTIONS and isinstance(step, UsesStep) and _pushes(step):
        add(PUBLISH, "catalogue", uses.name, f"pushes with {uses.name}")
    if PUBLISH not in out and run is not None and (command := publishes_in_run(run)):
        add(PUBLISH, "catalogue", "registry-push", f"pushes an image ({command[:60]})")
    if PUBLISH not in out and (pattern := _name_match(policy.publish_names, _labels(step))):
        add(PUBLISH, "name", pattern, "named like a publish")
    # promote
    if pattern := _name_match(policy.promote_names, _labels(step)):
        add(PROMOTE, "name", pattern, "named like a promote")
    elif run is not None and (url := endpoint_call(run, policy.promote_endpoints)):
        add(PROMOTE, "policy", "roles.promote.endpoints", f"calls the promote endpoint {url[:80]}",
            moves=True)  # fmt: skip
    elif uses is not None and uses.name in _promote_uses(policy):
        add(PROMOTE, "policy", "roles.promote.uses", f"uses the promote action {uses.name}",
            moves=True)  # fmt: skip
    elif isinstance(step, UsesStep) and step.with_ is not None:
        for _key, value in step.with_.entries:
            if isinstance(value, Text) and (
                url := endpoint_call(value.value, policy.promote_endpoints, need_client=False)
            ):
                add(PROMOTE, "policy", "roles.promote.endpoints",
                    f"calls the promote endpoint {url[:80]}", moves=True)  # fmt: skip
                break
    # verify: by the scripts it runs only — a step named "Verify Docker daemon access"
    # does not make its job the verification of a promote (names count at job level).
    if run is not None and (script := runs_script(run, policy.verify_scripts)):
        add(VERIFY, "policy", "roles.verify.scripts", f"runs the verify script {script}")
    return out


def _promote_uses(policy: Policy) -> frozenset[str]:
    from auditor.known_actions import action_name

    return frozenset(action_name(u) for u in policy.promote_uses)


def _name_match(patterns: tuple[str, ...], names: list[str]) -> str | None:
    for name in names:
        if pattern := matching(patterns, name):
            return pattern
    return None


def assign(workflow: Workflow, graph: JobGraph, index: RefIndex, policy: Policy,
           callees: Mapping[str, RoleAssignment]) -> RoleAssignment:  # fmt: skip
    """The roles of ``workflow``; ``callees`` holds the assignment of each called workflow."""
    roles: dict[str, set[Role]] = {job.id: set() for job in workflow.jobs}
    reasons: dict[str, dict[Role, RoleReason]] = {job.id: {} for job in workflow.jobs}
    steps: dict[StepKey, dict[Role, RoleReason]] = {}
    promote_uses = _promote_uses(policy)
    for job in workflow.jobs:
        mine = reasons[job.id]
        callee = callees.get(job.id)
        if callee is not None:
            path = graph.callees[job.id].path
            for role in ROLES:
                players = callee.players(role)
                if players:
                    inner = callee.reason(players[0], role)
                    mine.setdefault(role, RoleReason(
                        role, "callee", path, f"whose job '{players[0]}' plays {role}", job.id,
                        callee=path, moves_artifact=inner.moves_artifact if inner else False,
                    ))  # fmt: skip
        names = [job.id] + ([job.name.value] if job.name is not None else [])
        for role, patterns in ((PUBLISH, policy.publish_names), (PROMOTE, policy.promote_names),
                               (VERIFY, policy.verify_names)):  # fmt: skip
            if pattern := _name_match(patterns, names):
                mine.setdefault(role, RoleReason(role, "name", pattern, "named like a " + role, job.id))
        if job.uses is not None and job.uses.name in promote_uses:
            mine.setdefault(PROMOTE, RoleReason(
                PROMOTE, "policy", "roles.promote.uses", f"calls the promote workflow {job.uses.raw}",
                job.id, moves_artifact=True,
            ))  # fmt: skip
        for step in job.action_steps():
            found = step_reasons(job, step, policy)
            if found:
                steps[(job.id, step.index)] = found
            for role, why in found.items():
                mine.setdefault(role, why)
        roles[job.id] = set(mine)
    frozen_roles = {j: frozenset(r) for j, r in roles.items()}
    partial = RoleAssignment(frozen_roles, reasons, steps)
    publishers = [j for j, r in frozen_roles.items() if PUBLISH in r]
    below_publish = graph.reach(publishers)
    artifact = frozenset(
        job.id for job in workflow.jobs
        if PROMOTE in frozen_roles[job.id]
        and _artifact_promote(graph, index, job, partial, callees, below_publish, policy)
    )  # fmt: skip
    return RoleAssignment(frozen_roles, reasons, steps, artifact)


def _artifact_promote(graph: JobGraph, index: RefIndex, job: Job, found: RoleAssignment,
                      callees: Mapping[str, RoleAssignment], below_publish: frozenset[str],
                      policy: Policy) -> bool:  # fmt: skip
    if job.id in below_publish:
        return True
    callee = callees.get(job.id)
    if callee is not None and callee.artifact_promotes:
        return True
    job_reason = found.reason(job.id, PROMOTE)
    if job_reason is not None and job_reason.moves_artifact:
        return True
    mine = [(step.index, found.steps.get((job.id, step.index), {})) for step in job.action_steps()]
    promote_steps = [i for i, r in mine if PROMOTE in r]
    publish_steps = [i for i, r in mine if PUBLISH in r]
    named_job = job_reason is not None and job_reason.by == "name" and job_reason.step is None
    if publish_steps and (named_job or any(i > min(publish_steps) for i in promote_steps)):
        return True
    if any(found.steps[(job.id, i)][PROMOTE].moves_artifact for i in promote_steps):
        return True
    return bool(digest_origins(graph, index, job.id, policy))
