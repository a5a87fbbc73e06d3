"""Workflows for the report and gate tests, written for this project."""

from __future__ import annotations

# A release pipeline that keeps the invariants (publish → promote → verify by
# digest), plus one pre-existing problem: job `lint` needs a job that does
# not exist (needs-unknown-job), so there is always an "old" finding.
RELEASE = """\
name: release
on:
  push:
    branches: [main]
permissions:
  contents: read
  packages: write
jobs:
  lint:
    needs: [setup]
    runs-on: ubuntu-latest
    steps:
      - run: echo lint
  build:
    runs-on: ubuntu-latest
    outputs:
      digest: ${{ steps.push.outputs.digest }}
    steps:
      - uses: actions/checkout@v4
      - name: Build and push
        id: push
        uses: docker/build-push-action@v6
        with:
          push: true
          tags: ghcr.io/example/app:latest
  promote:
    needs: build
    runs-on: ubuntu-latest
    strategy:
      fail-fast: false
      matrix:
        environment: [production, staging]
    env:
      DIGEST: ${{ needs.build.outputs.digest }}
      TOKEN: ${{ secrets.DEPLOY_TOKEN }}
    steps:
      - name: Promote the digest
        id: promote
        shell: bash
        run: |
          set -euo pipefail
          curl --fail-with-body -sS -X POST -H "Authorization: Bearer ${TOKEN}" \\
            -d "{\\"environment\\": \\"${{ matrix.environment }}\\", \\"digest\\": \\"${DIGEST}\\"}" \\
            https://deploy.example.com/api/promote
  verify:
    needs: [build, promote]
    runs-on: ubuntu-latest
    strategy:
      fail-fast: false
      matrix:
        environment: [production, staging]
    steps:
      - name: Read the pin back
        shell: bash
        env:
          EXPECTED: ${{ needs.build.outputs.digest }}
          TOKEN: ${{ secrets.DEPLOY_TOKEN }}
        run: |
          set -euo pipefail
          pin=$(curl --fail -sS -H "Authorization: Bearer ${TOKEN}" \\
            "https://deploy.example.com/api/pin?environment=${{ matrix.environment }}")
          test "$pin" = "$EXPECTED"
"""

PATH = ".github/workflows/release.yml"


def with_continue_on_error(text: str = RELEASE) -> str:
    """The promote step swallows its own failure: the incident's shape."""
    marker = "        id: promote\n"
    assert marker in text
    return text.replace(marker, marker + "        continue-on-error: true\n")


def with_lines_above(text: str = RELEASE) -> str:
    """Unrelated edits above every finding: comments and a workflow-level env."""
    return "# release pipeline\n# owned by the platform team\n" + text.replace(
        "permissions:\n", "env:\n  REGISTRY: ghcr.io\npermissions:\n", 1
    )


def with_jobs_reordered(text: str = RELEASE) -> str:
    """Move job `lint` (holding the old finding) after `verify`."""
    head, rest = text.split("  lint:\n", 1)
    lint, tail = rest.split("  build:\n", 1)
    return head + "  build:\n" + tail + "  lint:\n" + lint
