"""The role catalogue: one entry per tool or action that publishes, promotes or verifies.

Release pipelines in the wild deploy with kubectl, helm, GitOps commits, ECS,
Cloud Run, retags and dispatched deploy workflows far more often than with a
job named "promote". Each family lives in its own module (``publish``,
``kubernetes``, ``gitops``, ``cloud``, ``channels``, ``dispatch``,
``webhooks``, ``verify``, ``not_promotes``), each entry documented and
tested on a bad and a good workflow (``tests/roles/test_catalogue.py``).

``match_step`` is the one entry point: it builds a ``StepView`` of a step
only when the step could match (a C-speed screen over the programs and
actions the entries know), then asks only the entries indexed under the
programs it runs or the action it uses.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from auditor.model import ActionStep, Map, RunStep, Text, UsesStep
from auditor.roles.catalogue import (
    channels,
    cloud,
    dispatch,
    gitops,
    kubernetes,
    not_promotes,
    publish,
    verify,
    webhooks,
)
from auditor.roles.catalogue.base import Entry, Found, Match, StepView
from auditor.roles.commands import Command, commands

ENTRIES: tuple[Entry, ...] = (
    *publish.ENTRIES, *kubernetes.ENTRIES, *gitops.ENTRIES, *cloud.ENTRIES, *channels.ENTRIES,
    *dispatch.ENTRIES, *webhooks.ENTRIES, *verify.ENTRIES, *not_promotes.ENTRIES,
)  # fmt: skip

__all__ = ["ENTRIES", "Entry", "Found", "Match", "StepView", "entry", "match_step"]


@functools.cache
def _index() -> tuple[dict[str, list[Entry]], dict[str, list[Entry]], frozenset[str], re.Pattern[str]]:
    by_program: dict[str, list[Entry]] = {}
    by_action: dict[str, list[Entry]] = {}
    for item in ENTRIES:
        for program in item.programs:
            by_program.setdefault(program, []).append(item)
        for action in item.actions:
            by_action.setdefault(action, []).append(item)
    programs = frozenset(by_program)
    words = sorted((re.escape(p.rsplit("/", 1)[-1]) for p in programs), key=len, reverse=True)
    screen = re.compile(r"(?<![\w-])(?:" + "|".join(words) + r")(?![\w-])")
    return by_program, by_action, programs, screen


@functools.cache
def entry(entry_id: str) -> Entry:
    return next(e for e in ENTRIES if e.id == entry_id)


def _texts(node: Map | None, *, lower: bool) -> dict[str, str]:
    if node is None:
        return {}
    return {(k.value.lower() if lower else k.value): v.value for k, v in node.entries if isinstance(v, Text)}


def match_step(step: ActionStep, extra: Iterable[Entry] = ()) -> tuple[Match, ...]:
    """Every catalogue entry ``step`` matches (``extra`` entries are tried too)."""
    by_program, by_action, programs, screen = _index()
    candidates: list[Entry] = list(extra)
    run: str | None = None
    found_commands: tuple[Command, ...] = ()
    uses: str | None = None
    with_: dict[str, str] = {}
    if isinstance(step, RunStep) and step.run is not None:
        run = step.run.value
        if screen.search(run):
            found_commands = commands(run, programs)
            seen: set[str] = set()
            for cmd in found_commands:
                for item in by_program.get(cmd.program, ()):
                    if item.id not in seen:
                        seen.add(item.id)
                        candidates.append(item)
    elif isinstance(step, UsesStep) and step.uses is not None:
        uses = step.uses.name
        with_ = _texts(step.with_, lower=True)
        owner_repo = "/".join(uses.split("/")[:2])
        candidates.extend(by_action.get(uses, by_action.get(owner_repo, ())))
        script = with_.get("script")
        if script is not None and screen.search(script):
            # actions that run a script (github-script, ssh actions): their commands count too
            found_commands = commands(script, programs)
    if not candidates:
        return ()
    view = StepView(run, found_commands, uses, with_, _texts(step.env, lower=False))
    out: list[Match] = []
    for item in candidates:
        found = item.match(view)
        if found is not None:
            out.append(Match(item, found))
    return tuple(out)
