"""The parse tree of a shell body, indexed once so that every later question is cheap.

tree-sitter-bash parses the (blanked, see :mod:`.source`) text. One
iterative walk then files the nodes the detectors look at by kind, in
document order, with their *substitution depth* (how many ``$(…)`` /
``<(…)`` they sit in), and records every node's parent and position among
its siblings.

Why a parent map of our own: tree-sitter finds a node's parent (and its next
sibling) by descending from the root and scanning each level's children, so
one ``node.parent`` costs up to the depth of the tree times the width of
each level. A body with 20,000 top-level statements, ``case`` arms or a
20,000-link ``a && b && …`` chain (which tree-sitter nests to that depth)
made every climb linear and the analysis quadratic. With the map, a climb
step is a dictionary lookup, and the analysis stays linear in the body.

The *context* of a statement (in a condition? the last one of the body?) is
computed in one top-down pass over the statement structure, also once.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from tree_sitter import Language, Node, Parser
from tree_sitter import Tree as TSTree

from auditor.scripts.shell.source import Source

__all__ = [
    "CLIMB",
    "LEAVES",
    "SUBSTITUTIONS",
    "Context",
    "Rec",
    "Tree",
    "in_test",
    "is_condition",
    "is_statement",
    "parse",
    "plain_assignment_of",
    "statement_of",
    "value_holder",
]

_LOCAL = threading.local()
_LANGUAGE: Language | None = None
_LANGUAGE_LOCK = threading.Lock()


def language() -> Language:
    global _LANGUAGE
    if _LANGUAGE is None:
        with _LANGUAGE_LOCK:
            if _LANGUAGE is None:
                import tree_sitter_bash

                _LANGUAGE = Language(tree_sitter_bash.language())
    return _LANGUAGE


def _parser() -> Parser:
    """One parser per thread: tree-sitter parsers are not safe to share across threads."""
    parser: Parser | None = getattr(_LOCAL, "parser", None)
    if parser is None:
        parser = Parser(language())
        _LOCAL.parser = parser
    return parser


#: Upward walks stop after this many steps. Real conditions and substitutions
#: are shallow; a hostile, deeply nested body must not make every climb long.
CLIMB = 32

SUBSTITUTIONS = frozenset({"command_substitution", "process_substitution"})
LEAVES = frozenset({"word", "raw_string", "number", "comment", "string_content", "heredoc_content"})

# The inner node kinds filed by the walk (everything else is only linked to its parent).
_FILED = (
    "command", "list", "pipeline", "command_substitution", "process_substitution",
    "file_redirect", "heredoc_redirect", "variable_assignment", "for_statement",
)  # fmt: skip


@dataclass(slots=True)
class Rec:
    """A node of interest and its ``depth``: how many ``$(...)``/``<(...)`` it sits in.

    A command at depth > 0 runs in a subshell: its failure is the
    substitution's business, and ``set -e`` does not reach into it. A
    substitution's own depth counts itself (the commands inside it are at
    that depth).
    """

    node: Node
    depth: int
    sub: Node | None = None  # the innermost `$(…)`/`<(…)` strictly around the node
    name: bytes = b""  # commands: the raw text of the command name (b"" when there is none)


@dataclass(slots=True)
class Context:
    """Where a statement sits, as far as failure goes.

    ``cond``: a failure does not trip ``set -e`` (if/while condition, left of
    ``&&``/``||``, after ``!``). ``handled``: a failure is acted on even
    without ``-e`` (condition, left of ``||``, ``!``, non-last of a
    pipeline). ``final``: its status may become the status of the whole body.
    """

    cond: bool = False
    handled: bool = False
    final: bool = True


_UNKNOWN = Context(True, True, False)  # a node the context pass did not reach: claim nothing


@dataclass(slots=True)
class Tree:
    """A parsed body: the source, the tree, the nodes by kind, parents and contexts."""

    src: Source
    tree: TSTree
    error: Node | None
    commands: list[Rec] = field(default_factory=list)
    command_starts: list[int] = field(default_factory=list)
    lists: list[Rec] = field(default_factory=list)
    pipelines: list[Rec] = field(default_factory=list)
    pipeline_starts: list[int] = field(default_factory=list)
    substitutions: list[Rec] = field(default_factory=list)
    redirects: list[Rec] = field(default_factory=list)  # file_redirect
    heredocs: list[Rec] = field(default_factory=list)  # heredoc_redirect
    heredoc_starts: list[int] = field(default_factory=list)
    assignments: list[Node] = field(default_factory=list)
    fors: list[Rec] = field(default_factory=list)
    comments: list[Node] = field(default_factory=list)
    status_reads: list[int] = field(default_factory=list)  # byte offsets of $? and PIPESTATUS
    pipestatus_reads: list[int] = field(default_factory=list)
    _up: dict[int, tuple[Node, int]] = field(default_factory=dict)  # node id -> (parent, index among its children)
    _kids: dict[int, list[Node]] = field(default_factory=dict)  # parent id -> its children
    # node id -> its command, filled by commands.cmd_of (typed there: the tree knows no commands)
    cmd_cache: dict[int, object] = field(default_factory=dict)
    _contexts: dict[int, Context] | None = None

    @property
    def root(self) -> Node:
        return self.tree.root_node

    # ---- navigation (all O(1) per step)

    def parent(self, node: Node) -> Node | None:
        up = self._up.get(node.id)
        return up[0] if up is not None else None

    def children(self, node: Node) -> list[Node]:
        """``node.children``, served from the walk when it recorded them."""
        kids = self._kids.get(node.id)
        return kids if kids is not None else node.children

    def next_sibling(self, node: Node) -> Node | None:
        """The next named, non-comment sibling of ``node`` (None at the end of its block)."""
        up = self._up.get(node.id)
        if up is None:
            return None
        parent, index = up
        kids = self._kids.get(parent.id, ())
        for k in range(index + 1, len(kids)):  # no slice: that would copy the rest of a wide block each time
            sibling = kids[k]
            if is_statement(sibling):
                return sibling
            if sibling.type not in ("comment", "\n", ";", "&"):
                return None
        return None

    def context(self, node: Node) -> Context:
        """Where ``node`` (a statement of the top shell) sits, as far as failure goes."""
        if self._contexts is None:
            self._contexts = _contexts(self.root)
        return self._contexts.get(node.id, _UNKNOWN)


def is_statement(node: Node) -> bool:
    return node.is_named and node.type != "comment"


def _first_error(root: Node) -> Node | None:
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            return node
        if node.has_error:
            stack.extend(reversed(node.children))
    return None


_LEAF_KINDS = ("comment", "special_variable_name", "variable_name")


def _walk(t: Tree, roots: Sequence[Node]) -> None:
    """File the nodes of interest by kind, in document order, with their substitution depth; link parents.

    One pass, iterative (no recursion limit), each node visited once. Leaves
    (words, punctuation: most of a tree) are neither linked nor pushed: the
    detectors only climb from inner nodes, and a smaller map keeps the walk
    linear in practice as well as in theory (a map of every leaf of a 60,000-
    line body slowed each lookup through cache misses).
    """
    lang = language()
    kinds = {lang.id_for_node_kind(name, True): name for name in _FILED}
    leaf_ids = {lang.id_for_node_kind(name, True) for name in _LEAF_KINDS}
    comment_id = lang.id_for_node_kind("comment", True)
    variable_id = lang.id_for_node_kind("variable_name", True)
    found: dict[str, list[Rec]] = {name: [] for name in _FILED}
    comments: list[Node] = []
    pipestatus: list[int] = []
    specials: list[int] = []
    up = t._up
    kids_of = t._kids
    root = t.root
    kids_of[root.id] = list(root.children)
    for index, child in enumerate(kids_of[root.id]):
        up[child.id] = (root, index)
    stack: list[tuple[Node, int, Node | None]] = [(r, 0, None) for r in reversed(roots)]
    while stack:
        node, depth, sub = stack.pop()
        kind = kinds.get(node.kind_id)
        if kind is not None:
            if kind in SUBSTITUTIONS:
                found[kind].append(Rec(node, depth + 1, sub))
                depth += 1
                sub = node
            else:
                found[kind].append(Rec(node, depth, sub))
        children = node.children
        kids_of[node.id] = children
        pending: list[tuple[Node, int, Node | None]] = []
        for index, child in enumerate(children):
            if child.child_count:
                up[child.id] = (node, index)
                pending.append((child, depth, sub))
                continue
            kind_id = child.kind_id
            if kind_id not in leaf_ids:
                continue
            if kind_id == comment_id:
                comments.append(child)
            elif kind_id == variable_id:
                if child.text == b"PIPESTATUS":
                    pipestatus.append(child.start_byte)
            elif child.text == b"?":
                specials.append(child.start_byte)
        pending.reverse()
        stack.extend(pending)
    t.commands = found["command"]
    for rec in t.commands:
        name_node = rec.node.child_by_field_name("name")
        if name_node is not None:
            rec.name = name_node.text or b""
    t.command_starts = [r.node.start_byte for r in t.commands]
    t.lists = found["list"]
    t.pipelines = found["pipeline"]
    t.pipeline_starts = [r.node.start_byte for r in t.pipelines]
    subs = found["command_substitution"] + found["process_substitution"]
    subs.sort(key=lambda r: (r.node.start_byte, -r.node.end_byte))
    t.substitutions = subs
    t.redirects = found["file_redirect"]
    t.heredocs = found["heredoc_redirect"]
    t.heredoc_starts = [r.node.start_byte for r in t.heredocs]
    t.fors = found["for_statement"]
    t.assignments = [r.node for r in found["variable_assignment"]]
    comments.sort(key=lambda n: n.start_byte)
    t.comments = comments
    t.pipestatus_reads = sorted(pipestatus)
    t.status_reads = sorted(specials + pipestatus)


# Statement-level node kinds the context pass descends into; everything else
# (words, a command's arguments, `$(...)`) either holds no statement of the top
# shell or is a leaf for this purpose.
_STRUCTURE = frozenset(
    {
        "program", "compound_statement", "subshell", "do_group", "else_clause", "elif_clause", "if_statement",
        "while_statement", "for_statement", "c_style_for_statement", "case_statement", "case_item", "list",
        "pipeline", "negated_command", "redirected_statement", "function_definition", "variable_assignments",
    }
)  # fmt: skip


def _contexts(root: Node) -> dict[int, Context]:
    """The context of every statement of the top shell (by node id), in one top-down pass."""
    out: dict[int, Context] = {}
    stack: list[tuple[Node, Context]] = [(root, Context())]
    while stack:
        node, ctx = stack.pop()
        kind = node.type
        if kind not in _STRUCTURE:
            out[node.id] = ctx
            continue
        out[node.id] = ctx
        children = node.children
        named = [c for c in children if c.is_named and c.type != "comment"]

        def push(child: Node, cond: bool = ctx.cond, handled: bool = ctx.handled, final: bool = ctx.final) -> None:
            stack.append((child, Context(cond, handled, final)))

        if kind in ("program", "compound_statement", "subshell", "do_group", "else_clause"):
            for i, c in enumerate(named):
                push(c, final=ctx.final and i == len(named) - 1)
        elif kind == "list":
            op = next((c.type for c in children if c.type in ("&&", "||")), "&&")
            for i, c in enumerate(named):
                if i == 0:
                    push(c, cond=True, handled=ctx.handled or op == "||", final=ctx.final and op == "&&")
                elif i == len(named) - 1:
                    push(c)
                else:
                    push(c, final=False)
        elif kind == "pipeline":
            for i, c in enumerate(named):
                last = i == len(named) - 1
                push(c, handled=ctx.handled or not last, final=ctx.final and last)
        elif kind == "negated_command":
            for c in named:
                push(c, cond=True, handled=True)
        elif kind in ("if_statement", "elif_clause"):
            in_condition = True
            body: list[Node] = []
            for c in children:
                if c.type == "then":
                    in_condition = False
                elif c.type in ("elif_clause", "else_clause"):
                    push(c)
                elif c.is_named and c.type != "comment":
                    if in_condition:
                        push(c, cond=True, handled=True, final=False)
                    else:
                        body.append(c)
            for i, c in enumerate(body):
                push(c, final=ctx.final and i == len(body) - 1)
        elif kind == "while_statement":
            # A loop's status is its last iteration's: earlier failures are lost.
            for c in named:
                if c.type == "do_group":
                    push(c, final=False)
                else:
                    push(c, cond=True, handled=True, final=False)
        elif kind == "case_item":
            after = False
            body = []
            for c in children:
                if c.type == ")":
                    after = True
                elif after and c.is_named and c.type != "comment":
                    body.append(c)
            for i, c in enumerate(body):
                push(c, final=ctx.final and i == len(body) - 1)
        elif kind in ("for_statement", "c_style_for_statement"):
            for c in named:
                push(c, final=False)
        else:  # case_statement, redirected_statement, function_definition, variable_assignments
            for c in named:
                push(c)
    return out


_PARSE_CACHE_SIZE = 32


@lru_cache(maxsize=_PARSE_CACHE_SIZE)
def parse(text: str) -> Tree:
    """Parse and index ``text`` once; the rules ask for outputs and issues of the same body."""
    src = Source(text)
    ts_tree = _parser().parse(src.data)
    root = ts_tree.root_node
    error = _first_error(root) if root.has_error else None
    t = Tree(src, ts_tree, error)
    if error is None:
        _walk(t, [root])
    else:
        # The top-level statements that contain the error are skipped; the others are analysed.
        _walk(t, [c for c in root.children if c.is_named and not c.has_error and not c.is_error])
    return t


# ---- climbing helpers (bounded, O(1) per step)


def statement_of(t: Tree, node: Node) -> Node:
    """``node``, or the redirected statement / pipeline it is the body or an element of."""
    up = t.parent(node)
    for _ in range(CLIMB):
        if up is None or up.type not in ("redirected_statement", "pipeline"):
            break
        node, up = up, t.parent(up)
    return node


def is_condition(t: Tree, node: Node) -> bool:
    """Whether the statement ``node`` is (part of) an ``if``/``elif``/``while``/``until`` condition."""
    child = node
    up = t.parent(node)
    for _ in range(CLIMB):
        if up is None or up.type not in ("list", "pipeline", "negated_command", "redirected_statement"):
            break
        child, up = up, t.parent(up)
    if up is None or up.type not in ("if_statement", "elif_clause", "while_statement"):
        return False
    for c in t.children(up):
        if c.type in ("then", "do_group"):
            return False
        if c == child:
            return True
    return False


def value_holder(t: Tree, sub: Node) -> Node | None:
    """What takes the value of the substitution ``sub``, looking through quotes and concatenation."""
    holder = t.parent(sub)
    for _ in range(CLIMB):
        if holder is None or holder.type not in ("string", "concatenation"):
            break
        holder = t.parent(holder)
    return holder


def plain_assignment_of(t: Tree, sub: Node) -> Node | None:
    """The statement ``x=$(cmd)`` (also quoted) whose value is ``sub``: it keeps ``cmd``'s status."""
    holder = value_holder(t, sub)
    if holder is None or holder.type != "variable_assignment":
        return None
    owner = t.parent(holder)
    return None if owner is None or owner.type in ("declaration_command", "command") else holder


def in_test(t: Tree, node: Node) -> bool:
    """Whether ``node`` sits in a test: ``[``/``[[``/``test``, ``case`` subject, ``(( ))``, a condition."""
    up: Node | None = node
    for _ in range(CLIMB):
        if up is None:
            return False
        kind = up.type
        if kind in ("test_command", "case_statement", "arithmetic_expansion"):
            return True
        if kind == "compound_statement" and up.child_count and up.children[0].type == "((":
            return True
        if kind == "command":
            name = up.child_by_field_name("name")
            if name is not None and name.text in (b"[", b"test"):
                return True
            return is_condition(t, up)
        if kind in ("program", "do_group", "function_definition") or kind in SUBSTITUTIONS:
            return False
        up = t.parent(up)
    return False
