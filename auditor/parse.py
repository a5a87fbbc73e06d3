"""Bytes → composed YAML 1.2 node tree, or located problems. The one parse layer.

Speed is won or lost here, so this module composes with the C parser of
``ruamel.yaml.clib`` (about ten times the round-trip loader's speed) and keeps
the marks that every later stage reports from. It is the only module that
touches ruamel's parser classes, so a faster path can replace it whole.

Traps handled here, each measured on the corpus:

* the C composer rejects a redefined anchor, which YAML 1.2 allows: that file
  is composed again with the pure composer instead of being reported;
* the C composer recurses and segfaults near 50,000 nesting levels, and the pure
  one hits Python's recursion limit near 1,000: deep nesting is measured
  first, from parser events, and reported as a ``parse-error``;
* aliases are shared nodes after composing, so an alias bomb costs nothing
  until something walks it: the expanded size is computed once, with
  memoisation, and a bomb is a ``parse-error``;
* duplicate keys, non-UTF-8 bytes and multi-document files are ``parse-error``s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

from auditor.yamltree import SourceText, YNode, wrap

try:  # pragma: no cover - exercised implicitly; the fallback is tested separately
    import _ruamel_yaml
    from _ruamel_yaml import CParser as _CParser
except ImportError:  # pragma: no cover
    _ruamel_yaml = None
    _CParser = None


class _FastScalar(ScalarNode):
    """ScalarNode without ruamel's per-node ``Tag`` object (a quarter of compose time).

    ``ctag`` holds the resolver's short type name as a plain string; ``Node.tag``
    still works because it returns ``str(ctag)``.
    """

    __slots__ = ()

    def __init__(
        self, tag: Any, value: Any, start_mark: Any = None, end_mark: Any = None,
        style: Any = None, comment: Any = None, anchor: Any = None,
    ) -> None:  # fmt: skip
        self.ctag = tag
        self.value = value
        self.start_mark = start_mark
        self.end_mark = end_mark
        self.style = style
        self.comment = comment
        self.anchor = anchor


class _FastSequence(SequenceNode):
    __slots__ = ()

    def __init__(
        self, tag: Any, value: Any, start_mark: Any = None, end_mark: Any = None,
        flow_style: Any = None, comment: Any = None, anchor: Any = None,
    ) -> None:  # fmt: skip
        self.ctag = tag
        self.value = value
        self.start_mark = start_mark
        self.end_mark = end_mark
        self.flow_style = flow_style
        self.comment = comment
        self.anchor = anchor


class _FastMapping(MappingNode):
    __slots__ = ()

    def __init__(
        self, tag: Any, value: Any, start_mark: Any = None, end_mark: Any = None,
        flow_style: Any = None, comment: Any = None, anchor: Any = None,
    ) -> None:  # fmt: skip
        self.ctag = tag
        self.value = value
        self.start_mark = start_mark
        self.end_mark = end_mark
        self.flow_style = flow_style
        self.comment = comment
        self.anchor = anchor
        self.merge = None


if _ruamel_yaml is not None:
    # The C composer looks these names up in its own module namespace, so
    # replacing them there changes what it builds and nothing else.
    _ruamel_yaml.ScalarNode = _FastScalar
    _ruamel_yaml.SequenceNode = _FastSequence
    _ruamel_yaml.MappingNode = _FastMapping

MAX_DEPTH = 500
MAX_EXPANDED_NODES = 2_000_000
_BOOL = {"true", "True", "TRUE", "false", "False", "FALSE"}
_NULL = {"", "~", "null", "Null", "NULL"}
_INT = re.compile(r"[-+]?[0-9]+$|0o[0-7]+$|0x[0-9a-fA-F]+$")
_FLOAT = re.compile(
    r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$|[-+]?\.(inf|Inf|INF)$|\.(nan|NaN|NAN)$"
)


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with a file's bytes or YAML, located; becomes a finding."""

    rule: str
    message: str
    line: int
    column: int
    subject: str
    end_line: int = 0
    end_column: int = 0


