"""bidi-control-character: Unicode bidirectional controls that can hide code."""

from __future__ import annotations

import re
from collections.abc import Iterator

from auditor.findings import Hit
from auditor.rule import Rule, RuleContext
from auditor.span import Span

BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def check(ctx: RuleContext) -> Iterator[Hit]:
    source = ctx.file.source
    if source is None or BIDI.search(source.text) is None:
        return
    for number, line in enumerate(source.lines, start=1):
        for match in BIDI.finditer(line):
            char = match.group()
            yield Hit(
                f"bidirectional control character U+{ord(char):04X} can make the code a "
                "reviewer sees differ from what runs (Trojan Source); remove it",
                Span(number, match.start() + 1, number, match.start() + 2),
                f"bidi:U+{ord(char):04X}",
            )


RULE = Rule(
    id="bidi-control-character",
    severity="error",
    summary="Bidirectional control characters can hide code from reviewers.",
    what="""
Reports Unicode bidirectional formatting characters (U+202A–U+202E,
U+2066–U+2069, U+200E, U+200F, U+061C) anywhere in a workflow or a local
action's `action.yml` — comments included — one finding per character, at
its column. Scripts that steps run are not read by this rule.
""",
    why="""
These characters reorder how text is displayed without changing what is
executed ("Trojan Source", CVE-2021-42574): a reviewer can approve a `run:`
line that does something else than it appears to.
""",
    example="""
name: ci
on:
  pull_request:
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make test  # <U+202E> (a real RIGHT-TO-LEFT OVERRIDE: the rest of the line displays reversed)
""",
    use_instead="""
name: ci
on:
  pull_request:
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make test
""",
    example_line=9,
    example_path='.github/workflows/ci.yml',
    check=check,
    scope="file",
    kinds=frozenset({"workflow", "action"}),
    tags=("security",),
)
