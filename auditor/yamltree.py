"""Located YAML values: thin read-only views over composed ruamel.yaml nodes.

Why views rather than a converted tree: the C composer already builds one Python
object per node, carrying its start and end marks. Converting that whole tree
into a second one would double the cost of the step that dominates a scan, so
these wrappers are made only for the parts of a workflow the model touches, and
they compute spans from the marks on demand.

Every value can tell where it is (``span``) and, for strings, where the
character at a given offset sits in the file (``position_of``) — that is how
an expression inside a ``run: |`` block is reported at its exact column.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

from auditor.span import SourceText, Span

__all__ = ["SourceText", "Span", "YMap", "YNode", "YScalar", "YSeq", "node_span",
           "position_in_file", "scalar_kind"]

_KINDS = frozenset({"str", "bool", "int", "float", "null"})


def _span(node: Any, source: SourceText) -> Span:
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


class YNode:
    """Base of the three node views; ``raw`` is the composed ruamel node."""

    __slots__ = ("raw", "source")

    def __init__(self, raw: Any, source: SourceText) -> None:
        self.raw = raw
        self.source = source

    @property
    def span(self) -> Span:
        return _span(self.raw, self.source)

    @property
    def line(self) -> int:
        return int(self.raw.start_mark.line) + 1

    @property
    def column(self) -> int:
        return int(self.raw.start_mark.column) + 1


class YScalar(YNode):
    """A scalar; ``value`` is its text and ``kind`` its YAML 1.2 core type."""

    __slots__ = ()

    @property
    def value(self) -> str:
        return str(self.raw.value)

    @property
    def kind(self) -> str:
        """``str``, ``bool``, ``int``, ``float`` or ``null`` (YAML 1.2 core schema)."""
        return str(scalar_kind(self.raw))

    @property
    def style(self) -> str | None:
        return self.raw.style  # type: ignore[no-any-return]

    def is_true(self) -> bool:
        return self.kind == "bool" and self.value.lower() == "true"

    def is_false(self) -> bool:
        return self.kind == "bool" and self.value.lower() == "false"

    def position_of(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) in the file of the value's character at ``offset``.

        Exact for plain and quoted single-line scalars and for literal (``|``)
        blocks, which is where expressions and scripts live. For folded and
        multi-line flow scalars the line is found by searching the source for
        the text around the offset, falling back to the scalar's start.
        """
        sm = self.raw.start_mark
        style = self.style
        value = self.value
        offset = max(0, min(offset, len(value)))
        if style == "|":
            line_index = value.count("\n", 0, offset)
            line_start = value.rfind("\n", 0, offset) + 1
            file_line = sm.line + 2 + line_index
            indent = self._block_indent()
            return file_line, indent + (offset - line_start) + 1
        if self.raw.end_mark.line == sm.line and "\n" not in value:
            quote = 1 if style in ("'", '"') else 0
            return sm.line + 1, sm.column + 1 + quote + offset
        return self._search(offset)

    def _block_indent(self) -> int:
        sm = self.raw.start_mark
        lines = self.source.lines
        for number in range(sm.line + 1, min(len(lines), self.raw.end_mark.line + 1)):
            text = lines[number]
            if text.strip():
                return len(text) - len(text.lstrip(" "))
        return int(sm.column) + 2

    def _search(self, offset: int) -> tuple[int, int]:
        sm, em = self.raw.start_mark, self.raw.end_mark
        value = self.value
        line_start = value.rfind("\n", 0, offset) + 1
        line_end = value.find("\n", offset)
        fragment = value[line_start : line_end if line_end >= 0 else len(value)]
        rel = offset - line_start
        # Search for the fragment from the offset on (short enough to be found
        # on one source line even when the scalar was folded).
        needle = fragment[rel : rel + 24] or fragment
        lines = self.source.lines
        for number in range(sm.line, min(len(lines), em.line + 1)):
            text = lines[number]
            start = sm.column if number == sm.line else 0
            found = text.find(needle, start) if needle else -1
            if found >= 0:
                return number + 1, found + 1
        return sm.line + 1, sm.column + 1


class YSeq(YNode):
    """A sequence; iterating yields the element views."""

    __slots__ = ()

    def __iter__(self) -> Iterator[YNode]:
        for item in self.raw.value:
            yield wrap(item, self.source)

    def __len__(self) -> int:
        return len(self.raw.value)


