"""Value flow: which variables reach a test, and how they are tested.

A status can be lost and recovered in the same body: ``v=$(curl -s … | jq
-r .digest)`` loses curl's status (no ``--fail``, no pipefail), and
``[ -n "$v" ] || exit 1`` recovers it, because a failed request leaves ``v``
empty. The detectors ask one question of this module: *is the value captured
here then tested, and how?* Three strengths of test are told apart:

``any``
    read by any test: ``[``/``[[``/``test``, ``case`` subject, ``(( ))``,
    an ``if``/``while`` condition. Enough for a captured ``%{http_code}``:
    whatever the test, it is a decision on the status.
``empty``
    tested for emptiness: ``-z``/``-n``. What recovers a failure whose only
    trace is missing output (``v=$(curl … | jq …)``).
``checked``
    tested for emptiness or compared for inequality (``!=``, ``-ne``)
    against an expected value: ``[ "$got" != "$want" ] && exit 1``. A failed
    read yields an empty or wrong value, and the comparison sends it down
    the mismatch branch. (``[[ $v == null ]]`` is not enough: an empty
    value passes it.)

A variable derived from a tested one (``code=$(tail -n1 <<<"$resp")`` then
``[ "$code" = 200 ]``) makes its source tested too. Everything is computed
once per body, in one walk, and the derivation closure in a bounded number of
rounds: linear in the body, whatever it holds.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Literal

from tree_sitter import Node

from auditor.scripts.shell.source import Source
from auditor.scripts.shell.tree import LEAVES, Tree
from auditor.scripts.shell.words import static

__all__ = ["Comparison", "Mode", "Values", "references"]

Mode = Literal["any", "empty", "checked"]
_ANY, _EMPTY, _CMP = 1, 2, 4
_BITS: dict[str, int] = {"any": _ANY, "empty": _EMPTY, "checked": _EMPTY | _CMP}
_EMPTINESS = (b"-z", b"-n")
_INEQUALITY = (b"!=", b"-ne")
_COMPARISONS = frozenset({"=", "==", "!=", "-z", "-n"})


def references(src: Source, node: Node) -> set[str]:
    """Variable names expanded anywhere under ``node``."""
    names: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "variable_name":
            names.add((n.text or b"").decode())
            continue
        if n.type in LEAVES:
            continue
        stack.extend(n.named_children)
    return names


@dataclass(frozen=True, slots=True)
class Comparison:
    """A test of one variable against a literal: ``[ "$x" = true ]``, ``[ -z "$x" ]``.

    ``test`` is the ``test_command`` (or ``[``/``test`` command) node; ``op``
    is ``=``/``==``/``!=``/``-z``/``-n``; ``literal`` the other side (``""``
    for ``-z``/``-n``).
    """

    test: Node
    op: str
    literal: str

    def holds(self, value: str) -> bool:
        """Whether the test succeeds when the variable holds ``value``."""
        if self.op == "-z":
            return value == ""
        if self.op == "-n":
            return value != ""
        equal = value == self.literal
        return not equal if self.op == "!=" else equal


@dataclass(slots=True)
class Values:
    """The tests and derivations of one body (see the module docs)."""

    t: Tree
    _marks: dict[str, int] = field(default_factory=dict)
    _comparisons: dict[str, list[Comparison]] = field(default_factory=dict)
    _flows: list[tuple[str, set[str]]] = field(default_factory=list)
    _closed: dict[str, set[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._walk()
        src = self.t.src
        for a in self.t.assignments:
            target = a.child_by_field_name("name")
            value = a.child_by_field_name("value")
            if target is not None and value is not None:
                self._flows.append(((target.text or b"").decode(), references(src, value)))

    def tested(self, name: str, mode: Mode) -> bool:
        """Whether ``name``'s value reaches a test of strength ``mode``, directly or through derived variables."""
        closed = self._closed.get(mode)
        if closed is None:
            bit = _BITS[mode]
            closed = {n for n, marks in self._marks.items() if marks & bit}
            for _ in range(8):  # bounded rounds: derivation chains are short
                grown = {ref for target, refs in self._flows if target in closed for ref in refs} - closed
                if not grown:
                    break
                closed |= grown
            self._closed[mode] = closed
        return name in closed

    def comparisons(self, name: str) -> list[Comparison]:
        """The tests of ``name`` against a literal, in document order."""
        return self._comparisons.get(name, [])

    # ---- the walk

    def _mark(self, names: set[str], bits: int) -> None:
        for n in names:
            self._marks[n] = self._marks.get(n, 0) | bits

    def _walk(self) -> None:
        src = self.t.src
        stack: list[tuple[Node, int]] = [(self.t.root, 0)]
        while stack:
            node, bits = stack.pop()
            kind = node.type
            if kind == "variable_name":
                if bits:
                    name = (node.text or b"").decode()
                    self._marks[name] = self._marks.get(name, 0) | bits
                continue
            if kind in LEAVES:
                continue
            if kind in ("test_command", "arithmetic_expansion") or (
                kind == "compound_statement" and node.child_count and node.children[0].type == "(("
            ):
                bits |= _ANY
            elif kind == "unary_expression":
                op = node.child_by_field_name("operator")
                if op is not None and op.text in _EMPTINESS:
                    bits |= _EMPTY
                    self._compare(node, op, None, node.named_children[-1] if node.named_child_count else None)
            elif kind == "binary_expression":
                op = node.child_by_field_name("operator")
                if op is not None and op.text in _INEQUALITY:
                    bits |= _CMP
                left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
                if op is not None and left is not None and right is not None:
                    self._compare(node, op, left, right)
            elif kind == "command":
                command_name = node.child_by_field_name("name")
                if command_name is not None and command_name.text in (b"[", b"test"):
                    bits |= _ANY
                    self._test_command(node)
            elif kind == "case_statement":
                value = node.child_by_field_name("value")
                if value is not None:
                    self._mark(references(src, value), _ANY)
            elif kind in ("if_statement", "elif_clause", "while_statement"):
                for c in node.children:
                    if c.type in ("then", "do_group"):
                        break
                    if c.is_named:
                        self._mark(references(src, c), _ANY)
            stack.extend((c, bits) for c in node.named_children)

    def _test_command(self, node: Node) -> None:
        """``test -n "$v"`` / ``test "$a" != "$b"`` written as a command."""
        src = self.t.src
        args = node.children_by_field_name("argument")
        for op, operand in itertools.pairwise(args):
            if op.text in _EMPTINESS:
                self._mark(references(src, operand), _EMPTY)
        for left, op, right in zip(args, args[1:], args[2:], strict=False):
            if op.text in _INEQUALITY:
                self._mark(references(src, left) | references(src, right), _CMP)

    def _compare(self, node: Node, op: Node, left: Node | None, right: Node | None) -> None:
        """Record ``[ "$x" OP literal ]`` (either order) and ``[ -z "$x" ]`` for :meth:`comparisons`."""
        operator = (op.text or b"").decode()
        if operator not in _COMPARISONS:
            return
        test = self.t.parent(node)
        if test is None or test.type != "test_command":
            return  # part of a compound test (`[[ a == b && c ]]`): not a simple comparison
        if left is None:  # -z / -n
            var = _plain_variable(right)
            if var is not None:
                self._comparisons.setdefault(var, []).append(Comparison(test, operator, ""))
            return
        src = self.t.src
        for a, b in ((left, right), (right, left)):
            var = _plain_variable(a)
            literal = static(src, b) if b is not None else None
            if var is not None and literal is not None:
                self._comparisons.setdefault(var, []).append(Comparison(test, operator, literal))
                return


def _plain_variable(node: Node | None) -> str | None:
    """``x`` for ``$x``, ``${x}``, ``"$x"``, ``"${x}"``; None for anything else."""
    if node is None:
        return None
    if node.type == "string":
        parts = node.named_children
        if len(parts) != 1:
            return None
        node = parts[0]
    if node.type == "simple_expansion" or (node.type == "expansion" and node.named_child_count == 1):
        inner = node.named_children[0] if node.named_child_count else None
        if inner is not None and inner.type == "variable_name":
            return (inner.text or b"").decode()
    return None
