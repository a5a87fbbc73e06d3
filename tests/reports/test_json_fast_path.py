"""The JSON and SARIF reports are written by orjson (``json_report.indented``): the same
text as the standard library's ``json.dumps(indent=2, ensure_ascii=False)``, which
tools and tests may compare byte for byte, and the standard library's text for what
orjson refuses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor.reports.json_report import indented
from tests.conftest import ROOT, run_cli


def _stdlib(doc: Any) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False)


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_real_reports_are_the_standard_librarys_text(fmt: str) -> None:
    run = run_cli("check", "--no-cache", "--format", fmt, str(ROOT / "examples" / "broken-pipeline"))
    assert run.exit_code == 1, run.stderr
    doc = json.loads(run.stdout)
    assert run.stdout == _stdlib(doc) + "\n"  # what the report printed is the stdlib's layout
    assert indented(doc) == _stdlib(doc)


def test_an_org_report_with_trends_is_the_same_text(tmp_path: Path) -> None:
    from tests.org.conftest import CLEAN, make_repo

    make_repo(tmp_path / "repos", "api", {".github/workflows/ci.yml": CLEAN})
    first = run_cli("org", "--root", str(tmp_path / "repos"), "-q", "--no-cache", "--format", "json")
    (tmp_path / "before.json").write_text(first.stdout, encoding="utf-8")
    again = run_cli("org", "--root", str(tmp_path / "repos"), "-q", "--no-cache", "--format", "json",
                    "--compare", str(tmp_path / "before.json"))  # fmt: skip
    doc = json.loads(again.stdout)
    assert "trends" in doc
    assert indented(doc) == _stdlib(doc)


@pytest.mark.parametrize(
    "doc",
    [
        {"path": "caf\u00e9/\u2028/\x7f/\x01", "n": -3, "ok": True, "none": None, "empty": [[], {}]},
        {1: "int keys become strings", "nested": {"a": [1, {"b": ""}]}},
        {"lone surrogate": "bad\udcff.yml"},  # orjson refuses: the standard library writes it
        {"beyond 64 bits": 2**70},  # the same
    ],
)
def test_edge_values_give_the_standard_librarys_text(doc: Any) -> None:
    assert indented(doc) == _stdlib(doc)
