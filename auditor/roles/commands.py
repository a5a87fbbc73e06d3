"""The commands a ``run:`` body runs, as argument vectors, cheaply.

The role catalogue asks "does this step run ``kubectl set image``?" of every
``run:`` step of every workflow, so this is built for the common case: a
C-speed screen for the programs the catalogue knows, then a split of the
body into simple commands at newlines, ``;``, ``&&``, ``||``, ``|``, ``&``,
parentheses and backticks, leading assignments, ``sudo``/``env``/``time``/
``timeout N`` and shell keywords dropped. Three things a reader of the
script sees are kept:

- a command substitution (``$(crane digest x)``, backticks) is a command of
  its own, marked ``captured``, and the command around it stays whole
  (``docker run -v $(pwd):/src img kustomize edit …`` is one command);
- a pipe links two commands (``piped_to``/``piped_from``): ``curl -f URL |
  sh`` installs something, ``kubectl create … --dry-run -o yaml | kubectl
  apply -f -`` copies configuration;
- a heredoc body is data, not commands (release notes that show ``docker
  pull`` are not a deploy), unless it feeds a shell (``ssh host bash <<EOF``).

``docker|podman run|exec IMAGE PROGRAM …`` also yields ``PROGRAM …`` when
PROGRAM is one the caller asks about: the tool runs inside a container.

It does not parse the shell: quoted text that holds a separator can split a
command in two, which can cost a match but never invents one that a reader
would not see as a command at the start of a line or after a separator. The
swallowed-failure analysis, which must be exact, uses the tree-sitter parse
in ``auditor.scripts.shell``.
"""

from __future__ import annotations

import re

from auditor.record import record
from auditor.roles.matchers import shell_text

_SEGMENT = re.compile(r"[^\n;&|()`]+")
_WORD = re.compile(r"\S+")
_NEXT = re.compile(r"\s*([^\n;&|()`]+)")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\[[^\]]*\])?\+?=")
_PREFIXES = frozenset({
    "sudo", "env", "time", "exec", "command", "nohup", "builtin", "then", "do", "else", "elif",
    "if", "while", "until", "!", "{", "eval",
})  # fmt: skip
_QUOTES = "\"'"
_EXPRESSION = re.compile(r"\$\{\{[^\n]*?\}\}")
_SUBSTITUTION = re.compile(r"\$\(([^()]*)\)|`([^`]*)`")
_HEREDOC = re.compile(r"(?<!<)<<(?!<)-?\s*(['\"]?)([A-Za-z_][\w-]*)\1")
_FEEDS_SHELL = re.compile(r"(?:^|[\s/])(?:ba|z|da|k)?sh\b|\bssh\b")
_DURATION = re.compile(r"^\d+(?:\.\d+)?[smhd]?$")
_WRAPPERS = frozenset({"docker", "podman", "nerdctl"})
_MAX_NESTING = 8
_SHORT = 1000  # characters: below this, finding the lines that name a program costs more than it saves
# Global options that take a separate value and are often written before the sub-command.
_VALUE_FLAGS = frozenset({
    "-n", "--namespace", "--context", "--kube-context", "--kubeconfig", "--cluster", "--server",
    "--user", "--token", "--region", "--profile", "--project", "--subscription", "-R", "--repo",
    "-H", "--host", "--as", "--request-timeout", "--auth-token", "--kube-apiserver",
})  # fmt: skip