@dataclass(frozen=True, slots=True)
class Parsed:
    """The outcome of parsing one file: its text (if decodable), root and problems."""

    source: SourceText | None
    root: YNode | None
    problems: tuple[Problem, ...]
    expression_scalars: tuple[Any, ...] = ()  # raw scalar nodes whose value holds ``${{``


_SPECIAL = {v: "bool" for v in _BOOL} | {v: "null" for v in _NULL}


def _resolve_scalar(value: str, implicit: Any) -> str:
    """YAML 1.2 core schema resolution for plain scalars: ``on`` stays a string.

    Returns the short type name; ``yamltree.YScalar.kind`` reads it back from
    the node's tag suffix without ruamel's slow tag decoding.
    """
    if not implicit[0]:
        return "str"
    special = _SPECIAL.get(value)
    if special is not None:
        return special
    first = value[0]
    if first.isdigit() or first in "-+.":
        if _INT.match(value):
            return "int"
        if _FLOAT.match(value):
            return "float"
    return "str"


if _CParser is not None:

    class _FastComposer(_CParser):  # type: ignore[misc]
        """The C parser+composer with a minimal YAML 1.2 resolver."""

        def descend_resolver(self, *args: Any) -> None:
            return None

        def ascend_resolver(self, *args: Any) -> None:
            return None

        def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
            # ``kind`` is the class the C module names ScalarNode etc., which
            # are the fast subclasses installed above.
            if kind is _FastScalar or kind is ScalarNode:
                return _resolve_scalar(value, implicit)
            if kind is _FastSequence or kind is SequenceNode:
                return "seq"
            return "map"


def c_parser_available() -> bool:
    """True when the C parser of ruamel.yaml.clib is importable (tests assert it)."""
    return _CParser is not None


