"""JUnit XML for CI test-report readers: a testsuite per workflow file, a testcase
per rule checked on it, a failure per finding (``file:line:col`` in its message).

A file without findings still appears with every testcase passing, so the
report shows what was checked, not only what failed. Attributes follow the
common JUnit schemas (Ant's and Jenkins'): ``testsuites`` and every
``testsuite`` carry name, tests, failures, errors, skipped and time.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections import defaultdict

from auditor.findings import MARKUP_ESCAPES, Finding, no_commands_text, one_line, printable
from auditor.repo import ACTION_NAMES
from auditor.reports.model import Report
from auditor.reports.source import SourceLines
from auditor.rule import Rule
from auditor.summary import RepoSummary

# XML 1.0 cannot carry most control characters, even escaped.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _clean(text: str) -> str:
    """Control characters shown as ``\\xNN`` (``printable``); what XML 1.0 cannot
    carry at all (lone surrogates, U+FFFE) as U+FFFD."""
    return _INVALID_XML.sub("\ufffd", printable(text))


def _value(text: str) -> str:
    """A repository string on one line of the failure text (a path, a job, a step name)."""
    return one_line(text)


def _root_of(repo: RepoSummary) -> str:
    root = repo.root
    return "" if root in (".", "", "-") else root.rstrip("/") + "/"


def scanned_files(report: Report) -> list[str]:
    """Display paths of the workflow files the run parsed, plus every file with findings."""
    files: set[str] = {report.display_path(f) for f in report.findings}
    for repo in report.repos:
        files.update(_root_of(repo) + path for path in repo.jobs)
    return sorted(files)


def _applies(rule: Rule, path: str) -> bool:
    kind = "action" if path.rsplit("/", 1)[-1] in ACTION_NAMES else "workflow"
    return rule.scope == "file" or kind in rule.kinds


def _failure_text(f: Finding, shown: str, sources: SourceLines) -> str:
    message = printable(f.message).split("\n")  # a drift diff has several lines: indent them
    lines = [
        f"{_value(shown)}:{f.line}:{f.column}: {f.severity}[{f.rule}] {message[0]}",
        *("    " + line for line in message[1:]),
        f"end: {f.end_line}:{f.end_column}",
    ]
    if f.repo:
        lines.append(f"repository: {_value(f.repo)}")
    if f.job:
        lines.append(f"job: {_value(f.job)}")
    if f.step is not None:
        lines.append(f"step: {_value(f.step.id or f.step.name or '#' + str(f.step.index))}")
    excerpt = sources.excerpt(f)
    if excerpt is not None:
        lines.append(f"source: {_value(excerpt.stripped())}")
    lines.append(f"fingerprint: {f.fingerprint}")
    return "\n".join(lines)


def document(report: Report) -> ET.Element:
    by_file: dict[str, dict[str, list[Finding]]] = defaultdict(lambda: defaultdict(list))
    for f in report.findings:
        by_file[report.display_path(f)][f.rule].append(f)
    checked = report.checked()
    stamp = dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None).isoformat()
    sources = SourceLines(report)
    suites = ET.Element("testsuites", name="auditor")
    total_tests = total_failures = 0
    for index, shown in enumerate(scanned_files(report)):
        found = by_file.get(shown, {})
        rule_ids = [r.id for r in checked if _applies(r, shown)]
        rule_ids += sorted(set(found) - set(rule_ids))  # a rule outside the catalogue
        failures = sum(1 for rule_id in rule_ids if found.get(rule_id))
        suite = ET.SubElement(
            suites, "testsuite",
            name=_clean(shown), tests=str(len(rule_ids)), failures=str(failures),
            errors="0", skipped="0", time="0", timestamp=stamp, hostname="localhost",
            id=str(index), package="auditor",
        )  # fmt: skip
        props = ET.SubElement(suite, "properties")
        for item in report.new_suppressions:  # the change's new suppressions in this file
            if (item.shown or item.path) == shown:
                ET.SubElement(
                    props, "property", name="auditor.new-suppression",
                    value=_clean(f"line {item.line}: ignore[{', '.join(item.rules)}] "
                                 f"{item.reason} (hides {len(item.hides)})"),
                )  # fmt: skip
        for rule_id in rule_ids:
            case = ET.SubElement(
                suite, "testcase", name=rule_id, classname=_clean(shown), time="0"
            )
            for f in found.get(rule_id, []):
                failure = ET.SubElement(
                    case, "failure",
                    message=_clean(f"{shown}:{f.line}:{f.column}: {f.message}"),
                    type=f"{f.severity}[{f.rule}]",
                )  # fmt: skip
                failure.text = _clean(_failure_text(f, shown, sources))
        ET.SubElement(suite, "system-out")
        ET.SubElement(suite, "system-err")
        total_tests += len(rule_ids)
        total_failures += failures
    suites.set("tests", str(total_tests))
    suites.set("failures", str(total_failures))
    suites.set("errors", "0")
    suites.set("skipped", "0")
    suites.set("time", "0")
    return suites


def render(report: Report) -> str:
    root = document(report)
    ET.indent(root)
    # CI systems print reports into their logs, where a runner reads ``::…`` at a
    # line start and ``##[…]`` anywhere as workflow commands: character references
    # break both, and any XML reader gets the original text back.
    body = no_commands_text(ET.tostring(root, encoding="unicode"), MARKUP_ESCAPES)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
