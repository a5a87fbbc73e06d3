"""Inline suppressions: ``# auditor: ignore[rule-id, ...] reason``.

A suppression applies to findings of the named rules on its own line or on
the line below it. One without a reason suppresses nothing: the reason is
what a reviewer reads when deciding whether the exception still holds, so the
``suppression-without-reason`` rule reports it instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
