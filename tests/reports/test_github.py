"""Workflow-command annotations and the runner's escaping rules."""

from __future__ import annotations

from pathlib import Path

from auditor.findings import Finding
from auditor.reports import Report
from auditor.reports.github import command, escape_data, escape_property, render
from tests.conftest import run_cli, write_files
from tests.reports.pipelines import PATH, with_continue_on_error


def finding(**kw: object) -> Finding:
    base: dict[str, object] = dict(
        rule="needs-unknown-job", severity="error", message="m", path="a.yml",
        line=3, column=5, end_line=3, end_column=9, fingerprint="f" * 32,
    )  # fmt: skip
    base.update(kw)
    return Finding(**base)  # type: ignore[arg-type]


def test_escaping_is_exact() -> None:
    assert escape_data("100% done\r\nnext: a, b") == "100%25 done%0D%0Anext: a, b"
    assert escape_property("100% done\r\nnext: a, b") == "100%25 done%0D%0Anext%3A a%2C b"
    # % first, so an already-escaped-looking input is not decoded by the runner.
    assert escape_data("%0A") == "%250A"
    assert escape_property("::") == "%3A%3A"


def test_command_shape_and_levels() -> None:
    f = finding(message="line one\nline two: 50%", path="wf/a,b:c.yml")
    assert command(f, f.path) == (
        "::error file=wf/a%2Cb%3Ac.yml,line=3,col=5,endLine=3,endColumn=9,"
        "title=auditor%3A needs-unknown-job::line one%0Aline two: 50%25"
    )
    assert command(finding(severity="warning"), "a.yml").startswith("::warning file=a.yml,")
    assert command(finding(severity="note"), "a.yml").startswith("::notice file=a.yml,")


def test_a_message_cannot_inject_another_command() -> None:
    evil = finding(message="x\n::error file=evil.yml::pwned\r\n::add-mask::secret")
    [line, _summary] = render(Report(findings=[evil], rules=[], files=1)).splitlines()
    # One line: what follows an escaped newline can never start a command.
    assert line.startswith("::error file=a.yml,line=3,")
    assert line.endswith("::x%0A::error file=evil.yml::pwned%0D%0A::add-mask::secret")


def test_cli_output_is_also_plain_log_text(tmp_path: Path) -> None:
    root = write_files(tmp_path / "app", {PATH: with_continue_on_error()})
    run = run_cli("check", "--no-policy", "--format", "github", str(root))
    assert run.exit_code == 1
    lines = run.stdout.splitlines()
    assert len(lines) == 3
    shown = f"{root}/{PATH}"
    assert lines[0].startswith(f"::error file={shown},line=")
    assert "title=auditor%3A " in lines[0]
    assert lines[-1] == "auditor: 1 file(s) checked: 2 error(s), 0 warning(s), 0 note(s)"
