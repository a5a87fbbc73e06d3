"""promote-without-verify: an artifact promote has no verify job depending on it."""

from __future__ import annotations

import re
from collections.abc import Iterator

from auditor.edits import Edit, block_key_indent, insert_after_line
from auditor.findings import Finding, Hit, hit
from auditor.fixedits import add_job_output
from auditor.kinds import Role
from auditor.model import Job, Map, Text, texts
from auditor.rule import Rule, RuleContext


def check(ctx: RuleContext) -> Iterator[Hit]:
    facts = ctx.facts
    if facts is None or not facts.artifact_promotes:
        return
    verifiers = facts.roles.players(Role.VERIFY)
    verified = facts.verified_below()  # one backward pass: every job with a verify job below it
    contract = facts.workflow.triggers and set(facts.workflow.triggers) <= {"workflow_call"}
    for job in facts.workflow.jobs:
        if job.id not in facts.artifact_promotes or job.id in verified or job.id in facts.roles.self_verified:
            continue
        if facts.verified_within(job.id):
            continue  # the called workflow verifies its own promote (at any depth of calls)
        others = [j for j in verifiers if j != job.id]
        if others:
            hint = (f"job '{others[0]}' verifies, but does not depend on '{job.id}': add "
                    f"'{job.id}' to its needs")
        else:
            hint = (f"add a verify job with `needs: {job.id}` that reads the pin back and fails "
                    "unless it equals the digest just pushed")
        reason = facts.roles.reason(job.id, Role.PROMOTE)
        why = reason.text if reason is not None else ""
        if contract:
            # a reusable workflow is verified by its callers: each call site is checked
            # end to end where the caller is scanned (same repository or auditor org)
            yield hit(
                job.key,
                f"job '{job.id}' promotes an artifact ({why}) and this reusable workflow has no "
                "verify after it: the contract is that every caller verifies the promotion (a job "
                "that needs the call and reads the pin back); callers scanned with it are checked "
                "end to end — or add the verify here",
                "contract",
                job=job.id,
                at_most="note",
            )
            continue
        yield hit(
            job.key,
            f"job '{job.id}' promotes an artifact ({why}; path "
            f"{facts.describe_path(job.id)}) but no verify job depends on it, so a "
            f"promotion that did not take effect goes unnoticed; {hint}",
            "no-verify",
            job=job.id,
        )


PLACEHOLDER = (
    'echo "::error::auditor fix scaffolded this verify job: make it read the pin back and '
    'compare it with the digest just pushed" >&2'
)


_NEEDS_DIGEST = re.compile(r"needs\.([\w-]+)\.outputs\.([\w-]*digest[\w-]*)", re.IGNORECASE)
_STEP_DIGEST = re.compile(r"steps\.([\w-]+)\.outputs\.([\w-]*digest[\w-]*)", re.IGNORECASE)


def _digest(ctx: RuleContext, promote: Job) -> tuple[str, list[str], list[Edit]] | None:
    """The expression a verify after ``promote`` reads the promoted digest through, the
    jobs it must need for it, and the edits that expose it (a job output of the promote)."""
    source = ctx.file.source
    if promote.outputs is not None:
        for key in promote.outputs:
            if "digest" in key.lower():
                return f"needs.{promote.id}.outputs.{key}", [promote.id], []
    body = "\n".join(t.value for t in texts(promote.node))
    match = _NEEDS_DIGEST.search(body)
    if match is not None:
        return match.group(0), [promote.id, match.group(1)], []
    match = _STEP_DIGEST.search(body)
    if match is not None and source is not None:
        edits = add_job_output(source, promote, "digest", f"${{{{ {match.group(0)} }}}}")
        if edits:
            return f"needs.{promote.id}.outputs.digest", [promote.id], edits
    return None


