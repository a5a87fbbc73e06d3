"""reusable-workflow-unresolved: a cross-repository reusable workflow could not be followed."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.findings import Hit, hit
from auditor.repo import REMOTE_WORKFLOW
from auditor.rule import Rule, RuleContext


def message(uses: str) -> str:
    """The message depends only on the callee, so an org scan can report it once."""
    return (
        f"reusable workflow '{uses}' was not found among the scanned repositories (or that "
        "repository has no such file at that ref), so the jobs it runs were not checked; "
        "add its repository to the scan to check the promote path end to end"
    )


def check(ctx: RuleContext) -> Iterator[Hit]:
    # Only org scans can resolve other repositories; a single-repository check
    # would otherwise flag every cross-repository call.
    if ctx.facts is None or ctx.repo.remote_resolver is None:
        return
    graph = ctx.facts.graph
    for job in graph.workflow.jobs:
        uses = job.uses
        if uses is None or uses.kind != "reusable" or not REMOTE_WORKFLOW.match(uses.raw):
            continue
        if job.id not in graph.callees:
            yield hit(uses.text, message(uses.raw), f"uses:{uses.raw}", job=job.id)


RULE = Rule(
    id="reusable-workflow-unresolved",
    severity="note",
    summary="Org scans: a cross-repository reusable workflow is not in the scanned set.",
    what="""
In `auditor org`, a job that calls `owner/repo/.github/workflows/x.yml@ref` (or
the Gitea/Forgejo equivalent, also as a full URL) is resolved to that file when
its repository is among the scanned repositories — read at that ref where the
repository is git. When it cannot be resolved, this note is reported once per
callee for the whole scan (at the first caller by repository, path and line).
`auditor check` does not report it.
""",
    why="""
When the promote path lives in a shared workflow repository, the checks can
only prove it end to end if they can read the callee; otherwise the jobs the
call runs are invisible to every rule, and the report would look cleaner than
the pipeline is.
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
  release:
    uses: acme/shared-workflows/.github/workflows/release.yml@v3   # renamed in v3
    secrets: inherit
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
  release:
    uses: acme/shared-workflows/.github/workflows/container-release.yml@v3
    secrets: inherit
""",
    example_line=10,
    example_path='app/.github/workflows/release.yml',
    example_files=(
        ('shared-workflows/.github/workflows/container-release.yml', """
name: container-release
on:
  workflow_call:
    secrets:
      CP_ADMIN_API_TOKEN: {required: true}
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
"""),
    ),
    check=check,
    tags=("org", "graph"),
)
