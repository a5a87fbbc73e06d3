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

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from auditor.graph import JobGraph
from auditor.kinds import Role
from auditor.model import ActionStep, Job, Map, RunStep, Text, UsesStep, Workflow
from auditor.policy import Policy
from auditor.record import record
from auditor.refindex import RefIndex
from auditor.roles.catalogue import Match, match_step
from auditor.roles.digests import digest_origins
from auditor.roles.matchers import endpoint_call, matching, runs_script
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
    # promote jobs whose own later step (or the promote step itself: helm --wait) verifies
    self_verified: frozenset[str] = frozenset()
    _players: dict[Role, tuple[str, ...]] = field(default_factory=dict, compare=False, repr=False)

    def of(self, job_id: str) -> frozenset[Role]:
        return self.jobs.get(job_id, frozenset())

    def has(self, job_id: str, role: Role) -> bool:
        return role in self.jobs.get(job_id, ())

    def step_roles(self, job_id: str, index: int) -> frozenset[Role]:
        found = self.steps.get((job_id, index))
        return frozenset(found) if found else frozenset()

    def reason(self, job_id: str, role: Role) -> RoleReason | None:
        return self.reasons.get(job_id, {}).get(role)

    def players(self, role: Role) -> tuple[str, ...]:
        """Jobs playing ``role``, in file order (worked out once per role: rules ask per job)."""
        found = self._players.get(role)
        if found is None:
            found = self._players[role] = tuple(j for j, r in self.jobs.items() if role in r)
        return found


_KUBERNETES = frozenset({"kubectl-deploy", "kubectl-rollout-status", "helm-upgrade", "helm-test", "argocd-app",
                         "argocd-app-wait", "flux-reconcile"})
_COMMIT_ACTIONS = frozenset({"stefanzweifel/git-auto-commit-action", "endbug/add-and-commit",
                             "ad-m/github-push-action", "github-actions-x/commit"})
_DEPLOY_NAMES = (r"(?i)deploy",)
_NOT_A_RUNTIME = re.compile(r"(?i)docs?\b|pages|site|preview|storybook|packages?\b|charts?\b|artifacts?\b"
                            r"|check|verif|test|smoke|valid|e2e|lint|plan|dry")  # checks of a deploy
_LEADING_WORD = re.compile(r"^[^A-Za-z0-9]*([A-Za-z][\w-]*)")


def _labels(step: ActionStep) -> list[str]:
    return [t.value for t in (step.id, step.name) if t is not None]


@record
class _JobScan:
    """What the catalogue saw in one job, step by step."""

    matches: dict[int, tuple[Match, ...]]
    test_cluster: bool
    not_promote: bool
    last_push: int  # flat index of the last step that pushes commits (-1: none)


def _scan(job: Job) -> _JobScan:
    matches: dict[int, tuple[Match, ...]] = {}
    test_cluster = not_promote = False
    last_push = -1
    for step in job.action_steps():
        found = match_step(step)
        if isinstance(step, UsesStep) and step.uses is not None and step.uses.name in _COMMIT_ACTIONS:
            last_push = step.index
        if not found:
            continue
        matches[step.index] = found
        for m in found:
            tags = m.entry.tags
            test_cluster = test_cluster or "test-cluster" in tags
            not_promote = not_promote or "not-promote" in tags
            if "git-push" in tags:
                last_push = step.index
    return _JobScan(matches, test_cluster, not_promote, last_push)


def _promotes(m: Match, step: ActionStep, scan: _JobScan) -> bool:
    if m.entry.role is not PROMOTE:
        return False
    if scan.test_cluster:
        return False  # kubectl/helm against a cluster the job made to test in, a test image copied
    return not ("needs-git-push" in m.entry.tags and scan.last_push < step.index)


def _leading_name(patterns: tuple[str, ...], step: ActionStep) -> str | None:
    """A promote pattern matching the first word of the step's name (or its id): a step
    *named* "Promote image" promotes, "Push to the artifact store for promote" does not."""
    for label in _labels(step):
        word = _first_word(label)
        if word is not None and (pattern := matching(patterns, word)):
            return pattern
    return None


_FIRST_WORDS: dict[str, str | None] = {}  # step names repeat across steps and files


def _first_word(label: str) -> str | None:
    if label in _FIRST_WORDS:
        return _FIRST_WORDS[label]
    found = _LEADING_WORD.match(label)
    word = found.group(1) if found is not None else None
    if len(_FIRST_WORDS) > 20_000:
        _FIRST_WORDS.clear()
    _FIRST_WORDS[label] = word
    return word


