"""One body under analysis: the parse tree, the effective shell, and the facts detectors share.

A :class:`Body` is made for one :func:`~auditor.scripts.shell.analyse_shell`
call and dropped after it. What several detectors ask (the ``set`` events,
the quiet regions, which values are tested, the first command in a node
whose failure matters) is computed on first use and kept for the rest of
that call; the detectors themselves are functions from a body to issues and
keep no state.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from tree_sitter import Node

from auditor.scripts.issues import ScriptIssue
from auditor.scripts.shell.commands import Cmd, can_fail, cmd_of, may_fail
from auditor.scripts.shell.consumers import PRINTERS, propagates_empty
from auditor.scripts.shell.options import Event, States, set_events
from auditor.scripts.shell.source import Source, norm
from auditor.scripts.shell.tree import (
    CLIMB,
    SUBSTITUTIONS,
    Rec,
    Tree,
    in_test,
    is_statement,
    plain_assignment_of,
    value_holder,
)
from auditor.scripts.shell.values import Mode, Values
from auditor.scripts.shells import ShellSpec

__all__ = ["Body", "Region"]


@dataclass(frozen=True, slots=True)
class Region:
    """A quiet region: ``event`` turned ``option`` off until byte ``stop``; ``why`` names what it loses."""

    option: str
    event: Event
    stop: int
    why: Cmd  # the first command whose failure the region loses
    where: Node  # the statement it is in (a pipeline, for pipefail)


Kind = Literal["fails", "fails-read", "may-fail", "printer", "non-printer"]
_QUIET_BUILTINS = frozenset({":", "true", "test", "[", "continue", "break", "shift", "local", "read"})
_TESTS: dict[str, Callable[[Cmd], bool]] = {
    "fails": lambda cmd: can_fail(cmd, False),
    "fails-read": lambda cmd: can_fail(cmd, True),
    "may-fail": may_fail,
    "printer": lambda cmd: cmd.base in PRINTERS,
    "non-printer": lambda cmd: cmd.base not in PRINTERS and cmd.base not in _QUIET_BUILTINS,
}


@dataclass(slots=True)
class _Index:
    """For the commands at one substitution depth: where the next one of a kind is."""

    starts: list[int]  # start byte of each command at this depth, in order
    recs: list[Rec]
    next: list[int]  # next[i]: smallest j >= i whose command is of the kind (len(recs) when none)


@dataclass(slots=True)
class Body:
    t: Tree
    spec: ShellSpec
    _events: list[Event] | None = None
    _states: dict[str, States] = field(default_factory=dict)
    _regions: dict[str, list[Region]] = field(default_factory=dict)
    _region_starts: dict[str, list[int]] = field(default_factory=dict)
    _values: Values | None = None
    _indexes: dict[tuple[int, str], _Index] = field(default_factory=dict)
    _by_depth: dict[int, list[Rec]] | None = None

    @property
    def src(self) -> Source:
        return self.t.src

    # ---- commands

    def cmd(self, node: Node) -> Cmd | None:
        return cmd_of(self.t, node)

    def first_failing(self, node: Node, depth: int, reads: bool) -> Cmd | None:
        """The first command inside ``node`` at substitution ``depth`` whose failure matters (``can_fail``)."""
        return self.first_matching(node, depth, "fails-read" if reads else "fails")

    def first_matching(self, node: Node, depth: int, kind: Kind) -> Cmd | None:
        """The first command inside ``node`` at substitution ``depth`` that is of ``kind``.

        ``fails``/``fails-read``: :func:`~.commands.can_fail` (with ``reads``);
        ``may-fail``: :func:`~.commands.may_fail`; ``printer``: ``echo``,
        ``printf``, ``cat``, ``tee``…; ``non-printer``: anything else but
        ``:``/``true``/``test``/``continue``/``break``. Amortised O(log n): an index per (depth,
        kind) is built once per body, so a detector asking this of every list
        of a 20,000-link ``a || b || …`` chain stays linear.
        """
        index = self._index(depth, kind)
        k = bisect.bisect_left(index.starts, node.start_byte)
        end = node.end_byte
        n = len(index.recs)
        j = index.next[k] if k < n else n
        while j < n:
            rec = index.recs[j]
            if rec.node.start_byte >= end:
                return None
            if rec.node.end_byte <= end:
                return self.cmd(rec.node)
            j = index.next[j + 1]
        return None

    def _index(self, depth: int, kind: Kind) -> _Index:
        key = (depth, kind)
        found = self._indexes.get(key)
        if found is None:
            if self._by_depth is None:
                self._by_depth = {}
                for rec in self.t.commands:
                    self._by_depth.setdefault(rec.depth, []).append(rec)
            recs = self._by_depth.get(depth, [])
            n = len(recs)
            nxt = [n] * (n + 1)
            test = _TESTS[kind]
            for i in range(n - 1, -1, -1):
                cmd = self.cmd(recs[i].node)
                nxt[i] = i if cmd is not None and test(cmd) else nxt[i + 1]
            found = self._indexes[key] = _Index([r.node.start_byte for r in recs], recs, nxt)
        return found

    def short(self, cmd: Cmd) -> str:
        return norm(self.src.orig(cmd.node), 40)

    def issue(self, detector: str, message: str, start: Node, end: Node, subject: str) -> ScriptIssue:
        src = self.src
        return ScriptIssue(detector, message, src.char(start.start_byte), src.char(end.end_byte), subject)

    # ---- shell options

    @property
    def events(self) -> list[Event]:
        if self._events is None:
            self._events = set_events(self.t)
        return self._events

    def option_on(self, option: str, byte: int) -> bool:
        """Whether ``option`` (``errexit``/``pipefail``) is on just before ``byte``."""
        states = self._states.get(option)
        if states is None:
            initial = self.spec.errexit if option == "errexit" else self.spec.pipefail
            states = self._states[option] = States(self.events, option, initial)
        return states.at(byte)

    def regions(self, option: str) -> list[Region]:
        """The quiet regions of ``option`` (see :mod:`.options`)."""
        found = self._regions.get(option)
        if found is None:
            found = self._regions[option] = quiet_regions(self, option)
            self._region_starts[option] = [r.event.byte for r in found]
        return found

    def quiet(self, byte: int) -> bool:
        """Whether ``byte`` lies in a quiet region (already reported as a whole)."""
        for option in ("errexit", "pipefail"):
            regions = self.regions(option)
            if not regions:
                continue
            k = bisect.bisect_right(self._region_starts[option], byte) - 1
            if k >= 0 and regions[k].event.byte <= byte < regions[k].stop:
                return True
        return False

    # ---- values

    @property
    def values(self) -> Values:
        if self._values is None:
            self._values = Values(self.t)
        return self._values

    def substitution_tested(self, node: Node, mode: Mode, sub: Node | None = None) -> bool:
        """Whether the ``$(...)`` around ``node`` (``sub``, when known) produces a value that is then tested.

        ``code=$(curl -w '%{http_code}' …)`` + ``[ "$code" = 200 ]``, or
        ``out=$(cmd || echo 000)`` + a test of ``$out``: the failure becomes a
        value, and the test acts on it (see :mod:`.values` for the modes). A
        substitution written inside the test itself counts in every mode but
        ``empty``, where only ``[ -z "$(…)" ]`` / ``[ -n "$(…)" ]`` does.
        """
        if sub is None:
            up: Node | None = node
            for _ in range(CLIMB):
                if up is None or up.type in SUBSTITUTIONS or up.type == "program":
                    break
                up = self.t.parent(up)
            if up is None or up.type not in SUBSTITUTIONS:
                return False
            sub = up
        holder = value_holder(self.t, sub)
        if holder is None:
            return False
        if holder.type == "variable_assignment":
            var = holder.child_by_field_name("name")
            return var is not None and self.values.tested((var.text or b"").decode(), mode)
        if mode == "empty":
            if holder.type != "unary_expression":
                return False
            op = holder.child_by_field_name("operator")
            return op is not None and op.text in (b"-z", b"-n")
        if mode == "checked":
            return _checking_test(self.t, holder)
        return in_test(self.t, holder)

    # ---- pipelines

    def masked_in_pipeline(self, rec: Rec) -> Cmd | None:
        """The command whose failure ``rec``'s pipeline would hide without pipefail, if any."""
        t = self.t
        node = rec.node
        children = t.children(node)
        elements = [c for c in children if is_statement(c)]
        if children and children[0].type in ("|", "|&"):
            # `cmd <<EOF | next`: tree-sitter hangs the pipe under the heredoc.
            redirect = t.parent(node)
            owner = t.parent(redirect) if redirect is not None else None
            body = owner.child_by_field_name("body") if owner is not None else None
            if body is None:
                return None
            elements = [body, *elements]
        if len(elements) < 2 or propagates_empty(self.src, elements[-1]):
            return None
        for element in elements[:-1]:
            cmd = self.first_failing(element, rec.depth, reads=True)
            if cmd is not None:
                return cmd
        return None


