"""gitrefs reads what git rev-parse says, or says it cannot (never something else)."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.gitrefs import git_dir_of, read_ref
from tests.org.conftest import CLEAN, bare_mirror, commit, git, make_repo


def rev_parse(repo: Path, rev: str) -> str:
    return git(repo, "rev-parse", "--verify", "-q", rev).strip()


@pytest.fixture
def work(tmp_path: Path) -> Path:
    repo = make_repo(tmp_path, "work", {".github/workflows/ci.yml": CLEAN})
    git(repo, "tag", "light")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@x", "tag", "-a", "annotated", "-m", "a")
    git(repo, "checkout", "-q", "-b", "feature/x")
    commit(repo, {"README.md": "x\n"})
    git(repo, "checkout", "-q", "main")
    commit(repo, {"README.md": "main\n"})
    return repo


REVS = ["HEAD", "main", "feature/x", "light", "annotated", "refs/heads/main", "tags/light",
        "heads/feature/x"]  # fmt: skip


def test_loose_refs_match_git(work: Path) -> None:
    git_dir = git_dir_of(str(work))
    assert git_dir == str(work / ".git")
    for rev in REVS:
        assert read_ref(git_dir, rev) == rev_parse(work, rev), rev


def test_packed_refs_match_git(work: Path) -> None:
    git(work, "pack-refs", "--all")
    assert not (work / ".git/refs/heads/main").exists()
    git_dir = git_dir_of(str(work))
    assert git_dir is not None
    for rev in REVS:
        assert read_ref(git_dir, rev) == rev_parse(work, rev), rev
    # a loose ref written after packing wins over the packed one, as in git
    commit(work, {"README.md": "later\n"})
    assert read_ref(git_dir, "main") == rev_parse(work, "main")


def test_bare_mirrors_and_remote_tracking_refs(work: Path, tmp_path: Path) -> None:
    mirror = bare_mirror(work, tmp_path / "m.git")
    assert git_dir_of(str(mirror)) == str(mirror)
    for rev in REVS:
        assert read_ref(str(mirror), rev) == rev_parse(mirror, rev), rev
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(work), str(clone))
    git_dir = git_dir_of(str(clone))
    assert git_dir is not None
    for rev in ("origin/main", "origin/feature/x", "origin/HEAD", "origin"):
        assert read_ref(git_dir, rev) == rev_parse(clone, rev), rev


def test_what_it_cannot_read_is_left_to_git(work: Path, tmp_path: Path) -> None:
    git_dir = str(work / ".git")
    short = rev_parse(work, "HEAD")[:10]
    for rev in ("HEAD~1", "main^", short, "main@{1}", "HEAD:README.md", "no-such-ref", "-x"):
        assert read_ref(git_dir, rev) is None, rev
    full = rev_parse(work, "HEAD")
    assert read_ref(git_dir, full) == full
    linked = tmp_path / "linked"
    git(work, "worktree", "add", "-q", str(linked), "feature/x")
    assert git_dir_of(str(linked)) is None  # a `.git` file: git is asked
    assert read_ref(str(work / ".git" / "worktrees" / "linked"), "HEAD") is None
    assert git_dir_of(str(tmp_path)) is None
