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

from auditor.marks import node_span, position_in_file, scalar_kind
from auditor.span import SourceText, Span

__all__ = ["SourceText", "Span", "YMap", "YNode", "YScalar", "YSeq", "node_span",
           "position_in_file", "scalar_kind"]



class YNode:
    """Base of the three node views; ``raw`` is the composed ruamel node."""

    __slots__ = ("raw", "source")

    def __init__(self, raw: Any, source: SourceText) -> None:
        self.raw = raw
        self.source = source

    @property
    def span(self) -> Span:
        return node_span(self.raw, self.source)

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
        """1-based (line, column) in the file of the value's character at ``offset``
        (``auditor.marks.position_in_file``)."""
        return position_in_file(self.raw, self.source, offset)


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
