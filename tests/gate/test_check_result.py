"""``auditor.check.run_check`` returns a typed ``CheckResult`` whose lookups find each
finding's own repository by a value the finding carries, not by the object's id."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from auditor.check import CheckError, CheckOptions, CheckResult, run_check
from tests.conftest import run_cli, write_files
from tests.gate.helpers import GRANTS, WF


def test_identical_repositories_keep_their_own_paths_and_lines(tmp_path: Path) -> None:
    a = write_files(tmp_path / "a", {WF: GRANTS})
    b = write_files(tmp_path / "b", {WF: "# one more line\n" + GRANTS})
    result = run_check([str(a), str(b)], CheckOptions(use_cache=False))
    assert isinstance(result, CheckResult)
    first, second = result.findings
    # the same finding in two repositories: each names its own (issue 13 item 6), so the
    # lookups must tell them apart by more than their values in the file
    assert (first.repo, second.repo) == (str(a), str(b))
    assert {result.display_path(f) for f in result.findings} == {f"{a}/{WF}", f"{b}/{WF}"}
    for f in result.findings:
        assert result.source_line(f) == "  statuses: write"
        copy = replace(f)  # another object with the same values finds the same answers
        assert result.display_path(copy) == result.display_path(f)
    text = run_cli("check", "--no-cache", str(a), str(b)).stdout
    assert f"{a}/{WF}:4:3:" in text and f"{b}/{WF}:5:3:" in text


def test_errors_are_one_line_check_errors(tmp_path: Path) -> None:
    try:
        run_check([str(tmp_path / "missing")], CheckOptions())
    except CheckError as exc:
        assert "no such file or directory" in str(exc) and "\n" not in str(exc)
    else:
        raise AssertionError("no CheckError")
