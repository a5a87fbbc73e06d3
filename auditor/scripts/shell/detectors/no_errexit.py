"""``no-errexit``: the shell runs without ``-e``, so a failing command in the middle of the body is ignored."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.scripts.issues import ScriptIssue
from auditor.scripts.shell.body import Body
from auditor.scripts.shell.commands import can_fail
from auditor.scripts.shell.detectors.base import Detector

__all__ = ["DETECTOR"]


def find(body: Body) -> Iterator[ScriptIssue]:
    t = body.t
    if body.spec.errexit or t.error is not None:
        return  # errexit is on, or the body is not whole: the claim needs all of it
    for rec in t.commands:
        if rec.depth or body.option_on("errexit", rec.node.start_byte):
            continue
        cmd = body.cmd(rec.node)
        if cmd is None or not can_fail(cmd, False):
            continue
        ctx = t.context(rec.node)
        if ctx.handled or ctx.final:
            continue
        text = t.src.original
        first_line_end = text.find("\n")
        end = len(text) if first_line_end == -1 else first_line_end
        yield ScriptIssue(
            "no-errexit",
            f"this shell runs without `-e`, so a failure of `{body.short(cmd)}` is ignored and the step goes "
            "on to succeed; start the body with `set -euo pipefail` (or use `shell: bash`).",
            0,
            max(end, 0),
            "no-errexit",
        )
        return


DETECTOR = Detector(
    id="no-errexit",
    summary="the shell runs without `-e`, so a failing command in the middle of the body is ignored",
    what="""
The effective shell runs without errexit — a custom template such as
`bash {0}` or `bash --noprofile --norc {0}`, or a script run as `bash x.sh`
/ `./x.sh` that does not `set -e` itself — and the body does not turn it on
before a command whose failure matters, in a position where its failure is
then ignored (not the final command, not in a condition, not left of `||`).
One issue at the start of the body, naming the first such command. Not
claimed for a body with a syntax error (it needs the whole body).
""",
    why="""
Without `-e` a shell runs on after a failure and its status is the last
command's: `docker push …` fails, `echo pushed` succeeds, and so does the
step.
""",
    example="docker push registry.example.com/app:1\necho pushed\n",
    use_instead="set -euo pipefail\ndocker push registry.example.com/app:1\necho pushed\n",
    find=find,
    shell="bash {0}",
)
