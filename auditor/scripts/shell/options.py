"""``set -e`` / ``set +e`` / ``set -o pipefail``…: which shell options hold where.

The effective shell (:class:`~auditor.scripts.shells.ShellSpec`) gives the
options a body starts with; ``set`` commands of the top shell (not inside
``$(…)``) change them from where they stand. A *quiet region* is a stretch
from a ``set +e`` (``set +o pipefail``) that turned the option off to the
next ``set -e`` (``set -o pipefail``) or the end of the body, when that
stretch really loses a failure: it runs a command whose failure matters and
never reads ``$?`` / ``PIPESTATUS`` (reading them is how correct code captures
a status); :meth:`auditor.scripts.shell.body.Body.regions` finds them from
the events here. The ``set-plus-e`` and ``set-plus-pipefail`` detectors report
each quiet region once, where it starts; the other detectors stay silent
inside one, so one mistake is one finding.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from tree_sitter import Node

from auditor.scripts.shell.tree import Tree
from auditor.scripts.shell.words import static

__all__ = ["Event", "States", "set_events"]


@dataclass(frozen=True, slots=True)
class Event:
    """One option change by a ``set`` command of the top shell."""

    byte: int
    option: str  # 'errexit' | 'pipefail'
    on: bool
    node: Node


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
