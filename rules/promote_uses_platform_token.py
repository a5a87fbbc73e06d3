"""promote-uses-platform-token: a promote authenticates with the forge's own Actions token."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.access import is_platform_token
from auditor.findings import Hit, hit_in
from auditor.known_actions import PLUMBING_ACTIONS
from auditor.model import ActionStep, Job, RunStep, UsesStep
from auditor.refindex import Ref
from auditor.rule import Rule, RuleContext

if TYPE_CHECKING:
    from auditor.facts import Facts  # the type only: importing it loads the whole analysis

_GH_CLI = re.compile(r"(?:^|[\s;&|(])gh\s", re.MULTILINE)


def _candidates(facts: Facts, job: Job) -> list[ActionStep]:
    steps = facts.promote_steps(job) or list(job.action_steps())
    return [s for s in steps if not (isinstance(s, UsesStep) and s.uses is not None
                                     and s.uses.name in PLUMBING_ACTIONS)]  # fmt: skip


def _env_used(name: str, steps: list[ActionStep]) -> bool:
    pattern = re.compile(rf"\$\{{?{re.escape(name)}\b|\benv\.{re.escape(name)}\b")
    for step in steps:
        text = step.run.value if isinstance(step, RunStep) and step.run is not None else ""
        if pattern.search(text):
            return True
        if name in ("GH_TOKEN", "GITHUB_TOKEN") and _GH_CLI.search(text):
            return True
    return False


def check(ctx: RuleContext) -> Iterator[Hit]:
    facts = ctx.facts
    if facts is None or not facts.artifact_promotes:
        return
    policy = ctx.policy
    workflow_env = [r for r in facts.refs.of_job(None) if r.key.startswith("env.")
                    and is_platform_token(r, policy)]  # fmt: skip
    for job in facts.workflow.jobs:
        if job.id not in facts.artifact_promotes or not facts.through_control_plane(job):
            continue  # the forge's token is a fine credential for its own registry or API
        steps = _candidates(facts, job)
        chosen = {s.index for s in steps}
        path = facts.describe_path(job.id)
        found: list[Ref] = []
        for r in facts.refs.of_job(job.id):
            if not is_platform_token(r, policy):
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
name: release
on:
  push:
    branches: [main]
permissions:
  contents: read
  packages: write
jobs:
  publish:
    runs-on: ubuntu-latest
    outputs:
      digest: ${{ steps.push.outputs.digest }}
    steps:
      - uses: docker/login-action@v3
        with: {registry: git.example.com, username: ci, password: '${{ secrets.REGISTRY_TOKEN }}'}
      - id: push
        uses: docker/build-push-action@v6
        with: {push: true, tags: 'git.example.com/acme/app:latest'}
  promote:
    needs: publish
    runs-on: ubuntu-latest
    env:
      TOKEN: ${{ secrets.GITEA_TOKEN }}
      DIGEST: ${{ needs.publish.outputs.digest }}
    steps:
      - name: Pin the digest on the control plane
        run: |
          curl --fail-with-body -sS -X POST -H "Authorization: Bearer $TOKEN" \\
            -d "digest=$DIGEST" https://cp.example.com/promote
  verify:
    needs: [publish, promote]
    runs-on: ubuntu-latest
    steps:
      - name: Read the pin back
        env:
          DIGEST: ${{ needs.publish.outputs.digest }}
        run: test "$(curl --fail-with-body -sS https://cp.example.com/pin)" = "$DIGEST"
""",
    use_instead="""
name: release
on:
  push:
    branches: [main]
permissions:
  contents: read
  packages: write
jobs:
  publish:
    runs-on: ubuntu-latest
    outputs:
      digest: ${{ steps.push.outputs.digest }}
    steps:
      - uses: docker/login-action@v3
        with: {registry: git.example.com, username: ci, password: '${{ secrets.REGISTRY_TOKEN }}'}
      - id: push
        uses: docker/build-push-action@v6
        with: {push: true, tags: 'git.example.com/acme/app:latest'}
  promote:
    needs: publish
    runs-on: ubuntu-latest
    env:
      TOKEN: ${{ secrets.CP_ADMIN_API_TOKEN }}
      DIGEST: ${{ needs.publish.outputs.digest }}
    steps:
      - name: Pin the digest on the control plane
        run: |
          curl --fail-with-body -sS -X POST -H "Authorization: Bearer $TOKEN" \\
            -d "digest=$DIGEST" https://cp.example.com/promote
  verify:
    needs: [publish, promote]
    runs-on: ubuntu-latest
    steps:
      - name: Read the pin back
        env:
          DIGEST: ${{ needs.publish.outputs.digest }}
        run: test "$(curl --fail-with-body -sS https://cp.example.com/pin)" = "$DIGEST"
""",
    example_line=23,
    example_path='.gitea/workflows/release.yml',
    check=check,
    tags=("promote", "secrets"),
)
