"""statuses-write-permission: a workflow or job grants a forbidden token scope (statuses: write)."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.findings import Hit, hit
from auditor.model import LEVELS, Job, Permissions
from auditor.rule import Rule, RuleContext
from auditor.span import Span


def _grants(perms: Permissions, forbidden: dict[str, str]) -> Iterator[tuple[Span, str, str]]:
    """(where, scope, granted level) for each forbidden grant in a permissions value."""
    if perms.kind in ("read-all", "write-all"):
        level = "write" if perms.kind == "write-all" else "read"
        span = perms.span
        assert span is not None
        for scope, floor in forbidden.items():
            if LEVELS[level] >= LEVELS.get(floor, 2):
                yield span, scope, f"{perms.kind} (which includes {scope}: {level})"
        return
    for grant in perms.grants:
        if grant.scope in forbidden and LEVELS.get(grant.level, -1) >= LEVELS.get(forbidden[grant.scope], 2):
            yield grant.span, grant.scope, f"{grant.scope}: {grant.level}"


def _job_overrides_all(jobs: tuple[Job, ...]) -> bool:
    return bool(jobs) and all(job.permissions.declared for job in jobs)


def check(ctx: RuleContext) -> Iterator[Hit]:
    workflow = ctx.workflow
    if workflow is None:
        return
    forbidden = ctx.policy.forbidden_permissions
    if not forbidden:
        return
    note = (" (Gitea ignores workflow and job permissions today; the grant still applies on "
            "GitHub mirrors and once Gitea honours it)") if workflow.forge == "gitea" else ""
    fix = ("the policy forbids it (permissions.forbidden): a commit status is not a promotion, "
           "and a best-effort status POST is how one fails silently — remove the grant, or, for "
           "a workflow whose job really is posting statuses (a PR gate), waive it in the policy "
           "with the reason")
    # A workflow-level block that every job replaces grants nothing.
    if workflow.permissions.declared and not _job_overrides_all(workflow.jobs):
        for span, scope, text in _grants(workflow.permissions, forbidden):
            yield hit(span, f"the workflow grants {text} to every job's token{note}; {fix}",
                      f"workflow:{scope}")
    for job in workflow.jobs:
        for span, scope, text in _grants(job.permissions, forbidden):
            yield hit(span, f"job '{job.id}' grants {text} to its token{note}; {fix}",
                      f"job:{scope}", job=job.id)


RULE = Rule(
    id="statuses-write-permission",
    severity="error",
    summary="The Actions token is granted a forbidden scope (by default `statuses: write`).",
    what="""
Reports every workflow- or job-level `permissions` grant of a scope the policy
forbids (`permissions.forbidden`, default `statuses: write`), including
`write-all` (and `read-all` for scopes forbidden at `read`). Reusable-call jobs
are checked like any other job. A workflow-level block is not reported when
every job replaces it with its own.
""",
    why="""
A commit status is not a promotion. Granting `statuses: write` is the sign of a
pipeline that "promotes" by posting a status nothing consumes — and when the
grant is missing on the forge, the POST 403s and is easily swallowed. Gitea
ignores `permissions` today, but the same files run on GitHub mirrors.
""",
    example="""
name: release
on:
  push:
    branches: [main]
permissions:
  contents: read
  packages: write
  statuses: write   # left from when 'promote' meant posting a commit status
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
    example_line=8,
    example_path='.github/workflows/release.yml',
    check=check,
    tags=("permissions",),
)