def _verify_job(ctx: RuleContext, promote: Job, job_id: str, lead: str,
                digest: tuple[str, list[str]] | None) -> str:  # fmt: skip
    """The text of a verify job after ``promote``: it runs the policy's verify script with
    the digest, or a placeholder that fails until a person writes the check."""
    runs_on = promote.runs_on.value if isinstance(promote.runs_on, Text) and promote.runs_on.value else "ubuntu-latest"
    inner, step = lead * 2, lead * 3
    needs = ", ".join(digest[1] if digest is not None else [promote.id])
    lines = [f"{lead}{job_id}:", f"{inner}needs: [{needs}]", f"{inner}runs-on: {runs_on}",
             f"{inner}permissions:", f"{inner}{lead}contents: read"]  # it only reads
    if digest is not None:
        lines += [f"{inner}env:", f"{inner}{lead}DIGEST: ${{{{ {digest[0]} }}}}"]
    lines.append(f"{inner}steps:")
    scripts = [s for s in ctx.policy.verify_scripts if ctx.repo.read(s) is not None]
    if scripts:
        lines += [f"{step}- uses: actions/checkout@v4",
                  f"{step}- name: Read the pin back (written by auditor fix)",
                  f"{step}  run: bash {scripts[0]}"]  # fmt: skip
    else:
        lines += [f"{step}- name: Verify the promotion (placeholder written by auditor fix; fill it in)",
                  f"{step}  run: |",
                  f"{step}    # Read the pin back from where '{promote.id}' wrote it and fail unless it",
                  f"{step}    # equals $DIGEST, the digest it promoted; until then this job fails on purpose.",
                  f"{step}    {PLACEHOLDER}",
                  f"{step}    exit 1"]  # fmt: skip
    return "\n".join(lines) + "\n"


def fix(ctx: RuleContext, finding: Finding) -> list[Edit]:
    """Scaffold a verify job at the end of ``jobs`` that needs the unverified promote."""
    workflow, source = ctx.workflow, ctx.file.source
    promote = workflow.job(finding.job) if workflow is not None and finding.job is not None else None
    if source is None or promote is None or finding.subject != "no-verify" or workflow is None:
        return []
    jobs = workflow.jobs_node
    lead = block_key_indent(source, promote.key.span)
    if not isinstance(jobs, Map) or lead is None or not lead or source.text.find("\t") >= 0:
        return []
    job_id = next(name for name in (f"verify-{promote.id}", *(f"verify-{promote.id}-{n}" for n in range(2, 99)))
                  if workflow.job(name) is None)  # fmt: skip
    if workflow.job("verify") is None:
        job_id = "verify"
    digest = _digest(ctx, promote)
    edits = digest[2] if digest is not None else []
    text = _verify_job(ctx, promote, job_id, lead, (digest[0], digest[1]) if digest is not None else None)
    return [*edits, insert_after_line(source, jobs.span.end_line, text)]


RULE = Rule(
    id="promote-without-verify",
    severity="error",
    summary="A promote job has no verify job after it.",
    what="""
Reports each artifact promote job (see DESIGN.md, "Roles") that no verify job
depends on, directly or transitively. A verify job is one whose id or name
matches the policy's verify names (`verif` by default) or that runs a
policy-listed verify script. A reusable-workflow call whose callee verifies
its own promote counts as verified.
""",
    why="""
A promotion can "succeed" without taking effect: a best-effort POST, a token
without the right scope, a control plane that ignored the request. Only a job
that reads the pin back and compares it with the digest just pushed proves it
moved.
""",
    example="""
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
    example_line=19,
    example_path='.github/workflows/release.yml',
    check=check,
    tags=("promote", "verify"),
    fix=fix,
    fix_safety="unsafe",
    fix_docs="""
Scaffolds a verify job at the end of `jobs` that needs the unverified promote.
When the policy names a verify script (`roles.verify.scripts`) the job checks
out the repository and runs it; otherwise its one step is a documented
placeholder that **fails** (`exit 1` with a message) until a person writes the
read-back, never a step that passes. Unsafe: it adds a job to the pipeline.
""",
)
