"""Findings: what every rule produces and every report renders.

A rule yields ``Hit``s (where, what, about which job and step); the engine
turns them into ``Finding``s by adding the path, repository, the severity the
policy gives the rule and a stable fingerprint. Keeping severity and
fingerprints out of rules means a rule cannot get them wrong.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from auditor.span import Span

if TYPE_CHECKING:  # the model loads only where hits are made, not where findings are read
    from auditor.model import Step


class Located(Protocol):
    """Anything that knows where it is in the file (a model value)."""

    @property
    def span(self) -> Span: ...


class Positioned(Protocol):
    """A string value that can place each of its characters in the file."""

    def position_of(self, offset: int) -> tuple[int, int]: ...

SEVERITIES = ("error", "warning", "note")
SEVERITY_RANK = {"error": 3, "warning": 2, "note": 1}


@dataclass(frozen=True, slots=True)
class StepRef:
    """The step a finding is about, as the JSON contract names it."""

    index: int
    id: str | None
    name: str | None

    @classmethod
    def of(cls, step: Step) -> StepRef:
        return cls(
            step.index,
            step.id.value if step.id is not None else None,
            step.name.value if step.name is not None else None,
        )

    @property
    def key(self) -> str:
        """Id, else name, else index: what the fingerprint hashes."""
        if self.id is not None:
            return f"id:{self.id}"
        if self.name is not None:
            return f"name:{self.name}"
        return f"index:{self.index}"

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "id": self.id, "name": self.name}


@dataclass(frozen=True, slots=True)
class Hit:
    """A rule's raw observation; ``path`` is set only when it lies in another file.

    ``message`` becomes one line (``one_line``): a newline in a repository string
    it quotes (a step name) is shown as ``\\n``, never a line of its own.
    """

    message: str
    span: Span
    subject: str
    job: str | None = None
    step: StepRef | None = None
    path: str | None = None
    # At most this severity, whatever the policy gives the rule: one rule, one id, but
    # a milder case (a grant outside a release workflow, a reusable workflow's contract).
    at_most: str | None = None


def hit(
    node: Located | Span,
    message: str,
    subject: str,
    *,
    job: str | None = None,
    step: Step | StepRef | None = None,
    path: str | None = None,
    at_most: str | None = None,
) -> Hit:
    """A hit located at a model value (its whole span) or at an explicit span."""
    span = node if isinstance(node, Span) else node.span
    return Hit(message, span, subject, job, _step_ref(step), path, at_most)


def hit_in(
    scalar: Positioned,
    start: int,
    end: int,
    message: str,
    subject: str,
    *,
    job: str | None = None,
    step: Step | StepRef | None = None,
) -> Hit:
    """A hit at characters ``start:end`` of a string value (an expression, a command)."""
    line, column = scalar.position_of(start)
    end_line, end_column = scalar.position_of(end) if end > start else (line, column + 1)
    if (end_line, end_column) < (line, column):
        end_line, end_column = line, column + 1
    return Hit(message, Span(line, column, end_line, end_column), subject, job, _step_ref(step))


def _step_ref(step: Step | StepRef | None) -> StepRef | None:
    return step if step is None or isinstance(step, StepRef) else StepRef.of(step)


@dataclass(frozen=True, slots=True)
class Finding:
    """One reported problem, in the shape of the JSON report contract."""

    rule: str
    severity: str
    message: str
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    job: str | None = None
    step: StepRef | None = None
    repo: str | None = None
    fingerprint: str = ""
    subject: str = field(default="", compare=False)
    # Which of a run's targets (command-line repositories) the finding is from: two
    # targets can hold identical files, and reports must still show each under its own
    # root. Set by ``auditor.check``; never serialised, never part of the fingerprint.
    target: int | None = field(default=None, repr=False)

    def sort_key(self) -> tuple[str, str, int, int, str, str]:
        return (self.repo or "", self.path, self.line, self.column, self.rule, self.message)

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "repo": self.repo,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "job": self.job,
            "step": self.step.to_json() if self.step is not None else None,
            "fingerprint": self.fingerprint,
        }

    def to_record(self) -> dict[str, Any]:
        """``to_json`` plus the subject: what caches keep (``from_json`` reads it back)."""
        return {**self.to_json(), "subject": self.subject}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        step = data.get("step")
        return cls(
            rule=data["rule"],
            severity=data["severity"],
            message=data["message"],
            path=data["path"],
            line=data["line"],
            column=data["column"],
            end_line=data["end_line"],
            end_column=data["end_column"],
            job=data.get("job"),
            step=StepRef(step["index"], step.get("id"), step.get("name")) if step else None,
            repo=data.get("repo"),
            fingerprint=data.get("fingerprint", ""),
            subject=str(data.get("subject", "")),  # kept by caches, not by the JSON report
        )


def fingerprint(
    rule: str, repo: str | None, path: str, job: str | None, step: StepRef | None, subject: str
) -> str:
    """Stable identity of a finding: never line numbers, so unrelated edits keep it."""
    parts = [rule, repo or "", path, job or "", step.key if step is not None else "", subject]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


# C0 controls but tab and newline, DEL and C1 controls, the Unicode line and paragraph
# separators and the bidirectional controls: a message quotes repository strings (job
# ids, needs, step names), and these would reach terminals, CI logs and HTML as escape
# sequences, line breaks or reordered text. Shown instead as visible \xNN / \uNNNN.
INVISIBLE = [*range(0x20), *range(0x7F, 0xA0), 0x61C, 0x200E, 0x200F, 0x2028, 0x2029,
              *range(0x202A, 0x202F), *range(0x2066, 0x206A)]  # fmt: skip
_CONTROLS = {c: (f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}") for c in INVISIBLE
             if c not in (9, 10)}  # fmt: skip
_ONE_LINE = {**_CONTROLS, 9: "\\t", 10: "\\n"}


def printable(text: str) -> str:
    """``text`` with control characters made visible (``\\x1b``), for every report.

    Tab and newline stay: a multi-line message (an org drift diff) keeps its
    lines, and each renderer decides how a line break is shown.
    """
    return text.translate(_CONTROLS) if not text.isprintable() else text


def one_line(text: str) -> str:
    """``text`` as one line: ``printable`` plus newline and tab shown as ``\\n``, ``\\t``.

    For what is printed on one line (an error on standard error, a rule's
    message): a newline in a repository string cannot start a line of its own
    that a CI runner would read as a workflow command.
    """
    return text.translate(_ONE_LINE) if not text.isprintable() else text


# How CI runners find workflow commands in a step's output (actions/runner's
# ActionCommand): ``::name ...::data`` at the start of a line after leading
# whitespace is trimmed, and the legacy ``##[name ...]data`` anywhere in a line.
_LEGACY_COMMAND = "##["
TEXT_ESCAPES = ("\\x3a", "\\x23")  # what ``no_commands`` shows for ``:`` and ``#``
MARKUP_ESCAPES = ("&#58;", "&#35;")  # the same in XML and HTML: character references, lossless


def command_chars(line: str) -> list[int]:
    """Where ``no_commands`` changes ``line``: the first colon of a leading ``::``,
    the second ``#`` of each ``##[`` (in order)."""
    at = []
    body = line.lstrip()
    if body.startswith("::"):
        at.append(len(line) - len(body))
    i = line.find(_LEGACY_COMMAND)
    while i >= 0:
        at.append(i + 1)
        i = line.find(_LEGACY_COMMAND, i + 2)
    return at


