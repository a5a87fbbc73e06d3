"""The shipped pre-commit hook, installed and run by pre-commit itself.

``pre-commit try-repo CHECKOUT auditor --all-files`` clones this checkout
(uncommitted edits to tracked files included), builds the hook's Python
environment from it as a user's machine would, and runs it in a git
repository the test makes: the hook fails on the broken example pipeline and
passes once it is fixed. Slow (pre-commit installs auditor into its own
environment); skipped, saying so, only when that environment cannot be built
because the package registry is out of reach.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, write_files
from tests.install.helpers import clean_env, skip_if_registry_unreachable


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True)


def _example(name: str) -> dict[str, str | bytes]:
    source = ROOT / "examples" / name
    return {str(p.relative_to(source)): p.read_bytes() for p in source.rglob("*") if p.is_file()}


def test_the_hook_fails_on_a_broken_pipeline_and_passes_on_a_fixed_one(tmp_path: Path) -> None:
    if subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True).returncode != 0:
        pytest.skip(f"{ROOT} is not a git checkout with a commit: pre-commit try-repo clones one")
    home = tmp_path / "pre-commit-home"
    env = clean_env(PRE_COMMIT_HOME=str(home), PRE_COMMIT_COLOR="never", SKIP="")
    repo = write_files(tmp_path / "app", _example("broken-pipeline"))
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")

    def try_repo() -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "auditor", "--all-files"],
                              cwd=repo, env=env, capture_output=True, text=True, check=False, timeout=900)  # fmt: skip
        log = home / "pre-commit.log"
        skip_if_registry_unreachable(proc, "pre-commit could not build the hook's environment",
                                     log.read_text(errors="replace") if log.exists() else "")  # fmt: skip
        return proc

    broken = try_repo()
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "auditor (release-pipeline policy)" in broken.stdout and "Failed" in broken.stdout
    assert "error[continue-on-error-on-promote-path]" in broken.stdout
    assert "Traceback" not in broken.stdout + broken.stderr

    shutil.rmtree(repo / ".github")
    write_files(repo, _example("fixed-pipeline"))
    _git(repo, "add", "-A")
    fixed = try_repo()
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "auditor (release-pipeline policy)" in fixed.stdout and "Passed" in fixed.stdout
