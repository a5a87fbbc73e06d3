"""Several outputs from one scan: ``--format`` plus repeatable ``--report FORMAT:PATH``."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from auditor import cli
from auditor.outputs import OutputError, link_base, parse_spec, parse_specs
from auditor.reports import FORMATS, available
from tests.conftest import run_cli, validate_report, write_files
from tests.reports.pipelines import PATH, with_continue_on_error


def test_format_names_are_one_list() -> None:
    assert tuple(FORMATS) == cli.FORMAT_NAMES
    assert list(FORMATS) == ["text", "json", "sarif", "junit", "github", "markdown", "html", "csv"]
    assert {"text", "json", "sarif", "junit", "github", "markdown"} <= set(available())


def test_every_format_in_one_run(tmp_path: Path) -> None:
    root = write_files(tmp_path / "app", {PATH: with_continue_on_error()})
    out = tmp_path / "out"
    specs = {
        "json": out / "r.json", "sarif": out / "r.sarif", "junit": out / "r.xml",
        "github": out / "r.txt", "markdown": out / "r.md", "text": out / "r.log",
    }  # fmt: skip
    args = [a for fmt, path in specs.items() for a in ("--report", f"{fmt}:{path}")]
    run = run_cli("check", "--no-policy", *args, str(root))
    assert run.exit_code == 1
    assert run.stdout.endswith("2 findings: 2 error(s), 0 warning(s), 0 note(s)\n")
    doc = validate_report(json.loads(specs["json"].read_text()))
    fingerprints = [f["fingerprint"] for f in doc["findings"]]
    sarif = json.loads(specs["sarif"].read_text())
    results = sarif["runs"][0]["results"]
    assert [r["partialFingerprints"]["auditorFingerprint/v1"] for r in results] == fingerprints
    assert len(ET.parse(specs["junit"]).getroot().findall(".//failure")) == 2
    assert specs["github"].read_text().count("::error ") == 2
    assert specs["markdown"].read_text().startswith("### ❌ auditor: failed")
    assert "\x1b[" not in specs["text"].read_text()  # files never get colour


def test_json_to_stdout_and_sarif_to_a_file(tmp_path: Path) -> None:
    root = write_files(tmp_path / "app", {PATH: with_continue_on_error()})
    run = run_cli("check", "--no-policy", "--format", "json", "--report",
                  f"sarif:{tmp_path / 'x.sarif'}", str(root))  # fmt: skip
    assert len(run.findings()) == 2 and (tmp_path / "x.sarif").exists()


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("sarif", "expected FORMAT:PATH"),
        ("sarif:", "expected FORMAT:PATH"),
        ("pdf:x.pdf", "unknown format 'pdf'"),
    ],
)
def test_bad_specs_are_exit_2(spec: str, reason: str, tmp_path: Path) -> None:
    root = write_files(tmp_path / "app", {PATH: with_continue_on_error()})
    run = run_cli("check", "--no-policy", "--report", spec, str(root))
    assert run.exit_code == 2 and run.stdout == ""
    assert run.stderr.count("\n") == 1 and reason in run.stderr
    with pytest.raises(OutputError, match=reason):
        parse_spec(spec)


def test_same_path_twice_and_unwritable_path(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="named twice"):
        parse_specs([f"json:{tmp_path}/a", f"sarif:{tmp_path}/a"])
    root = write_files(tmp_path / "app", {PATH: with_continue_on_error()})
    blocker = tmp_path / "file"
    blocker.write_text("")
    run = run_cli("check", "--no-policy", "--report", f"json:{blocker}/x.json", str(root))
    assert run.exit_code == 2 and "cannot write" in run.stderr


def test_windows_like_paths_keep_their_colon() -> None:
    assert parse_spec("sarif:C:/out/a.sarif").path == "C:/out/a.sarif"


def test_link_base_from_the_environment() -> None:
    gh = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "o/r",
          "GITHUB_SHA": "abc"}  # fmt: skip
    assert link_base(gh) == "https://github.com/o/r/blob/abc/"
    assert link_base({**gh, "FORGEJO_ACTIONS": "true"}) == "https://github.com/o/r/src/commit/abc/"
    assert link_base({**gh, "AUDITOR_LINK_BASE": "https://x/y"}) == "https://x/y/"
    assert link_base({}) is None