def no_commands(line: str, escapes: tuple[str, str] = TEXT_ESCAPES) -> str:
    """One line of output that carries repository text, made inert for CI runners.

    A line whose first non-blank characters are ``::`` gets its first colon
    escaped, and the second ``#`` of every ``##[``: as ``\\x3a`` and ``\\x23``
    in text, as character references (``MARKUP_ESCAPES``) in XML and HTML,
    where a reader gets the original text back. Everything else is unchanged.
    (The ``github`` format, whose commands are deliberate, escapes its data
    the runner's way instead.)
    """
    at = command_chars(line)
    if not at:
        return line
    out, last = [], 0
    for i in at:
        out += [line[last:i], escapes[0] if line[i] == ":" else escapes[1]]
        last = i + 1
    out.append(line[last:])
    return "".join(out)


def no_commands_text(text: str, escapes: tuple[str, str] = TEXT_ESCAPES) -> str:
    """``no_commands`` on every line of ``text`` (any line break a runner or
    ``str.splitlines`` knows ends a line)."""
    if _LEGACY_COMMAND not in text and "::" not in text:
        return text
    return "".join(no_commands(line, escapes) for line in text.splitlines(keepends=True))


def make_finding(
    rule: str, severity: str, h: Hit, default_path: str, repo: str | None
) -> Finding:
    path = h.path or default_path
    span = h.span
    if h.at_most is not None and SEVERITY_RANK.get(h.at_most, 3) < SEVERITY_RANK.get(severity, 3):
        severity = h.at_most
    return Finding(
        rule=rule,
        severity=severity,
        message=one_line(h.message),
        path=path,
        line=span.line,
        column=span.column,
        end_line=max(span.end_line, span.line),
        end_column=span.end_column,
        job=h.job,
        step=h.step,
        repo=repo,
        fingerprint=fingerprint(rule, repo, path, h.job, h.step, h.subject),
        subject=h.subject,
    )


def exit_code(findings: Iterable[Finding], fail_on: str) -> int:
    """0 when nothing is at or above ``fail_on``, else 1."""
    threshold = SEVERITY_RANK[fail_on]
    return 1 if any(SEVERITY_RANK.get(f.severity, 0) >= threshold for f in findings) else 0
