"""Suppressions added by the change are visible in every report of the gate (issue 11,
item 3): text, JSON, SARIF (suppressed results with their justification), Markdown,
github annotations and JUnit."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.conftest import SCHEMAS, run_cli
from tests.gate.helpers import GRANTS, STATUSES, WF, base_repo, change, gate, line_of
from tests.reports.gitrepo import commit

SUPPRESSED = GRANTS.replace(
    "  statuses: write\n",
    "  # auditor: ignore[statuses-write-permission] the PR gate posts statuses\n"
    "  statuses: write\n",
)
REASON = "the PR gate posts statuses"


def test_a_new_suppression_is_listed_in_every_format(tmp_path: Path) -> None:
    root = base_repo(tmp_path / "app")
    change(root, {WF: SUPPRESSED})
    line = line_of(SUPPRESSED, "auditor: ignore")
    reports = {fmt: tmp_path / f"r.{fmt}" for fmt in ("sarif", "markdown", "junit", "github")}
    extra = [f"--report={fmt}:{path}" for fmt, path in reports.items()]
    run = gate(root, *extra)
    assert run.exit_code == 0, run.stderr  # the suppression still applies ...
    doc = run.json()
    assert doc["findings"] == [] and doc["summary"]["suppressed"] == 1
    # ... and is listed: JSON
    assert doc["summary"]["new_suppressions"] == 1
    [item] = doc["gate"]["new_suppressions"]
    assert (item["path"], item["line"], item["rules"], item["reason"]) == (
        WF, line, [STATUSES], REASON,
    )
    assert [f["rule"] for f in item["suppressed"]] == [STATUSES]
    assert item["suppressed"][0]["line"] == line + 1
    # SARIF: the hidden finding as a suppressed result, kind inSource, with its justification
    sarif = json.loads(reports["sarif"].read_text())
    if (SCHEMAS / "sarif-2.1.0.json").exists():
        from tests.reports.test_sarif import assert_valid_sarif

        assert_valid_sarif(sarif)
    run_doc = sarif["runs"][0]
    [result] = run_doc["results"]
    assert result["ruleId"] == STATUSES
    [suppression] = result["suppressions"]
    assert suppression["kind"] == "inSource" and suppression["justification"] == REASON
    assert suppression["location"]["physicalLocation"]["region"]["startLine"] == line
    assert run_doc["properties"]["newSuppressions"][0]["justification"] == REASON
    # Markdown
    md = reports["markdown"].read_text()
    assert "Suppressions added since `HEAD`" in md and "the PR gate posts statuses" in md
    assert "1 new suppression" in md
    # github annotations: a notice at the comment
    notices = [ln for ln in reports["github"].read_text().splitlines() if ln.startswith("::notice")]
    assert len(notices) == 1 and f"line={line}," in notices[0] and REASON in notices[0]
    # JUnit: a property on the file's testsuite
    suites = ET.fromstring(reports["junit"].read_text())
    values = [p.get("value") or "" for p in suites.iter("property")]
    assert any(REASON in v and f"line {line}" in v for v in values)
    # text
    text = gate(root, fmt="text")
    assert "1 suppression(s) added since HEAD" in text.stdout
    assert f"{WF}:{line}:3: ignore[{STATUSES}] {REASON} (hides 1 finding(s))" in text.stdout


def test_a_suppression_the_revision_has_is_not_new_even_when_lines_move(tmp_path: Path) -> None:
    root = base_repo(tmp_path / "app")
    commit(root, {WF: SUPPRESSED}, "suppressed on main")
    change(root, {WF: "# a comment above\n" + SUPPRESSED})
    doc = gate(root).json()
    assert doc["gate"]["new_suppressions"] == []
    assert "suppression(s) added" not in gate(root, fmt="text").stdout


def test_a_suppression_moved_onto_another_line_or_widened_is_new(tmp_path: Path) -> None:
    root = base_repo(tmp_path / "app")
    commit(root, {WF: SUPPRESSED}, "suppressed on main")
    widened = SUPPRESSED.replace(f"ignore[{STATUSES}]", f"ignore[{STATUSES}, needs-cycle]")
    change(root, {WF: widened})
    [item] = gate(root).json()["gate"]["new_suppressions"]
    assert item["rules"] == [STATUSES, "needs-cycle"]
    moved = SUPPRESSED.replace(
        "  # auditor: ignore", "  pull-requests: read\n  # auditor: ignore"
    ).replace("  statuses: write\n", "", 1)
    change(root, {WF: moved})
    assert len(gate(root).json()["gate"]["new_suppressions"]) == 1


def test_a_suppression_in_a_script_a_step_runs_is_listed(tmp_path: Path) -> None:
    script = "#!/bin/sh\ncurl -X POST https://cp.example/promote  # x\n"
    wf = (
        "on: push\npermissions:\n  contents: read\njobs:\n  promote:\n"
        "    runs-on: ubuntu-latest\n    steps:\n      - run: ./scripts/promote.sh\n"
    )
    root = base_repo(tmp_path / "app", files={WF: wf, "scripts/promote.sh": script})
    change(root, {"scripts/promote.sh": script.replace(
        "# x", "# auditor: ignore[swallowed-failure] best effort on purpose")})  # fmt: skip
    doc = gate(root).json()
    paths = [s["path"] for s in doc["gate"]["new_suppressions"]]
    assert paths == ["scripts/promote.sh"]


def test_without_a_gate_nothing_is_listed(tmp_path: Path) -> None:
    root = base_repo(tmp_path / "app")
    change(root, {WF: SUPPRESSED})
    doc = run_cli("check", "--no-cache", "--format", "json", str(root)).json()
    assert "gate" not in doc and "new_suppressions" not in doc["summary"]
