"""statuses-write-permission: a workflow or job grants a forbidden token scope (statuses: write)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from auditor.edits import Edit, alone_on_lines, delete_lines, flow_entry_removal, offset
from auditor.findings import Finding, Hit, hit
from auditor.model import LEVELS, Job, Permissions, RunStep, UsesStep
from auditor.rule import Rule, RuleContext
from auditor.span import Span


def _grants(perms: Permissions, forbidden: dict[str, str]) -> Iterator[tuple[Span, str, str]]:
    """(where, scope, granted level) for each forbidden grant in a permissions value."""
    if perms.kind in ("read-all", "write-all"):
        level = "write" if perms.kind == "write-all" else "read"
        span = perms.span
        assert span is not None
        for scope, floor in forbidden.items():
            if LEVELS[level] >= LEVELS.get(floor, 2):
                yield span, scope, f"{perms.kind} (which includes {scope}: {level})"
        return
    for grant in perms.grants:
        if grant.scope in forbidden and LEVELS.get(grant.level, -1) >= LEVELS.get(forbidden[grant.scope], 2):
            yield grant.span, grant.scope, f"{grant.scope}: {grant.level}"


def _job_overrides_all(jobs: tuple[Job, ...]) -> bool:
    return bool(jobs) and all(job.permissions.declared for job in jobs)


# What visibly posts a commit status: the REST endpoint, the Octokit call, the CLI, the
# status-posting actions. A PR gate that reports its result this way needs the grant.
_POSTS_STATUS = re.compile(r"/statuses/|createCommitStatus|repos\.createStatus|\bgh\s+api\b[^\n]*statuses"
                           r"|\bsmokeshow\s+upload\b",  # smokeshow posts the preview link as a status
                           re.IGNORECASE)
_STATUS_ACTIONS = frozenset({
    "myrotvorets/set-commit-status-action", "ouzi-dev/commit-status-updater", "sibz/github-status-action",
    "guibranco/github-status-action-v2", "niteoweb/pull_request_status_action", "geekdada/status-action",
    "hkusu/status-create-action", "teamniteo/pull_request_status_action", "conda-incubator/status-action",
    # actions whose result is a commit status (their docs ask for statuses: write)
    "amannn/action-semantic-pull-request", "larsoner/circleci-artifacts-redirector-action",
    "wip/action", "zeke/semantic-pull-requests",
})  # fmt: skip


# A repository script a step runs (`python3 .gitea/scripts/gate.py`, `./ci/post.sh`).
_SCRIPT = re.compile(r"(?:^|[\s\"'=])(?:\./)?((?:[\w.-]+/)*[\w.-]+\.(?:py|sh|bash|js|mjs|cjs|ts|rb|pl))\b")


def _posts_statuses(job: Job, callees: frozenset[str], read: Callable[[str], bytes | None]) -> bool | None:
    """The job visibly posts commit statuses (True), visibly does not (False), or may do
    so where the scan cannot see (None: a called workflow it cannot read, a repository
    script it runs that is not there to read) — the grant may be what it needs."""
    if job.is_reusable_call:
        return None if job.id not in callees else False
    unseen = False
    for step in job.action_steps():
        if isinstance(step, RunStep) and step.run is not None:
            if _POSTS_STATUS.search(step.run.value):
                return True
            for match in _SCRIPT.finditer(step.run.value):
                data = read(match.group(1))
                if data is None:
                    unseen = True
                elif _POSTS_STATUS.search(data.decode("utf-8", "replace")):
                    return True
        if isinstance(step, UsesStep) and step.uses is not None:
            if step.uses.name in _STATUS_ACTIONS:
                return True
            script = step.with_text("script")
            if script is not None and _POSTS_STATUS.search(script.value):
                return True
    return None if unseen else False


def check(ctx: RuleContext) -> Iterator[Hit]:
    facts = ctx.facts
    if facts is None:
        return
    workflow = facts.workflow
    policy = ctx.policy
    forbidden = policy.forbidden_permissions
    if not forbidden:
        return
    note = (" (Gitea ignores workflow and job permissions today; the grant still applies on "
            "GitHub mirrors and once Gitea honours it)") if workflow.forge == "gitea" else ""
    release = [j.id for j in workflow.jobs if facts.roles.of(j.id)]
    everywhere = policy.forbidden_in == "everywhere"
    callees = frozenset(facts.graph.callees)
    if release or everywhere:
        where = (f"a release workflow (job '{release[0]}' plays {sorted(facts.roles.of(release[0]))[0]})"
                 if release else "any workflow (permissions.forbidden_in: everywhere)")
        fix = (f"the policy forbids it in {where}: a commit status is not a promotion, and a "
               "best-effort status POST is how one fails silently — remove the grant and promote "
               "through the control plane with its own credential")
        at_most = None
    else:
        fix = ("no step of this workflow posts a commit status, so the token carries a write scope "
               "it never uses (least privilege): remove the grant")
        at_most = "warning"

    def judged(jobs: list[Job]) -> bool:
        """Report a grant to ``jobs``: always in a release workflow; elsewhere only when
        none of them visibly posts statuses (a PR gate that reports its result is fine)."""
        return at_most is None or all(_posts_statuses(j, callees, ctx.repo.read) is False for j in jobs)

    # A workflow-level block that every job replaces grants nothing.
    # The grants are found first: most workflows grant nothing forbidden, and reading
    # what their steps (and scripts) post is the costly part.
    if workflow.permissions.declared and not _job_overrides_all(workflow.jobs):
        grants = list(_grants(workflow.permissions, forbidden))
        if grants and judged([j for j in workflow.jobs if not j.permissions.declared]):
            for span, scope, text in grants:
                yield hit(span, f"the workflow grants {text} to every job's token{note}; {fix}",
                          f"workflow:{scope}", at_most=at_most)
    for job in workflow.jobs:
        grants = list(_grants(job.permissions, forbidden))
        if not grants or not judged([job]):
            continue
        for span, scope, text in grants:
            yield hit(span, f"job '{job.id}' grants {text} to its token{note}; {fix}",
                      f"job:{scope}", job=job.id, at_most=at_most)


def fix(ctx: RuleContext, finding: Finding) -> list[Edit]:
    """Drop the forbidden grant: its line of a block map, its entry of a flow map, or the
    whole map (``{}``) when it is the only grant. ``write-all``/``read-all`` are left: the
    model cannot tell which scopes the jobs use."""
    workflow, source = ctx.workflow, ctx.file.source
    if workflow is None or source is None:
        return []
    job = workflow.job(finding.job) if finding.job is not None else None
    perms = job.permissions if job is not None else workflow.permissions
    scope = finding.subject.partition(":")[2]
    grant = next((g for g in perms.grants if g.scope == scope and g.span.line == finding.line), None)
    if perms.kind != "scopes" or grant is None or perms.key is None or perms.value is None:
        return []
    if len(perms.grants) == 1:
        key_end = offset(source, perms.key.span.end_line, perms.key.span.end_column)
        value_end = offset(source, perms.value.span.end_line, perms.value.span.end_column)
        if "#" in source.text[key_end:value_end]:
            return []  # a comment inside the block would go with it
        return [Edit(key_end, value_end, ": {}")]
    if alone_on_lines(source, grant.span):
        return [delete_lines(source, grant.span.line, grant.span.end_line)]
    return flow_entry_removal(source, grant.span)


RULE = Rule(
    id="statuses-write-permission",
    severity="error",
    summary="The Actions token is granted a forbidden scope (by default `statuses: write`).",
    what="""
