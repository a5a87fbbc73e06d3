"""statuses-write-permission: a workflow or job grants a forbidden token scope (statuses: write)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from auditor.edits import Edit, alone_on_lines, delete_lines, flow_entry_removal, offset, replace_span
from auditor.findings import Finding, Hit, hit
from auditor.known_actions import TOKEN_INPUTS, TOKEN_SCOPES
from auditor.model import LEVELS, Job, Map, Permissions, RunStep, Seq, Text, UsesStep, Value, Workflow
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


# The Actions token, named or passed (a `GH_TOKEN:` key too): a step that holds it may
# use any scope, so its needs are unknown.
_TOKEN = re.compile(r"github\.token|\bGITHUB_TOKEN\b|\bGH_TOKEN\b|\bGITEA_TOKEN\b|\bFORGEJO_TOKEN\b"
                    r"|ACTIONS_ID_TOKEN_REQUEST|ACTIONS_RUNTIME_TOKEN|toJSON\(\s*(?:secrets|github)\s*\)"
                    r"|\bsecrets\s*\[", re.IGNORECASE)
# What a run step does with the credential actions/checkout leaves in .git/config, or with
# the forge API: pushing needs contents: write, the API needs whatever it is asked for.
_USES_FORGE = re.compile(r"\bgit\b[^\n;&|]*\bpush\b|(?:^|[\s;&|(`$])gh\s|\bhub\s|api\.github\.com"
                         r"|github\.api_url|GITHUB_API_URL|GITHUB_GRAPHQL_URL|/api/v1/"
                         # the ambient OIDC token (id-token: write) that trusted publishing,
                         # provenance and keyless signing take without naming it
                         r"|publish|provenance|cosign|sigstore|\battest|\boidc|id-token", re.IGNORECASE)
_CONTINUED = re.compile(r"\\\r?\n")  # a shell line continued on the next (`git \` / `push`)


def _walk(value: Value | None, skip: set[int]) -> Iterator[str]:
    """Every key and scalar below ``value``, except under the nodes in ``skip``."""
    stack: list[Value] = [value] if value is not None else []
    while stack:
        item = stack.pop()
        if id(item) in skip:
            continue
        if isinstance(item, Text):
            yield item.value
        elif isinstance(item, Map):
            for key, sub in item.entries:
                yield key.value
                stack.append(sub)
        elif isinstance(item, Seq):
            stack.extend(item.items)


def _job_needs(job: Job, read: Callable[[str], bytes | None]) -> dict[str, str] | None:
    """The token scopes ``job`` needs, when the model knows for sure (None: it cannot tell).
    Every step is a ``run:`` step or a known action; the token reaches no step but through
    the known inputs of those actions; no run step (nor a script it runs) pushes or calls
    the forge API."""
    if job.is_reusable_call:
        return None
    needs: dict[str, str] = {}
    skip: set[int] = set()
    for step in job.flat_steps:
        if isinstance(step, RunStep):
            if step.run is None:
                return None
            texts = [_CONTINUED.sub(" ", step.run.value)]
            for match in _SCRIPT.finditer(step.run.value):
                data = read(match.group(1)) if step.working_directory is None else None
                if data is None:
                    return None  # not there to read (or read from elsewhere)
                texts.append(_CONTINUED.sub(" ", data.decode("utf-8", "replace")))
            if any(_USES_FORGE.search(t) or _TOKEN.search(t) for t in texts):
                return None
        elif isinstance(step, UsesStep):
            if step.uses is None or step.uses.kind != "action" or step.uses.name not in TOKEN_SCOPES:
                return None
            name = step.uses.name
            scopes = dict(TOKEN_SCOPES[name])
            if step.with_ is not None:
                skip.add(id(step.with_))
                for key, value in step.with_.entries:
                    held = any(_TOKEN.search(t) for t in _walk(value, set()))
                    if held and (name, key.value.lower()) not in TOKEN_INPUTS:
                        return None
                    if held and name == "docker/login-action":
                        scopes["packages"] = "write"  # the token logs in to the forge's registry
            for scope, level in scopes.items():
                if LEVELS[level] > LEVELS.get(needs.get(scope, "none"), 0):
                    needs[scope] = level
    if any(_TOKEN.search(t) for t in _walk(job.node, skip)):
        return None
    return needs


def _narrowed(workflow: Workflow, jobs: list[Job], read: Callable[[str], bytes | None]) -> str | None:
    """The flow map ``write-all`` narrows to for ``jobs`` (``{}`` when they need nothing);
    None when the model cannot tell what one of them needs."""
    if not jobs or any(_TOKEN.search(t) for t in _walk(workflow.env, set())):
        return None
    union: dict[str, str] = {}
    for job in jobs:
        needs = _job_needs(job, read)
        if needs is None:
            return None
        for scope, level in needs.items():
            if LEVELS[level] > LEVELS.get(union.get(scope, "none"), 0):
                union[scope] = level
    return "{" + ", ".join(f"{scope}: {union[scope]}" for scope in sorted(union)) + "}"


def fix(ctx: RuleContext, finding: Finding) -> list[Edit]:
    """Drop the forbidden grant: its line of a block map, its entry of a flow map, or the
    whole map (``{}``) when it is the only grant. ``write-all`` is narrowed to the scopes
    the jobs need when the model can tell (``_narrowed``); ``read-all`` is left."""
    workflow, source = ctx.workflow, ctx.file.source
    if workflow is None or source is None:
        return []
    job = workflow.job(finding.job) if finding.job is not None else None
    if finding.job is not None and job is None:
        return []
    perms = job.permissions if job is not None else workflow.permissions
    if perms.kind == "write-all":
        value = perms.value
        if not isinstance(value, Text) or value.line != finding.line:
            return []
        jobs = [job] if job is not None else [j for j in workflow.jobs if not j.permissions.declared]
        narrowed = _narrowed(workflow, jobs, ctx.repo.read)
        return [] if narrowed is None else [replace_span(source, value.span, narrowed)]
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

`write-all` is narrowed in place to a flow map of the scopes the jobs it covers
need (`permissions: {contents: read}`, `{}` when they need none) only when the
model can tell, that is when every one of those jobs:

- runs only `run:` steps and known actions — `actions/checkout` (`contents: read`),
  `actions/cache`, `actions/upload-artifact`, `actions/download-artifact`,
  `actions/setup-node|python|go|java|dotnet`, `docker/setup-buildx-action`,
  `docker/setup-qemu-action`, `sigstore/cosign-installer` (none),
  `docker/metadata-action`, `docker/build-push-action` (`contents: read`) and
  `docker/login-action` (`packages: write` when its `password` is the token);
- is not a reusable-workflow call;
- never references the token (`github.token`, `secrets.GITHUB_TOKEN`, `GH_TOKEN`,
  `GITHUB_TOKEN`, `GITEA_TOKEN`, `FORGEJO_TOKEN`, the OIDC request variables, a
  whole `secrets`/`github` context) in its steps, `env`, container or services,
  nor the workflow's `env` — except as the `token` of `actions/checkout` or the
  `password` of `docker/login-action`;
- has no run step (nor a repository script one runs, which must be readable) that
  pushes (`git ... push`: checkout leaves the token behind), runs `gh`/`hub`,
  calls the forge API (`api.github.com`, `GITHUB_API_URL`, `/api/v1/`), or may
  take the OIDC token without naming it (a `publish`, `provenance`, `cosign`,
  `sigstore`, `attest`, `oidc` or `id-token` anywhere in it).

Otherwise `write-all` is left for a person to narrow. `read-all` is always left.
""",
)
