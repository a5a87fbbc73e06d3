"""``--new-since REV``: the pre-merge gate, on real git repositories made with ``git``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_cli
from tests.reports.gitrepo import commit, git, init_repo
from tests.reports.pipelines import (
    PATH,
    RELEASE,
    with_continue_on_error,
    with_jobs_reordered,
    with_lines_above,
)

COE = "continue-on-error-on-promote-path"
UNKNOWN = "needs-unknown-job"


def gate(root: Path, rev: str, *extra: str) -> tuple[int, list[dict[str, Any]], dict[str, Any]]:
    run = run_cli("check", "--format", "json", "--no-policy", "--new-since", rev, *extra,
                  str(root))  # fmt: skip
    assert run.exit_code in (0, 1), run.stderr
    doc = run.json()
    return run.exit_code, doc["findings"], doc["summary"]


@pytest.fixture
def base(tmp_path: Path) -> Path:
    return init_repo(tmp_path / "app", {PATH: RELEASE, "README.md": "app\n"})


def test_rule_under_test_is_installed() -> None:
    listing = run_cli("rules").stdout
    assert COE in listing and UNKNOWN in listing


def test_committed_continue_on_error_is_reported_and_old_findings_are_not(base: Path) -> None:
    full = run_cli("check", "--format", "json", "--no-policy", str(base))
    assert [f["rule"] for f in full.findings()] == [UNKNOWN]
    commit(base, {PATH: with_continue_on_error()}, "promote: best effort")
    code, findings, summary = gate(base, "HEAD~1")
    assert code == 1
    assert [f["rule"] for f in findings] == [COE]
    line = with_continue_on_error().splitlines().index("        continue-on-error: true") + 1
    assert findings[0]["line"] == line and findings[0]["job"] == "promote"
    assert summary["baselined"] == 1  # the needs-unknown-job finding REV already had
    # The same change, uncommitted in the working tree, against HEAD~1 and HEAD.
    code, findings, _ = gate(base, "HEAD")
    assert code == 0 and findings == []


def test_uncommitted_change_against_head(base: Path) -> None:
    (base / PATH).write_text(with_continue_on_error())
    code, findings, _ = gate(base, "HEAD")
    assert code == 1 and [f["rule"] for f in findings] == [COE]
    assert git(base, "status", "--porcelain") == f"M {PATH}"  # nothing else touched


def test_findings_present_at_rev_are_not_reported(base: Path) -> None:
    code, findings, summary = gate(base, "HEAD")
    assert code == 0 and findings == [] and summary["baselined"] == 1
    text = run_cli("check", "--no-policy", "--new-since", "HEAD", str(base))
    assert text.exit_code == 0
    assert "no findings (1 baselined)" in text.stdout


def test_unrelated_edits_above_keep_a_finding_old(base: Path) -> None:
    commit(base, {PATH: with_jobs_reordered(with_lines_above())}, "reformat")
    full = run_cli("check", "--format", "json", "--no-policy", str(base)).findings()
    assert [f["rule"] for f in full] == [UNKNOWN]
    old_line = run_cli("check", "--format", "json", "--no-policy", "--new-since", "HEAD~1",
                       str(base))  # fmt: skip
    assert old_line.exit_code == 0 and old_line.findings() == []


def test_exit_code_comes_from_new_findings_only(base: Path) -> None:
    # REV has an error; the change adds nothing: exit 0 although an error remains.
    code, _, _ = gate(base, "HEAD")
    assert code == 0
    plain = run_cli("check", "--no-policy", str(base))
    assert plain.exit_code == 1


def test_new_file_and_deleted_file(base: Path) -> None:
    commit(base, {".github/workflows/other.yml": "on: push\njobs:\n  a:\n    needs: nope\n"
                  "    runs-on: x\n    steps: [{run: echo}]\n"}, "add")  # fmt: skip
    code, findings, _ = gate(base, "HEAD~1")
    assert code == 1 and [(f["path"], f["rule"]) for f in findings] == [
        (".github/workflows/other.yml", UNKNOWN)
    ]
    git(base, "rm", "-q", PATH)
    code, findings, _ = gate(base, "HEAD")
    assert code == 0 and findings == []


def test_single_file_and_subfolder_targets(base: Path, tmp_path: Path) -> None:
    (base / PATH).write_text(with_continue_on_error())
    run = run_cli("check", "--format", "json", "--no-policy", "--new-since", "HEAD",
                  str(base / PATH))  # fmt: skip
    assert [f["rule"] for f in run.findings()] == [COE]
    # A repository that is a folder of a bigger checkout (a monorepo).
    mono = init_repo(tmp_path / "mono", {f"svc/{PATH}": RELEASE})
    (mono / "svc" / PATH).write_text(with_continue_on_error())
    code, findings, summary = gate(mono / "svc", "HEAD")
    assert code == 1 and [f["rule"] for f in findings] == [COE] and summary["baselined"] == 1
    assert findings[0]["path"] == PATH


def test_shallow_ci_clone_works_once_rev_is_fetched(
    base: Path, tmp_path: Path
) -> None:
    git(base, "branch", "target")  # the branch a pull request merges into
    git(base, "checkout", "-q", "-b", "feature")
    commit(base, {PATH: with_continue_on_error()}, "feature")
    clone = tmp_path / "ci"
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "feature", f"file://{base}",
        str(clone))  # fmt: skip
    assert git(clone, "rev-parse", "--is-shallow-repository") == "true"
    missing = run_cli("check", "--no-policy", "--new-since", "origin/target", str(clone))
    assert missing.exit_code == 2
    assert missing.stderr.count("\n") == 1
    assert "shallow clone: fetch it first" in missing.stderr
    git(clone, "fetch", "-q", "--depth", "1", "origin", "target:refs/remotes/origin/target")
    code, findings, _ = gate(clone, "origin/target")
    assert code == 1 and [f["rule"] for f in findings] == [COE]
    assert git(clone, "status", "--porcelain") == ""


def test_missing_rev_is_exit_2_with_one_line(base: Path, tmp_path: Path) -> None:
    run = run_cli("check", "--no-policy", "--new-since", "no-such-branch", str(base))
    assert run.exit_code == 2 and run.stdout == ""
    assert run.stderr == (
        f"auditor: error: revision 'no-such-branch' is not a commit in {base}\n"
    )
    plain = tmp_path / "plain"
    (plain / ".github/workflows").mkdir(parents=True)
    (plain / PATH).write_text(RELEASE)
    run = run_cli("check", "--no-policy", "--new-since", "HEAD", str(plain))
    assert run.exit_code == 2 and "is not a git repository" in run.stderr
    run = run_cli("check", "--no-policy", "--new-since", "HEAD", "-", input=RELEASE)
    assert run.exit_code == 2 and "not standard input" in run.stderr


def test_combines_with_other_outputs(base: Path, tmp_path: Path) -> None:
    (base / PATH).write_text(with_continue_on_error())
    sarif = tmp_path / "gate.sarif"
    run = run_cli("check", "--no-policy", "--new-since", "HEAD", "--report", f"sarif:{sarif}",
                  "--format", "github", str(base))  # fmt: skip
    assert run.exit_code == 1
    assert run.stdout.startswith("::error file=")
    assert sarif.read_text().count('"ruleId"') == 1