Reports a workflow- or job-level `permissions` grant of a scope the policy
forbids (`permissions.forbidden`, default `statuses: write`), including
`write-all` (and `read-all` for scopes forbidden at `read`):

- in a **release workflow** (one with a publish, promote or verify job) every
  such grant is an error;
- elsewhere a grant that no step uses is a **warning** (least privilege), and
  a job that visibly posts commit statuses (a `/statuses/` REST call,
  `createCommitStatus`, a status-posting action) — a PR gate reporting its
  result — is left alone, as is a call to a reusable workflow the scan cannot
  see;
- `permissions.forbidden_in: everywhere` in the policy makes every grant an
  error, wherever it is.

A workflow-level block is not reported when every job replaces it with its own.
""",
    why="""
A commit status is not a promotion. Granting `statuses: write` is the sign of a
pipeline that "promotes" by posting a status nothing consumes — and when the
grant is missing on the forge, the POST 403s and is easily swallowed. Gitea
ignores `permissions` today, but the same files run on GitHub mirrors.
""",
    example="""
name: release
on:
  push:
    branches: [main]
permissions:
  contents: read
  packages: write
  statuses: write   # left from when 'promote' meant posting a commit status
jobs:
  publish:
    runs-on: ubuntu-latest
    outputs:
      digest: ${{ steps.push.outputs.digest }}
    steps:
      - uses: docker/login-action@v3
        with: {registry: ghcr.io, username: '${{ github.actor }}', password: '${{ secrets.GITHUB_TOKEN }}'}
      - id: push
        uses: docker/build-push-action@v6
        with: {push: true, tags: 'ghcr.io/acme/app:latest'}
  promote:
    needs: publish
    runs-on: ubuntu-latest
    env:
      TOKEN: ${{ secrets.CP_ADMIN_API_TOKEN }}
      DIGEST: ${{ needs.publish.outputs.digest }}
    steps:
      - name: Pin the digest on the control plane
        run: |
          curl --fail-with-body -sS -X POST -H "Authorization: Bearer $TOKEN" \\
            -d "digest=$DIGEST" https://cp.example.com/promote
  verify:
    needs: [publish, promote]
    runs-on: ubuntu-latest
    steps:
      - name: Read the pin back
        env:
          DIGEST: ${{ needs.publish.outputs.digest }}
        run: test "$(curl --fail-with-body -sS https://cp.example.com/pin)" = "$DIGEST"
