"""digest-not-exposed: a publish job that a promote depends on does not expose the pushed digest."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.edits import Edit
from auditor.expressions import references
from auditor.findings import Finding, Hit, hit
from auditor.fixedits import add_job_output
from auditor.kinds import Role
from auditor.known_actions import PUSHING_ACTIONS
from auditor.model import Job, Map, RunStep, Text, UsesStep
from auditor.roles.digests import digest_names
from auditor.rule import Rule, RuleContext

if TYPE_CHECKING:
    from auditor.facts import Facts  # the type only: importing it loads the whole analysis


def _exposes(facts: Facts, job: Job, names: frozenset[str]) -> bool:
    outputs: Map | None = job.outputs
    callee = facts.graph.callees.get(job.id)
    if callee is not None:
        outputs = callee.call_outputs
    if outputs is None:
        return False
    for key, value in outputs.entries:
        low = key.value.lower()
        if low in names or "digest" in low:
            return True
        inner = value.text("value") if isinstance(value, Map) else value
        text = inner.value if isinstance(inner, Text) else ""
        for ref in references(text):
            if ref.part(1) == "outputs" and "digest" in (ref.part(2) or "").lower():
                return True
    return False


def _push_step_hint(facts: Facts, job: Job) -> str:
    for step in job.action_steps():
        if Role.PUBLISH in facts.roles.step_roles(job.id, step.index):
            if isinstance(step, UsesStep) and step.uses is not None and step.uses.name in PUSHING_ACTIONS:
                sid = step.id.value if step.id is not None else "push"
                extra = "" if step.id is not None else f" (give step '{step.label}' `id: push`)"
                return f"`outputs: {{digest: ${{{{ steps.{sid}.outputs.digest }}}}}}`{extra}"
            return (f"`outputs: {{digest: ${{{{ steps.<id>.outputs.digest }}}}}}`, with step "
                    f"'{step.label}' writing `digest=…` to $GITHUB_OUTPUT")
    return "`outputs: {digest: ${{ steps.<push>.outputs.digest }}}`"


def check(ctx: RuleContext) -> Iterator[Hit]:
    facts = ctx.facts
    if facts is None or not facts.artifact_promotes:
        return
    names = digest_names(ctx.policy)
    promotes = [j for j in facts.graph.jobs if j in facts.artifact_promotes]
    # one backward pass: for every job, the nearest artifact promote below it
    below = facts.graph.reach(promotes, down=False)
    for job in facts.jobs_with(Role.PUBLISH):
        if job.id not in below or _exposes(facts, job, names):
            continue
        promote = next((p for p in promotes if job.id in facts.graph.ancestors(p)), promotes[0])
        node = job.node.key("outputs") or job.key
        yield hit(
            node,
            f"publish job '{job.id}' pushes an image that '{promote}' promotes (path "
            f"{facts.describe_path(promote)}) but exposes no digest output, so "
            f"the promote and verify cannot pin what was pushed; add "
            f"{_push_step_hint(facts, job)}",
            "digest",
            job=job.id,
        )


def _digest_source(job: Job) -> tuple[str, str] | None:
    """(step id, output name) of the job's push step that sets the digest, if it has an id."""
    from auditor.scripts.shell import github_output_writes  # the fix only: checks never load it

    for step in job.action_steps():
        if step.id is None:
            continue
        if isinstance(step, UsesStep) and step.uses is not None and step.uses.name in PUSHING_ACTIONS:
            return step.id.value, "digest"
        if isinstance(step, RunStep) and step.run is not None:
            for write in github_output_writes(step.run.value):
                if "digest" in write.name.lower() and re.fullmatch(r"[\w-]+", write.name):
                    return step.id.value, write.name
    return None


def fix(ctx: RuleContext, finding: Finding) -> list[Edit]:
    """Declare ``digest: ${{ steps.ID.outputs.digest }}`` for the push step that sets it:
    a new entry of the job's ``outputs``, or a new ``outputs:`` block above ``steps:``."""
    source, workflow = ctx.file.source, ctx.workflow
    job = workflow.job(finding.job) if workflow is not None and finding.job is not None else None
    if source is None or job is None or job.is_reusable_call:
        return []
    found = _digest_source(job)
    if found is None:
        return []
    step_id, name = found
    value = f"${{{{ steps.{step_id}.outputs.{name} }}}}"
    if job.outputs is not None and "digest" in job.outputs:
        return []
    return add_job_output(source, job, "digest", value)

RULE = Rule(
    id="digest-not-exposed",
    severity="error",
    summary="A publish job that a promote depends on does not output the pushed digest.",
    what="""
Reports a publish job (one that pushes an image, see DESIGN.md "Roles") that an
artifact promote job depends on, when it declares no job output named like a
digest (policy `publish.digest_outputs`, default `digest`, `image_digest`,
`image-digest`) nor one mapped to a step's digest output. A reusable-workflow
call is judged by the callee's `on.workflow_call.outputs`.
""",
    why="""
Tags move; a digest does not. A promote that cannot read the digest of the
image just pushed can only promote a tag such as `:latest`, which may already
point at another build — and the verify cannot tell.
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
    steps:
      - uses: docker/login-action@v3
        with: {registry: ghcr.io, username: '${{ github.actor }}', password: '${{ secrets.GITHUB_TOKEN }}'}
      - id: push
        uses: docker/build-push-action@v6
        with: {push: true, tags: 'ghcr.io/acme/app:latest'}
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
        with: {registry: ghcr.io, username: '${{ github.actor }}', password: '${{ secrets.GITHUB_TOKEN }}'}
      - id: push
        uses: docker/build-push-action@v6
        with: {push: true, tags: 'ghcr.io/acme/app:latest'}
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
    example_line=9,
    example_path='.github/workflows/release.yml',
    check=check,
    tags=("promote", "digest"),
    fix=fix,
    fix_docs="""
Declares the job output `digest: ${{ steps.ID.outputs.digest }}` for the push
step that sets it (a `docker/build-push-action` or `bake-action` step with an
id, or a `run:` step writing a `…digest…=` output), as a new entry of the job's
`outputs` or a new `outputs:` block above `steps:`. A push step without an id
is left for a person (it needs one first).
""",
)
