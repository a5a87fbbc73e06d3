"""Workflows with a promote path around a snippet, and where a finding must land."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from tests.conftest import check_json, write_files

SCRIPT_RULES = ("swallowed-failure", "script-not-found", "script-parse-error")
BODY_INDENT = 10  # columns before a run: | body line in the generated workflow

HEAD = """\
name: release
on: push
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - run: docker push registry.example.com/app:latest
  promote:
    needs: publish
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: promote
"""


def snippet_workflow(body: str, shell: str | None = None) -> str:
    """A workflow whose promote job's second step runs ``body`` (with ``shell`` if given)."""
    text = HEAD
    if shell is not None:
        text += f"        shell: {shell}\n"
    text += "        run: |\n"
    text += textwrap.indent(textwrap.dedent(body).strip("\n") + "\n", " " * BODY_INDENT)
    return text


def expected_position(workflow_text: str, needle: str, nth: int = 0) -> tuple[int, int]:
    """1-based (line, column) of the ``nth`` occurrence of ``needle`` in the run body."""
    lines = workflow_text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("run: |"))
    seen = 0
    for number in range(start + 1, len(lines)):
        column = lines[number].find(needle)
        if column >= 0:
            if seen == nth:
                return number + 1, column + 1
            seen += 1
    raise AssertionError(f"{needle!r} not in the run body")


def scan(
    root: Path, *extra: str, rules: tuple[str, ...] = SCRIPT_RULES, policy: bool = False
) -> list[dict[str, Any]]:
    """Findings of the script rules over ``root`` (its ``.auditor.yml`` only if ``policy``)."""
    flags = () if policy else ("--no-policy",)
    run = check_json(root, extra=(*flags, "--select", ",".join(rules), *extra))
    assert run.exit_code in (0, 1), run.stderr
    return run.findings()


def scan_files(
    tmp: Path, files: dict[str, str | bytes], *extra: str, policy: bool = False
) -> list[dict[str, Any]]:
    return scan(write_files(tmp, files), *extra, policy=policy)


def located(findings: list[dict[str, Any]]) -> list[tuple[str, str, int, int]]:
    return sorted((f["rule"], f["path"], f["line"], f["column"]) for f in findings)
