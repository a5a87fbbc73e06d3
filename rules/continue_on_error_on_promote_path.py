"""continue-on-error-on-promote-path: a job or step on a promote path may continue on error."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.edits import Edit, alone_on_lines, delete_lines
from auditor.findings import Finding, Hit, hit
from auditor.rule import Rule, RuleContext


def check(ctx: RuleContext) -> Iterator[Hit]:
    facts = ctx.facts
    if facts is None:
        return
    everywhere = ctx.options.get("scope") == "all"
    gitea = facts.workflow.forge == "gitea"
    for job in facts.workflow.jobs:
        on_path = job.id in facts.promote_path
        if not on_path and not everywhere:
            continue
        where = (f"on the promote path {facts.describe_path(job.id)}" if on_path
                 else "(policy scope: all jobs)")  # fmt: skip
        value = job.continue_on_error
        if value is not None and value.may_continue:
            note = (" (Gitea ignores job-level continue-on-error today, but GitHub mirrors and "
                    "future Gitea versions honour it)") if gitea else ""  # fmt: skip
            yield hit(
                value.span,
                f"job '{job.id}' has {value.describe()} {where}: a failed publish, promote or "
                f"verify would still leave the run green{note}; remove it so the job fails "
                "loud",
                "job",
                job=job.id,
            )
        for step in job.flat_steps:
            value = step.continue_on_error
            if value is None or not value.may_continue or facts.cannot_turn_green(job, step):
                continue
            group = " (in a parallel group)" if step.group is not None else ""
            yield hit(
                value.span,
                f"step '{step.label}'{group} of job '{job.id}' has {value.describe()} {where}: "
                "its failure (a 403, a push that did not happen) is swallowed and the run stays "
                "green; remove it — if the step is optional, move it off the promote path",
                "step",
                job=job.id,
                step=step,
            )


def fix(ctx: RuleContext, finding: Finding) -> list[Edit]:
    """Delete the ``continue-on-error`` line(s) of the job or step (a key on its own lines;
    one that opens a ``- `` sequence item or sits in a flow map is left)."""
    workflow, source = ctx.workflow, ctx.file.source
    job = workflow.job(finding.job) if workflow is not None and finding.job is not None else None
    if job is None or source is None:
        return []
    step = job.step_at(finding.step.index) if finding.step is not None else None
    value = step.continue_on_error if step is not None else job.continue_on_error
    if value is None or value.span.line != finding.line:
        return []
    if source.line(value.span.line)[: value.span.column - 1].strip() or not alone_on_lines(source, value.span):
        return []
    return [delete_lines(source, value.span.line, value.span.end_line)]


RULE = Rule(
    id="continue-on-error-on-promote-path",
    severity="error",
    summary="A job or step on a publish → promote → verify path continues on error.",
    what="""
Reports `continue-on-error` (literal `true` or any expression) on every job and
step of a promote path: the publish jobs a promote depends on, the jobs
between them, the promote jobs and the verify jobs that depend on them. The
message names the path. With `rules: {continue-on-error-on-promote-path:
{scope: all}}` in the policy it applies to every job.
""",
    why="""
`continue-on-error` turns a failed step into a green run. On a promote path
that is how a promotion silently stops happening: the POST returns 403, the
step is marked as passed, nothing downstream notices, and the runtime keeps
running the old image. Gitea ignores job-level `continue-on-error` today, but
the same file often runs on a GitHub mirror, and the intent is the problem.
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
        continue-on-error: true   # "best effort"
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
    example_line=27,
    example_path='.github/workflows/release.yml',
    check=check,
    tags=("promote-path", "fail-loud"),
    options=("scope",),
    fix=fix,
    fix_safety="unsafe",
    fix_docs="""
Deletes the `continue-on-error` line of the job or step, so a failure on the
promote path fails the run. Unsafe: a step that was meant to be optional now
fails the release; move such a step off the promote path instead.
""",
)
