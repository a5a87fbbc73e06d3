"""statuses-write-permission: a workflow or job grants a forbidden token scope (statuses: write)."""

from __future__ import annotations

from collections.abc import Iterator

from auditor import roles
from auditor.findings import Hit, hit
from auditor.model import Job
from auditor.rule import Rule, RuleContext
from auditor.yamltree import Span, YMap, YNode, YScalar

_RANK = {"none": 0, "read": 1, "write": 2}


def _grants(node: YNode | None, forbidden: dict[str, str]) -> Iterator[tuple[Span, str, str]]:
    """(where, scope, granted level) for each forbidden grant in a permissions value."""
    if isinstance(node, YScalar):
        level_of = {"write-all": "write", "read-all": "read"}
        if node.value.strip() not in level_of:
            return
        level = level_of[node.value.strip()]
        for scope, floor in forbidden.items():
            if _RANK[level] >= _RANK.get(floor, 2):
                yield node.span, scope, f"{node.value.strip()} (which includes {scope}: {level})"
        return
    if not isinstance(node, YMap):
        return
    for key, value in node.items():
        if key.value not in forbidden or not isinstance(value, YScalar):
            continue
        granted = value.value.strip()
        if _RANK.get(granted, -1) >= _RANK.get(forbidden[key.value], 2):
            end = value.span
            yield Span(key.line, key.column, end.end_line, end.end_column), key.value, \
                f"{key.value}: {granted}"


def _job_overrides_all(jobs: tuple[Job, ...]) -> bool:
    return bool(jobs) and all(job.permissions is not None for job in jobs)


def check(ctx: RuleContext) -> Iterator[Hit]:
    workflow = ctx.workflow
    if workflow is None:
        return
    forbidden = ctx.policy.forbidden_permissions
    if not forbidden:
        return
    note = (" (Gitea ignores workflow and job permissions today; the grant still applies on "
            "GitHub mirrors and once Gitea honours it)") if roles.on_gitea(ctx.path) else ""
    fix = ("the policy forbids it (permissions.forbidden): a commit status is not a promotion, "
           "and a best-effort status POST is how one fails silently — remove the grant, or, for "
           "a workflow whose job really is posting statuses (a PR gate), waive it in the policy "
           "with the reason")
    # A workflow-level block that every job replaces grants nothing.
    if workflow.permissions is not None and not _job_overrides_all(workflow.jobs):
        for span, scope, text in _grants(workflow.permissions, forbidden):
            yield hit(span, f"the workflow grants {text} to every job's token{note}; {fix}",
                      f"workflow:{scope}")
    for job in workflow.jobs:
        for span, scope, text in _grants(job.permissions, forbidden):
            yield hit(span, f"job '{job.id}' grants {text} to its token{note}; {fix}",
                      f"job:{scope}", job=job.id)


RULE = Rule(
    id="statuses-write-permission",
    severity="error",
    summary="The Actions token is granted a forbidden scope (by default `statuses: write`).",
    what="""
Reports every workflow- or job-level `permissions` grant of a scope the policy
forbids (`permissions.forbidden`, default `statuses: write`), including
`write-all` (and `read-all` for scopes forbidden at `read`). Reusable-call jobs
are checked like any other job. A workflow-level block is not reported when
every job replaces it with its own.
""",
    why="""
A commit status is not a promotion. Granting `statuses: write` is the sign of a
pipeline that "promotes" by posting a status nothing consumes — and when the
grant is missing on the forge, the POST 403s and is easily swallowed. Gitea
ignores `permissions` today, but the same files run on GitHub mirrors.
""",
    example="""
permissions:
  contents: read
  statuses: write
""",
    use_instead="""
permissions:
  contents: read
""",
    check=check,
    tags=("permissions",),
)
