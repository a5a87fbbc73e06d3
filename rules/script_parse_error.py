"""script-parse-error: a step's shell or Python code could not be parsed, so it was not analysed."""

from __future__ import annotations

from collections.abc import Iterator

from auditor import scripthits
from auditor.findings import Hit
from auditor.rule import Rule, RuleContext
from auditor.script_rules import PARSE_ERROR


def check(ctx: RuleContext) -> Iterator[Hit]:
    return scripthits.hits(ctx.facts, ctx.options, PARSE_ERROR)


RULE = Rule(
    id="script-parse-error",
    severity="note",
    summary="A promote-path step's shell or Python code could not be parsed, so it was not analysed.",
    what="""
Reports code that `swallowed-failure` could not analyse because it does not
parse: a `run:` body (with its effective shell), Python embedded in it
(`python3 -c '…'`, `python - <<EOF`, `shell: python`), a repository script
the step runs, or a step of a local composite action it uses. The finding
points at the first syntax error. Statements of a shell body away from the
error are still analysed. Scope as for `swallowed-failure` (promote paths;
`scope: all` for every job).
""",
    why="""
Code that does not parse either fails at run time or relies on a shell
feature the parser does not know; either way its failures were not checked,
and a green `swallowed-failure` result would claim more than was proven.
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
          if [ -z "$DIGEST" ]; then
            echo "::error::publish exposed no digest"; exit 1
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
          if [ -z "$DIGEST" ]; then
            echo "::error::publish exposed no digest"; exit 1
          fi
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
    tags=("promote-path", "scripts"),
    options=("scope",),
)
