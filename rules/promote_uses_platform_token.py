"""promote-uses-platform-token: a promote authenticates with the forge's own Actions token."""

from __future__ import annotations

import re
from collections.abc import Iterator

from auditor import roles
from auditor.findings import Hit, hit_in
from auditor.graph import JobGraph
from auditor.known_actions import PLUMBING_ACTIONS, action_name
from auditor.model import Job, Step
from auditor.refindex import Ref
from auditor.rule import Rule, RuleContext

_GH_CLI = re.compile(r"(?:^|[\s;&|(])gh\s", re.MULTILINE)


def _candidates(graph: JobGraph, job: Job) -> list[Step]:
    promote = roles.promote_steps(graph, job)
    steps = promote or list(job.steps)
    return [s for s in steps
            if s.uses is None or action_name(s.uses.value) not in PLUMBING_ACTIONS]  # fmt: skip


def _env_used(name: str, steps: list[Step]) -> bool:
    pattern = re.compile(rf"\$\{{?{re.escape(name)}\b|\benv\.{re.escape(name)}\b")
    for step in steps:
        text = step.run.value if step.run is not None else ""
        if pattern.search(text):
            return True
        if name in ("GH_TOKEN", "GITHUB_TOKEN") and _GH_CLI.search(text):
            return True
    return False


def check(ctx: RuleContext) -> Iterator[Hit]:
    graph = ctx.graph
    if graph is None:
        return
    policy = ctx.policy
    refs = roles.ref_index(graph)
    workflow_env = [r for r in refs if r.job is None and r.key.startswith("env.")
                    and roles.is_platform_token(r, policy)]  # fmt: skip
    for job in graph.workflow.jobs:
        if job.id not in graph.artifact_promotes:
            continue
        steps = _candidates(graph, job)
        chosen = {s.index for s in steps}
        path = roles.describe_path(graph, job.id)
        found: list[Ref] = []
        for r in refs:
            if r.job is not job or not roles.is_platform_token(r, policy):
                continue
            if r.step is not None:
                if r.step.index in chosen:
                    found.append(r)
            else:
                passed = job.is_reusable_call and r.key.startswith(("with", "secrets"))
                if passed or (r.key.startswith("env.") and _env_used(r.key[4:], steps)):
                    found.append(r)
        found.extend(r for r in workflow_env if _env_used(r.key[4:], steps))
        for r in found:
            via = f" (through `{r.key}`)" if r.key.startswith("env.") else ""
            yield hit_in(
                r.scalar, r.ref.start, r.ref.end,
                f"promote job '{job.id}' (path {path}) authenticates with the platform token "
                f"`{r.ref.text}`{via}; that token cannot write the control plane (and on the "
                "forge it only reaches this repository), so the promotion fails — silently if "
                "anything swallows it; use the promotion credential, e.g. "
                "`${{ secrets.CP_ADMIN_API_TOKEN }}`",
                f"{r.key}:{r.ref.text}",
                job=job.id,
                step=r.step,
            )  # fmt: skip


RULE = Rule(
    id="promote-uses-platform-token",
    severity="error",
    summary="A promote authenticates with GITHUB_TOKEN / GITEA_TOKEN / github.token.",
    what="""
Reports, in each artifact promote job, every use of the forge's Actions token —
`secrets.GITHUB_TOKEN`, `secrets.GITEA_TOKEN`, `secrets.FORGEJO_TOKEN` (the
policy's `promote.platform_tokens`), `github.token`, `gitea.token`,
`forgejo.token` — by a promote step, including through a job- or
workflow-level `env` variable the step reads. Plumbing steps (checkout,
registry login, cache, artifacts) are not promote credentials and are ignored.
""",
    why="""
The Actions token is scoped to the repository and the run; it cannot move a
pin on a control plane, and it is exactly the token whose missing
`statuses: write` turned the incident's promotion into a swallowed 403.
""",
    example="""
      - name: Promote image
        env: {TOKEN: '${{ secrets.GITEA_TOKEN }}'}
        run: curl --fail -H "Authorization: token $TOKEN" -X POST "$CP/promote"
""",
    use_instead="""
      - name: Promote image
        env: {TOKEN: '${{ secrets.CP_ADMIN_API_TOKEN }}'}
        run: curl --fail -H "Authorization: Bearer $TOKEN" -X POST "$CP/promote"
""",
    check=check,
    tags=("promote", "secrets"),
)
