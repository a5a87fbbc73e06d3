"""Markdown for a pull-request comment: verdict, per-rule table, findings by file,
and the job graph of each affected workflow as Mermaid with roles coloured.

Forges cap a comment at 65,536 characters, so the output stays under
``LIMIT``: sections are added while they fit and the rest is counted in a
closing note (findings first, graphs last, since the findings are the point).
Every string that comes from a repository (paths, messages, source lines) is
escaped so it renders as text, never as markup or HTML.
"""

from __future__ import annotations

import html
import re
from collections import Counter, defaultdict
from urllib.parse import quote

from auditor.codespan import code_span
from auditor.findings import SEVERITIES, SEVERITY_RANK, TEXT_ESCAPES, Finding, printable
from auditor.reports.graph import mermaid
from auditor.reports.model import Report
from auditor.reports.source import SourceLines
from auditor.rule_docs import rule_doc_url

LIMIT = 65_000
ICONS = {"error": "🔴", "warning": "🟠", "note": "🔵"}
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>])")


def escape(text: str) -> str:
    """Inline text from a repository: no markup, no HTML, one line, no control
    character (``printable``); ``[`` is escaped, so no ``##[`` workflow command."""
    text = re.sub(r"\s+", " ", printable(text))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def html_text(text: str) -> str:
    """Text inside an HTML block (``<summary>``), where Markdown is not parsed, so a
    backslash escape would show: HTML entities only, ``[`` too (no ``##[``)."""
    text = re.sub(r"\s+", " ", printable(text))
    return html.escape(text, quote=True).replace("[", "&#91;")


_TICKS = re.compile(r"`+")


def _word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _code_spans(text: str) -> list[tuple[int, int]]:
    """Where the `code spans` of a rule's message are: ``(start, end)`` of each, ticks included.

    Rules write a span as a backtick, the value, a backtick, and the value is often
    a shell or Python snippet with backticks of its own (``x=`date` ``), so a span
    is not "up to the next backtick". A run of backticks opens a span (or, inside
    one, a nested pair) when it follows a space or punctuation and a non-space
    follows it; it closes one when it follows a non-space and a space, punctuation
    or the end follows it. A span ends at the last backtick of the run that closes
    its outermost pair. If nothing closes it, it ends at the next backtick (a plain
    span, as in "`foo`s"); a last run of three or more is a span of backticks only,
    and a shorter one is text.
    """
    runs = [(m.start(), m.end()) for m in _TICKS.finditer(text)]
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(runs):
        start, end = runs[i]
        before = text[start - 1] if start else " "
        after = text[end] if end < len(text) else ""
        if _word(before) or not after or after.isspace():
            if end - start >= 3 and not _word(before) and not _word(after[:1] or " "):
                spans.append((start, end))  # "`" + a value of backticks only + "`"
            i += 1
            continue
        depth, close = end - start, None
        j = i + 1
        while j < len(runs):
            s, e = runs[j]
            before, after = text[s - 1], text[e] if e < len(text) else ""
            if not before.isspace() and not (after and _word(after)):
                depth -= e - s
                if depth <= 0:
                    close = j
                    break
            elif not _word(before) and after and not after.isspace():
                depth += e - s
            j += 1
        if close is not None:
            spans.append((start, runs[close][1]))
            i = close + 1
        elif i + 1 < len(runs):
            s, e = runs[i + 1]
            spans.append((start, s + 1))
            i += 1
            if e - s > 1:
                runs[i] = (s + 1, e)  # the rest of that run is text or opens the next span
            else:
                i += 1
        elif end - start >= 3:
            spans.append((start, end))  # "`" + a value of backticks only + "`"
            i += 1
        else:
            i += 1
    return spans


def message(text: str, *, cell: bool = False) -> str:
    """A rule's message: its `code spans` kept as code, everything else escaped
    (``cell``: for a table cell, where a pipe inside a code span splits the row too)."""
    text = " ".join(text.split())
    span = cell_code if cell else code
    out, last = [], 0
    for start, end in _code_spans(text):
        out.append(escape(text[last:start]))
        out.append(span(text[start + 1 : end - 1]))
        last = end
    out.append(escape(text[last:]))
    return "".join(out)


def code(text: str) -> str:
    """Inline code span that survives backticks in ``text``.

    A code span shows its text literally, so control characters are shown as
    ``\\xNN`` and a ``##[`` (a workflow command anywhere in a CI log line) as
    ``#\\x23[``.
    """
    text = " ".join(printable(text).split()).replace("##[", "#" + TEXT_ESCAPES[1] + "[")
    return code_span(text)


def rule_link(rule_id: str, cell: bool = False) -> str:
    """The rule id as code, linked to its page (``auditor.rule_docs``): one click from a
    finding to what it means and how to fix it."""
    url = quote(rule_doc_url(rule_id), safe=":/?#[]@!$&'*+,;=%~.-_")
    return f"[{cell_code(rule_id) if cell else code(rule_id)}]({url})"


def cell_code(text: str) -> str:
    """``code`` for a table cell: a table splits its row at every ``|`` before it sees
    code spans, so a pipe is written ``\\|`` (GFM turns it back into ``|``)."""
    return code(text).replace("|", "\\|")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _link(report: Report, path: str, line: int) -> str:
    if path.startswith(("/", "../")) or ":" in path.split("/", 1)[0]:
        return str(line)  # not inside the repository the links point into
    target = (report.link_base or "") + quote(path, safe="/-._~")
    return f"[{line}]({target}#L{line})"


