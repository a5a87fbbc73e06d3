"""Run one shell body and list its issues as (detector, line, column), 1-based."""

from __future__ import annotations

import textwrap

from auditor.scripts.shell import analyse_shell
from auditor.scripts.shells import ShellSpec, resolve_shell

DEFAULT = resolve_shell(None)  # bash -e, no pipefail: a step without `shell:`
STRICT = resolve_shell("bash")  # bash -eo pipefail
NO_E = resolve_shell("bash {0}")

__all__ = ["DEFAULT", "NO_E", "STRICT", "body", "found", "resolve_shell"]


def body(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def found(text: str, spec: ShellSpec = DEFAULT, detector: str | None = None) -> list[tuple[str, int, int]]:
    report = analyse_shell(text, spec)
    assert report.parse_error is None, report.parse_error
    out = []
    for issue in report.issues:
        line = text.count("\n", 0, issue.start) + 1
        column = issue.start - (text.rfind("\n", 0, issue.start) + 1) + 1
        if detector is None or issue.detector == detector:
            out.append((issue.detector, line, column))
    return sorted(out)
