"""``pipeline-masks-failure``: without pipefail only the last command of a pipeline sets its status."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.scripts.issues import ScriptIssue
from auditor.scripts.shell.body import Body
from auditor.scripts.shell.detectors.base import Detector
from auditor.scripts.shell.source import norm

__all__ = ["DETECTOR"]


def find(body: Body) -> Iterator[ScriptIssue]:
    t = body.t
    src = body.src
    reads = t.pipestatus_reads
    for rec in t.pipelines:
        node = rec.node
        if body.quiet(node.start_byte) or body.option_on("pipefail", node.start_byte):
            continue
        if reads and reads[-1] >= node.start_byte:
            continue  # `${PIPESTATUS[0]}` read afterwards: the status is handled
        cmd = body.masked_in_pipeline(rec)
        if cmd is None:
            continue
        if rec.depth and body.substitution_tested(node, "checked", rec.sub):
            continue  # `v=$(curl … | jq …)` then `[ -z "$v" ] && exit 1`: an empty value fails loud
        yield body.issue(
            "pipeline-masks-failure",
            f"without pipefail `{norm(src.orig(node), 50)}` succeeds when `{body.short(cmd)}` fails (only the "
            "last command's status counts); add `set -o pipefail` (or use `shell: bash`), or split the pipeline.",
            cmd.node,
            node,
            norm(src.orig(node)),
        )


DETECTOR = Detector(
    id="pipeline-masks-failure",
    summary="without pipefail only the last command of a pipeline sets its status",
    what="""
With pipefail off (the effective shell says so — the runner default
`bash -e {0}` and `sh` do — and no `set -o pipefail` came earlier), a
pipeline whose non-last command is one whose failure matters (on the left of
a pipe even reads count: `curl`, `gh api`, `kubectl get`…), unless the last
command turns empty or wrong input into a failure (`grep` without
`-v`/`-c`, `jq -e`, `tar x`, a decompressor, `apt-key add`, `gpg --import`,
`… --password-stdin`), `PIPESTATUS` is read afterwards, or the pipeline's
output is captured and then tested for emptiness or compared with an
expected value (`v=$(curl … | jq …)` + `[ -n "$v" ] || exit 1`).
""",
    why="""
`curl … | jq -r .digest > digest.txt` succeeds when curl fails: jq reads
nothing, writes nothing, and exits 0. The promote then uses an empty digest.
""",
    example="curl -fsS https://cp.example.com/pin | jq -r .digest > digest.txt\n",
    use_instead="set -o pipefail\ncurl -fsS https://cp.example.com/pin | jq -r .digest > digest.txt\n",
    find=find,
)