def verdict(report: Report) -> str:
    counts = report.counts()
    threshold = SEVERITY_RANK[report.fail_on]
    failing = sum(1 for f in report.findings if SEVERITY_RANK.get(f.severity, 0) >= threshold)
    parts = [_plural(counts[s], s) for s in SEVERITIES if counts.get(s)]
    files = _plural(report.files, "file")
    tail = []
    if report.suppressed:
        tail.append(f"{report.suppressed} suppressed")
    if report.baselined:
        tail.append(f"{report.baselined} baselined")
    if report.new_suppressions:
        tail.append(f"{_plural(len(report.new_suppressions), 'new suppression')}")
    extra = f" ({', '.join(tail)})" if tail else ""
    if failing:
        return (
            f"### ❌ auditor: failed: {_plural(failing, 'finding')} at or above "
            f"`{report.fail_on}` ({', '.join(parts)}) in {files} checked{extra}"
        )
    if report.findings:
        return (
            f"### ✅ auditor: passed: nothing at or above `{report.fail_on}` "
            f"({', '.join(parts)}) in {files} checked{extra}"
        )
    return f"### ✅ auditor: passed: no findings in {files} checked{extra}"


def summary_table(report: Report) -> list[str]:
    per_rule = Counter(f.rule for f in report.findings)
    severity = {f.rule: f.severity for f in report.findings}
    rows = sorted(per_rule, key=lambda r: (-SEVERITY_RANK.get(severity[r], 0), r))
    lines = ["| Rule | Severity | Findings | What it checks |", "| --- | --- | ---: | --- |"]
    for rule_id in rows:
        rule = report.rule(rule_id)
        what = message(rule.summary, cell=True) if rule is not None else ""
        sev = severity[rule_id]
        lines.append(f"| {rule_link(rule_id, cell=True)} | {ICONS.get(sev, '')} {sev} | {per_rule[rule_id]} | {what} |")
    return lines


def _finding_line(report: Report, f: Finding, shown: str, sources: SourceLines) -> str:
    where = _link(report, shown, f.line)
    context = ""
    if f.job is not None:
        context = f" (job {code(f.job)}"
        if f.step is not None:
            label = f.step.id or f.step.name or f"#{f.step.index + 1}"
            context += f", step {code(label)}"
        context += ")"
    line = (
        f"- {ICONS.get(f.severity, '')} **{f.severity}** line {where}, col {f.column}: "
        f"{rule_link(f.rule)} {message(f.message)}{context}"
    )
    excerpt = sources.excerpt(f)  # bounded: never the whole line once per finding
    if excerpt is not None:
        line += f"\n  {code(excerpt.stripped())}"
    return line


def _new_suppressions(report: Report, room: int) -> str:
    """The suppressions the change added, each with what it hides (a reviewer's list)."""
    items = report.new_suppressions
    if not items:
        return ""
    since = f" since {code(report.gate_rev)}" if report.gate_rev else ""
    text = f"#### 🔕 Suppressions added{since}\n\n"
    for shown, item in enumerate(items):
        hides = _plural(len(item.hides), "finding") if item.hides else "nothing yet"
        entry = (
            f"- {code(item.shown or item.path)} line {_link(report, item.shown or item.path, item.line)}: "
            f"{code('ignore[' + ', '.join(item.rules) + ']')} {escape(item.reason)} (hides {hides})\n"
        )
        for f in item.hides:
            entry += f"  - {ICONS.get(f.severity, '')} {rule_link(f.rule)} {message(f.message)}\n"
        if len(text) + len(entry) > room:
            text += f"- … and {_plural(len(items) - shown, 'more suppression')} (see the JSON report)\n"
            break
        text += entry
    return text + "\n"


def render(report: Report, limit: int = LIMIT) -> str:
    head = [verdict(report), ""]
    if report.findings:
        head += ["#### Summary", "", *summary_table(report), "", "#### Findings", ""]
    body = "\n".join(head) + "\n"
    if report.trends is not None:
        from auditor.reports.trends_view import markdown_section

        body += markdown_section(report.trends, code, cell_code, escape)
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for f in report.findings:
        by_file[report.display_path(f)].append(f)
    sources = SourceLines(report)
    # Reserve room for the closing note, whatever it ends up saying.
    budget = limit - 400
    shown_findings = 0
    left_files: set[str] = set()
    stopped = False
    for shown, findings in by_file.items():
        if stopped:
            left_files.add(shown)
            continue
        section = f"**{code(shown)}**\n\n"
        if len(body) + len(section) > budget:
            stopped = True
            left_files.add(shown)
            continue
        body += section
        for f in findings:
            entry = _finding_line(report, f, shown, sources) + "\n"
            if len(body) + len(entry) > budget:
                stopped = True
                left_files.add(shown)
                break
            body += entry
            shown_findings += 1
        body += "\n"
    left = len(report.findings) - shown_findings
    body += _new_suppressions(report, budget - len(body))
    graphs_left = 0
    if report.graphs:
        intro = "#### Job graphs of the affected workflows\n\n"
        intro += "Roles: 🟧 promote, 🟦 publish, 🟩 verify.\n\n"
        added_intro = False
        for shown, graph in report.graphs.items():
            block = (
                f"<details><summary>{html_text(shown)}</summary>\n\n"
                f"```mermaid\n{mermaid(graph)}```\n\n</details>\n\n"
            )
            extra = block if added_intro else intro + block
            if stopped or len(body) + len(extra) > budget:
                graphs_left += 1
                continue
            body += extra
            added_intro = True
    if left or graphs_left:
        parts = []
        if left:
            parts.append(f"{_plural(left, 'finding')} in {_plural(len(left_files), 'file')}")
        if graphs_left:
            parts.append(_plural(graphs_left, "job graph"))
        body += (
            f"> [!NOTE]\n> Truncated to stay under {limit:,} characters: "
            f"{' and '.join(parts)} not shown. The JSON or SARIF report has everything.\n"
        )
    return body
