"""``set-plus-pipefail``: ``set +o pipefail`` lets a failure on the left of ``|`` go unnoticed."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.scripts.issues import ScriptIssue
from auditor.scripts.shell.body import Body
from auditor.scripts.shell.detectors.base import Detector
from auditor.scripts.shell.source import norm

__all__ = ["DETECTOR"]


def find(body: Body) -> Iterator[ScriptIssue]:
    src = body.src
    for region in body.regions("pipefail"):
        node = region.event.node
        yield body.issue(
            "set-plus-pipefail",
            f"`set +o pipefail` makes `{norm(src.orig(region.where), 40)}` report only its last command, "
            f"so a failure of `{body.short(region.why)}` is lost; keep pipefail on.",
            node,
            node,
            norm(src.orig(node)) + " / " + norm(src.orig(region.where), 40),
        )


DETECTOR = Detector(
    id="set-plus-pipefail",
    summary="`set +o pipefail` lets a failing command on the left of `|` go unnoticed",
    what="""
`set +o pipefail` while pipefail is on, reported once where it appears, when
a pipeline after it (up to `set -o pipefail`) would mask a failure — a
command on the left whose failure matters, and a last command that does not
fail on empty input (see `pipeline-masks-failure`) — and `PIPESTATUS` is not
read.
""",
    why="""
Without pipefail a pipeline's status is its last command's: `curl … | tee
log` succeeds when curl gets a 403, and the step goes on with nothing.
""",
    example="set +o pipefail\ncurl -fsS https://cp.example.com/digest | tee digest.json\n",
    use_instead="curl -fsS https://cp.example.com/digest | tee digest.json\n",
    find=find,
    shell="bash",
)
