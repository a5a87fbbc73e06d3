"""The role catalogue: one entry per tool or action that publishes, promotes or verifies.

Release pipelines in the wild deploy with kubectl, helm, GitOps commits, ECS,
Cloud Run, retags and dispatched deploy workflows far more often than with a
job named "promote". Each family lives in its own module (``publish``,
``kubernetes``, ``gitops``, ``cloud``, ``channels``, ``dispatch``,
``webhooks``, ``verify``, ``not_promotes``), each entry documented and
tested on a bad and a good workflow (``tests/roles/test_catalogue.py``,
through the CLI); ``examples`` holds the pieces those workflows share.

``match_step`` is the one entry point: it builds a ``StepView`` of a step
only when the step could match (a C-speed screen over the programs and
actions the entries know), then asks only the entries indexed under the
programs it runs or the action it uses.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeAlias

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


@dataclass(frozen=True, slots=True)
class _Index:
    by_program: dict[str, list[Entry]]
    by_action: dict[str, list[Entry]]
    programs: frozenset[str]
    screen: re.Pattern[str]  # any word that names a program an entry reads
    by_pattern: tuple[tuple[re.Pattern[str], Entry], ...]  # entries that know actions by a word


_Node: TypeAlias = "dict[str, _Node]"


def _trie(words: set[str]) -> str:
    """A regex matching exactly ``words``, factored by common prefixes."""
    root: _Node = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: _Node) -> str:
        alts = [re.escape(ch) + build(node[ch]) for ch in sorted(k for k in node if k)]
        if not alts:
            return ""
        group = alts[0] if len(alts) == 1 and "" not in node else "(?:" + "|".join(alts) + ")"
        return group + "?" if "" in node else group

    return build(root)


@functools.cache
def _index() -> _Index:
    by_program: dict[str, list[Entry]] = {}
    by_action: dict[str, list[Entry]] = {}
    for item in ENTRIES:
        for program in item.programs:
            by_program.setdefault(program, []).append(item)
        for action in item.actions:
            by_action.setdefault(action, []).append(item)
    programs = frozenset(by_program)
    # a program word followed by what ends a word in a command line (not "https://"); the
    # words as a trie, which the regex engine tries about twice as fast as a flat alternation
    words = _trie({p.rsplit("/", 1)[-1] for p in programs})
    screen = re.compile(r"(?<![\w-])" + words + r"(?=[\s;|&)'\"`]|$)", re.MULTILINE)
    patterns = tuple((re.compile(e.action_pattern), e) for e in ENTRIES if e.action_pattern)
    return _Index(by_program, by_action, programs, screen, patterns)


@functools.cache
def entry(entry_id: str) -> Entry:
    return next(e for e in ENTRIES if e.id == entry_id)


def _texts(node: Map | None, *, lower: bool) -> dict[str, str]:
    if node is None:
        return {}
    return {(k.value.lower() if lower else k.value): v.value for k, v in node.entries if isinstance(v, Text)}


def match_step(step: ActionStep, extra: Iterable[Entry] = ()) -> tuple[Match, ...]:
    """Every catalogue entry ``step`` matches (``extra`` entries are tried too)."""
    index = _index()
    by_program, programs, screen = index.by_program, index.programs, index.screen
    candidates: list[Entry] = list(extra)
    run: str | None = None
    found_commands: tuple[Command, ...] = ()
    uses: str | None = None
    with_: dict[str, str] = {}
    if isinstance(step, RunStep) and step.run is not None:
        run = step.run.value
        if screen.search(run):
            found_commands = commands(run, programs, screen)
            seen: set[str] = set()
            for cmd in found_commands:
                for item in by_program.get(cmd.program, ()):
                    if item.id not in seen:
                        seen.add(item.id)
                        candidates.append(item)
    elif isinstance(step, UsesStep) and step.uses is not None:
        uses = step.uses.name
        known = index.by_action.get(uses)
        if known is None:
            known = index.by_action.get("/".join(uses.split("/")[:2]), [])
        candidates.extend(known)
        if not known:
            candidates.extend(e for pattern, e in index.by_pattern if pattern.search(uses))
        if not candidates:
            return ()  # most `uses:` steps (checkout, setup-*, caches): no entry knows them
        with_ = _texts(step.with_, lower=True)
        script = with_.get("script")
        if script is not None and screen.search(script):
            # actions that run a script (github-script, ssh actions): their commands count too
            found_commands = commands(script, programs, screen)
    if not candidates:
        return ()
    view = StepView(run, found_commands, uses, with_, _texts(step.env, lower=False))
    out: list[Match] = []
    for item in candidates:
        found = item.match(view)
        if found is not None:
            out.append(Match(item, found))
    return tuple(out)
