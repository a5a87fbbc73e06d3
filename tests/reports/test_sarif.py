"""SARIF 2.1.0: structure everywhere, the official schema where ../shared has it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor.rule_docs import rule_doc_url
from tests.conftest import SCHEMAS, SEED, need_shared, run_cli, write_files
from tests.reports.pipelines import PATH, with_continue_on_error


def sarif_validator() -> Any:
    import jsonschema

    schema = json.loads(need_shared(SCHEMAS / "sarif-2.1.0.json").read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema)


def assert_valid_sarif(doc: dict[str, Any]) -> None:
    errors = list(sarif_validator().iter_errors(doc))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def sarif_of(*args: str) -> dict[str, Any]:
    run = run_cli("check", "--format", "sarif", *args)
    assert run.exit_code in (0, 1), run.stderr
    doc: dict[str, Any] = json.loads(run.stdout)
    return doc


def test_structure(tmp_path: Path) -> None:
    root = write_files(tmp_path / "app", {PATH: with_continue_on_error()})
    doc = sarif_of("--no-policy", str(root))
    assert doc["version"] == "2.1.0" and doc["$schema"].endswith("sarif-2.1.0.json")
    [run] = doc["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "auditor" and driver["version"]
    ids = [r["id"] for r in driver["rules"]]
    findings = run_cli("check", "--format", "json", "--no-policy", str(root)).findings()
    catalogue = [line.split()[0] for line in run_cli("rules").stdout.splitlines()]
    fired = {f["rule"] for f in findings}
    # only the rules that have results, in catalogue order, each once
    assert ids == [rule_id for rule_id in catalogue if rule_id in fired] and len(fired) < len(catalogue)
    assert driver["informationUri"].startswith("https://")
    coe = driver["rules"][ids.index("continue-on-error-on-promote-path")]
    assert coe["name"] == "ContinueOnErrorOnPromotePath"
    assert coe["shortDescription"]["text"] in run_cli("rules").stdout
    assert coe["helpUri"] == rule_doc_url("continue-on-error-on-promote-path")
    assert coe["helpUri"].endswith("/docs/rules/continue-on-error-on-promote-path.md")
    # a short help that links to the page, not the page itself
    assert coe["helpUri"] in coe["help"]["markdown"] and "## Use instead" not in coe["help"]["markdown"]
    assert coe["defaultConfiguration"]["level"] == "error"
    assert "ci" in coe["properties"]["tags"]

    assert len(run["results"]) == len(findings) == 2
    for result, finding in zip(run["results"], findings, strict=True):
        assert result["ruleId"] == finding["rule"]
        assert ids[result["ruleIndex"]] == finding["rule"]
        assert result["level"] == finding["severity"]
        assert result["message"]["text"] == finding["message"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"] == {"uri": PATH, "uriBaseId": "ROOT1"}
        assert location["region"] == {
            "startLine": finding["line"], "startColumn": finding["column"],
            "endLine": finding["end_line"], "endColumn": finding["end_column"],
        }  # fmt: skip
        assert result["partialFingerprints"] == {"auditorFingerprint/v1": finding["fingerprint"]}
    base = run["originalUriBaseIds"]["ROOT1"]
    assert base["uri"].startswith("file:///") and base["uri"].endswith("/app/")


def test_repository_scanned_as_dot_uses_srcroot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_files(tmp_path, {"my repo/" + PATH: with_continue_on_error()})
    monkeypatch.chdir(tmp_path / "my repo")
    run = sarif_of("--no-policy", ".")["runs"][0]
    location = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": PATH, "uriBaseId": "%SRCROOT%"}
    assert list(run["originalUriBaseIds"]) == ["%SRCROOT%"]
    monkeypatch.chdir(tmp_path)
    run = sarif_of("--no-policy", "my repo")["runs"][0]
    assert run["originalUriBaseIds"]["ROOT1"] == {
        "uri": "my%20repo/", "uriBaseId": "%SRCROOT%",
        "description": {"text": "Repository root my repo"},
    }  # fmt: skip


def test_no_findings_is_still_a_valid_run(tmp_path: Path) -> None:
    root = write_files(tmp_path / "ok", {PATH: "on: push\njobs:\n  a:\n    runs-on: x\n"
                                          "    steps: [{run: echo}]\n"})  # fmt: skip
    doc = sarif_of("--no-policy", str(root))
    assert doc["runs"][0]["results"] == []
    assert_valid_sarif(doc)


def test_pipeline_validates_against_the_official_schema(tmp_path: Path) -> None:
    root = write_files(tmp_path / "app", {PATH: with_continue_on_error()})
    assert_valid_sarif(sarif_of("--no-policy", str(root)))


def test_seed_incident_validates() -> None:
    before = need_shared(SEED / "before")
    doc = sarif_of(str(before))
    assert_valid_sarif(doc)
    rules = {r["ruleId"] for r in doc["runs"][0]["results"]}
    assert "continue-on-error-on-promote-path" in rules


def test_helpuri_follows_the_docs_base_and_the_report_stays_small(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_files(tmp_path / "app", {PATH: with_continue_on_error()})
    monkeypatch.setenv("AUDITOR_DOCS_URL", "https://docs.example.org/auditor/rules")
    run = run_cli("check", "--format", "sarif", "--no-policy", str(root))
    doc = json.loads(run.stdout)
    assert_valid_sarif(doc)
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    assert len(rules) == len({r["ruleId"] for r in doc["runs"][0]["results"]}) == 2
    for rule in rules:
        assert rule["helpUri"] == f"https://docs.example.org/auditor/rules/{rule['id']}.md"
    pages = sum(len(run_cli("explain", rule["id"]).stdout) for rule in rules)
    assert len(run.stdout) < min(8 * 1024, pages), (len(run.stdout), pages)  # two findings: a few KB


def test_seed_incident_embeds_only_the_rules_it_reports() -> None:
    doc = sarif_of(str(need_shared(SEED / "before")))
    [run] = doc["runs"]
    fired = {r["ruleId"] for r in run["results"]}
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} == fired
    assert all(r["helpUri"] == rule_doc_url(r["id"]) for r in run["tool"]["driver"]["rules"])
