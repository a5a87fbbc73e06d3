"""Bytes → composed YAML 1.2 node tree, or located problems. The one parse layer.

Speed is won or lost here, so this module composes with the C parser of
``ruamel.yaml.clib`` (about ten times the round-trip loader's speed) and keeps
the marks that every later stage reports from. It is the only module that
touches ruamel's parser classes, so a faster path can replace it whole.

Traps handled here, each measured on the corpus:

* libyaml's scanner rejects valid YAML 1.2 (a ``:`` inside a plain scalar in
  flow context: ``{tags: ghcr.io/a/b:main}``, ``[ubuntu:22.04]``, ``[::1]``;
  a redefined anchor): on any error of the C composer the file is composed
  again from the pure YAML 1.2 parser's events, and only what that refuses
  too is a ``parse-error``;
* the C composer recurses and segfaults near 50,000 nesting levels, and
  ruamel's pure one hits Python's recursion limit near 300: deep nesting is
  measured first, from parser events, and the pure path composes without
  recursion and stops at the same depth, both reported as a ``parse-error``;
* aliases are shared nodes after composing, so an alias bomb costs nothing
  until something walks it: the expanded size is computed once, with
  memoisation, and a bomb is a ``parse-error``; the walk that must visit every
  node anyway stops at the same bound, so aliases the cheap anchor screen
  misses cannot slip through;
* duplicate keys, non-UTF-8 bytes and multi-document files are ``parse-error``s;
  a key that is a sequence or a mapping is a located ``workflow-structure``
  problem and the rest of the file is still read.

While it composes, the C composer builds subclasses of ruamel's node classes that set
the same attributes in one call (``_composing``); ruamel's module is as it was before
and after every call, and the nodes behave as ruamel's own, so other users of ruamel in
the process see ruamel unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode
from ruamel.yaml.tag import Tag

from auditor import budget
from auditor.problem import Problem
from auditor.yamltree import SourceText, YNode, wrap

try:  # pragma: no cover - exercised implicitly; the fallback is tested separately
    import _ruamel_yaml
    from _ruamel_yaml import CParser as _CParser
except ImportError:  # pragma: no cover
    _ruamel_yaml = None
    _CParser = None

MAX_DEPTH = 500
MAX_EXPANDED_NODES = 2_000_000
_BOOL = {"true", "True", "TRUE", "false", "False", "FALSE"}
_NULL = {"", "~", "null", "Null", "NULL"}
_INT = re.compile(r"[-+]?[0-9]+$|0o[0-7]+$|0x[0-9a-fA-F]+$")
_FLOAT = re.compile(
    r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$|[-+]?\.(inf|Inf|INF)$|\.(nan|NaN|NAN)$"
)


@dataclass(frozen=True, slots=True)
class Parsed:
    """The outcome of parsing one file: its text (if decodable), root and problems."""

    source: SourceText | None
    root: YNode | None
    problems: tuple[Problem, ...]
    expression_scalars: tuple[Any, ...] = ()  # raw scalar nodes whose value holds ``${{``


# One shared ``Tag`` per type name. ruamel's ``Node.__init__`` wraps a string tag in a
# new ``Tag`` object per node (a quarter of compose time); handed a ``Tag`` it keeps
# it. So the C composer builds ruamel's own node classes, nothing in ruamel's modules
# is replaced, and other ruamel users in the process are unaffected. Nodes only read
# these (``YScalar.kind`` reads ``suffix``), so sharing them is safe.
_TAGS = {name: Tag(suffix=name) for name in ("str", "bool", "int", "float", "null", "seq", "map")}
_STR_TAG, _INT_TAG, _FLOAT_TAG = _TAGS["str"], _TAGS["int"], _TAGS["float"]
_SEQ_TAG = _TAGS["seq"]
_MAP_TAG = _TAGS["map"]
_SPECIAL = {v: _TAGS["bool"] for v in _BOOL} | {v: _TAGS["null"] for v in _NULL}


def _scalar_tag(value: str, implicit: Any) -> Tag:
    """YAML 1.2 core schema resolution of a scalar: ``on`` stays a string.

    Returns the shared ``Tag`` of the short type name; ``yamltree.YScalar.kind``
    reads it back from the tag's suffix without ruamel's slow tag decoding.
    Called once per scalar of every file, so it is written for speed.
    """
    if not implicit[0]:
        return _STR_TAG
    special = _SPECIAL.get(value)
    if special is not None:
        return special
    first = value[0]
    if first.isdigit() or first in "-+.":
        if _INT.match(value):
            return _INT_TAG
        if _FLOAT.match(value):
            return _FLOAT_TAG
    return _STR_TAG


if _CParser is not None:

    class _FastComposer(_CParser):  # type: ignore[misc]
        """The C parser+composer with a minimal YAML 1.2 resolver (``_scalar_tag``)."""

        # The C composer calls these two around every node (453,000 times on the corpus)
        # and ignores what they return; the resolver has no path-dependent rules, so they
        # do nothing. Builtins do nothing faster than a Python method: a dict's ``get``
        # takes (parent, index), a tuple's ``__len__`` takes nothing, and neither binds
        # to ``self`` as a class attribute.
        descend_resolver: Any = {}.get
        ascend_resolver: Any = ().__len__

        def resolve(self, kind: Any, value: Any, implicit: Any) -> Tag:
            # ``kind`` is the class the C module will build: ruamel's, or ``_Scalar`` and
            # ``_Sequence`` while ``_composing`` runs
            if kind is _Scalar or kind is ScalarNode:  # _scalar_tag inlined: once per scalar
                if not implicit[0]:
                    return _STR_TAG
                special = _SPECIAL.get(value)
                if special is not None:
                    return special
                first = value[0]
                if first.isdigit() or first in "-+.":
                    return _scalar_tag(value, implicit)
                return _STR_TAG
            return _SEQ_TAG if kind is _Sequence or kind is SequenceNode else _MAP_TAG


    # ruamel's node constructors chain through ``Node.__init__`` (two Python calls per
    # node, and keyword passing); the C composer calls one per node of every file. These
    # subclasses set exactly the attributes ruamel's own set, with the same ``Tag``
    # conversion, in one call: measured on the corpus, composing takes a quarter less
    # time. They add no slot and no behaviour, so a node is a ruamel node to any code.

    class _Scalar(ScalarNode):
        __slots__ = ()

        def __init__(
            self, tag: Any, value: Any, start_mark: Any = None, end_mark: Any = None,
            style: Any = None, comment: Any = None, anchor: Any = None,
        ) -> None:  # fmt: skip
            self.ctag = tag if type(tag) is Tag else Tag(suffix=tag)
            self.value = value
            self.start_mark = start_mark
            self.end_mark = end_mark
            self.comment = comment
            self.anchor = anchor
            self.style = style

    class _Sequence(SequenceNode):
        __slots__ = ()

        def __init__(
            self, tag: Any, value: Any, start_mark: Any = None, end_mark: Any = None,
            flow_style: Any = None, comment: Any = None, anchor: Any = None,
        ) -> None:  # fmt: skip
            self.ctag = tag if type(tag) is Tag else Tag(suffix=tag)
            self.value = value
            self.start_mark = start_mark
            self.end_mark = end_mark
            self.comment = comment
            self.anchor = anchor
            self.flow_style = flow_style

    class _Mapping(MappingNode):
        __slots__ = ()

        def __init__(
            self, tag: Any, value: Any, start_mark: Any = None, end_mark: Any = None,
            flow_style: Any = None, comment: Any = None, anchor: Any = None,
        ) -> None:  # fmt: skip
            self.ctag = tag if type(tag) is Tag else Tag(suffix=tag)
            self.value = value
            self.start_mark = start_mark
            self.end_mark = end_mark
            self.comment = comment
            self.anchor = anchor
            self.flow_style = flow_style
            self.merge = None


def _composing(text: str) -> Any:
    """The C composer's root node of ``text``, built with ``_Scalar``/``_Sequence``/
    ``_Mapping``. The C module looks the node classes up by name in its own namespace at
    each node, so they are set there for this call only and then set back to ruamel's
    own (never to what was there before: a thread composing at the same time must not
    leave them set)."""
    module: Any = _ruamel_yaml
    module.ScalarNode, module.SequenceNode, module.MappingNode = _Scalar, _Sequence, _Mapping
    try:
        return _FastComposer(text).get_single_node()
    finally:
        module.ScalarNode, module.SequenceNode, module.MappingNode = ScalarNode, SequenceNode, MappingNode


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


def _too_deep(mark: Any) -> Problem:
    return Problem(
        "parse-error",
        f"YAML nests deeper than {MAX_DEPTH} levels; "
        "no workflow needs that, so the file is not analysed",
        mark.line + 1,
        mark.column + 1,
        "nesting-too-deep",
    )


def _depth_problem(text: str) -> Problem | None:
    """Walk parser events (no composing) and stop at the first level too deep."""
    if _CParser is None:
        return None  # the pure composer below measures depth itself
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
                    return _too_deep(event.start_mark)
            elif cls is MappingEndEvent or cls is SequenceEndEvent:
                depth -= 1
            elif type(event).__name__ == "StreamEndEvent":
                return None
    except Exception:
        return None  # the real compose below reports syntax errors with their marks


class _TooDeep(Exception):
    """The pure composer met a collection nested deeper than ``MAX_DEPTH``."""

    def __init__(self, mark: Any) -> None:
        super().__init__("too deep")
        self.mark = mark


def _compose(text: str) -> tuple[Any, bool | None]:
    """(root node, whether anchors exist — None when unknown) of ``text``.

    The C composer goes first (speed). Whatever it refuses is composed again by
    the pure YAML 1.2 parser before anything is reported: libyaml's scanner
    rejects a ``:`` inside a plain scalar in flow context (``{tags: a/b:main}``,
    ``[ubuntu:22.04]``, ``[::1]``), and a redefined anchor, both of which YAML 1.2
    allows. Only what the pure parser refuses too is a ``parse-error``, with
    its marks.
    """
    if _CParser is not None:
        try:
            return _composing(text), None
        except MemoryError:
            raise
        except Exception:
            pass
    return _compose_pure(text)


def _compose_pure(text: str) -> tuple[Any, bool]:
    """ruamel's pure YAML 1.2 parser, composed here without recursion (``_compose_events``)."""
    import warnings
    from contextlib import closing

    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.version = (1, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with closing(yaml.parse(text)) as events:
            return _compose_events(events)


_NO_KEY = object()


def _compose_events(events: Iterator[Any]) -> tuple[Any, bool]:
    """(root node, whether any anchor was defined) from parser events; one document.

    The same node classes and scalar resolution as the C path (so a file means
    the same whichever composer read it), and iterative, unlike ruamel's own
    composer, which recurses and meets Python's recursion limit near 300 levels:
    here nesting deeper than ``MAX_DEPTH`` raises ``_TooDeep`` at its mark, as
    the C path reports it. An anchor is registered when its node starts, so an
    alias inside its own anchor makes a cycle exactly as libyaml composes it
    (``_alias_bomb`` reports it).
    """
    from ruamel.yaml.composer import ComposerError
    from ruamel.yaml.events import (
        AliasEvent,
        DocumentStartEvent,
        MappingEndEvent,
        MappingStartEvent,
        ScalarEvent,
        SequenceEndEvent,
        SequenceStartEvent,
    )

    anchors: dict[Any, Any] = {}
    stack: list[list[Any]] = []  # [collection node, key waiting for its value]
    root: Any = None
    documents = 0
    for event in events:
        cls = type(event)
        node: Any
        if cls is ScalarEvent:
            tag = event.ctag
            if tag is None or str(tag) == "!":
                tag = _scalar_tag(event.value, event.implicit)
            node = ScalarNode(tag, event.value, event.start_mark, event.end_mark,
                              style=event.style, anchor=event.anchor)  # fmt: skip
        elif cls is AliasEvent:
            node = anchors.get(event.anchor)
            if node is None:
                raise ComposerError(
                    None, None, f"found undefined alias {event.anchor!r}", event.start_mark
                )
        elif cls is SequenceStartEvent or cls is MappingStartEvent:
            if len(stack) >= MAX_DEPTH:
                raise _TooDeep(event.start_mark)
            tag = event.ctag
            is_seq = cls is SequenceStartEvent
            if tag is None or str(tag) == "!":
                tag = _SEQ_TAG if is_seq else _MAP_TAG
            node = (SequenceNode if is_seq else MappingNode)(
                tag, [], event.start_mark, None, flow_style=event.flow_style, anchor=event.anchor
            )
        elif cls is SequenceEndEvent or cls is MappingEndEvent:
            stack.pop()[0].end_mark = event.end_mark
            continue
        elif cls is DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise ComposerError(
                    "expected a single document in the stream",
                    root.start_mark if root is not None else None,
                    "but found another document",
                    event.start_mark,
                )
            continue
        else:
            continue
        if cls is not AliasEvent and event.anchor is not None:
            anchors[event.anchor] = node
        if stack:
            top = stack[-1]
            parent = top[0]
            if type(parent) is SequenceNode:
                parent.value.append(node)
            elif top[1] is _NO_KEY:
                top[1] = node
            else:
                parent.value.append((top[1], node))
                top[1] = _NO_KEY
        else:
            root = node
        if cls is SequenceStartEvent or cls is MappingStartEvent:
            stack.append([node, _NO_KEY])
    return root, bool(anchors)


def _walk(root: Any, shared: bool) -> tuple[Problem | None, list[Problem], list[Any], bool]:
    """One pass over the tree: (the first duplicate key, non-string keys, every scalar
    holding ``${{``, whether the walk outgrew ``MAX_EXPANDED_NODES``).

    Every later stage needs the expression-bearing scalars (references,
    unterminated expressions), so they are collected here, in the walk that
    must visit every node anyway. ``shared`` says aliases may make nodes
    appear twice; only then are visited nodes remembered. Without it the walk
    visits the tree as expanded, so it stops at the expansion bound: aliases
    that ``_has_anchor`` did not see (a tag before the anchor, any spelling it
    does not know) meet the same bound as the ones it saw, and ``_alias_bomb``
    then says where.
    """
    stack: list[Any] = [root]
    seen_nodes: set[int] = set()
    expr: list[Any] = []
    keys: list[Problem] = []
    scalar_types = (ScalarNode,)
    left = MAX_EXPANDED_NODES
    while stack:
        node = stack.pop()
        left -= 1
        if left < 0:
            return None, keys, expr, True
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
            try:
                unique = len(set(names)) == len(names)
            except TypeError:  # a key that is a sequence or a mapping
                _non_string_keys(pairs, keys)
                names = [k.value for k, _ in pairs if isinstance(k, ScalarNode)]
                unique = len(set(names)) == len(names)
            if not unique:
                problem = _first_duplicate(pairs)
                if problem is not None:
                    return problem, keys, expr, False
            for _, v in reversed(pairs):
                stack.append(v)
        elif isinstance(node, SequenceNode):
            stack.extend(reversed(node.value))
    return None, keys, expr, False


MAX_KEY_PROBLEMS = 20


def _non_string_keys(pairs: list[tuple[Any, Any]], out: list[Problem]) -> None:
    """A ``workflow-structure`` problem for each key that is a sequence or mapping.

    ``{[a]: 1}`` and ``? [a]\n: 1`` are valid YAML, so not a ``parse-error``;
    but every key of a workflow, an action and their values is a name, and the
    forges read keys as strings only, so such a file does not run. The problem
    is located at the key; the key is skipped (``YMap`` yields string keys
    only) and the rest of the file is checked.
    """
    for k, _ in pairs:
        if isinstance(k, ScalarNode) or len(out) >= MAX_KEY_PROBLEMS:
            continue
        start, end = k.start_mark, k.end_mark or k.start_mark
        where = (start.line + 1, start.column + 1)
        if any((p.line, p.column) == where for p in out):
            continue  # the same node met again through an alias
        kind = "mapping" if isinstance(k, MappingNode) else "sequence"
        out.append(Problem(
            "workflow-structure",
            f"this mapping key is a {kind}, not a string: workflow keys are names, and "
            "the forge rejects the file; write the key as a plain (or quoted) string",
            where[0], where[1], f"non-string-key:{kind}", end.line + 1, end.column + 1,
        ))  # fmt: skip


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
_NODE_START = "\n\r:-[{,?"


def _has_anchor(text: str) -> bool:
    """Could ``text`` define an anchor (``&name`` where a node starts)?

    Equivalent to the regex "start of line or one of ``:-[{,?``, blanks, an
    optional tag, blanks, ``&``, a name character", but ~40× faster on the
    corpus: that pattern starts with an alternation, so the regex engine tries
    it at every offset, while a leading literal ``&`` is found by a fast scan
    (``&&`` and ``2>&1`` in scripts are then rejected by a look back). A tag may
    come before the anchor (``!!seq &a [...]``): the look back steps over it.
    This is a screen for speed only: ``_walk`` bounds whatever it misses.
    """
    for match in _AMPERSAND.finditer(text):
        i = match.start() - 1
        while i >= 0 and text[i] in " \t":
            i -= 1
        if i < 0 or text[i] in _NODE_START:
            return True
        j = i
        while j >= 0 and text[j] not in " \t\n\r[{,":
            j -= 1
        if text[j + 1] == "!":  # a tag: what precedes it decides
            while j >= 0 and text[j] in " \t":
                j -= 1
            if j < 0 or text[j] in _NODE_START:
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
    """Compose ``text``; never raises for any input (but ``BaseException``s such as an
    analysis budget running out)."""
    source = SourceText(path, text)
    if _suspicious_depth(text):
        deep = _depth_problem(text)
        if deep is not None:
            return Parsed(source, None, (deep,))
    try:
        root, anchors = _compose(text)
    except _TooDeep as exc:
        return Parsed(source, None, (_too_deep(exc.mark),))
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
    shared = anchors if anchors is not None else "&" in text and _has_anchor(text)
    walk_problem, key_problems, expr, outgrown = _walk(root, shared)
    budget.charge(len(text))
    if walk_problem is None and (shared or outgrown):
        walk_problem = _alias_bomb(root)
    if walk_problem is not None:
        return Parsed(source, None, (walk_problem,))
    return Parsed(source, wrap(root, source), tuple(key_problems), tuple(expr))


def parse_bytes(data: bytes, path: str) -> Parsed:
    """Decode and compose one file's bytes."""
    text, problem = decode(data, path)
    if text is None:
        assert problem is not None
        return Parsed(None, None, (problem,))
    return parse_text(text, path)
