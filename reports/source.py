"""The piece of the offending source line a report shows under a finding.

A report copies from the source an *excerpt*: at most ``EXCERPT_CHARS``
characters of the line around the finding's column, with ``…`` where the line
was cut, never the whole line once per finding. One line holding 5,000
references yields 5,000 findings; copying the whole line for each made the
text renderer quadratic (48 s) and the JUnit and HTML reports gigabytes.

Each line is looked up once per (repository, path, line) and kept with its
indentation measured, so the cost of a finding's excerpt is bounded by
``EXCERPT_CHARS``, whatever the length of the line.

The excerpt is raw text cut from the line: each renderer escapes it for its
format. ``Excerpt.shown`` does the escaping for line-oriented output (text,
JUnit) and keeps the caret where the column is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from auditor.findings import Finding
from auditor.reports.model import Report

EXCERPT_CHARS = 200
CONTEXT_BEFORE = 60  # characters kept before the column when a long line is cut
ELLIPSIS = "…"


@dataclass(frozen=True, slots=True)
class Excerpt:
    """``before`` + ``target`` + ``after`` is a window of one source line, at most
    ``EXCERPT_CHARS`` long; ``target`` is the finding's span on that line (at
    least one character, when the line has one there)."""

    before: str
    target: str
    after: str
    cut_left: bool
    cut_right: bool

    @property
    def text(self) -> str:
        """The window as one string, with ``…`` where the line goes on."""
        return (
            (ELLIPSIS if self.cut_left else "") + self.before + self.target + self.after
            + (ELLIPSIS if self.cut_right else "")
        )  # fmt: skip

    def stripped(self) -> str:
        """``text`` without the line's indentation and trailing blanks (JUnit, Markdown)."""
        return self.text.strip()

    def shown(self, clean: Callable[[str], str]) -> tuple[str, int, int]:
        """(text, caret start, caret width) with ``clean`` applied to each piece.

        ``clean`` may change lengths (an escape sequence for a character); the
        caret is placed from the cleaned pieces, so it stays under the span.
        """
        left = (ELLIPSIS if self.cut_left else "") + clean(self.before)
        target = clean(self.target)
        right = clean(self.after) + (ELLIPSIS if self.cut_right else "")
        return left + target + right, len(left), max(1, len(target))


class SourceLines:
    """Excerpts of the source lines of one report's findings, each line read once."""

    def __init__(self, report: Report) -> None:
        self._source_line = report.source_line
        self._display_path = report.display_path
        self._lines: dict[tuple[str | None, str, int], str | None] = {}

    def _line(self, f: Finding) -> str | None:
        """The line, tabs as single spaces (so columns match), trailing blanks dropped;
        None when it is blank or unavailable. Looked up once per (repository, path, line)."""
        key = (f.repo, self._display_path(f), f.line)
        if key not in self._lines:
            raw = self._source_line(f)
            line = raw.replace("\t", " ").rstrip() if raw is not None else ""
            self._lines[key] = line if line.strip() else None
        return self._lines[key]

    def excerpt(self, f: Finding) -> Excerpt | None:
        """The bounded excerpt of ``f``'s line around its column; None for a blank line."""
        line = self._line(f)
        if line is None:
            return None
        length = len(line)
        start = min(max(0, f.column - 1), length)
        if f.end_line == f.line and f.end_column > f.column:
            end = min(length, f.end_column - 1)
        else:
            end = min(length, start + 1)
        if length <= EXCERPT_CHARS:
            lo, hi = 0, length
        else:
            lo = max(0, min(start - CONTEXT_BEFORE, length - EXCERPT_CHARS))
            hi = lo + EXCERPT_CHARS
        end = max(start, min(end, hi))
        start = min(start, hi)
        return Excerpt(line[lo:start], line[start:end], line[end:hi], lo > 0, hi < length)
