"""workflow-structure: the file parses but is not shaped like a workflow."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.findings import Hit
from auditor.rule import Rule, RuleContext
from auditor.span import Span


def check(ctx: RuleContext) -> Iterator[Hit]:
    for problem in ctx.file.problems:
        if problem.rule == "workflow-structure":
            yield Hit(
                problem.message,
                Span(problem.line, problem.column, problem.end_line or problem.line,
                     problem.end_column or problem.column + 1),
                problem.subject,
            )


RULE = Rule(
    id="workflow-structure",
    severity="error",
    summary="The file parses as YAML but is not a well-formed workflow.",
    what="""
Reports a workflow (or `action.yml`) whose shape the runner rejects or
misreads: an unknown key at the top level, in a job or in a step, with the
nearest valid key (the keys are GitHub's workflow syntax, with the
`parallel:`/`background`/`wait`/`wait-all`/`cancel` steps; a `run: |` block
cut short by a line at column 0 shows up as unknown top-level keys); no `jobs`
(or `jobs` that is not a mapping); no `on`; a job that is not a mapping or has
neither `steps` nor `uses`; a step with neither `run` nor `uses` (or both);
`permissions` or `needs` of the wrong shape; and an unterminated `${{`.
""",
    why="""
A malformed workflow fails at run time or, worse, runs without the step the
author meant to have. The release-pipeline rules reason about jobs and steps;
what they cannot see they cannot prove.
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
    need: [publish, promote]
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
    scope="file",
    kinds=frozenset({"workflow", "action"}),
    tags=("correctness",),
)
