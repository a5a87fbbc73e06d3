"""Inline suppressions: ``# auditor: ignore[rule-id, ...] reason``.

A suppression applies to findings of the named rules on its own line or on
the line below it. One without a reason suppresses nothing: the reason is
what a reviewer reads when deciding whether the exception still holds, so the
``suppression-without-reason`` rule reports it instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from auditor.findings import Finding

_PATTERN = re.compile(r"#\s*auditor:\s*ignore\[([^\]]*)\](.*)$")


@dataclass(frozen=True, slots=True)
class Suppression:
    line: int  # 1-based line of the comment
    column: int  # 1-based column of '#'
    end_column: int
    rules: tuple[str, ...]
    reason: str


def suppressions(text: str) -> list[Suppression]:
    """Every suppression comment in ``text`` (cheap when there are none)."""
    if "auditor:" not in text:
        return []
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        if "auditor:" not in line:
            continue
        match = _PATTERN.search(line)
        if match is None:
            continue
        rules = tuple(r.strip() for r in match.group(1).split(",") if r.strip())
        reason = match.group(2).strip().lstrip("-—:").strip()
        out.append(Suppression(number, match.start() + 1, len(line) + 1, rules, reason))
    return out


def suppressed_lines(items: list[Suppression]) -> dict[int, set[str]]:
    """Line → rule ids suppressed there, from the suppressions that carry a reason."""
    lines: dict[int, set[str]] = {}
    for item in items:
        if not item.reason:
            continue
        for target in (item.line, item.line + 1):
            lines.setdefault(target, set()).update(item.rules)
    return lines


# --- suppressions a change adds (the gate lists them) ---------------------------------------


def _guarded(lines: list[str], item: Suppression) -> str:
    """The code a suppression stands guard over: the code before the comment on its own
    line, else the next line that is not blank (a comment on the line above)."""
    own = lines[item.line - 1][: item.column - 1].strip() if item.line <= len(lines) else ""
    if own:
        return own
    for following in lines[item.line :]:
        if following.strip():
            return following.strip()
    return ""


def _keyed(text: str) -> list[tuple[tuple[tuple[str, ...], str, str], Suppression]]:
    items = [s for s in suppressions(text) if s.reason]
    if not items:
        return []
    lines = text.splitlines()
    return [((s.rules, s.reason, _guarded(lines, s)), s) for s in items]


def added_suppressions(old_text: str | None, new_text: str) -> list[Suppression]:
    """The effective suppressions (with a reason) of ``new_text`` that ``old_text`` lacks.

    A suppression is matched by what it silences (its rules), why (its reason)
    and the code it stands guard over, never by its line number: lines added
    above keep it old, while moving it onto another line, widening its rule list
    or rewording its reason makes it a new decision a reviewer should see.
    ``old_text`` None: the file is new, so every suppression in it is.
    """
    new = _keyed(new_text)
    if not new:
        return []
    remaining: dict[tuple[tuple[str, ...], str, str], int] = {}
    for key, _ in _keyed(old_text or ""):
        remaining[key] = remaining.get(key, 0) + 1
    out: list[Suppression] = []
    for key, item in new:
        if remaining.get(key, 0) > 0:
            remaining[key] -= 1
        else:
            out.append(item)
    return out


@dataclass(frozen=True, slots=True)
class NewSuppression:
    """A suppression a change added, as the gate's reports list it.

    ``hides`` are the findings it silenced in this run (a suppression may
    silence nothing yet); ``shown`` is the path as a person reads it.
    """

    path: str
    line: int
    column: int
    end_column: int
    rules: tuple[str, ...]
    reason: str
    repo: str | None = None
    shown: str = ""
    hides: tuple[Finding, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "repo": self.repo,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_column": self.end_column,
            "rules": list(self.rules),
            "reason": self.reason,
            "suppressed": [f.to_json() for f in self.hides],
        }

    def covers(self, f: Finding) -> bool:
        """Is ``f`` one a suppression here would silence (its line or the next, its rules)?"""
        return f.path == self.path and f.line in (self.line, self.line + 1) and f.rule in self.rules
