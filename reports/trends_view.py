"""The trends of ``--compare PREVIOUS.json`` as text lines and as a Markdown section.

One module for both plain formats, so the terminal, a CI log and a pull
request comment say the same thing: totals, then one row per repository and
per rule that changed (new or fixed), still-open counts beside them.
"""

from __future__ import annotations

from collections.abc import Callable

from auditor.findings import printable
from auditor.trends import Counts, Trends

Text = Callable[[str], str]


def _changed(rows: dict[str, Counts]) -> list[tuple[str, Counts]]:
    return [(k, c) for k, c in rows.items() if c.new or c.fixed or c.still_open]


def _since(trends: Trends) -> str:
    when = f" (scanned {trends.previous_scanned_at})" if trends.previous_scanned_at else ""
    return f"{printable(trends.previous)}{when}"


def text_lines(trends: Trends) -> list[str]:
    t = trends.totals()
    out = [f"auditor: compared with {_since(trends)}: {t.new} new, {t.fixed} fixed, "
           f"{t.still_open} still open"]  # fmt: skip
    for title, rows in (("repository", trends.by_repo()), ("rule", trends.by_rule())):
        for key, c in _changed(rows):
            out.append(f"  {title} {printable(key) or '(org)'}: {c.new} new, {c.fixed} fixed, "
                       f"{c.still_open} still open")  # fmt: skip
    if trends.not_compared:
        out.append(f"  not compared (not scanned this time): {printable(', '.join(trends.not_compared))}")
    return out


def markdown_section(trends: Trends, code: Text, cell: Text, escape: Text) -> str:
    """``code``, ``cell``, ``escape``: the Markdown report's own code span, code span for a
    table cell and text escaping (so repository names render literally)."""
    t = trends.totals()
    out = [f"#### Trends since {code(trends.previous)}", "",
           f"**{t.new}** new · **{t.fixed}** fixed · **{t.still_open}** still open", ""]  # fmt: skip
    for title, rows in (("Repository", trends.by_repo()), ("Rule", trends.by_rule())):
        changed = _changed(rows)
        if not changed:
            continue
        out += [f"| {title} | new | fixed | still open |", "|---|---:|---:|---:|"]
        out += [f"| {cell(k or '(org)')} | {c.new} | {c.fixed} | {c.still_open} |" for k, c in changed]
        out.append("")
    if trends.not_compared:
        out += [f"Not compared (not scanned this time): {escape(', '.join(trends.not_compared))}", ""]
    return "\n".join(out) + "\n"
