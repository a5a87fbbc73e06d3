"""``trap-err-ignored``: ``trap '' ERR`` ignores the condition failure handling relies on."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.scripts.issues import ScriptIssue
from auditor.scripts.shell.body import Body
from auditor.scripts.shell.detectors.base import Detector
from auditor.scripts.shell.source import norm
from auditor.scripts.shell.words import static

__all__ = ["DETECTOR"]


def find(body: Body) -> Iterator[ScriptIssue]:
    src = body.src
    for rec in body.t.commands:
        if rec.name != b"trap":
            continue
        node = rec.node
        vals = [static(src, a) for a in node.children_by_field_name("argument")]
        if vals and vals[0] == "--":
            vals = vals[1:]
        if len(vals) >= 2 and vals[0] == "" and any(v is not None and v.upper() in ("ERR", "SIGERR") for v in vals):
            yield body.issue(
                "trap-err-ignored",
                "`trap '' ERR` ignores the ERR condition that failure handling relies on; remove it.",
                node,
                node,
                norm(src.orig(node)),
            )


DETECTOR = Detector(
    id="trap-err-ignored",
    summary="`trap '' ERR` ignores the ERR condition",
    what="""
`trap '' ERR` (also `trap "" ERR EXIT`, `trap -- '' ERR`): an empty action
for the ERR condition. Other traps (`trap 'rm -f "$tmp"' EXIT`, `trap - ERR`,
which restores the default) are left alone.
""",
    why="""
An empty ERR trap tells bash to ignore the condition that `set -E`, error
handlers and `errtrace` rely on; a script that reads as fail-loud is not.
""",
    example="trap '' ERR\ndocker push registry.example.com/app:1\n",
    use_instead="trap 'echo \"::error::failed at line $LINENO\"' ERR\ndocker push registry.example.com/app:1\n",
    find=find,
)
