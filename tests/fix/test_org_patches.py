"""``auditor org --fix``: one patch per repository that ``git am`` applies in a real repo."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import check_json, run_cli, write_files
from tests.fix.test_fix_cli import RELEASE, WF

GIT_ENV = ["-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"]


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *GIT_ENV, *args], cwd=root, capture_output=True, text=True, check=True)
    return done.stdout


def _repo(path: Path, text: str) -> Path:
    write_files(path, {WF: text})
    _git(path, "init", "-q", "-b", "main")
    _git(path, "add", "-A")
    _git(path, "commit", "-qm", "init")
    return path


def test_one_patch_per_repository_applies_with_git_am(tmp_path: Path) -> None:
    org = tmp_path / "org"
    _repo(org / "alpha", RELEASE)
    _repo(org / "beta", RELEASE.replace("  statuses: write   # from when promote meant a status\n", ""))
    patches = tmp_path / "patches"
    run = run_cli("org", "--root", str(org), "--no-policy", "--fix", "--unsafe", "--patch-dir", str(patches))
    assert run.exit_code == 1, run.stderr
    names = sorted(p.name for p in patches.iterdir())
    assert names == ["0001-alpha.patch", "0002-beta.patch"]
    alpha = (patches / "0001-alpha.patch").read_text()
    header, _, rest = alpha.partition("\n\n")
    assert header.splitlines()[1] == "From: auditor <auditor@localhost>"
    assert header.splitlines()[2].startswith("Date: ")
    subject = header.splitlines()[3]
    assert subject.startswith("Subject: [PATCH] auditor fix: ")
    for rule in ("continue-on-error-on-promote-path", "statuses-write-permission", "swallowed-failure"):
        assert rule in subject
    assert f" {WF} | " in rest and "1 file changed" in rest
    # the repositories themselves were only read
    assert _git(org / "alpha", "status", "--porcelain") == ""
    for name, patch in (("alpha", "0001-alpha.patch"), ("beta", "0002-beta.patch")):
        _git(org / name, "am", "-q", str(patches / patch))
        assert _git(org / name, "log", "-1", "--format=%s").startswith("auditor fix: ")
        assert _git(org / name, "status", "--porcelain") == ""
        left = {f["rule"] for f in check_json(org / name, extra=("--no-policy",)).findings()}
        assert not left & {"statuses-write-permission", "swallowed-failure",
                           "continue-on-error-on-promote-path"}  # fmt: skip
    again = run_cli("org", "--root", str(org), "--no-policy", "--fix", "--unsafe", "--diff")
    assert again.exit_code == 0 and again.stdout == ""


def test_diff_prints_the_patches_and_a_clean_org_has_none(tmp_path: Path) -> None:
    org = tmp_path / "org"
    _repo(org / "alpha", RELEASE)
    run = run_cli("org", "--root", str(org), "--no-policy", "--fix", "--diff")
    assert run.exit_code == 1
    assert run.stdout.startswith("From 0000000000000000000000000000000000000000 ")
    assert "Subject: [PATCH] auditor fix: statuses-write-permission\n" in run.stdout
    bad = run_cli("org", "--root", str(org), "--fix")
    assert bad.exit_code == 2 and "--patch-dir" in bad.stderr and "Traceback" not in bad.stderr
    assert run_cli("org", "--root", str(org), "--diff").exit_code == 2
