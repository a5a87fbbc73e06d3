"""needs-cycle: the `needs` graph has a cycle."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.findings import Hit, hit
from auditor.rule import Rule, RuleContext


def check(ctx: RuleContext) -> Iterator[Hit]:
    if ctx.facts is None:
        return
    graph = ctx.facts.graph
    for cycle in graph.cycles():
        # Report at the job that comes first in the file, naming the whole loop.
        order = {job_id: index for index, job_id in enumerate(graph.jobs)}
        first = min(cycle, key=lambda j: order[j])
        start = cycle.index(first)
        loop = cycle[start:] + cycle[:start]
        # networkx lists a cycle along edges need → job; show it as "needs" reads.
        text = " → ".join([*loop, loop[0]])
        job = graph.jobs[loop[1 % len(loop)]] if len(loop) > 1 else graph.jobs[first]
        node = job.needs_node or job.key
        yield hit(
            node,
            f"the needs graph has a cycle: {text} (each job waits for the next); the runner "
            "rejects the workflow — remove one of these needs",
            "cycle:" + ">".join(sorted(loop)),
            job=job.id,
        )


RULE = Rule(
    id="needs-cycle",
    severity="error",
    summary="Jobs need each other in a loop.",
    what="""
Reports every elementary cycle in the graph of `needs` edges, naming the jobs
in order (`a → b → a`), at the `needs` of a job on the cycle.
""",
    why="""
A workflow with a dependency cycle is rejected by the runner: none of its jobs
runs, so the publish, promote and verify it holds never happen.
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
    needs: [publish, verify]   # 'wait for the last verify'
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
    example_line=31,
    example_path='.github/workflows/release.yml',
    check=check,
    tags=("graph", "correctness"),
)
