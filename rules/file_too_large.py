"""file-too-large: a workflow or script over the policy's size limit is not parsed."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.findings import Hit
from auditor.rule import Rule, RuleContext
from auditor.span import Span


def check(ctx: RuleContext) -> Iterator[Hit]:
    if ctx.file.too_large:
        limit = ctx.policy.max_file_bytes
        yield Hit(
            f"file is {ctx.file.size:,} bytes, over the {limit:,}-byte limit, so it was not "
            "parsed; split it, or raise limits.max_file_bytes in the policy if it is genuine",
            Span(1, 1, 1, 2),
            "too-large",
        )


RULE = Rule(
    id="file-too-large",
    severity="error",
    summary="A file over the size limit is not analysed.",
    what="""
Reports a workflow or action file larger than the policy's
`limits.max_file_bytes` (default 5,000,000 bytes). The file is not parsed.
""",
    why="""
No real workflow is megabytes long; one that is is generated, corrupted or
hostile, and parsing it would cost time and memory the rest of the scan needs.
Reporting it keeps the gate honest: an unchecked file is never silently green.
""",
    example="""
# .github/workflows/generated.yml — 48 MB of generated matrix entries
""",
    use_instead="""
# generate the matrix at run time (a job that prints JSON to $GITHUB_OUTPUT
# and fromJSON() in the consumer), or raise the limit in .auditor.yml:
limits:
  max_file_bytes: 60000000
""",
    check=check,
    scope="file",
    kinds=frozenset({"workflow", "action"}),
    tags=("robustness",),
)