def step_reasons(job: Job, step: ActionStep, policy: Policy, scan: _JobScan,
                 promote_uses: frozenset[str]) -> dict[Role, RoleReason]:  # fmt: skip
    """The roles ``step`` plays, each with its reason (``promote_uses``: the policy's promote
    actions by name, worked out once per workflow by the caller)."""
    out: dict[Role, RoleReason] = {}

    def add(role: Role, by: str, entry: str, detail: str, moves: bool = False,
            image: str | None = None) -> None:  # fmt: skip
        if role not in out:
            out[role] = RoleReason(role, by, entry, detail, job.id, step.index, step.label,  # type: ignore[arg-type]
                                   moves_artifact=moves, image=image)  # fmt: skip

    matches = scan.matches.get(step.index, ())
    uses = step.uses if isinstance(step, UsesStep) else None
    run = step.run.value if isinstance(step, RunStep) and step.run is not None else None
    for m in matches:
        if m.entry.role is PUBLISH:
            add(PUBLISH, "catalogue", m.entry.id, f"pushes an image ({m.detail[:60]})")
        elif _promotes(m, step, scan):
            add(PROMOTE, "catalogue", m.entry.id, f"promotes with {m.detail[:80]}", m.moves_artifact, m.image)
            if m.verifies:
                add(VERIFY, "catalogue", m.entry.id, f"waits for and checks the result ({m.detail[:60]})")
        elif m.entry.role is VERIFY and not (m.entry.id in _KUBERNETES and scan.test_cluster):
            add(VERIFY, "catalogue", m.entry.id, f"verifies with {m.detail[:80]}")
    if PUBLISH not in out and (pattern := _name_match(policy.publish_names, _labels(step))):
        add(PUBLISH, "name", pattern, "named like a publish")
    if PROMOTE not in out:
        if run is not None and (url := endpoint_call(run, policy.promote_endpoints)):
            add(PROMOTE, "policy", "roles.promote.endpoints", f"calls the promote endpoint {url[:80]}",
                moves=True)  # fmt: skip
        elif uses is not None and uses.name in promote_uses:
            add(PROMOTE, "policy", "roles.promote.uses", f"uses the promote action {uses.name}",
                moves=True)  # fmt: skip
        elif isinstance(step, UsesStep) and step.with_ is not None and _with_calls_endpoint(
            step.with_, policy.promote_endpoints
        ):
            add(PROMOTE, "policy", "roles.promote.endpoints", "calls a promote endpoint", moves=True)
        elif not any("not-promote" in m.entry.tags for m in matches) and (
            pattern := _leading_name(policy.promote_names, step)
        ):
            add(PROMOTE, "name", pattern, "named like a promote")
    # verify: by what it runs only — a step named "Verify Docker daemon access"
    # does not make its job the verification of a promote (names count at job level).
    if run is not None and (script := runs_script(run, policy.verify_scripts)):
        add(VERIFY, "policy", "roles.verify.scripts", f"runs the verify script {script}")
    return out


def _with_calls_endpoint(with_: Map, endpoints: tuple[str, ...]) -> bool:
    """An input of the action is a promote endpoint's URL."""
    if not endpoints:
        return False
    for _key, value in with_.entries:
        if isinstance(value, Text) and endpoint_call(value.value, endpoints, need_client=False):
            return True
    return False


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
    self_verified: set[str] = set()
    scans: dict[str, _JobScan] = {}
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
        scan = _scan(job)
        scans[job.id] = scan
        first_promote: int | None = None
        for step in job.action_steps():
            found = step_reasons(job, step, policy, scan, promote_uses)
            if not found:
                continue
            steps[(job.id, step.index)] = found
            if PROMOTE in found and first_promote is None:
                first_promote = step.index
            if VERIFY in found and first_promote is not None:
                self_verified.add(job.id)  # a later step (or the promote itself) verifies
            for role, why in found.items():
                mine.setdefault(role, why)
        names = [job.id] + ([job.name.value] if job.name is not None else [])
        for role, patterns in ((PUBLISH, policy.publish_names), (PROMOTE, policy.promote_names),
                               (VERIFY, policy.verify_names)):  # fmt: skip
            if role in mine:
                continue
            if role is not VERIFY and (scan.not_promote or scan.test_cluster):
                continue  # a job that uploads a package, publishes a release or tests on a throw-away cluster
            if pattern := _name_match(patterns, names):
                mine[role] = RoleReason(role, "name", pattern, "named like a " + role, job.id)
        if job.uses is not None and job.uses.name in promote_uses:
            mine.setdefault(PROMOTE, RoleReason(
                PROMOTE, "policy", "roles.promote.uses", f"calls the promote workflow {job.uses.raw}",
                job.id, moves_artifact=True,
            ))  # fmt: skip
        roles[job.id] = set(mine)
    publishers = [j for j, r in roles.items() if PUBLISH in r]
    below_publish = graph.reach(publishers)
    # "deploy" alone names docs deploys, preview and e2e test deploys as often as real
    # ones (measured: 43 more findings on the wild corpus, nearly all noise), but a job
    # named deploy that runs after a job pushing an image deploys that image.
    for job in workflow.jobs:
        scan = scans[job.id]
        if (roles[job.id] & {PROMOTE, VERIFY} or job.id not in below_publish or scan.not_promote
                or scan.test_cluster):  # fmt: skip
            continue
        names = [job.id] + ([job.name.value] if job.name is not None else [])
        if any(_NOT_A_RUNTIME.search(n) for n in names):
            continue  # deploy-docs, deploy-packages, deploy-preview: not a runtime
        if pattern := _name_match(_DEPLOY_NAMES, names):
            upstream = next(p for p in publishers if job.id in graph.descendants(p))
            reasons[job.id][PROMOTE] = RoleReason(
                PROMOTE, "name", pattern, f"named like a deploy and runs after '{upstream}' pushes", job.id,
            )  # fmt: skip
            roles[job.id].add(PROMOTE)
    frozen_roles = {j: frozenset(r) for j, r in roles.items()}
    partial = RoleAssignment(frozen_roles, reasons, steps)
    artifact = frozenset(
        job.id for job in workflow.jobs
        if PROMOTE in frozen_roles[job.id]
        and _artifact_promote(graph, index, job, partial, callees, below_publish, policy)
    )  # fmt: skip
    return RoleAssignment(frozen_roles, reasons, steps, artifact, frozenset(self_verified))


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