_CHECKS = (b"-z", b"-n", b"!=", b"-ne")


def _checking_test(t: Tree, holder: Node) -> bool:
    """Whether ``holder`` (what holds a ``$(…)``) is an operand of an emptiness or inequality test.

    ``[ -n "$(…)" ]``, ``[ "$(…)" != "$want" ]``, ``test -z "$(…)"``; not
    ``[ "$(…)" = ok ]``, which an empty value passes down the "else" branch.
    """
    if holder.type in ("unary_expression", "binary_expression"):
        op = holder.child_by_field_name("operator")
        return op is not None and op.text in _CHECKS
    if holder.type == "command":
        name = holder.child_by_field_name("name")
        if name is not None and name.text in (b"[", b"test"):
            return any(a.text in _CHECKS for a in holder.children_by_field_name("argument"))
    return False


# ---- quiet regions (see auditor.scripts.shell.options)


def _any_in(sorted_offsets: Sequence[int], start: int, stop: int) -> bool:
    """Whether a sorted list holds an offset in ``[start, stop)``."""
    k = bisect.bisect_left(sorted_offsets, start)
    return k < len(sorted_offsets) and sorted_offsets[k] < stop


def quiet_regions(body: Body, option: str) -> list[Region]:
    """The quiet regions of ``option`` (``errexit`` or ``pipefail``), in order; linear in the body."""
    initial = body.spec.errexit if option == "errexit" else body.spec.pipefail
    relevant = [e for e in body.events if e.option == option]
    end = len(body.t.src.data)
    next_on = [end] * (len(relevant) + 1)  # the offset of the first "on" event after k
    for k in range(len(relevant) - 1, -1, -1):
        next_on[k] = relevant[k + 1].byte if k + 1 < len(relevant) and relevant[k + 1].on else next_on[k + 1]
    regions: list[Region] = []
    state = initial
    for k, e in enumerate(relevant):
        if state and not e.on:
            found = _errexit_region(body, e, next_on[k]) if option == "errexit" else _pipefail_region(
                body, e, next_on[k]
            )  # fmt: skip
            if found is not None:
                regions.append(found)
        state = e.on
    return regions


