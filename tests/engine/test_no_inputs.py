"""Nothing to check is not a pass: ``check`` of a path without workflows exits 3."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli, write_files

WILD = ROOT.parent / "shared" / "corpus" / "wild"
WORKFLOW = "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n"
NOTHING = "no inputs collected: no workflow file under .github/workflows, .gitea/workflows"


def test_empty_folder_exits_3_with_one_line(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    run = run_cli("check", "--no-cache", str(empty))
    assert run.exit_code == 3 and run.stdout == ""
    assert run.stderr.splitlines() == [f"auditor: {empty}: {NOTHING}, .forgejo/workflows"]


def test_an_empty_workflow_folder_named_is_nothing_too(tmp_path: Path) -> None:
    (tmp_path / "app/.github/workflows").mkdir(parents=True)
    run = run_cli("check", "--no-cache", str(tmp_path / "app/.github/workflows"))
    assert run.exit_code == 3 and NOTHING in run.stderr


def test_folder_of_repositories_suggests_org(tmp_path: Path) -> None:
    write_files(tmp_path / "org/a", {".github/workflows/ci.yml": WORKFLOW})
    (tmp_path / "org/b/.git").mkdir(parents=True)
    run = run_cli("check", "--no-cache", str(tmp_path / "org"))
    assert run.exit_code == 3
    assert run.stderr.strip().endswith(
        f"it holds 2 repositories: scan them with `auditor org --root {tmp_path / 'org'}`"
    )
    org = run_cli("org", "--no-cache", "--quiet", "--root", str(tmp_path / "org"))
    assert org.exit_code == 0, org.stderr


def test_several_paths_name_each_empty_one(tmp_path: Path) -> None:
    app = write_files(tmp_path / "app", {".github/workflows/ci.yml": WORKFLOW})
    first, second = tmp_path / "e1", tmp_path / "e2"
    first.mkdir()
    second.mkdir()
    run = run_cli("check", "--no-cache", "--format", "json", str(first), str(app), str(second))
    assert run.exit_code == 3, run.stderr
    assert run.json()["summary"]["files"] == 1  # the report of what was checked is printed
    named = [line.split(": ")[1] for line in run.stderr.splitlines() if NOTHING in line]
    assert named == [str(first), str(second)]


def test_findings_elsewhere_still_exit_1(tmp_path: Path) -> None:
    broken = WORKFLOW + "  deploy:\n    needs: nope\n    runs-on: x\n    steps:\n      - run: y\n"
    app = write_files(tmp_path / "app", {".github/workflows/ci.yml": broken})
    (tmp_path / "e").mkdir()
    run = run_cli("check", "--no-cache", str(app), str(tmp_path / "e"))
    assert run.exit_code == 1 and NOTHING in run.stderr


def test_an_action_repository_and_stdin_are_checked(tmp_path: Path) -> None:
    action = write_files(tmp_path / "act", {"action.yml": "name: a\nruns:\n  using: node20\n  main: x.js\n"})
    assert run_cli("check", "--no-cache", str(action)).exit_code == 0
    assert run_cli("check", "-", input=WORKFLOW).exit_code == 0


@pytest.mark.skipif(not WILD.is_dir(), reason="../shared/corpus/wild is not here")
def test_the_wild_corpus_root_is_nothing_and_names_the_org_command() -> None:
    exe = Path(sys.executable).with_name("auditor")
    run = subprocess.run([str(exe), "check", "--no-cache", str(WILD)], capture_output=True,
                         text=True, timeout=300, check=False)  # fmt: skip
    assert run.returncode == 3 and run.stdout == ""
    assert run.stderr.count("\n") == 1
    assert f"one level down: scan them with `auditor org {WILD}/*/*`" in run.stderr


def test_help_documents_the_exit_codes() -> None:
    assert "3 nothing to check" in " ".join(run_cli("check", "--help").stdout.split())
    assert "| 3 | `check`: nothing to check" in (ROOT / "README.md").read_text()


def test_a_repository_of_local_actions_is_checked_and_a_folder_of_them_is_not(tmp_path: Path) -> None:
    """An actions repository (a forge folder or .git at its root) with clean local actions
    passes (exit 0); the same actions in a folder that is no repository are nothing."""
    action = "name: a\nruns:\n  using: composite\n  steps:\n    - run: echo hi\n      shell: bash\n"
    repo = write_files(tmp_path / "actions-repo", {".github/actions/build/action.yml": action})
    assert run_cli("check", str(repo)).exit_code == 0
    loose = write_files(tmp_path / "loose", {"tools/build/action.yml": action})
    result = run_cli("check", str(loose))
    assert result.exit_code == 3
    assert "no inputs collected" in result.stderr
