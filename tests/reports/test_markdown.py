"""Markdown for a pull-request comment: verdict, table, findings by file, graphs, size cap."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.findings import Finding, StepRef
from auditor.reports import Report
from auditor.reports.markdown import LIMIT, code, escape, message, render
from auditor.rule_docs import rule_doc_url
from tests.conftest import run_cli, write_files
from tests.reports.pipelines import PATH, RELEASE, with_continue_on_error

__all__ = ["LIMIT"]


def test_pipeline_comment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_files(tmp_path, {PATH: with_continue_on_error()})
    monkeypatch.chdir(tmp_path)
    for var in ("AUDITOR_LINK_BASE", "GITHUB_SERVER_URL", "GITEA_ACTIONS"):
        monkeypatch.delenv(var, raising=False)
    run = run_cli("check", "--no-policy", "--format", "markdown", ".")
    assert run.exit_code == 1
    md = run.stdout
    first = md.splitlines()[0]
    assert first.startswith("### ❌ auditor: failed: 2 findings at or above `error`")
    for rule_id in ("continue-on-error-on-promote-path", "needs-unknown-job"):
        assert f"| [`{rule_id}`]({rule_doc_url(rule_id)}) | 🔴 error | 1 |" in md
    assert f"**`{PATH}`**" in md
    line = with_continue_on_error().splitlines().index("        continue-on-error: true") + 1
    assert f"line [{line}]({PATH}#L{line})" in md
    assert "(job `promote`, step `promote`)" in md
    # The affected workflow's job graph, roles coloured.
    assert "```mermaid\nflowchart LR" in md
    assert "class j2_promote promote" in md and "classDef verify fill:" in md
    assert "promote #91;promote#93;" in md


def test_links_point_at_the_forge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_files(tmp_path, {PATH: RELEASE})
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AUDITOR_LINK_BASE", raising=False)
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://git.example.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/app")
    monkeypatch.setenv("GITHUB_SHA", "abc123")
    monkeypatch.setenv("GITEA_ACTIONS", "true")
    md = run_cli("check", "--no-policy", "--format", "markdown", ".").stdout
    assert f"(https://git.example.com/acme/app/src/commit/abc123/{PATH}#L10)" in md
    monkeypatch.delenv("GITEA_ACTIONS")
    md = run_cli("check", "--no-policy", "--format", "markdown", ".").stdout
    assert f"(https://git.example.com/acme/app/blob/abc123/{PATH}#L10)" in md


def test_clean_run_verdict(tmp_path: Path) -> None:
    root = write_files(tmp_path / "ok", {PATH: "on: push\njobs:\n  a:\n    runs-on: x\n"
                                          "    steps: [{run: echo}]\n"})  # fmt: skip
    run = run_cli("check", "--no-policy", "--format", "markdown", str(root))
    assert run.exit_code == 0
    assert run.stdout == "### ✅ auditor: passed: no findings in 1 file checked\n\n"


def test_repository_text_is_escaped() -> None:
    assert escape("<script>alert(1)</script> | *x*") == (
        "&lt;script&gt;alert\\(1\\)&lt;/script&gt; \\| \\*x\\*"
    )
    assert code("a`b") == "``a`b``"
    assert message("use `x: <y>` not <z>") == "use `x: <y>` not &lt;z&gt;"
    evil = Finding("needs-unknown-job", "error", "job '<img src=x onerror=alert(1)>' bad",
                   "<b>.yml", 1, 1, 1, 2, job="<i>", step=StepRef(0, None, "`x`"))  # fmt: skip
    md = render(Report(findings=[evil], rules=[], files=1))
    assert "<img" not in md and "<b>" not in md.replace("`<b>.yml`", "")
    assert "&lt;img src=x onerror=alert\\(1\\)&gt;" in md


def many(n: int) -> list[Finding]:
    return [
        Finding("needs-unknown-job", "error" if i % 3 else "warning",
                f"job 'j{i}' needs 'missing-{i}', which is not a job of this workflow " + "x" * 80,
                f".github/workflows/w{i // 50:03d}.yml", i % 50 + 1, 3, i % 50 + 1, 9,
                job=f"j{i}", fingerprint=f"{i:032x}")
        for i in range(n)
    ]  # fmt: skip


def test_size_cap_with_a_count_of_what_was_left_out() -> None:
    findings = many(5000)
    md = render(Report(findings=findings, rules=[], files=100))
    assert len(md) < LIMIT
    shown = md.count("\n- ")
    assert 100 < shown < 5000
    files_with_shown = md.count("**`.github/workflows/w")
    left_files = 100 - files_with_shown + (1 if shown % 50 else 0)
    assert md.rstrip().endswith("The JSON or SARIF report has everything.")
    assert (
        f"{5000 - shown} findings in {left_files} files not shown" in md
    ), md[-400:]
    # The verdict and the per-rule table are always there.
    assert md.startswith("### ❌ auditor: failed: 3333 findings at or above `error`")
    assert f"| [`needs-unknown-job`]({rule_doc_url('needs-unknown-job')}) |" in md


def test_small_limit_still_counts() -> None:
    md = render(Report(findings=many(10), rules=[], files=1), limit=1500)
    assert len(md) < 1500
    assert "not shown" in md
    assert render(Report(findings=many(10), rules=[], files=1)).count("\n- ") == 10