class YMap(YNode):
    """A mapping with YAML merge keys (``<<``) applied; explicit keys win."""

    __slots__ = ()

    def items(self) -> Iterator[tuple[YScalar, YNode]]:
        seen: set[str] = set()
        merged: list[tuple[Any, Any]] = []
        for key, value in self.raw.value:
            if key.value == "<<" and not key.style:
                merged.extend(_merge_sources(value))
                continue
            if isinstance(key, ScalarNode):
                seen.add(key.value)
                yield YScalar(key, self.source), wrap(value, self.source)
        for key, value in merged:
            if isinstance(key, ScalarNode) and key.value not in seen:
                seen.add(key.value)
                yield YScalar(key, self.source), wrap(value, self.source)

    def keys(self) -> list[str]:
        return [k.value for k, _ in self.items()]

    def entry(self, name: str) -> tuple[YScalar, YNode] | None:
        """The (key, value) pair for ``name``, or None."""
        for key, value in self.raw.value:
            if isinstance(key, ScalarNode) and key.value == name:
                return YScalar(key, self.source), wrap(value, self.source)
        for key, value in self.items():
            if key.value == name:
                return key, value
        return None

    def get(self, name: str) -> YNode | None:
        pair = self.entry(name)
        return pair[1] if pair else None

    def __len__(self) -> int:
        return len(self.raw.value)


def _merge_sources(value: Any) -> list[tuple[Any, Any]]:
    if isinstance(value, MappingNode):
        return list(value.value)
    if isinstance(value, SequenceNode):
        out: list[tuple[Any, Any]] = []
        for item in value.value:
            if isinstance(item, MappingNode):
                out.extend(item.value)
        return out
    return []


def scalar_kind(raw: Any) -> Any:  # the model narrows it to its Literal
    """``str``, ``bool``, ``int``, ``float`` or ``null``: a composed scalar's YAML 1.2 core type."""
    ctag = raw.ctag
    suffix = (ctag if isinstance(ctag, str) else ctag.suffix) or "str"
    kind = suffix.rsplit(":", 1)[-1] if ":" in suffix else suffix
    return kind if kind in _KINDS else "str"


def node_span(raw: Any, source: SourceText) -> Span:
    """The span of a composed node (the model's located values call this)."""
    return _span(raw, source)


def position_in_file(raw: Any, source: SourceText, offset: int) -> tuple[int, int]:
    """1-based (line, column) of the character at ``offset`` of a composed scalar."""
    return YScalar(raw, source).position_of(offset)


def wrap(raw: Any, source: SourceText) -> YNode:
    """The view class that fits ``raw``."""
    if isinstance(raw, ScalarNode):
        return YScalar(raw, source)
    if isinstance(raw, MappingNode):
        return YMap(raw, source)
    if isinstance(raw, SequenceNode):
        return YSeq(raw, source)
    return YNode(raw, source)


def raw_scalars(root: Any, limit: int = 200_000) -> Iterator[Any]:
    """Every raw scalar node below ``root`` (values, not keys), shared nodes once.

    Iterative and bounded so hostile nesting and aliases cannot blow the stack
    or the clock; yields ruamel nodes so callers can test ``.value`` before
    paying for a view.
    """
    stack: list[Any] = [root]
    seen: set[int] = set()
    count = 0
    while stack:
        raw = stack.pop()
        if id(raw) in seen:
            continue
        seen.add(id(raw))
        count += 1
        if count > limit:
            return
        if isinstance(raw, ScalarNode):
            yield raw
        elif isinstance(raw, MappingNode):
            stack.extend(value for _key, value in reversed(raw.value))
        elif isinstance(raw, SequenceNode):
            stack.extend(reversed(raw.value))


def scalars(node: YNode, limit: int = 200_000) -> Iterator[YScalar]:
    """Every scalar value below ``node`` (not keys), each shared node once.

    Iterative and bounded so hostile nesting and aliases cannot blow the stack
    or the clock.
    """
    stack: list[Any] = [node.raw]
    seen: set[int] = set()
    source = node.source
    count = 0
    while stack:
        raw = stack.pop()
        if id(raw) in seen:
            continue
        seen.add(id(raw))
        count += 1
        if count > limit:
            return
        if isinstance(raw, ScalarNode):
            yield YScalar(raw, source)
        elif isinstance(raw, MappingNode):
            for _key, value in reversed(raw.value):
                stack.append(value)
        elif isinstance(raw, SequenceNode):
            stack.extend(reversed(raw.value))


def to_plain(node: YNode | None, limit: int = 10_000) -> Any:
    """A plain Python value (str/bool/int/float/None/list/dict) for small subtrees."""
    if node is None:
        return None
    budget = [limit]

    def convert(n: YNode, depth: int) -> Any:
        budget[0] -= 1
        if budget[0] < 0 or depth > 64:
            return None
        if isinstance(n, YScalar):
            kind = n.kind
            v = n.value
            if kind == "bool":
                return v.lower() == "true"
            if kind == "null":
                return None
            if kind == "int":
                try:
                    return int(v, 0) if v[:2].lower() in ("0x", "0o") else int(v)
                except ValueError:
                    return v
            if kind == "float":
                try:
                    return float(v)
                except ValueError:
                    return v
            return v
        if isinstance(n, YMap):
            return {k.value: convert(v, depth + 1) for k, v in n.items()}
        if isinstance(n, YSeq):
            return [convert(x, depth + 1) for x in n]
        return None

    return convert(node, 0)