def decode(data: bytes, path: str) -> tuple[str | None, Problem | None]:
    """UTF-8 text without BOM, or a located problem at the first bad byte."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        return None, Problem(
            "parse-error",
            f"file is not valid UTF-8 (byte 0x{data[exc.start]:02x}); "
            "workflows must be UTF-8 text",
            line,
            column,
            "non-utf8",
        )
    if "\x00" in text:
        offset = text.index("\x00")
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        return None, Problem(
            "parse-error",
            "file contains NUL bytes: it is binary, not a YAML workflow",
            line,
            column,
            "binary",
        )
    return text, None


def _mark_problem(exc: Exception, fallback: str) -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0] if str(exc) else fallback
    context = getattr(exc, "context", None)
    message = str(problem)
    if context and context not in message:
        message = f"{context}: {message}"
    line = mark.line + 1 if mark is not None else 1
    column = mark.column + 1 if mark is not None else 1
    return Problem("parse-error", f"invalid YAML: {message}", line, column, message)


_BRACKETS = re.compile(r"[\[\]{}]")
_LONG_LINE = re.compile(r"[^\n]{4000}")
_DEEP_INDENT = " " * (MAX_DEPTH // 3)
_COMPACT_SEQS = ("- " * 8, "-  " * 8, "-   " * 8)


def _bracket_depth(text: str) -> int:
    depth = best = 0
    for match in _BRACKETS.finditer(text):
        if match.group() in "[{":
            depth += 1
            best = max(best, depth)
        else:
            depth -= 1
    return best


def _suspicious_depth(text: str) -> bool:
    """Cheap screen: could this text nest deeper than MAX_DEPTH at all?

    Each nesting level costs an indentation step, a bracket or a ``- `` on a
    line, so a text with none of those in quantity cannot be deep; only the
    rare text that has them pays for a walk over parser events. Substring
    tests run at C speed, which matters because every file passes here.
    """
    if len(text) < MAX_DEPTH:
        return False
    if _DEEP_INDENT in text or any(seq in text for seq in _COMPACT_SEQS):
        return True
    if len(text) > 50_000 and _LONG_LINE.search(text):
        return True  # one very long line could hide compact nesting of any spacing
    if text.count("[") + text.count("{") > MAX_DEPTH // 3:
        return _bracket_depth(text) > MAX_DEPTH // 3
    return False


def _depth_problem(text: str) -> Problem | None:
    """Walk parser events (no composing) and stop at the first level too deep."""
    if _CParser is None:
        return None
    from ruamel.yaml.events import (
        MappingEndEvent,
        MappingStartEvent,
        SequenceEndEvent,
        SequenceStartEvent,
    )

    parser = _FastComposer(text)
    depth = 0
    try:
        while True:
            event = parser.get_event()
            if event is None:
                return None
            cls = type(event)
            if cls is MappingStartEvent or cls is SequenceStartEvent:
                depth += 1
                if depth > MAX_DEPTH:
                    mark = event.start_mark
                    return Problem(
                        "parse-error",
                        f"YAML nests deeper than {MAX_DEPTH} levels; "
                        "no workflow needs that, so the file is not analysed",
                        mark.line + 1,
                        mark.column + 1,
                        "nesting-too-deep",
                    )
            elif cls is MappingEndEvent or cls is SequenceEndEvent:
                depth -= 1
            elif type(event).__name__ == "StreamEndEvent":
                return None
    except Exception:
        return None  # the real compose below reports syntax errors with their marks


def _compose(text: str) -> Any:
    if _CParser is not None:
        composer = _FastComposer(text)
        try:
            return composer.get_single_node()
        except Exception as exc:
            if "found duplicate anchor" not in str(exc):
                raise
    return _compose_pure(text)


def _compose_pure(text: str) -> Any:
    """The pure composer: YAML 1.2 allows redefining an anchor; the C one does not."""
    import warnings

    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.version = (1, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return yaml.compose(text)


def _walk(root: Any, shared: bool) -> tuple[Problem | None, list[Any]]:
    """One pass over the tree: the first duplicate key, and every scalar holding ``${{``.

    Every later stage needs the expression-bearing scalars (references,
    unterminated expressions), so they are collected here, in the walk that
    must visit every node anyway. ``shared`` says aliases may make nodes
    appear twice; only then are visited nodes remembered.
    """
    stack: list[Any] = [root]
    seen_nodes: set[int] = set()
    expr: list[Any] = []
    scalar_types = (ScalarNode,)
    while stack:
        node = stack.pop()
        if isinstance(node, scalar_types):
            if "${{" in node.value:
                expr.append(node)
            continue
        if shared:
            key = id(node)
            if key in seen_nodes:
                continue
            seen_nodes.add(key)
        if isinstance(node, MappingNode):
            pairs = node.value
            names = [k.value for k, _ in pairs]
            if len(set(names)) != len(names):
                problem = _first_duplicate(pairs)
                if problem is not None:
                    return problem, expr
            for _, v in reversed(pairs):
                stack.append(v)
        elif isinstance(node, SequenceNode):
            stack.extend(reversed(node.value))
    return None, expr


def _first_duplicate(pairs: list[tuple[Any, Any]]) -> Problem | None:
    first: dict[str, Any] = {}
    for k, _ in pairs:
        if not isinstance(k, ScalarNode) or (k.value == "<<" and not k.style):
            continue
        if k.value in first:
            return Problem(
                "parse-error",
                f"duplicate key '{k.value}' (first defined on line "
                f"{first[k.value].start_mark.line + 1}); YAML forbids it and "
                "runners read it differently — keep one",
                k.start_mark.line + 1,
                k.start_mark.column + 1,
                f"duplicate-key:{k.value}",
            )
        first[k.value] = k
    return None


_AMPERSAND = re.compile(r"&[^\s\[\]{},&]")


def _has_anchor(text: str) -> bool:
    """Could ``text`` define an anchor (``&name`` where a node starts)?

    Equivalent to the regex "start of line or one of ``:-[{,?``, blanks, ``&``, a
    name character", but ~40× faster on the
    corpus: that pattern starts with an alternation, so the regex engine tries
    it at every offset, while a leading literal ``&`` is found by a fast scan
    (``&&`` and ``2>&1`` in scripts are then rejected by a look back).
    """
    for match in _AMPERSAND.finditer(text):
        i = match.start() - 1
        while i >= 0 and text[i] in " \t":
            i -= 1
        if i < 0 or text[i] in "\n\r:-[{,?":
            return True
    return False


def _alias_bomb(root: Any) -> Problem | None:
    """Recursive aliases, and the expanded size of the tree (aliases counted at every use).

    Sizes are memoised per node, so the walk is linear in the composed
    tree however large the expansion. In this depth-first walk a node met
    again while it is still being expanded is one of its own ancestors: an
    alias to an enclosing anchor, which libyaml composes into a cycle.
    """
    sizes: dict[int, int] = {}
    visiting: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            visiting.discard(key)
            if isinstance(node, MappingNode):
                total = 1 + sum(sizes.get(id(k), 1) + sizes.get(id(v), 1) for k, v in node.value)
            elif isinstance(node, SequenceNode):
                total = 1 + sum(sizes.get(id(v), 1) for v in node.value)
            else:
                total = 1
            if total > MAX_EXPANDED_NODES:
                return Problem(
                    "parse-error",
                    f"aliases expand to more than {MAX_EXPANDED_NODES:,} nodes "
                    "(an alias bomb); the file is not analysed",
                    node.start_mark.line + 1,
                    node.start_mark.column + 1,
                    "alias-bomb",
                )
            sizes[key] = total
            continue
        if key in visiting:
            anchor = getattr(node, "anchor", None)
            name = f"&{anchor} " if anchor else ""
            return Problem(
                "parse-error",
                f"the anchor {name}is used inside itself (a recursive alias), which has no "
                "finite value; the runner rejects it",
                node.start_mark.line + 1,
                node.start_mark.column + 1,
                "recursive-alias",
            )
        if key in sizes:
            continue
        sizes[key] = 1
        visiting.add(key)
        stack.append((node, True))
        if isinstance(node, MappingNode):
            for _k, v in node.value:
                stack.append((v, False))
        elif isinstance(node, SequenceNode):
            for v in node.value:
                stack.append((v, False))
    return None


def parse_text(text: str, path: str) -> Parsed:
    """Compose ``text``; never raises for any input."""
    source = SourceText(path, text)
    if _suspicious_depth(text):
        deep = _depth_problem(text)
        if deep is not None:
            return Parsed(source, None, (deep,))
    try:
        root = _compose(text)
    except RecursionError:
        return Parsed(
            source,
            None,
            (Problem("parse-error", "YAML nests too deeply to analyse", 1, 1, "nesting"),),
        )
    except Exception as exc:
        message = str(exc)
        if "expected a single document" in message:
            problem = _mark_problem(exc, "more than one YAML document")
            problem = Problem(
                "parse-error",
                "file holds more than one YAML document; a workflow is one document",
                problem.line,
                problem.column,
                "multi-document",
            )
        else:
            problem = _mark_problem(exc, "invalid YAML")
        return Parsed(source, None, (problem,))
    if root is None:
        return Parsed(source, None, ())
    shared = "&" in text and _has_anchor(text)
    walk_problem, expr = _walk(root, shared)
    if walk_problem is None and shared:
        walk_problem = _alias_bomb(root)
    if walk_problem is not None:
        return Parsed(source, None, (walk_problem,))
    return Parsed(source, wrap(root, source), (), tuple(expr))


def parse_bytes(data: bytes, path: str) -> Parsed:
    """Decode and compose one file's bytes."""
    text, problem = decode(data, path)
    if text is None:
        assert problem is not None
        return Parsed(None, None, (problem,))
    return parse_text(text, path)
