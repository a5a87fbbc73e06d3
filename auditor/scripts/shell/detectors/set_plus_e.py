"""``set-plus-e``: ``set +e`` turns errexit off, and the failures after it are ignored."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.scripts.issues import ScriptIssue
from auditor.scripts.shell.body import Body
from auditor.scripts.shell.detectors.base import Detector
from auditor.scripts.shell.source import norm

__all__ = ["DETECTOR"]


def find(body: Body) -> Iterator[ScriptIssue]:
    src = body.src
    for region in body.regions("errexit"):
        node = region.event.node
        yield body.issue(
            "set-plus-e",
            f"`set +e` turns errexit off, so a failure of `{body.short(region.why)}` (and of every command until "
            "`set -e`) is ignored and the step still succeeds; keep errexit on and handle an expected "
            "failure explicitly (`if ! cmd; then …; exit 1; fi`), or read `$?` right after the command.",
            node,
            node,
            norm(src.orig(node)) + " / " + norm(src.orig(region.why.node), 40),
        )


DETECTOR = Detector(
    id="set-plus-e",
    summary="`set +e` turns errexit off, so failures until the next `set -e` are ignored",
    what="""
`set +e` (`set +o errexit`, `set +eu`…) while errexit is on, reported once,
where it appears, when the stretch up to the next `set -e` (or the end of the
body) runs a command whose failure matters, outside a condition, and never
reads `$?` or `PIPESTATUS` (reading them is how correct code captures a
status). `out=$(cmd)` counts as running `cmd` there, since the assignment
carries its status, unless `out` is then tested. The other detectors stay
silent inside a reported stretch: one mistake, one finding.
""",
    why="""
Every failure until errexit is back on is ignored: the push or the promotion
fails, the script carries on, and the step is green.
""",
    example="set +e\n./scripts/promote.sh\necho done\n",
    use_instead='set +e\n./scripts/promote.sh\nrc=$?\nset -e\n[ "$rc" -eq 0 ] || exit "$rc"\necho done\n',
    find=find,
)
