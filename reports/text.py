"""Terminal text: ``path:line:col: severity[rule] message``, the line, a caret.

Colour only when the caller says the output is a TTY and ``NO_COLOR`` is
unset (the CLI decides); the text is the same either way.
"""

from __future__ import annotations

from reports.model import Report

_COLOURS = {"error": "\x1b[31;1m", "warning": "\x1b[33;1m", "note": "\x1b[36m"}
_RESET = "\x1b[0m"
_DIM = "\x1b[2m"
_BOLD = "\x1b[1m"


def _message(text: str) -> str:
    """A message may carry details on further lines (a drift diff): indent them."""
    return "\n    ".join(_clean(line) for line in text.split("\n"))


def _clean(text: str) -> str:
    """Source lines can hold control characters; never let them reach the terminal raw."""
    return "".join(ch if ch.isprintable() or ch == "\t" else "\ufffd" for ch in text)


def render(report: Report) -> str:
    out: list[str] = []
    colour = report.color
    for f in report.findings:
        where = _clean(report.display_path(f))
        sev = f.severity
        if colour:
            head = (
                f"{_BOLD}{where}:{f.line}:{f.column}:{_RESET} "
                f"{_COLOURS.get(sev, '')}{sev}{_RESET}[{f.rule}] {_message(f.message)}"
            )
        else:
            head = f"{where}:{f.line}:{f.column}: {sev}[{f.rule}] {_message(f.message)}"
        out.append(head)
        line = report.source_line(f)
        if line is not None and line.strip():
            shown = _clean(line.expandtabs(1))[:300]
            width = max(1, (f.end_column - f.column) if f.end_line == f.line else 1)
            width = min(width, max(1, len(shown) - f.column + 1))
            caret = " " * (f.column - 1) + "^" + "~" * (width - 1)
            out.append(f"  {shown}")
            out.append(f"  {_DIM if colour else ''}{caret}{_RESET if colour else ''}")
    out.extend(new_suppression_lines(report))
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
