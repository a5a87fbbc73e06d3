"""Workflow commands: ``::error file=…,line=…,col=…,endLine=…,endColumn=…,title=…::message``.

GitHub turns these into inline annotations on the pull request; Gitea and
Forgejo runners print them as log lines, so every command is also readable as
plain text, and a last plain line sums the run up. Escaping follows the
runner: ``%``, CR and LF in the message; additionally ``:`` and ``,`` in the
properties, which the runner would otherwise read as delimiters
(actions/runner's ``ActionCommand``: ``%25``, ``%0D``, ``%0A``, and ``%3A``,
``%2C`` in properties). Control characters in repository strings (a path, a
quoted step name) are shown as ``\\xNN`` first (``findings.printable``), so a
command is always one line and carries no terminal escape sequence.
"""

from __future__ import annotations

from auditor.findings import Finding, printable
from auditor.reports.model import Report
from auditor.suppress import NewSuppression

COMMANDS = {"error": "error", "warning": "warning", "note": "notice"}


def escape_data(text: str) -> str:
    escaped = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return printable(escaped)  # the other controls (CR and LF are percent-escaped by now)


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(f: Finding, path: str) -> str:
    end_line = max(f.line, f.end_line)
    end_column = f.end_column if f.end_column > 0 else f.column
    props = [
        ("file", path),
        ("line", str(f.line)),
        ("col", str(f.column)),
        ("endLine", str(end_line)),
        ("endColumn", str(end_column)),
        ("title", f"auditor: {f.rule}"),
    ]
    joined = ",".join(f"{key}={escape_property(value)}" for key, value in props)
    return f"::{COMMANDS.get(f.severity, 'warning')} {joined}::{escape_data(f.message)}"


def suppression_notice(report: Report, item: NewSuppression) -> str:
    """A notice annotation at a suppression the change added (it fails nothing)."""
    hides = f"hides {len(item.hides)} finding(s)" if item.hides else "hides nothing yet"
    since = f" since {report.gate_rev}" if report.gate_rev else ""
    props = [
        ("file", item.shown or item.path), ("line", str(item.line)), ("col", str(item.column)),
        ("title", "auditor: new suppression"),
    ]  # fmt: skip
    joined = ",".join(f"{key}={escape_property(value)}" for key, value in props)
    text = f"ignore[{', '.join(item.rules)}] added{since} ({hides}): {item.reason}"
    return f"::notice {joined}::{escape_data(text)}"


def render(report: Report) -> str:
    out = [command(f, report.display_path(f)) for f in report.findings]
    out += [suppression_notice(report, item) for item in report.new_suppressions]
    counts = report.counts()
    tail = []
    if report.suppressed:
        tail.append(f"{report.suppressed} suppressed")
    if report.baselined:
        tail.append(f"{report.baselined} baselined")
    extra = f" ({', '.join(tail)})" if tail else ""
    out.append(
        f"auditor: {report.files} file(s) checked: {counts['error']} error(s), "
        f"{counts['warning']} warning(s), {counts['note']} note(s){extra}"
    )
    return "\n".join(out) + "\n"
