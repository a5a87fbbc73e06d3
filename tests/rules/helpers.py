"""Shared pipeline text and helpers for the release-pipeline rule tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import check_json

PIPELINE_RULES = (
    "continue-on-error-on-promote-path", "needs-output-unwired", "digest-not-exposed",
    "promote-not-pinned-to-digest", "statuses-write-permission", "permissions-not-declared",
    "promote-without-verify", "verify-does-not-cover-promote", "required-secret-not-referenced",
    "promote-uses-platform-token", "secret-not-provisioned", "deprecated-set-output",
)  # fmt: skip

# A fixed release pipeline written for these tests: publish exposes the digest,
# promote POSTs it per environment with a real credential, verify reads it back.
GOOD = """
name: release
on:
  push:
    branches: [main]
permissions:
  contents: read
jobs:
  publish:
    runs-on: ubuntu-latest
    outputs:
      digest: ${{ steps.push.outputs.digest }}
    steps:
      - uses: actions/checkout@v4
      - id: push
        uses: docker/build-push-action@v6
        with:
          push: true
          tags: ghcr.io/acme/app:latest
  promote:
    needs: publish
    runs-on: ubuntu-latest
    strategy:
      fail-fast: false
      matrix:
        target: [prod, staging]
    env:
      DIGEST: ${{ needs.publish.outputs.digest }}
      TOKEN: ${{ secrets.DEPLOY_TOKEN }}
    steps:
      - run: |
          curl --fail -X POST -H "Authorization: Bearer $TOKEN" \
            "https://cp.example.com/${{ matrix.target }}/promote" -d "$DIGEST"
  verify:
    needs: [publish, promote]
    runs-on: ubuntu-latest
    strategy:
      fail-fast: false
      matrix:
        target: [prod, staging]
    steps:
      - run: |
          test "$(curl --fail https://cp.example.com/${{ matrix.target }}/pin)" \
            = "${{ needs.publish.outputs.digest }}"
"""


def scan(root: Path, *rules: str, extra: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Findings of ``rules`` (default: all of this issue's rules) over ``root``."""
    selected = rules or PIPELINE_RULES
    run = check_json(root, extra=("--select", ",".join(selected), *extra))
    assert run.exit_code in (0, 1), run.stderr
    return run.findings()


def where(findings: list[dict[str, Any]]) -> list[tuple[str, int, int]]:
    return [(f["rule"], f["line"], f["column"]) for f in findings]


def line_of(text: str, needle: str, nth: int = 0) -> int:
    """1-based line of the ``nth`` line containing ``needle`` in dedented ``text``."""
    import textwrap

    lines = textwrap.dedent(text).lstrip("\n").splitlines()
    hits = [i + 1 for i, line in enumerate(lines) if needle in line]
    return hits[nth]


def col_of(text: str, needle: str, nth: int = 0) -> int:
    import textwrap

    lines = textwrap.dedent(text).lstrip("\n").splitlines()
    hits = [line.index(needle) + 1 for line in lines if needle in line]
    return hits[nth]
