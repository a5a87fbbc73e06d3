"""CSV: one row per finding, for a spreadsheet or a tracker import.

Columns: repo, revision, path, line, column, rule, severity, message,
rule_doc_url, forge_url. A cell that starts with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return is prefixed with ``'`` (OWASP's advice against
CSV formula injection): messages quote repository strings, and a spreadsheet
must show them, never evaluate them. Control characters are shown as
``\\xNN`` (one row is one line), and, as in the text format, a line that a CI
runner would read as a workflow command (a leading ``::``, a ``##[``) is made
inert (``findings.no_commands_text``): the CSV may be printed into a log.
"""

from __future__ import annotations

import csv
import io

from auditor.findings import no_commands_text, printable
from auditor.reports.links import forge_links, revision_of, rule_doc_url
from auditor.reports.model import Report

COLUMNS = ("repo", "revision", "path", "line", "column", "rule", "severity", "message",
           "rule_doc_url", "forge_url")  # fmt: skip
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    text = "" if value is None else printable(str(value))
    return "'" + text if text.startswith(_FORMULA) else text


def render(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    forge = forge_links(report)
    revision = revision_of(report)
    for f in report.findings:
        writer.writerow([_cell(v) for v in (
            f.repo, revision(f), f.path, f.line, f.column, f.rule, f.severity, f.message,
            rule_doc_url(f.rule), forge(f),
        )])  # fmt: skip
    return no_commands_text(out.getvalue())
