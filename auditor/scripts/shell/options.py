"""``set -e`` / ``set +e`` / ``set -o pipefail``…: which shell options hold where.

The effective shell (:class:`~auditor.scripts.shells.ShellSpec`) gives the
options a body starts with; ``set`` commands of the top shell (not inside
``$(…)``) change them from where they stand. A *quiet region* is a stretch
from a ``set +e`` (``set +o pipefail``) that turned the option off to the
next ``set -e`` (``set -o pipefail``) or the end of the body, when that
stretch really loses a failure: it runs a command whose failure matters and
never reads ``$?`` / ``PIPESTATUS`` (reading them is how correct code captures
a status). The ``set-plus-e`` and ``set-plus-pipefail`` detectors report each
quiet region once, where it starts; the other detectors stay silent inside
one, so one mistake is one finding.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tree_sitter import Node

from auditor.scripts.shell.commands import Cmd, can_fail
from auditor.scripts.shell.tree import Tree, plain_assignment_of
from auditor.scripts.shell.words import static

if TYPE_CHECKING:
    from auditor.scripts.shell.body import Body

__all__ = ["Event", "Region", "States", "quiet_regions", "set_events"]


@dataclass(frozen=True, slots=True)
class Event:
    """One option change by a ``set`` command of the top shell."""

    byte: int
    option: str  # 'errexit' | 'pipefail'
    on: bool
    node: Node


@dataclass(frozen=True, slots=True)
class Region:
    """A quiet region: ``event`` turned ``option`` off until byte ``stop``; ``why`` names what it loses."""

    option: str
    event: Event
    stop: int
    why: Cmd  # the first command whose failure the region loses
    where: Node  # the statement it is in (a pipeline, for pipefail)


def set_events(t: Tree) -> list[Event]:
    """``set -e``/``+e``/``-o pipefail``… in document order (top shell only, not ``$(...)``)."""
    events: list[Event] = []
    src = t.src
    for rec in t.commands:
        if rec.depth or rec.name != b"set":
            continue
        node = rec.node
        vals = [static(src, a) for a in node.children_by_field_name("argument")]
        i = 0
        while i < len(vals):
            v = vals[i]
            i += 1
            if v is None or v == "--" or len(v) < 2 or v[0] not in "-+":
                break
            on = v[0] == "-"
            for ch in v[1:]:
                if ch == "e":
                    events.append(Event(node.start_byte, "errexit", on, node))
                elif ch == "o" and i < len(vals):
                    opt = vals[i]
                    i += 1
                    if opt in ("errexit", "pipefail"):
                        events.append(Event(node.start_byte, opt, on, node))
    return events


class States:
    """Whether an option is on just before an offset, from the ``set`` events (sorted once, queried often)."""

    def __init__(self, events: Sequence[Event], option: str, initial: bool) -> None:
        relevant = [e for e in events if e.option == option]
        self.offsets = [e.byte for e in relevant]
        self.values = [e.on for e in relevant]
        self.initial = initial

    def at(self, byte: int) -> bool:
        k = bisect.bisect_left(self.offsets, byte)
        return self.values[k - 1] if k else self.initial


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
