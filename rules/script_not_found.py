"""script-not-found: a promote-path step runs a repository script that does not exist."""

from __future__ import annotations

from collections.abc import Iterator

from auditor import scripthits
from auditor.findings import Hit
from auditor.rule import Rule, RuleContext
from auditor.script_rules import NOT_FOUND


def check(ctx: RuleContext) -> Iterator[Hit]:
    return scripthits.hits(ctx.facts, ctx.options, NOT_FOUND)


RULE = Rule(
    id="script-not-found",
    severity="note",
    summary="A promote-path step runs a repository script that is not in the repository.",
    what="""
Reports a script that a promote-path step runs (`./scripts/x.sh`,
`bash deploy/run.sh`, `source lib.sh`, `python3 tools/promote.py`), resolved
against the repository root and the step's `working-directory` (or the
job's and workflow's `defaults.run.working-directory`), when no such file is
in the repository. Only relative paths inside the repository are checked,
in jobs that check this repository out, and not when the step (or an earlier
step of the job) mentions the file — it may create or download it — or
changes into a folder that cannot be known statically. With
`rules: {script-not-found: {scope: all}}` every job is checked.
""",
    why="""
A missing script fails the step at run time (a promote that never happens),
and auditor cannot check code it cannot read for swallowed failures: a
promotion whose logic lives in a script nobody committed is unverified.
A wrong `working-directory` is the usual cause.
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
    needs: [publish, promote]
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Read the pin back
        run: ./scripts/verify-pin.sh "${{ needs.publish.outputs.digest }}"
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
      - uses: actions/checkout@v4
      - name: Read the pin back
        run: .github/scripts/verify-pin.sh "${{ needs.publish.outputs.digest }}"
""",
    example_line=36,
    example_path='.github/workflows/release.yml',
    example_files=(
        ('.github/scripts/verify-pin.sh', """
#!/bin/sh
# verify-pin.sh DIGEST: fail unless the control plane's pin is DIGEST
set -eu
pin=$(curl --fail-with-body -sS https://cp.example.com/pin)
if [ "$pin" != "$1" ]; then
  echo "::error::the pin is $pin, not $1"
  exit 1
fi
"""),
    ),
    example_policy="""
version: 1
roles:
  verify: {scripts: [.github/scripts/verify-pin.sh]}
""",
    check=check,
    tags=("promote-path", "scripts"),
    options=("scope",),
)
