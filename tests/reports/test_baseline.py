"""Baselines: ``auditor baseline`` records fingerprints; ``check --baseline`` reports only new."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli, write_files
from tests.reports.pipelines import (
    PATH,
    RELEASE,
    with_continue_on_error,
    with_jobs_reordered,
    with_lines_above,
)


def test_round_trip(tmp_path: Path) -> None:
    root = write_files(tmp_path / "app", {PATH: with_continue_on_error()})
    out = tmp_path / "auditor-baseline.json"
    made = run_cli("baseline", "--no-policy", str(root), "-o", str(out))
    assert made.exit_code == 0, made.stderr
    assert "recorded 2 finding(s)" in made.stderr
    doc = json.loads(out.read_text())
    assert doc["kind"] == "auditor-baseline" and doc["version"] == 1 and doc["count"] == 2
    assert {e["rule"] for e in doc["findings"]} == {
        "needs-unknown-job", "continue-on-error-on-promote-path"
    }
    assert all(e["path"] == PATH and len(e["fingerprint"]) == 32 for e in doc["findings"])
    full = run_cli("check", "--format", "json", "--no-policy", str(root)).findings()
    assert {f["fingerprint"] for f in full} == {e["fingerprint"] for e in doc["findings"]}

    again = run_cli("check", "--no-policy", "--baseline", str(out), str(root))
    assert again.exit_code == 0
    assert again.stdout.strip().endswith("no findings (2 baselined)")
    summary = run_cli("check", "--format", "json", "--no-policy", "--baseline", str(out),
                      str(root)).json()["summary"]  # fmt: skip
    assert summary["baselined"] == 2 and summary["error"] == 0


def test_survives_line_shifts_and_job_reordering(tmp_path: Path) -> None:
    root = write_files(tmp_path / "app", {PATH: RELEASE})
    out = tmp_path / "b.json"
    assert run_cli("baseline", "--no-policy", str(root), "-o", str(out)).exit_code == 0
    (root / PATH).write_text(with_jobs_reordered(with_lines_above()))
    run = run_cli("check", "--format", "json", "--no-policy", "--baseline", str(out), str(root))
    assert run.exit_code == 0 and run.findings() == []
    # A new problem is still reported, and only it.
    (root / PATH).write_text(with_continue_on_error(with_jobs_reordered(with_lines_above())))
    run = run_cli("check", "--format", "json", "--no-policy", "--baseline", str(out), str(root))
    assert run.exit_code == 1
    assert [f["rule"] for f in run.findings()] == ["continue-on-error-on-promote-path"]
    assert run.json()["summary"]["baselined"] == 1


def test_a_json_report_works_as_a_baseline(tmp_path: Path) -> None:
    root = write_files(tmp_path / "app", {PATH: RELEASE})
    report = tmp_path / "report.json"
    run_cli("check", "--no-policy", "--report", f"json:{report}", str(root))
    run = run_cli("check", "--no-policy", "--baseline", str(report), str(root))
    assert run.exit_code == 0 and "1 baselined" in run.stdout


def test_bad_baseline_files_are_exit_2(tmp_path: Path) -> None:
    root = write_files(tmp_path / "app", {PATH: RELEASE})
    cases = {
        "missing.json": None,
        "garbage.json": "{not json",
        "shape.json": '{"findings": 3}',
        "entry.json": '{"findings": [{"rule": "x"}]}',
        "version.json": '{"kind": "auditor-baseline", "version": 99, "findings": []}',
    }
    reasons = {
        "missing.json": "no such baseline file",
        "garbage.json": "invalid JSON",
        "shape.json": "no 'findings' list",
        "entry.json": "findings[0]: no fingerprint",
        "version.json": "baseline version 99 is not supported",
    }
    for name, content in cases.items():
        path = tmp_path / name
        if content is not None:
            path.write_text(content)
        run = run_cli("check", "--no-policy", "--baseline", str(path), str(root))
        assert run.exit_code == 2, name
        assert run.stderr.count("\n") == 1 and reasons[name] in run.stderr, run.stderr


def test_baseline_default_output_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_files(tmp_path / "app", {PATH: RELEASE})
    monkeypatch.chdir(tmp_path)
    assert run_cli("baseline", "--no-policy", str(root)).exit_code == 0
    assert json.loads((tmp_path / "auditor-baseline.json").read_text())["count"] == 1
