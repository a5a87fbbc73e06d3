"""suppression-without-reason: an inline ignore comment without a reason."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.findings import Hit
from auditor.rule import Rule, RuleContext
from auditor.span import Span
from auditor.suppress import suppressions


def check(ctx: RuleContext) -> Iterator[Hit]:
    source = ctx.file.source
    if source is None:
        return
    for item in suppressions(source.text):
        if item.reason:
            continue
        names = ", ".join(item.rules) or "(no rule)"
        yield Hit(
            f"'auditor: ignore[{names}]' has no reason, so it suppresses nothing; write why "
            "after the bracket, e.g. '# auditor: ignore[rule-id] mirror job, removed in Q3'",
            Span(item.line, item.column, item.line, item.end_column),
            "ignore:" + ",".join(item.rules),
        )


RULE = Rule(
    id="suppression-without-reason",
    severity="note",
    summary="An inline suppression without a reason suppresses nothing.",
    what="""
Reports an `# auditor: ignore[rule-id]` comment with no text after the
bracket. Such a comment does not suppress the finding it sits next to.
""",
    why="""
A suppression is an exception to policy that a reviewer must be able to
judge later. Without the reason it is indistinguishable from a shortcut.
""",
    example="""
    steps:
      - run: ./promote.sh
        continue-on-error: true  # auditor: ignore[continue-on-error-on-promote-path]
""",
    use_instead="""
    steps:
      - run: ./promote.sh
        # auditor: ignore[continue-on-error-on-promote-path] dry-run mirror, removed in Q3
        continue-on-error: true
""",
    check=check,
    scope="file",
    kinds=frozenset({"workflow", "action"}),
    tags=("policy",),
)
