"""Text edits a fix makes: replace characters ``start:end`` of a file's text.

Fixes locate what they change through the model's spans (1-based line and
column) and turn them into offsets here, so the fixer can apply them to the
original text and leave every other byte as it was: comments, quoting, key
order and indentation outside an edit are never rewritten.
"""

from __future__ import annotations

from dataclasses import dataclass

from auditor.span import SourceText, Span


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace ``text[start:end]`` (character offsets) with ``replacement``."""

    start: int
    end: int
    replacement: str


def line_starts(text: str) -> list[int]:
    """Offset of the first character of each line (only ``\\n`` ends a line, as in YAML)."""
    starts = [0]
    index = text.find("\n")
    while index >= 0:
        starts.append(index + 1)
        index = text.find("\n", index + 1)
    return starts


def offset(source: SourceText, line: int, column: int) -> int:
    """The character offset of 1-based (line, column) in ``source``."""
    starts = line_starts(source.text)
    if line > len(starts):
        return len(source.text)
    return min(starts[line - 1] + column - 1, len(source.text))


def replace_span(source: SourceText, span: Span, replacement: str) -> Edit:
    """Replace exactly the characters of ``span``."""
    return Edit(offset(source, span.line, span.column), offset(source, span.end_line, span.end_column),
                replacement)  # fmt: skip


def line_indent(source: SourceText, line: int) -> str:
    """The leading blanks of 1-based ``line``."""
    text = source.line(line)
    return text[: len(text) - len(text.lstrip(" "))]


def delete_lines(source: SourceText, first: int, last: int) -> Edit:
    """Delete whole lines ``first..last`` (1-based, inclusive) with their line breaks."""
    starts = line_starts(source.text)
    start = starts[first - 1]
    end = starts[last] if last < len(starts) else len(source.text)
    return Edit(start, end, "")


def insert_before_line(source: SourceText, line: int, text: str) -> Edit:
    """Insert ``text`` (whole lines, ending in a newline) before 1-based ``line``."""
    starts = line_starts(source.text)
    at = starts[line - 1] if line <= len(starts) else len(source.text)
    return Edit(at, at, text)


def insert_after_line(source: SourceText, line: int, text: str) -> Edit:
    """Insert ``text`` (whole lines, ending in a newline) after 1-based ``line``."""
    starts = line_starts(source.text)
    if line < len(starts):
        return Edit(starts[line], starts[line], text)
    end = len(source.text)
    lead = "" if source.text.endswith("\n") else "\n"
    return Edit(end, end, lead + text)


def alone_on_lines(source: SourceText, span: Span) -> bool:
    """``span`` is the only content of its lines (comments after it aside): whole lines
    can be deleted without touching a neighbour (not in a flow mapping ``{a: b, c: d}``)."""
    before = source.line(span.line)[: span.column - 1]
    after = source.line(span.end_line)[span.end_column - 1 :].strip()
    return not before.strip(" -") and (not after or after.startswith("#"))


def flow_entry_removal(source: SourceText, span: Span) -> list[Edit]:
    """Remove one ``key: value`` entry of a flow mapping on one line, with its comma."""
    if span.line != span.end_line:
        return []
    start = offset(source, span.line, span.column)
    end = offset(source, span.end_line, span.end_column)
    text = source.text
    after = end
    while after < len(text) and text[after] in " \t":
        after += 1
    if after < len(text) and text[after] == ",":
        after += 1
        while after < len(text) and text[after] in " \t":
            after += 1
        return [Edit(start, after, "")]
    before = start
    while before > 0 and text[before - 1] in " \t":
        before -= 1
    if before > 0 and text[before - 1] == ",":
        return [Edit(before - 1, end, "")]
    return []


def block_key_indent(source: SourceText, key: Span) -> str | None:
    """The indentation of a block-map key that starts its line (None: it does not, as in a
    flow map or after a ``- ``), which a new sibling key is written with."""
    before = source.line(key.line)[: key.column - 1]
    return before if not before.strip(" ") else None