@record
class Command:
    """One simple command: its words (quotes stripped) and where it starts in the text."""

    argv: tuple[str, ...]
    start: int  # offset of the command's first word in the shell text (continuations joined)
    text: str  # the command as written, whitespace collapsed
    captured: bool = False  # inside ``$(…)`` or backticks: its output is data for another command
    piped_to: str = ""  # the program this command's output is piped into
    piped_from: str = ""  # the program whose output is piped into this command
    assigns: tuple[str, ...] = ()  # leading ``NAME=value`` words (``KO_DOCKER_REPO=kind.local ko …``)
    words: tuple[str, ...] = ()  # ``positionals()``, computed once

    @property
    def program(self) -> str:
        """The program's base name (``/usr/local/bin/kubectl`` → ``kubectl``)."""
        return self.argv[0].rsplit("/", 1)[-1] if self.argv else ""

    def has(self, *words: str) -> bool:
        """The command runs ``program words...`` (sub-commands in order, options between)."""
        return self.words[: len(words)] == words

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

    def flags(self, *names: str) -> list[str]:
        """Every value given to any of ``names`` (``-f a -f b`` → ``[a, b]``)."""
        out: list[str] = []
        argv = self.argv
        for i, word in enumerate(argv):
            for name in names:
                if word == name and i + 1 < len(argv):
                    out.append(argv[i + 1])
                elif word.startswith(name + "=") and name.startswith("--"):
                    out.append(word[len(name) + 1:])
        return out

    def positionals(self) -> tuple[str, ...]:
        """The words that are not options, nor the value of a global option that takes one
        (``kubectl -n prod set image …`` → ``set image …``)."""
        return self.words


def _unquote(word: str) -> str:
    if len(word) >= 2 and word[0] in _QUOTES and word[-1] == word[0]:
        return word[1:-1]
    return word.strip(_QUOTES) if word[:1] in _QUOTES else word


def _placeholder(match: re.Match[str]) -> str:
    return "$" + "_" * (match.end() - match.start() - 1)


def _blank_heredocs(text: str) -> str:
    """``text`` with the bodies of heredocs that do not feed a shell blanked (offsets kept)."""
    lines = text.split("\n")
    until: str | None = None
    for i, line in enumerate(lines):
        if until is not None:
            if line.strip() == until:
                until = None
            lines[i] = " " * len(line)
            continue
        found = _HEREDOC.search(line)
        if found is not None and not _FEEDS_SHELL.search(line, 0, found.start()):
            until = found.group(2)
    return "\n".join(lines)


def _pieces(text: str) -> list[tuple[str, int, bool]]:
    """(text, offset, captured) of the outer script and of each command substitution, each
    substitution replaced in its container by a placeholder of the same length."""
    inner: list[tuple[str, int, bool]] = []
    for _ in range(_MAX_NESTING):
        if "$(" not in text and "`" not in text:
            break
        spans = [(m.start(1 if m.group(1) is not None else 2), m.end(1 if m.group(1) is not None else 2),
                  m.start(), m.end()) for m in _SUBSTITUTION.finditer(text)]  # fmt: skip
        if not spans:
            break
        inner.extend((text[s:e], s, True) for s, e, _a, _b in spans)
        parts: list[str] = []
        last = 0
        for _s, _e, a, b in spans:
            parts.append(text[last:a])
            parts.append("$" + "_" * (b - a - 1))
            last = b
        parts.append(text[last:])
        text = "".join(parts)
    return [(text, 0, False), *inner]


def _lines(source: str, screen: re.Pattern[str]) -> list[tuple[int, int]]:
    """(start, end) of each line of ``source`` where ``screen`` finds a word."""
    out: list[tuple[int, int]] = []
    end = -1
    for found in screen.finditer(source):
        at = found.start()
        if at < end:
            continue
        start = source.rfind("\n", 0, at) + 1
        end = source.find("\n", at)
        if end < 0:
            end = len(source)
        out.append((start, end))
    return out


