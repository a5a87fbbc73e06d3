"""The whole ../shared/corpus in one scan, every format written at once with --report."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.conftest import CORPUS, need_shared, run_cli, validate_report
from tests.reports.test_markdown import LIMIT
from tests.reports.test_sarif import assert_valid_sarif


def test_corpus_reports(tmp_path: Path) -> None:
    corpus = need_shared(CORPUS)
    repos = sorted(str(p) for p in corpus.glob("*/*/*") if p.is_dir())
    assert len(repos) > 100
    out = {fmt: tmp_path / f"corpus.{fmt}" for fmt in ("sarif", "json", "junit", "markdown")}
    run = run_cli(
        "check", "--no-policy", "--format", "github",
        *[arg for fmt, path in out.items() for arg in ("--report", f"{fmt}:{path}")],
        *repos,
    )  # fmt: skip
    assert run.exit_code in (0, 1), run.stderr
    report = validate_report(json.loads(out["json"].read_text()))
    findings = report["findings"]
    assert findings, "the corpus has known problems (parse errors at least)"

    sarif = json.loads(out["sarif"].read_text())
    assert_valid_sarif(sarif)
    assert len(sarif["runs"][0]["results"]) == len(findings)

    suites = ET.parse(out["junit"]).getroot()
    assert int(suites.get("failures", "-1")) <= len(findings)
    failures = sum(len(case.findall("failure")) for case in suites.iter("testcase"))
    assert failures == len(findings)

    markdown = out["markdown"].read_text()
    assert len(markdown) < LIMIT

    commands = [line for line in run.stdout.splitlines() if line.startswith("::")]
    assert len(commands) == len(findings)
