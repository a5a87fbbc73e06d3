"""Org-scan fixtures: real git repositories made with `git` in tmp folders."""

from __future__ import annotations

import os
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from auditor.gitsource import git_env


def git(repo: Path, *args: str, when: int | None = None) -> str:
    env = git_env()
    env.update({
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
    })  # fmt: skip
    if when is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"@{when} +0000"
    proc = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, env=env, check=False
    )
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout.decode()


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def commit(repo: Path, files: dict[str, str], message: str = "change", when: int | None = None,
           remove: tuple[str, ...] = ()) -> str:  # fmt: skip
    write(repo, files)
    for rel in remove:
        (repo / rel).unlink()
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message, when=when)
    return git(repo, "rev-parse", "HEAD").strip()


def make_repo(parent: Path, name: str, files: dict[str, str], when: int | None = None) -> Path:
    """A working tree with one commit on branch ``main``."""
    repo = parent / name
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    commit(repo, files, "initial", when=when)
    return repo


def bare_mirror(source: Path, target: Path) -> Path:
    """``git clone --mirror`` of ``source`` into ``target`` (a bare ``*.git``)."""
    git(source.parent, "clone", "-q", "--mirror", str(source), str(target))
    return target


CLEAN = """
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: make
"""

BROKEN = "on: push\njobs: [unclosed\n"

# A job that pushes an image and exposes its digest; tests add the promote side.
PUBLISH = """
on: push
jobs:
  publish:
    runs-on: ubuntu-latest
    outputs:
      digest: ${{ steps.push.outputs.digest }}
    steps:
      - id: push
        uses: docker/build-push-action@v6
        with: {push: true, tags: "r/app:latest"}
"""


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private result cache (never the user's)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("AUDITOR_CACHE_DIR", str(folder))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    yield folder


SCAN_EPOCH = 1767225600  # 2026-01-01T00:00:00Z


@pytest.fixture(autouse=True)
def fixed_scan_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Org reports carry their scan time: fixed (``SOURCE_DATE_EPOCH``), so tests that
    compare two runs' reports byte for byte compare what was found, not the clock."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(SCAN_EPOCH))
