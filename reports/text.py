"""Terminal text: ``path:line:col: severity[rule] message``, the line, a caret.

Colour only when the caller says the output is a TTY and ``NO_COLOR`` is
unset (the CLI decides); the text is the same either way.

Every line carries repository text (paths, messages that quote job and step
names, source lines), so every line is cleaned (no control character reaches
the terminal raw) and made inert for CI runners (``findings.no_commands``):
this output is what a CI log shows, and a runner reads ``::error::…`` at the
start of a line, or ``##[…]`` anywhere, as a workflow command. The source
line is an excerpt around the column (``reports.source``), never the whole
line once per finding.

On a terminal (``report.terminal``, standard output only) a message too long
for the width goes on its own lines under the location, wrapped and
indented, and the rule id is an OSC 8 link to the rule's page
(``auditor.rule_docs``) when the terminal shows links.
"""

from __future__ import annotations

import textwrap

from auditor.findings import Finding, command_chars, no_commands
from auditor.reports.model import Report
from auditor.reports.source import SourceLines
from auditor.rule_docs import rule_doc_url
from auditor.terminal import hyperlink

_COLOURS = {"error": "\x1b[31;1m", "warning": "\x1b[33;1m", "note": "\x1b[36m"}
_RESET = "\x1b[0m"
_DIM = "\x1b[2m"
_BOLD = "\x1b[1m"


def _message(text: str) -> str:
    """A message may carry details on further lines (a drift diff): indent them."""
    lines = text.split("\n")
    return "\n".join([_clean(lines[0])] + [no_commands("    " + _clean(line)) for line in lines[1:]])


def _clean(text: str) -> str:
    """Source lines can hold control characters; never let them reach the terminal raw."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch == "\t" else "\ufffd" for ch in text)


def _source(text: str, start: int, width: int) -> tuple[str, str]:
    """The indented source line, inert, and the caret line under ``start`` (``width`` long)."""
    line = "  " + text
    start += 2
    shifts = command_chars(line)
    if shifts:
        # Each changed character becomes a four-character escape: move the caret with it.
        end = start + width
        start += 3 * sum(1 for i in shifts if i < start)
        end += 3 * sum(1 for i in shifts if i < end)
        width = end - start
        line = no_commands(line)
    return line, " " * start + "^" + "~" * (width - 1)


def _head(report: Report, f: Finding) -> list[str]:
    """The finding's location, severity, rule and message: one line, or on a terminal that
    is too narrow for it, the location line and then the message wrapped under it."""
    colour = report.color
    where = _clean(report.display_path(f))
    sev = f.severity
    terminal = report.terminal
    rule = f.rule
    if terminal is not None and terminal.links and colour:
        rule = hyperlink(rule, rule_doc_url(f.rule))
    if colour:
        location = f"{_BOLD}{where}:{f.line}:{f.column}:{_RESET} {_COLOURS.get(sev, '')}{sev}{_RESET}[{rule}]"
    else:
        location = f"{where}:{f.line}:{f.column}: {sev}[{rule}]"
    message = _message(f.message)
    first, _, details = message.partition("\n")
    plain = f"{where}:{f.line}:{f.column}: {sev}[{f.rule}] {first}"
    if terminal is None or len(plain) <= terminal.width:
        return [no_commands(f"{location} {message}")]
    lines = [no_commands(location)]
    width = max(terminal.width - len(_WRAP_INDENT), 20)
    lines += [no_commands(line) for line in textwrap.wrap(first, width, initial_indent=_WRAP_INDENT,
                                                          subsequent_indent=_WRAP_INDENT,
                                                          break_on_hyphens=False)]  # fmt: skip
    if details:
        lines.append(no_commands(details))
    return lines


_WRAP_INDENT = "    "


def render(report: Report) -> str:
    out: list[str] = []
    colour = report.color
    sources = SourceLines(report)
    for f in report.findings:
        out.extend(_head(report, f))
        excerpt = sources.excerpt(f)
        if excerpt is not None:
            text, start, width = excerpt.shown(_clean)
            line, caret = _source(text, start, width)
            out.append(line)
            out.append(f"{_DIM}{caret}{_RESET}" if colour else caret)
    out.extend(no_commands(line) for line in new_suppression_lines(report))
    if report.trends is not None:
        from auditor.reports.trends_view import text_lines

        out.extend(no_commands(line) for line in text_lines(report.trends))
    counts = report.counts()
    total = len(report.findings)
    parts = [f"{counts['error']} error(s)", f"{counts['warning']} warning(s)", f"{counts['note']} note(s)"]
    tail = []
    if report.suppressed:
        tail.append(f"{report.suppressed} suppressed")
    if report.baselined:
        tail.append(f"{report.baselined} baselined")
    if report.new_suppressions:
        tail.append(f"{len(report.new_suppressions)} new suppression(s)")
    extra = f" ({', '.join(tail)})" if tail else ""
    files = f"{report.files} file{'s' if report.files != 1 else ''}"
    verdict = "no findings" if total == 0 else f"{total} finding{'s' if total != 1 else ''}: " + ", ".join(parts)
    out.append(f"auditor: {files} checked, {verdict}{extra}")
    return "\n".join(out) + "\n"


def new_suppression_lines(report: Report) -> list[str]:
    """The suppressions the change added since the gate's revision, one line each."""
    items = report.new_suppressions
    if not items:
        return []
    since = f" since {_clean(report.gate_rev)}" if report.gate_rev else ""
    out = [f"auditor: {len(items)} suppression(s) added{since} (each silences what it names):"]
    for item in items:
        hides = f"hides {len(item.hides)} finding(s)" if item.hides else "hides nothing yet"
        out.append(
            f"  {_clean(item.shown or item.path)}:{item.line}:{item.column}: "
            f"ignore[{_clean(', '.join(item.rules))}] {_clean(item.reason)} ({hides})"
        )
        for f in item.hides:
            out.append(f"    {f.severity}[{f.rule}] line {f.line}: {_message(f.message)}")
    return out
