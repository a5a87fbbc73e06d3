"""The shape of a catalogue entry, and what a match tells the rules.

An entry is one tool or action that publishes, promotes or verifies (or that
looks like a deploy and is explicitly not one: a package upload, a GitHub
release, a static docs deploy). It is data — its id, its role, three short
texts (what it is, how the image reference or digest reaches it, how it can
be verified) and a bad and a good workflow that the test suite runs — plus a
small matcher over a step: the commands of its ``run:`` body, or its
``uses:`` action and ``with:`` inputs.

The index in ``auditor.roles.catalogue`` keys entries by program and action
name, so a step is only shown to the entries that could match it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from auditor.kinds import Role
from auditor.record import record
from auditor.roles.commands import Command

# A digest as the registry spells it, or an expression/variable that carries one.
DIGEST_TEXT = re.compile(
    r"@sha256:|sha256:[0-9a-f]{12,}|\$\{\{[^}]*digest[^}]*\}\}|\$\{?[A-Za-z_]*DIGEST[A-Za-z_]*\}?",
    re.IGNORECASE,
)
# An image reference with a tag: registry/name:tag (no digest).
IMAGE_REF = re.compile(
    r"(?:[a-z0-9.-]+(?::[0-9]+)?/)?[a-z0-9$._{}-]+(?:/[a-z0-9$._{}-]+)*:[\w.${}\-]+", re.IGNORECASE
)


@record
class StepView:
    """What a matcher sees of one ``run:``/``uses:`` step."""

    run: str | None  # the ``run:`` body as written
    commands: tuple[Command, ...]  # its simple commands whose program an entry knows
    uses: str | None  # the action, lower-cased ``owner/repo[/path]`` (a local path as written)
    with_: Mapping[str, str]  # ``with:`` inputs as text (names lower-cased)
    env: Mapping[str, str]  # the step's own ``env:`` as text


@dataclass(frozen=True, slots=True)
class Found:
    """What a matcher saw in a step."""

    detail: str  # what matched, for people: the command line or the action
    image: str | None = None  # the image (or version) reference the step moves, as written
    verifies: bool = False  # the same step also waits for and checks the result (helm --wait)
    # None: the entry's ``moves_artifact``; False: this use of the tool does not by itself move
    # a built artifact (``kubectl apply`` of a static manifest, a third-party chart)
    moves_artifact: bool | None = None


@dataclass(frozen=True, slots=True)
class Match:
    """An entry matched a step."""

    entry: Entry
    found: Found

    @property
    def detail(self) -> str:
        return self.found.detail

    @property
    def image(self) -> str | None:
        return self.found.image

    @property
    def verifies(self) -> bool:
        return self.found.verifies

    @property
    def moves_artifact(self) -> bool:
        moves = self.found.moves_artifact
        return self.entry.moves_artifact if moves is None else moves


Matcher = Callable[[StepView], "Found | None"]


@dataclass(frozen=True)
class Entry:
    """One tool or action of the role catalogue."""

    id: str
    role: Role | None  # None: explicitly not a promote (a package upload, a release, docs)
    title: str
    what: str  # what it is
    reference: str  # how the image reference or digest reaches it
    verification: str  # how it can be verified
    match: Matcher
    programs: frozenset[str] = frozenset()  # programs whose commands it reads
    actions: frozenset[str] = frozenset()  # actions (lower-cased owner/repo[/path]) it reads
    # a regex over the lower-cased ``uses:`` name, for actions known by a word in their path
    # (``chainguard-dev/actions/setup-kind``, ``./.github/actions/setup-k3d``)
    action_pattern: str = ""
    moves_artifact: bool = True  # a promote that by itself moves a built artifact
    bad: str = ""  # a workflow the checker must flag because of this entry
    bad_rule: str = ""  # the rule that flags it
    good: str = ""  # the same pipeline done right: no finding
    tags: tuple[str, ...] = field(default_factory=tuple)


def on_commands(test: Callable[[Command], bool], *,
                image: Callable[[Command], str | None] | None = None,
                verifies: Callable[[Command], bool] | None = None) -> Matcher:  # fmt: skip
    """A matcher over the step's commands: the first command ``test`` accepts."""

    def match(view: StepView) -> Found | None:
        for cmd in view.commands:
            if test(cmd):
                return Found(cmd.text[:120], image(cmd) if image else None,
                             verifies(cmd) if verifies else False)  # fmt: skip
        return None

    return match


def on_action(*, image: Callable[[StepView], str | None] | None = None,
              verifies: Callable[[StepView], bool] | None = None,
              when: Callable[[StepView], bool] | None = None) -> Matcher:  # fmt: skip
    """A matcher for an entry's ``actions``: any step using one (``when`` narrows it)."""

    def match(view: StepView) -> Found | None:
        if when is not None and not when(view):
            return None
        return Found(view.uses or "", image(view) if image else None,
                     verifies(view) if verifies else False)  # fmt: skip

    return match


def image_in(words: list[str] | tuple[str, ...]) -> str | None:
    """The first word that looks like an image reference (``repo:tag`` or ``repo@digest``)."""
    for word in words:
        value = word.split("=", 1)[1] if "=" in word and not word.startswith("-") else word
        if "@sha256:" in value or DIGEST_TEXT.search(value) or IMAGE_REF.fullmatch(value):
            return value
    return None


def pinned(reference: str | None) -> bool:
    """The reference names a digest (``…@sha256:…``, or a digest output or variable)."""
    return reference is not None and DIGEST_TEXT.search(reference) is not None
