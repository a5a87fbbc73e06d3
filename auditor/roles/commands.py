"""The commands a ``run:`` body runs, as argument vectors, cheaply.

The role catalogue asks "does this step run ``kubectl set image``?" of every
``run:`` step of every workflow, so this is built for the common case: a
C-speed screen for the programs the catalogue knows, then a split of the
body into simple commands at newlines, ``;``, ``&&``, ``||``, ``|``, ``&``,
parentheses and backticks (so ``$(crane digest x)`` yields ``crane digest
x``), leading assignments, ``sudo``/``env``/``time`` and shell keywords
dropped. It does not parse the shell: quoted text that holds a separator can
split a command in two, which can cost a match but never invents one that a
reader would not see as a command at the start of a line or after a
separator. The swallowed-failure analysis, which must be exact, uses the
tree-sitter parse in ``auditor.scripts.shell``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from auditor.roles.matchers import shell_text

_SEGMENT = re.compile(r"[^\n;&|()`]+")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\[[^\]]*\])?\+?=")
_PREFIXES = frozenset({
    "sudo", "env", "time", "exec", "command", "nohup", "builtin", "then", "do", "else", "elif",
    "if", "while", "until", "!", "{", "eval",
})  # fmt: skip
_QUOTES = "\"'"


@dataclass(frozen=True, slots=True)
class Command:
    """One simple command: its words (quotes stripped) and where it starts in the text."""

    argv: tuple[str, ...]
    start: int  # offset of the command's first word in the shell text (continuations joined)
    text: str  # the command as written, whitespace collapsed

    @property
    def program(self) -> str:
        """The program's base name (``/usr/local/bin/kubectl`` → ``kubectl``)."""
        return self.argv[0].rsplit("/", 1)[-1] if self.argv else ""

    def has(self, *words: str) -> bool:
        """The command runs ``program words...`` (sub-commands in order, options between)."""
        rest = [w for w in self.argv[1:] if not w.startswith("-")]
        return rest[: len(words)] == list(words)

    def flag(self, *names: str) -> str | None:
        """The value of the first of ``--name=value``/``--name value``/``-n value`` given,
        ``""`` for a bare flag, None when absent."""
        argv = self.argv
        for i, word in enumerate(argv):
            for name in names:
                if word == name:
                    nxt = argv[i + 1] if i + 1 < len(argv) else ""
                    return "" if nxt.startswith("-") else nxt
                if word.startswith(name + "="):
                    return word[len(name) + 1:]
        return None

    def positionals(self) -> list[str]:
        return [w for w in self.argv[1:] if not w.startswith("-")]


def _unquote(word: str) -> str:
    if len(word) >= 2 and word[0] in _QUOTES and word[-1] == word[0]:
        return word[1:-1]
    return word.strip(_QUOTES) if word[:1] in _QUOTES else word


def commands(run: str, programs: frozenset[str] | None = None) -> tuple[Command, ...]:
    """The simple commands of ``run`` (only those whose program is in ``programs``, if given)."""
    text = shell_text(run)
    out: list[Command] = []
    for match in _SEGMENT.finditer(text):
        segment = match.group(0)
        words = segment.split()
        skipped = 0
        while skipped < len(words) and (words[skipped] in _PREFIXES
                                        or _ASSIGNMENT.match(words[skipped])):  # fmt: skip
            skipped += 1
        if skipped == len(words):
            continue
        program = words[skipped].rsplit("/", 1)[-1].strip(_QUOTES)
        if programs is not None and program not in programs:
            continue
        argv = tuple(_unquote(w) for w in words[skipped:])
        start = match.start() + segment.find(words[skipped])
        out.append(Command(argv, start, " ".join(words[skipped:])))
    return tuple(out)
