"""Workflow folders a hostile repository shapes: nested thousands deep (Gitea and Forgejo run
workflows in subfolders, to any depth), too deep for the system's path limit, unreadable.
Discovery scans what it can and reports a ``scan-incomplete`` finding, located at the
folder, for what it cannot; a bare mirror of the same tree is scanned the same way.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.hostile.test_hostile import TIMEOUT, _limit_memory, findings, scan
from tests.org.conftest import bare_mirror, git

BAD = "on: push\njobs:\n  a:\n    runs-on: x\n    needs: [{need}]\n    steps: [{{run: echo}}]\n"
DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY


@contextmanager
def nest(top: Path, names: list[str], files: dict[int, tuple[str, str]]) -> Iterator[None]:
    """Folders ``names[0]/names[1]/...`` under ``top``, made and removed through directory
    descriptors (so paths longer than the system allows work), with ``files[depth] =
    (name, text)`` written in the folder at that depth (0: ``top`` itself)."""
    fds = [os.open(top, DIR_FLAGS)]
    try:
        for depth in range(len(names) + 1):
            if depth in files:
                name, text = files[depth]
                fd = os.open(name, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fds[-1])
                os.write(fd, text.encode())
                os.close(fd)
            if depth < len(names):
                os.mkdir(names[depth], dir_fd=fds[-1])
                fds.append(os.open(names[depth], DIR_FLAGS, dir_fd=fds[-1]))
        yield
    finally:
        # remove bottom-up (shutil.rmtree recurses, and its paths would be too long)
        for depth in range(len(fds) - 1, -1, -1):
            if depth in files:
                os.unlink(files[depth][0], dir_fd=fds[depth])
            if depth:
                os.close(fds[depth])
                os.rmdir(names[depth - 1], dir_fd=fds[depth - 1])
        os.close(fds[0])


def _workflows(root: Path) -> Path:
    folder = root / ".gitea" / "workflows"
    folder.mkdir(parents=True)
    return folder


def test_a_thousand_nested_folders_are_scanned_to_the_bottom(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    folder = _workflows(root)
    files = {0: ("top.yml", BAD.format(need="ghost0")), 1000: ("deep.yml", BAD.format(need="ghost1"))}
    with nest(folder, ["d"] * 1000, files):
        proc = scan(root, "--no-cache")
        found = findings(proc)
        report = json.loads(proc.stdout)
        # the workflow folder named on the command line is read the same way
        by_folder = findings(scan(folder, "--no-cache"))
    deep = ".gitea/workflows/" + "d/" * 1000 + "deep.yml"
    expected = {(".gitea/workflows/top.yml", "needs-unknown-job"), (deep, "needs-unknown-job")}
    assert {(f["path"], f["rule"]) for f in found} == expected
    assert {(f["path"], f["rule"]) for f in by_folder} == expected
    assert report["summary"]["files"] == 2


def test_a_bare_mirror_of_a_thousand_nested_folders(tmp_path: Path) -> None:
    work = tmp_path / "src" / "deep"
    folder = _workflows(work)
    files = {0: ("top.yml", BAD.format(need="ghost0")), 1000: ("deep.yml", BAD.format(need="ghost1"))}
    git(work, "init", "-q", "-b", "main")
    with nest(folder, ["d"] * 1000, files):
        git(work, "add", "-A")
        git(work, "commit", "-q", "-m", "deep")
    mirror = bare_mirror(work, tmp_path / "mirrors" / "deep.git")
    proc = subprocess.run(
        [sys.executable, "-m", "auditor", "org", "-q", "--format", "json", "--no-cache", str(mirror)],
        capture_output=True, text=True, timeout=TIMEOUT, preexec_fn=_limit_memory, check=False,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
    paths = {f["path"] for f in json.loads(proc.stdout)["findings"]}
    assert ".gitea/workflows/" + "d/" * 1000 + "deep.yml" in paths
    assert ".gitea/workflows/top.yml" in paths


def test_folders_deeper_than_the_path_limit_are_a_finding_at_the_folder(tmp_path: Path) -> None:
    """25 levels of 250-character names: past PATH_MAX (4096), so no program can list the
    deepest folders by path; what can be listed is scanned, the first folder that cannot
    is the finding."""
    root = tmp_path / "repo"
    folder = _workflows(root)
    names = ["n" * 250] * 25
    files = {2: ("shallow.yml", BAD.format(need="ghost0")), 25: ("deep.yml", BAD.format(need="ghost1"))}
    with nest(folder, names, files):
        found = findings(scan(root, "--no-cache"))
    rules = {(f["rule"], f["path"].count("/")) for f in found}
    assert ("needs-unknown-job", 2 + 2) in rules  # .gitea/workflows/n/n/shallow.yml
    (stopped,) = [f for f in found if f["rule"] == "scan-incomplete"]
    assert stopped["path"].startswith(".gitea/workflows/" + "n" * 250)
    assert len(str(root)) + len(stopped["path"]) + 1 >= 4096
    assert "File name too long" in stopped["message"]
    assert (stopped["line"], stopped["column"], stopped["severity"]) == (1, 1, "error")
    assert not any(f["path"].endswith("deep.yml") for f in found)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads folders whatever their mode")
def test_an_unreadable_subfolder_is_a_finding(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    folder = _workflows(root)
    (folder / "top.yml").write_text(BAD.format(need="ghost0"))
    locked = folder / "locked"
    locked.mkdir()
    (locked / "hidden.yml").write_text(BAD.format(need="ghost1"))
    locked.chmod(0)
    try:
        found = findings(scan(root, "--no-cache"))
    finally:
        locked.chmod(0o755)
    assert {(f["path"], f["rule"]) for f in found} == {
        (".gitea/workflows/top.yml", "needs-unknown-job"),
        (".gitea/workflows/locked", "scan-incomplete"),
    }


def test_a_workflow_folder_linked_out_of_the_repository_is_a_finding(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.yml").write_text(BAD.format(need="OUTSIDE"))
    root = tmp_path / "repo"
    (root / ".gitea").mkdir(parents=True)
    (root / ".gitea" / "workflows").symlink_to(outside)
    proc = scan(root, "--no-cache")
    found = findings(proc)
    assert [(f["path"], f["rule"]) for f in found] == [(".gitea/workflows", "scan-incomplete")]
    assert "outside the repository" in found[0]["message"] and "OUTSIDE" not in proc.stdout
