"""permissions-not-declared: a workflow with an artifact promote leaves the token on default scopes."""

from __future__ import annotations

import re
from collections.abc import Iterator

from auditor.edits import Edit, insert_before_line
from auditor.findings import Finding, Hit, hit
from auditor.model import Job, texts
from auditor.rule import Rule, RuleContext


def check(ctx: RuleContext) -> Iterator[Hit]:
    facts = ctx.facts
    if facts is None or not facts.artifact_promotes:
        return
    workflow = facts.workflow
    if workflow.permissions.declared:
        return
    if workflow.triggers and set(workflow.triggers) <= {"workflow_call"}:
        return  # a reusable workflow's token is the caller's: the caller declares it
    bare = [job for job in workflow.jobs if not job.permissions.declared]
    if not bare:
        return
    promotes = [job for job in bare if job.id in facts.artifact_promotes]
    target = promotes[0] if promotes else bare[0]
    names = ", ".join(f"'{job.id}'" for job in bare[:6]) + (", …" if len(bare) > 6 else "")
    note = (" Gitea ignores permissions today, but GitHub mirrors and future Gitea versions "
            "apply them.") if workflow.forge == "gitea" else ""
    first = next(j.id for j in workflow.jobs if j.id in facts.artifact_promotes)
    yield hit(
        target.key,
        f"this workflow promotes an artifact (job '{first}') but "
        f"declares no permissions, so job {names} run with the forge's default token scopes "
        "(which may include statuses: write and contents: write); add a workflow-level "
        f"`permissions:` block (e.g. `contents: read`) and widen it per job only where needed."
        f"{note}",
        "permissions",
        job=target.id,
    )


# What a job may do with its token beyond reading: releases, pushes, PRs, packages, the
# gh CLI. A job that may, keeps its default scopes (the fix would break it).
_WRITES = re.compile(r"GITHUB_TOKEN|github\.token|\bgit\s+push\b|\bgh\s|secrets\.GH_|"
                     r"action-gh-release|create-release|release-action|create-pull-request|"
                     r"auto-commit|upload-release-asset|release-drafter|goreleaser|semantic-release",
                     re.IGNORECASE)


def _may_need_more(job: Job) -> bool:
    return any(_WRITES.search(text.value) for text in texts(job.node))


def fix(ctx: RuleContext, finding: Finding) -> list[Edit]:
    """Add ``permissions: {contents: read}`` above ``jobs:`` when no job that runs with the
    default scopes visibly uses the token for more than reading."""
    workflow, source = ctx.workflow, ctx.file.source
    if workflow is None or source is None or workflow.permissions.declared:
        return []
    bare = [job for job in workflow.jobs if not job.permissions.declared]
    if any(job.is_reusable_call or _may_need_more(job) for job in bare):
        return []
    jobs = workflow.root.key("jobs")
    if jobs is None or source.line(jobs.line)[: jobs.column - 1].strip():
        return []
    lead = " " * (jobs.column - 1)
    return [insert_before_line(source, jobs.line, f"{lead}permissions:\n{lead}  contents: read\n")]


RULE = Rule(
    id="permissions-not-declared",
    severity="warning",
    summary="A workflow that promotes an artifact does not declare its token permissions.",
    what="""
Reports a workflow that has an artifact promote job but no workflow-level
`permissions` block and at least one job without its own. It points at the
promote job (or the first job without permissions) and lists the jobs that
run with the default scopes. Reusable workflows (only `workflow_call`) are
skipped: their token is the caller's.
""",
    why="""
Without `permissions`, the token carries the repository's or organisation's
default scopes, which may include `statuses: write` and `contents: write`.
Declaring the scopes makes the grant reviewable and keeps a best-effort status
POST from looking like a promotion.
""",
    example="""
name: release
on:
  push:
    branches: [main]
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
    example_line=16,
    example_path='.github/workflows/release.yml',
    check=check,
    tags=("permissions", "promote"),
    fix=fix,
    fix_docs="""
Adds a workflow-level `permissions:` block granting `contents: read` just above
`jobs:`, when no job that runs with the default scopes uses the token for more
(mentions `GITHUB_TOKEN`/`github.token`, `git push`, `gh`, a release or
pull-request action): such a workflow needs a person to choose its scopes.
""",
)
