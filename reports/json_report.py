"""The JSON report: the versioned contract other tools and the checks read.

``schema_version`` changes whenever a key changes meaning or disappears;
``summary`` may gain keys without a bump (readers must ignore unknown keys).
A gate run (``--new-since``, or a baseline recorded at a commit) adds
``gate``: the revision compared with and the inline suppressions the change
added since, each with the findings it silenced (an extension, no bump).
"""

from __future__ import annotations

import json
import re
from typing import Any

from auditor.findings import INVISIBLE
from auditor.reports.model import Report

SCHEMA_VERSION = 1

# ``json.dumps`` escapes only C0 controls; these others (DEL, C1, the Unicode
# line separators, bidirectional controls) pass raw with ``ensure_ascii=False``.
_JSON_ESCAPES = {c: f"\\u{c:04x}" for c in INVISIBLE if c >= 0x20}
# str.translate with a dict walks the text in Python-level steps (9 ms for a 2 MB report);
# a search for any of the characters first is a C loop, and almost every report has none.
_NEEDS_ESCAPE = re.compile("[" + "".join(re.escape(chr(c)) for c in _JSON_ESCAPES) + "]")


def dumps(doc: Any) -> str:
    """``doc`` as indented JSON, readable UTF-8, that is safe to print into a terminal or a
    CI log: strings keep their exact value, but invisible controls are ``\\uNNNN``
    escapes and ``##[`` (a legacy workflow command, anywhere in a log line) is
    ``#\\u0023[``, which every JSON reader decodes back."""
    text = indented(doc)
    if _NEEDS_ESCAPE.search(text) is not None:
        text = text.translate(_JSON_ESCAPES)
    return text.replace("##[", "#\\u0023[") + "\n"


def indented(doc: Any) -> str:
    """``json.dumps(doc, indent=2, ensure_ascii=False)``, the same text, made by orjson.

    The standard library encodes indented JSON in pure Python (with ``indent`` its C
    encoder is not used): a third of a warm run over a large corpus went to writing the
    report. orjson writes the same bytes for the values reports hold (str, int, bool,
    None, lists and dicts; tests/reports/test_json_fast_path.py compares the two); what
    it refuses (a lone surrogate from an undecodable path, an int beyond 64 bits) goes
    to the standard library, as before.
    """
    try:
        import orjson
    except ImportError:  # pragma: no cover - a declared dependency
        return json.dumps(doc, indent=2, ensure_ascii=False)
    try:
        return orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode("utf-8")
    except (TypeError, ValueError):
        return json.dumps(doc, indent=2, ensure_ascii=False)


def document(report: Report) -> dict[str, Any]:
    counts = report.counts()
    summary: dict[str, Any] = {
        "files": report.files,
        "repos": len(report.repos),
        "error": counts["error"],
        "warning": counts["warning"],
        "note": counts["note"],
        "suppressed": report.suppressed,
        "baselined": report.baselined,
        "repositories": [repo.to_json() for repo in report.repos],
    }
    if report.org is not None:
        summary["org"] = report.org.to_json()
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "auditor", "version": report.tool_version},
        "findings": [f.to_json() for f in report.findings],
        "summary": summary,
    }
    if report.trends is not None:  # --compare: an extension, no bump
        doc["trends"] = report.trends.to_json()
    if report.gate_rev is not None:
        # The gate: what the change silenced since the revision it is compared with.
        summary["new_suppressions"] = len(report.new_suppressions)
        doc["gate"] = {
            "revision": report.gate_rev,
            "new_suppressions": [s.to_json() for s in report.new_suppressions],
        }
    return doc


def render(report: Report) -> str:
    return dumps(document(report))
