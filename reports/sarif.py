"""SARIF 2.1.0: one run, the rules that have results in ``tool.driver.rules``, one result
per finding.

Each rule descriptor is short (summary, level, tags) and links to its page
(``helpUri``, from ``auditor.rule_docs``) instead of embedding the whole
documentation: a report of six findings stays a few kilobytes, and the page
a code-scanning alert opens is the published one.

Code-scanning services (GitHub's among them) read this. Locations are
repository-relative URIs: a repository scanned as ``.`` uses the well-known
``%SRCROOT%`` base; any other root gets its own base id whose
``originalUriBaseIds`` entry says where it is (relative to ``%SRCROOT%``, the
folder auditor ran in, or an absolute ``file:`` URI). ``partialFingerprints``
carries the stable fingerprint (no line numbers), so a code-scanning alert
follows its finding across unrelated edits.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from auditor.findings import Finding
from auditor.reports.json_report import dumps
from auditor.reports.model import Report
from auditor.rule import Rule
from auditor.rule_docs import HOME_URL, rule_doc_url

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
FINGERPRINT_KEY = "auditorFingerprint/v1"
SRCROOT = "%SRCROOT%"
LEVELS = {"error": "error", "warning": "warning", "note": "note"}
# GitHub code scanning sorts alerts by this property (error/warning/recommendation).
PROBLEM_SEVERITY = {"error": "error", "warning": "warning", "note": "recommendation"}


def rule_name(rule_id: str) -> str:
    """``needs-unknown-job`` → ``NeedsUnknownJob`` (SARIF's conventional rule name)."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", rule_id))


def _text(value: str, fallback: str) -> str:
    value = " ".join(value.split())
    return value or fallback


def rule_descriptor(rule: Rule) -> dict[str, Any]:
    tags = sorted({"ci", "release-pipeline", *rule.tags})
    url = rule_doc_url(rule.id)
    summary = _text(rule.summary, rule.id)
    return {
        "id": rule.id,
        "name": rule_name(rule.id),
        "shortDescription": {"text": summary},
        "helpUri": url,
        "help": {"text": f"{summary} See {url}", "markdown": f"{summary} [Documentation]({url})"},
        "defaultConfiguration": {"level": LEVELS.get(rule.severity, "warning")},
        "properties": {
            "tags": tags,
            "problem.severity": PROBLEM_SEVERITY.get(rule.severity, "warning"),
            "precision": "high",
            "origin": rule.origin,
        },
    }


def _stub_descriptor(rule_id: str, severity: str) -> dict[str, Any]:
    """A finding of a rule the report's catalogue lacks (should not happen): still valid."""
    return {
        "id": rule_id,
        "name": rule_name(rule_id),
        "shortDescription": {"text": rule_id},
        "helpUri": rule_doc_url(rule_id),
        "defaultConfiguration": {"level": LEVELS.get(severity, "warning")},
    }


def _uri(path: str) -> str:
    return quote(path, safe="/-._~")


class _Bases:
    """uriBaseIds for the roots findings come from (``%SRCROOT%`` for ``.``)."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}
        self.original: dict[str, dict[str, Any]] = {
            SRCROOT: {"description": {"text": "The folder auditor was run in."}}
        }

    def of(self, report: Report, f: Finding) -> str:
        shown = report.display_path(f)
        root = shown[: -len(f.path)].rstrip("/") if shown.endswith(f.path) else ""
        if root in ("", "."):
            return SRCROOT
        if root not in self.ids:
            base_id = f"ROOT{len(self.ids) + 1}"
            self.ids[root] = base_id
            posix = PurePosixPath(root)
            location: dict[str, Any]
            if posix.is_absolute():
                location = {"uri": "file://" + _uri(root.rstrip("/") + "/")}
            else:
                location = {"uri": _uri(root.rstrip("/") + "/"), "uriBaseId": SRCROOT}
            location["description"] = {"text": f"Repository root {root}"}
            self.original[base_id] = location
        return self.ids[root]


def _region(f: Finding) -> dict[str, int]:
    line = max(1, f.line)
    column = max(1, f.column)
    end_line = max(line, f.end_line)
    end_column = max(1, f.end_column)
    if end_line == line and end_column <= column:
        end_column = column + 1
    return {"startLine": line, "startColumn": column, "endLine": end_line, "endColumn": end_column}


def result(f: Finding, rule_index: int, base_id: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": LEVELS.get(f.severity, "warning"),
        "message": {"text": f.message or f.rule},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(f.path), "uriBaseId": base_id},
                    "region": _region(f),
                }
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
    }
    if f.job is not None:
        where = f"jobs.{f.job}" + (f".steps[{f.step.index}]" if f.step is not None else "")
        out["locations"][0]["logicalLocations"] = [
            {"name": f.job, "fullyQualifiedName": where, "kind": "object"}
        ]
    properties: dict[str, Any] = {}
    if f.repo is not None:
        properties["repository"] = f.repo
    if f.job is not None:
        properties["job"] = f.job
    if f.step is not None:
        properties["step"] = f.step.to_json()
    if properties:
        out["properties"] = properties
    return out


def _reported_rules(report: Report) -> list[Rule]:
    """The catalogue's rules that have a result (suppressed ones included), in catalogue order."""
    fired = {f.rule for f in report.findings}
    fired.update(f.rule for item in report.new_suppressions for f in item.hides)
    return [rule for rule in report.rules if rule.id in fired]


def document(report: Report) -> dict[str, Any]:
    reported = _reported_rules(report)
    descriptors = [rule_descriptor(rule) for rule in reported]
    index = {rule.id: i for i, rule in enumerate(reported)}
    bases = _Bases()
    results = []
    for f in report.findings:
        if f.rule not in index:
            index[f.rule] = len(descriptors)
            descriptors.append(_stub_descriptor(f.rule, f.severity))
        results.append(result(f, index[f.rule], bases.of(report, f)))
    results.extend(_suppressed_results(report, index, descriptors, bases))
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "auditor",
                "version": report.tool_version or "0",
                "semanticVersion": report.tool_version or "0.0.0",
                "informationUri": HOME_URL,
                "rules": descriptors,
            }
        },
        "originalUriBaseIds": bases.original,
        "columnKind": "unicodeCodePoints",
        "results": results,
        "invocations": [{"executionSuccessful": True}],
        "properties": {
            "files": report.files,
            "suppressed": report.suppressed,
            "baselined": report.baselined,
        },
    }
    if report.gate_rev is not None:
        run["properties"]["gateRevision"] = report.gate_rev
        run["properties"]["newSuppressions"] = [
            {"uri": s.path, "line": s.line, "rules": list(s.rules), "justification": s.reason,
             "suppressedResults": len(s.hides)}
            for s in report.new_suppressions
        ]  # fmt: skip
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def _suppressed_results(
    report: Report, index: dict[str, int], descriptors: list[dict[str, Any]], bases: _Bases
) -> list[dict[str, Any]]:
    """The findings the change's new inline suppressions hide, as suppressed results: a
    ``suppressions`` entry of kind ``inSource`` with the comment's reason as justification."""
    out = []
    for item in report.new_suppressions:
        for f in item.hides:
            if f.rule not in index:
                index[f.rule] = len(descriptors)
                descriptors.append(_stub_descriptor(f.rule, f.severity))
            base_id = bases.of(report, f)
            entry = result(f, index[f.rule], base_id)
            entry["suppressions"] = [{
                "kind": "inSource",
                "justification": item.reason,
                "location": {"physicalLocation": {
                    "artifactLocation": {"uri": _uri(item.path), "uriBaseId": base_id},
                    "region": {"startLine": item.line, "startColumn": item.column,
                               "endLine": item.line,
                               "endColumn": max(item.end_column, item.column + 1)},
                }},
                "properties": {"newSince": report.gate_rev},
            }]  # fmt: skip
            out.append(entry)
    return out


def render(report: Report) -> str:
    return dumps(document(report))
