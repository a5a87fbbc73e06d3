"""needs-unknown-job: `needs` names a job that does not exist in the workflow."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from auditor.findings import Hit, hit
from auditor.rule import Rule, RuleContext


def check(ctx: RuleContext) -> Iterator[Hit]:
    if ctx.facts is None:
        return
    graph = ctx.facts.graph
    for job, need in graph.unknown_needs:
        close = difflib.get_close_matches(need.job, list(graph.jobs), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else "; fix the id or add the job"
        yield hit(
            need.node,
            f"job '{job.id}' needs '{need.job}', which is not a job of this workflow — the "
            f"runner rejects the workflow{hint}",
            f"needs:{need.job}",
            job=job.id,
        )


RULE = Rule(
    id="needs-unknown-job",
    severity="error",
    summary="`needs` names a job that does not exist.",
    what="""
Reports each entry of a job's `needs` that is not the id of a job in the same
workflow (ids are case-sensitive). It points at the entry and suggests the
closest existing job id.
""",
    why="""
The runner refuses to start a workflow whose `needs` names a missing job, so
the release never runs; after a rename, the verify job that was meant to wait
for the promote may also silently stop being wired to it.
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
    needs: [publish, promote-pin]   # the job was renamed to 'promote'
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
    example_line=31,
    example_path='.github/workflows/release.yml',
    check=check,
    tags=("graph", "correctness"),
)
