"""GitSource: a revision read from the object store, never from the working tree."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from auditor.gitsource import GitError, GitSource, repo_prefix
from auditor.repo import discover
from tests.reports.gitrepo import commit, git, init_repo

WF = """
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo hi
"""


@pytest.fixture
def history(tmp_path: Path) -> Path:
    root = init_repo(tmp_path / "work", {
        ".github/workflows/ci.yml": WF,
        ".gitea/workflows/sub/deploy.yaml": WF,
        "tools/action.yml": "name: x\nruns: {using: composite, steps: []}\n",
        "node_modules/pkg/action.yml": "name: skipped\n",
        "scripts/run.sh": "echo one\n",
    })  # fmt: skip
    git(root, "tag", "v1")
    commit(root, {"scripts/run.sh": "echo two\n", "NEW.md": "new\n"}, "second")
    return root


def test_reads_the_revision_not_the_worktree(history: Path) -> None:
    (history / "scripts/run.sh").write_text("dirty\n")
    with GitSource(history, "v1") as src:
        assert src.read("scripts/run.sh") == b"echo one\n"
        assert src.size("scripts/run.sh") == len(b"echo one\n")
        assert src.size("NEW.md") is None
        with pytest.raises(FileNotFoundError):
            src.read("NEW.md")
    with GitSource(history, "HEAD") as src:
        assert src.read("scripts/run.sh") == b"echo two\n"
        assert src.read("NEW.md") == b"new\n"
    assert git(history, "status", "--porcelain") == "M scripts/run.sh"


def test_listing_and_discovery(history: Path) -> None:
    src = GitSource(history, "HEAD", name="demo")
    assert src.name == "demo"
    assert src.is_dir(".github/workflows") and not src.is_dir("scripts/run.sh")
    assert src.list_dir(".github") == [("workflows", True)]
    assert ("run.sh", False) in src.list_dir("scripts")
    assert src.walk_actions() == ["tools/action.yml"]
    found = discover(src)
    assert found.workflows == (".gitea/workflows/sub/deploy.yaml", ".github/workflows/ci.yml")
    assert found.forge_dirs["gitea"] == ".gitea/workflows"
    src.close()
    src.close()  # idempotent


def test_bare_mirror(history: Path, tmp_path: Path) -> None:
    mirror = tmp_path / "demo.git"
    git(tmp_path, "clone", "-q", "--mirror", str(history), str(mirror))
    src = GitSource(mirror, "v1")
    assert src.name == "demo"
    assert src.read("scripts/run.sh") == b"echo one\n"
    assert repo_prefix(mirror) == (mirror, "")


def test_prefix_makes_a_subfolder_the_root(history: Path) -> None:
    top, prefix = repo_prefix(history / "scripts")
    assert top.resolve() == history.resolve() and prefix == "scripts"
    src = GitSource(top, "HEAD", prefix=prefix)
    assert src.read("run.sh") == b"echo two\n"
    assert src.list_dir("") == [("run.sh", False)]


def test_symlinks_inside_are_followed_outside_are_not(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "r", {"real/wf.yml": WF})
    os.symlink("real/wf.yml", root / "link.yml")
    os.symlink("../real/wf.yml", root / "real/again.yml")
    os.symlink("/etc/passwd", root / "escape.yml")
    os.symlink("../outside.yml", root / "up.yml")
    commit(root, {}, "links")
    src = GitSource(root, "HEAD")
    assert src.read("link.yml") == src.read("real/wf.yml")
    assert src.read("real/again.yml") == src.read("real/wf.yml")
    for bad in ("escape.yml", "up.yml"):
        assert src.size(bad) is None
        with pytest.raises(OSError):
            src.read(bad)


def test_missing_revision_and_not_a_repo(history: Path, tmp_path: Path) -> None:
    with pytest.raises(GitError, match="'nope' is not a commit"):
        GitSource(history, "nope")
    with pytest.raises(GitError, match="invalid revision"):
        GitSource(history, "--output=x")
    (tmp_path / "plain").mkdir()
    with pytest.raises(GitError, match="not a git repository"):
        GitSource(tmp_path / "plain", "HEAD")


def test_shallow_clone_needs_the_revision_fetched(history: Path, tmp_path: Path) -> None:
    base = git(history, "rev-parse", "HEAD~1")
    git(history, "branch", "base", base)
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{history}", str(clone))
    with pytest.raises(GitError, match="shallow clone: fetch it first"):
        GitSource(clone, base)
    git(clone, "fetch", "-q", "--depth", "1", "origin", "base")
    assert GitSource(clone, base).read("scripts/run.sh") == b"echo one\n"


def test_pickles_without_the_process(history: Path) -> None:
    src = GitSource(history, "v1")
    assert src.read("scripts/run.sh") == b"echo one\n"
    copy = pickle.loads(pickle.dumps(src))
    assert copy.read("scripts/run.sh") == b"echo one\n"
    assert copy.commit == src.commit
