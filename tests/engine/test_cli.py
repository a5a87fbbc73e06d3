"""The command line as users meet it: exit codes, formats, paths, stdin, errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

from tests.conftest import ROOT, check_json, run_cli, workflow

BROKEN = """
on: push
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - run: make push
  deploy:
    needs: [publsh]
    runs-on: ubuntu-latest
    steps:
      - run: make deploy
"""

CLEAN = """
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make test
"""


def test_version() -> None:
    result = run_cli("--version")
    assert result.exit_code == 0
    assert result.stdout.split() == ["auditor,", "version", version("auditor")]


def test_severity_names_are_one_list() -> None:
    from auditor import cli, findings

    assert cli.SEVERITIES == findings.SEVERITIES


def test_startup_imports_only_click() -> None:
    """`auditor --version` / `--help` must not pay for the model, YAML, rules or reports."""
    code = "import sys, auditor.cli; print('\\n'.join(sorted(sys.modules)))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.split()
    heavy = [m for m in loaded if m.startswith(("auditor.", "reports", "rules", "ruamel"))]
    assert heavy == ["auditor._version", "auditor.cli"]  # the version is a constant, read at no cost


def test_rules_lists_every_builtin_rule() -> None:
    result = run_cli("rules")
    assert result.exit_code == 0
    for rule_id in ("parse-error", "workflow-structure", "needs-unknown-job", "needs-cycle",
                    "file-too-large", "suppression-without-reason"):
        assert rule_id in result.stdout


def test_explain_prints_the_four_sections() -> None:
    result = run_cli("explain", "needs-cycle")
    assert result.exit_code == 0
    for heading in ("## What it does", "## Why is this bad?", "## Example", "## Use instead"):
        assert heading in result.stdout


def test_explain_unknown_rule_is_exit_2() -> None:
    result = run_cli("explain", "no-such-rule")
    assert result.exit_code == 2
    assert "unknown rule" in result.stderr


def test_findings_exit_1_and_clean_exit_0(repo) -> None:  # type: ignore[no-untyped-def]
    assert check_json(repo(workflow(BROKEN), "bad")).exit_code == 1
    clean = check_json(repo(workflow(CLEAN), "good"))
    assert clean.exit_code == 0
    assert clean.json()["findings"] == []


def test_json_contract(repo) -> None:  # type: ignore[no-untyped-def]
    result = check_json(repo(workflow(BROKEN)))
    doc = result.json()
    assert doc["schema_version"] == 1
    assert doc["tool"] == {"name": "auditor", "version": version("auditor")}
    finding = result.findings("needs-unknown-job")[0]
    assert set(finding) == {"rule", "severity", "message", "repo", "path", "line", "column",
                            "end_line", "end_column", "job", "step", "fingerprint"}
    assert finding["path"] == ".github/workflows/ci.yml"
    assert (finding["line"], finding["column"]) == (8, 13)
    assert finding["job"] == "deploy"
    assert finding["repo"] is None
    summary = doc["summary"]
    for key in ("files", "repos", "error", "warning", "note"):
        assert isinstance(summary[key], int)
    assert summary["error"] == 1


def test_text_output_shows_location_source_line_and_caret(repo) -> None:  # type: ignore[no-untyped-def]
    root = repo(workflow(BROKEN))
    result = run_cli("check", str(root))
    lines = result.stdout.splitlines()
    head = f"{root}/.github/workflows/ci.yml:8:13: error[needs-unknown-job]"
    assert lines[0].startswith(head)
    assert lines[1] == "      needs: [publsh]"
    assert lines[2] == "  " + " " * 12 + "^~~~~~"
    assert lines[-1].startswith("auditor: 1 file checked, 1 finding")
    assert "\x1b[" not in result.stdout  # not a TTY: no colour


def test_fail_on_and_select_ignore(repo) -> None:  # type: ignore[no-untyped-def]
    root = repo(workflow(BROKEN))
    assert check_json(root, extra=("--ignore", "needs-unknown-job")).exit_code == 0
    only = check_json(root, extra=("--select", "needs-cycle"))
    assert only.exit_code == 0 and only.findings() == []
    bad = run_cli("check", "--select", "not-a-rule", str(root))
    assert bad.exit_code == 2
    assert "unknown rule" in bad.stderr


def test_fail_on_note_counts_notes(repo) -> None:  # type: ignore[no-untyped-def]
    text = CLEAN.replace("make test", "make test  # auditor: ignore[needs-cycle]")
    root = repo(workflow(text))
    assert check_json(root).exit_code == 0
    assert check_json(root, extra=("--fail-on", "note")).exit_code == 1


def test_output_file(repo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "report.json"
    result = run_cli("check", "--format", "json", "--output", str(out), str(repo(workflow(BROKEN))))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert json.loads(out.read_text())["summary"]["error"] == 1


def test_single_file_path_is_repository_relative(repo) -> None:  # type: ignore[no-untyped-def]
    root = repo(workflow(BROKEN))
    result = check_json(root / ".github/workflows/ci.yml")
    assert result.findings()[0]["path"] == ".github/workflows/ci.yml"


def test_workflow_folder_path(repo) -> None:  # type: ignore[no-untyped-def]
    root = repo(workflow(BROKEN))
    result = check_json(root / ".github/workflows")
    assert [f["path"] for f in result.findings()] == [".github/workflows/ci.yml"]


def test_stdin() -> None:
    result = run_cli("check", "--format", "json", "-", input=BROKEN.lstrip("\n"))
    assert result.exit_code == 1
    assert result.findings()[0]["path"] == "<stdin>"
    assert result.findings()[0]["line"] == 8


def test_missing_path_is_exit_2() -> None:
    result = run_cli("check", "/nonexistent/auditor/path")
    assert result.exit_code == 2
    assert result.stderr.startswith("auditor: error: ")
    assert len(result.stderr.strip().splitlines()) == 1


def test_usage_error_is_exit_2() -> None:
    result = run_cli("check", "--format", "nope", ".")
    assert result.exit_code == 2


def test_malformed_workflow_is_a_finding_and_the_scan_goes_on(repo) -> None:  # type: ignore[no-untyped-def]
    root = repo({
        ".github/workflows/a.yml": "on: push\njobs: [\n",
        ".github/workflows/b.yml": BROKEN,
    })  # fmt: skip
    result = check_json(root)
    rules = sorted(f["rule"] for f in result.findings())
    assert rules == ["needs-unknown-job", "parse-error"]


def test_installed_console_script_and_module_entry(repo) -> None:  # type: ignore[no-untyped-def]
    root = repo(workflow(BROKEN))
    script = Path(sys.executable).parent / "auditor"
    env = {**os.environ, "NO_COLOR": "1"}
    for cmd in ([str(script)], [sys.executable, "-m", "auditor"]):
        proc = subprocess.run(
            [*cmd, "check", "--format", "json", str(root)],
            capture_output=True, text=True, timeout=120, env=env, cwd=ROOT,
        )  # fmt: skip
        assert proc.returncode == 1, proc.stderr
        assert json.loads(proc.stdout)["findings"][0]["rule"] == "needs-unknown-job"


def test_colour_only_when_forced(repo) -> None:  # type: ignore[no-untyped-def]
    root = repo(workflow(BROKEN))
    env = {**os.environ, "FORCE_COLOR": "1"}
    env.pop("NO_COLOR", None)
    script = Path(sys.executable).parent / "auditor"
    proc = subprocess.run([str(script), "check", str(root)], capture_output=True, text=True,
                          timeout=120, env=env)
    assert "\x1b[" in proc.stdout
    env["NO_COLOR"] = "1"
    proc = subprocess.run([str(script), "check", str(root)], capture_output=True, text=True,
                          timeout=120, env=env)
    assert "\x1b[" not in proc.stdout


def test_graph_formats(repo) -> None:  # type: ignore[no-untyped-def]
    root = repo(workflow(BROKEN.replace("[publsh]", "[publish]")))
    mermaid = run_cli("graph", str(root))
    assert mermaid.exit_code == 0
    assert "flowchart LR" in mermaid.stdout and "-->" in mermaid.stdout
    dot = run_cli("graph", "--format", "dot", str(root))
    assert "j0_publish -> j1_deploy;" in dot.stdout
    data = json.loads(run_cli("graph", "--format", "json", str(root)).stdout)
    assert data[0]["edges"] == [["publish", "deploy"]]


def test_text_indents_multi_line_messages_and_neutralises_control_characters() -> None:
    from auditor.findings import Finding
    from auditor.reports import Report, renderer

    finding = Finding("needs-cycle", "error", "first\n--- a\n+++ b\x1b[31m", "x.yml", 1, 1, 1, 2)
    text = renderer("text")(Report(findings=[finding], rules=[], files=1))
    assert "x.yml:1:1: error[needs-cycle] first\n    --- a\n    +++ b\ufffd[31m\n" in text