def _errexit_region(body: Body, e: Event, stop: int) -> Region | None:
    t = body.t
    if _any_in(t.status_reads, e.byte, stop):
        return None  # the region captures `$?` / PIPESTATUS: a deliberate, handled status
    lo = bisect.bisect_left(t.command_starts, e.node.end_byte)
    hi = bisect.bisect_left(t.command_starts, stop)
    for rec in t.commands[lo:hi]:
        anchor = rec.node
        if rec.depth == 1:
            # `out=$(cmd)` hands cmd's status to the assignment, which errexit would act on.
            sub = rec.sub
            assignment = plain_assignment_of(t, sub) if sub is not None else None
            if assignment is None or body.substitution_tested(rec.node, "any", sub):
                continue  # `code=$(curl …)` then `[ "$code" = 200 ]`: the failure becomes a tested value
            anchor = assignment
        elif rec.depth:
            continue
        if t.context(anchor).cond:
            continue
        cmd = body.cmd(rec.node)
        if cmd is not None and can_fail(cmd, False):
            return Region("errexit", e, stop, cmd, rec.node)
    return None


def _pipefail_region(body: Body, e: Event, stop: int) -> Region | None:
    t = body.t
    if _any_in(t.pipestatus_reads, e.byte, stop):
        return None
    lo = bisect.bisect_left(t.pipeline_starts, e.node.end_byte)
    hi = bisect.bisect_left(t.pipeline_starts, stop)
    for rec in t.pipelines[lo:hi]:
        masked = body.masked_in_pipeline(rec)
        if masked is not None:
            return Region("pipefail", e, stop, masked, rec.node)
    return None