def commands(run: str, programs: frozenset[str] | None = None,
             screen: re.Pattern[str] | None = None) -> tuple[Command, ...]:  # fmt: skip
    """The simple commands of ``run`` (only those whose program is in ``programs``, if given).

    With ``screen`` (a pattern that finds every word of ``programs``), only the lines where it
    finds one are split: a command never starts on a line that does not name its program
    (continuations are joined first), and long scripts mostly run other things."""
    source = shell_text(run)
    if "<<" in source:
        source = _blank_heredocs(source)
    # `${{ matrix.image }}` is one word by the time the shell runs (the runner substitutes it),
    # and what it holds is no separator: split a copy where each expression is a placeholder
    work = _EXPRESSION.sub(_placeholder, source) if "${{" in source else source
    out: list[Command] = []
    if screen is None or len(work) < _SHORT:
        pieces = _pieces(work)  # a short script costs less split whole than screened by line
    else:
        pieces = []
        for start, end in _lines(work, screen):
            pieces.extend((text, offset + start, captured) for text, offset, captured
                          in _pieces(work[start:end]))  # fmt: skip
    for piece, offset, captured in pieces:
        # a placeholder (substitution, expression) spans exactly its text, so a word's span in
        # ``piece`` is the same word as written in ``source`` (``$(id -u)`` with its space)
        previous = ""  # program of the command piped into the next one
        size = len(piece)
        for match in _SEGMENT.finditer(piece):
            end = match.end()
            piped_from, previous = previous, ""
            words = match.group(0).split()
            first = 0
            while first < len(words):
                word = words[first]
                if word in _PREFIXES or _ASSIGNMENT.match(word):
                    first += 1
                elif word == "timeout":
                    first += 1
                    while first < len(words) and (words[first].startswith("-") or _DURATION.match(words[first])):
                        first += 1
                else:
                    break
            if first == len(words):
                continue
            program = words[first].rsplit("/", 1)[-1].strip(_QUOTES)
            piped_to = ""
            if end < size and piece[end] == "|" and piece[end + 1: end + 2] != "|":
                nxt = _NEXT.match(piece, end + 1)
                nwords = nxt.group(1).split() if nxt else []
                piped_to = nwords[0].rsplit("/", 1)[-1] if nwords else ""
                previous = program
            wrapped = -1
            if program in _WRAPPERS and programs is not None and len(words) > first + 2 and (
                words[first + 1] in ("run", "exec")
            ):
                wrapped = next((k for k in range(first + 2, len(words))
                                if words[k].rsplit("/", 1)[-1] in programs and not words[k - 1].startswith("-")),
                               -1)  # fmt: skip
            if programs is not None and program not in programs and wrapped < 0:
                continue
            segment = match.group(0)
            if "$_" not in segment:
                # no placeholder in it: the words as split are the words as written
                if wrapped >= 0:
                    out.append(_plain(words[wrapped:], offset + match.start() + segment.find(words[wrapped]),
                                      captured, piped_to, piped_from, ()))  # fmt: skip
                if programs is None or program in programs:
                    assigns = tuple(_unquote(w) for w in words[:first] if "=" in w)
                    out.append(_plain(words[first:], offset + match.start() + segment.find(words[first]),
                                      captured, piped_to, piped_from, assigns))  # fmt: skip
                continue
            spans = [(w.start(), w.end()) for w in _WORD.finditer(piece, match.start(), end)]
            if wrapped >= 0:
                out.append(_command(source, offset, spans[wrapped:], captured, piped_to, piped_from, ()))
            if programs is not None and program not in programs:
                continue
            assigns = tuple(_unquote(source[offset + a: offset + b]) for a, b in spans[:first]
                            if "=" in piece[a:b])  # fmt: skip
            out.append(_command(source, offset, spans[first:], captured, piped_to, piped_from, assigns))
    return tuple(out)


def _plain(words: list[str], start: int, captured: bool, piped_to: str, piped_from: str,
           assigns: tuple[str, ...]) -> Command:  # fmt: skip
    argv = tuple(_unquote(w) for w in words)
    return Command(argv, start, " ".join(words), captured, piped_to, piped_from, assigns, _positionals(argv))


def _command(source: str, offset: int, spans: list[tuple[int, int]], captured: bool, piped_to: str,
             piped_from: str, assigns: tuple[str, ...]) -> Command:  # fmt: skip
    argv = tuple(_unquote(source[offset + a: offset + b]) for a, b in spans)
    start, stop = offset + spans[0][0], offset + spans[-1][1]
    return Command(argv, start, " ".join(source[start:stop].split()), captured, piped_to, piped_from, assigns,
                   _positionals(argv))  # fmt: skip


def _positionals(argv: tuple[str, ...]) -> tuple[str, ...]:
    out: list[str] = []
    skip = False
    for word in argv[1:]:
        if skip:
            skip = False
        elif word.startswith("-"):
            skip = word in _VALUE_FLAGS
        else:
            out.append(word)
    return tuple(out)