""",
    use_instead="""
name: release
on:
  push:
    branches: [main]
permissions:
  contents: read
  packages: write
jobs:
  publish:
    runs-on: ubuntu-latest
    outputs:
      digest: ${{ steps.push.outputs.digest }}
    steps:
      - uses: docker/login-action@v3
        with: {registry: ghcr.io, username: '${{ github.actor }}', password: '${{ secrets.GITHUB_TOKEN }}'}
      - id: push
        uses: docker/build-push-action@v6
        with: {push: true, tags: 'ghcr.io/acme/app:latest'}
  promote:
    needs: publish
    runs-on: ubuntu-latest
    env:
      TOKEN: ${{ secrets.CP_ADMIN_API_TOKEN }}
      DIGEST: ${{ needs.publish.outputs.digest }}
    steps:
      - name: Pin the digest on the control plane
        run: |
          curl --fail-with-body -sS -X POST -H "Authorization: Bearer $TOKEN" \\
            -d "digest=$DIGEST" https://cp.example.com/promote
  verify:
    needs: [publish, promote]
    runs-on: ubuntu-latest
    steps:
      - name: Read the pin back
        env:
          DIGEST: ${{ needs.publish.outputs.digest }}
        run: test "$(curl --fail-with-body -sS https://cp.example.com/pin)" = "$DIGEST"
""",
    example_line=8,
    example_path='.github/workflows/release.yml',
    check=check,
    tags=("permissions",),
    fix=fix,
    fix_docs="""
Removes the forbidden grant (`statuses: write`) from the `permissions` block that
holds it, keeping every other line; a block that granted only that becomes `{}`.
`write-all` is left for a person to narrow: the model cannot tell which scopes
the jobs need.
""",
)
