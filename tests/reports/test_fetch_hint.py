"""The shallow-clone hint of ``--new-since REV``: each command it prints is run, as
printed, in a real shallow clone (``git clone --depth 1 file://``), and the same
check then succeeds."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.reports.gitrepo import commit, git, init_repo
from tests.reports.pipelines import PATH, RELEASE, with_continue_on_error

COE = "continue-on-error-on-promote-path"


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    base = init_repo(tmp_path / "app", {PATH: RELEASE, "README.md": "app\n"})
    git(base, "branch", "target")
    git(base, "tag", "-a", "-m", "release 1", "v1")  # annotated: a tag object, not a commit
    git(base, "tag", "light")
    git(base, "checkout", "-q", "-b", "feature")
    commit(base, {PATH: with_continue_on_error()}, "feature")
    return base


def _shallow(origin: Path, where: Path) -> Path:
    git(where.parent, "clone", "-q", "--depth", "1", "--branch", "feature",
        f"file://{origin}", str(where))  # fmt: skip
    assert git(where, "rev-parse", "--is-shallow-repository") == "true"
    return where


def _hints(clone: Path, rev: str) -> list[str]:
    run = run_cli("check", "--no-policy", "--new-since", rev, str(clone))
    assert run.exit_code == 2 and run.stderr.count("\n") == 1, run.stderr
    assert "this is a shallow clone" in run.stderr
    return re.findall(r"`([^`]+)`", run.stderr)


@pytest.mark.parametrize(("rev", "which"), [
    ("origin/target", 0),
    ("refs/remotes/origin/target", 0),
    ("target", 0),  # a bare name: the branch form first
    ("v1", 1),  # ... and the tag form second
    ("light", 1),
    ("refs/tags/v1", 0),
    ("refs/heads/target", 0),
    ("SHA", 0),
    ("HEAD~1", 0),
])  # fmt: skip
def test_each_hint_works_as_printed(origin: Path, tmp_path: Path, rev: str, which: int) -> None:
    clone = _shallow(origin, tmp_path / "ci")
    if rev == "SHA":
        rev = git(origin, "rev-parse", "target")
    hints = _hints(clone, rev)
    if rev == "origin/target":
        assert hints == ["git fetch --depth=1 origin target:refs/remotes/origin/target"]
    fetched = subprocess.run(shlex.split(hints[which]), cwd=clone, capture_output=True,
                             text=True, check=False)  # fmt: skip
    assert fetched.returncode == 0, (hints[which], fetched.stderr)
    run = run_cli("check", "--format", "json", "--no-policy", "--new-since", rev, str(clone))
    assert run.exit_code == 1, run.stderr
    assert [f["rule"] for f in run.findings()] == [COE]


def test_abbreviated_id_says_to_give_the_full_one(origin: Path, tmp_path: Path) -> None:
    clone = _shallow(origin, tmp_path / "ci")
    short = git(origin, "rev-parse", "--short=10", "target")
    run = run_cli("check", "--no-policy", "--new-since", short, str(clone))
    assert run.exit_code == 2 and "abbreviated commit id cannot be fetched" in run.stderr
