"""Repositories for the gate tests: real git repositories, a base commit and a change."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import Run, run_cli
from tests.reports.gitrepo import git, init_repo

WF = ".github/workflows/ci.yml"

# A clean release workflow (it publishes an image), and the same one granting
# statuses: write (an error in a release workflow).
CLEAN = """\
on: push
permissions:
  contents: read
jobs:
  build:
    runs-on: ubuntu-latest
    timeout-minutes: 5
    steps:
      - run: docker push ghcr.io/acme/app:latest
"""
GRANTS = CLEAN.replace("  contents: read\n", "  contents: read\n  statuses: write\n")
STATUSES = "statuses-write-permission"
WEAKENED = "policy-weakened"


def base_repo(root: Path, policy: str | None = None, files: dict[str, str] | None = None) -> Path:
    """A repository whose one commit (the base branch) holds CLEAN and ``policy``."""
    content: dict[str, str | bytes] = {WF: CLEAN}
    if policy is not None:
        content[".auditor.yml"] = policy
    content.update(files or {})
    return init_repo(root, content)


def change(root: Path, files: dict[str, str]) -> None:
    """The pull request: working-tree edits, uncommitted (the gate reads REV from git)."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def gate(root: Path, *extra: str, rev: str = "HEAD", fmt: str = "json") -> Run:
    return run_cli("check", "--no-cache", "--format", fmt, "--new-since", rev, *extra, str(root))


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def marker_module(marker: Path, body: str = "return ()") -> str:
    """A rule module that leaves ``marker`` when it is imported (runs repository code)."""
    return f'''
import pathlib
pathlib.Path({str(marker)!r}).write_text("imported " + __name__)
from auditor.rule import Rule


def check(ctx):
    {body}


RULE = Rule(id="marker-rule", severity="error", summary="s", what="w", why="y",
            example="e", use_instead="u", check=check)
'''


def subprocess_cli(*args: str, cwd: Path | None = None, timeout: float = 120,
                   env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m auditor ARGS`` in its own process: where exit codes and signals matter."""
    return subprocess.run(
        [sys.executable, "-m", "auditor", *args], capture_output=True, text=True,
        timeout=timeout, cwd=cwd, env={**os.environ, **(env or {})}, check=False,
    )  # fmt: skip


__all__ = ["git"]
