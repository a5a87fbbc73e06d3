"""Where a composed YAML node sits in its file, from the parser's marks alone.

Kept apart from ``auditor.yamltree`` (the node views, which need ruamel's node
classes) so the typed model can locate its values without importing ruamel: a run
answered from the result cache builds no model but imports the model's module (the
rules name its types), and ruamel's import is a sixth of such a run. Everything here
reads only attributes every composed node has (``start_mark``, ``end_mark``,
``value``, ``style``, ``ctag``).
"""

from __future__ import annotations

from typing import Any

from auditor.span import SourceText, Span

_KINDS = frozenset({"str", "bool", "int", "float", "null"})


def node_span(node: Any, source: SourceText) -> Span:
    """The span of a composed node; a block value ends on its last line with content."""
    sm, em = node.start_mark, node.end_mark
    end_line, end_col = em.line + 1, em.column + 1
    if end_col == 1 and end_line > sm.line + 1:
        # Block scalars and block collections end at the start of the next
        # token's line; report the end of the last line that holds content.
        end_line -= 1
        while end_line > sm.line + 1 and not source.line(end_line).strip():
            end_line -= 1
        end_col = len(source.line(end_line)) + 1
    return Span(sm.line + 1, sm.column + 1, end_line, end_col)


def scalar_kind(raw: Any) -> Any:  # the model narrows it to its Literal
    """``str``, ``bool``, ``int``, ``float`` or ``null``: a composed scalar's YAML 1.2 core type."""
    ctag = raw.ctag
    suffix = (ctag if isinstance(ctag, str) else ctag.suffix) or "str"
    kind = suffix.rsplit(":", 1)[-1] if ":" in suffix else suffix
    return kind if kind in _KINDS else "str"


def position_in_file(raw: Any, source: SourceText, offset: int) -> tuple[int, int]:
    """1-based (line, column) in the file of a composed scalar's character at ``offset``.

    Exact for plain and quoted single-line scalars and for literal (``|``)
    blocks, which is where expressions and scripts live. For folded and
    multi-line flow scalars the line is found by searching the source for
    the text around the offset, falling back to the scalar's start.
    """
    sm = raw.start_mark
    style = raw.style
    value = str(raw.value)
    offset = max(0, min(offset, len(value)))
    if style == "|":
        line_index = value.count("\n", 0, offset)
        line_start = value.rfind("\n", 0, offset) + 1
        file_line = sm.line + 2 + line_index
        indent = _block_indent(raw, source)
        return file_line, indent + (offset - line_start) + 1
    if raw.end_mark.line == sm.line and "\n" not in value:
        quote = 1 if style in ("'", '"') else 0
        return sm.line + 1, sm.column + 1 + quote + offset
    return _search(raw, source, offset)

def _block_indent(raw: Any, source: SourceText) -> int:
    sm = raw.start_mark
    lines = source.lines
    for number in range(sm.line + 1, min(len(lines), raw.end_mark.line + 1)):
        text = lines[number]
        if text.strip():
            return len(text) - len(text.lstrip(" "))
    return int(sm.column) + 2

def _search(raw: Any, source: SourceText, offset: int) -> tuple[int, int]:
    sm, em = raw.start_mark, raw.end_mark
    value = str(raw.value)
    line_start = value.rfind("\n", 0, offset) + 1
    line_end = value.find("\n", offset)
    fragment = value[line_start : line_end if line_end >= 0 else len(value)]
    rel = offset - line_start
    # Search for the fragment from the offset on (short enough to be found
    # on one source line even when the scalar was folded).
    needle = fragment[rel : rel + 24] or fragment
    lines = source.lines
    for number in range(sm.line, min(len(lines), em.line + 1)):
        text = lines[number]
        start = sm.column if number == sm.line else 0
        found = text.find(needle, start) if needle else -1
        if found >= 0:
            return number + 1, found + 1
    return sm.line + 1, sm.column + 1
