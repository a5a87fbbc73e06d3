"""swallowed-failure: a promote-path step (or a script it runs) can fail without failing the step."""

from __future__ import annotations

import re
from collections.abc import Iterator

from auditor import scripthits
from auditor.edits import Edit, insert_after_line, insert_before_line, line_indent, offset
from auditor.findings import Finding, Hit
from auditor.model import Map, RunStep
from auditor.rule import Rule, RuleContext
from auditor.script_rules import SWALLOWED


def check(ctx: RuleContext) -> Iterator[Hit]:
    return scripthits.hits(ctx.facts, ctx.options, SWALLOWED)


_CURL = re.compile(r"curl\b")


def _step(ctx: RuleContext, finding: Finding) -> RunStep | None:
    workflow = ctx.workflow
    if workflow is None or finding.step is None or finding.path != ctx.path:
        return None  # an issue in a script the step runs: the script is not this file
    job = workflow.job(finding.job or "(composite)")
    step = job.step_at(finding.step.index) if job is not None else None
    return step if isinstance(step, RunStep) and step.run is not None else None


def _has_shell_default(ctx: RuleContext, finding: Finding) -> bool:
    workflow = ctx.workflow
    job = workflow.job(finding.job) if workflow is not None and finding.job is not None else None
    for defaults in (job.defaults if job is not None else None, workflow.defaults if workflow else None):
        run = defaults.get("run") if defaults is not None else None
        if isinstance(run, Map) and "shell" in run:
            return True
    return False


def fix(ctx: RuleContext, finding: Finding) -> list[Edit]:
    """``curl`` without ``--fail``: add ``--fail-with-body``. No errexit or pipefail: give a
    step without a shell ``shell: bash`` (``-eo pipefail``), else start a literal block with
    ``set -euo pipefail``. Other detectors (``|| true``, ``set +e``) need a person."""
    source = ctx.file.source
    step = _step(ctx, finding)
    if source is None or step is None or step.run is None:
        return []
    detector = finding.subject.partition(":")[0]
    if detector == "curl-without-fail":
        at = offset(source, finding.line, finding.column)
        if not _CURL.match(source.text, at):
            return []
        return [Edit(at + 4, at + 4, " --fail-with-body")]
    if detector not in ("pipeline-masks-failure", "no-errexit"):
        return []
    run_key = step.node.key("run")
    if run_key is None:
        return []
    lead = " " * (run_key.column - 1)
    if step.shell is None and not _has_shell_default(ctx, finding):
        if source.line(run_key.line)[: run_key.column - 1].strip(" "):
            # `- run: …` opens the item: add the key after the item's last line (a span
            # may end where the next token starts: step back over what is not the item's)
            end = max(value.span.end_line for _key, value in step.node.entries)
            while end > run_key.line and (not source.line(end).strip()
                                          or len(line_indent(source, end)) < len(lead)):
                end -= 1
            return [insert_after_line(source, end, f"{lead}shell: bash\n")]
        return [insert_before_line(source, run_key.line, f"{lead}shell: bash\n")]
    shell = step.shell.value.strip() if step.shell is not None else "bash"
    if step.run.style != "|" or not shell.startswith("bash"):
        return []  # `set -o pipefail` is bash's (sh may not have it): leave other shells alone
    first = run_key.line + 1  # a block's text starts on the line after `run: |`
    indent = line_indent(source, first)
    return [insert_before_line(source, first, f"{indent}set -euo pipefail\n")]


RULE = Rule(
    id="swallowed-failure",
    severity="error",
    summary="Code run by a publish, promote or verify step swallows a failure, so the step stays green.",
    what="""
Reads the code every step of a promote-path job runs — its `run:` body with
its effective shell (the step's `shell`, else `defaults.run.shell` of the job,
then of the workflow, else the runner default `bash -e {0}`: errexit without
pipefail), the Python it embeds (`shell: python`, `python - <<EOF`,
`python3 -c '…'`), the repository scripts it runs (`./x.sh`, `bash x.sh`,
`source x`, `python3 x.py`, `"$GITHUB_WORKSPACE/x.sh"`,
`${{ github.action_path }}/x.sh`; the shebang decides for `./x`), and the
steps of the local composite actions it uses — and reports each way a
failure is lost:

- shell (tree-sitter-bash): `cmd || true` (`|| :`, `|| echo …`, `|| exit 0`)
  after a command that can fail, including a fallback `x=$(cmd || echo V)`
  whose default `V` takes the branch that skips the checks; `set +e`;
  `set +o pipefail`; `trap '' ERR`; `curl` without
  `--fail`/`-f`/`--fail-with-body` whose response is not checked (a tested
  `%{http_code}`, a captured body tested for emptiness or compared, a
  consumer that rejects an error page); a pipeline that masks a failing
  command when pipefail is off; `local/export/readonly/declare x=$(cmd)` for
  any command that can fail, `echo "$(cmd)"` and `for x in $(cmd)`; a custom
  shell template without `-e` (`bash {0}`);
- Python (libcst): a bare or broad `except` that only passes or logs;
  `sys.exit(0)` in an error handler; a `requests`/`httpx` response whose
  status is never checked; `subprocess.run/call` without `check=True` whose
  return code is never read; an ignored `os.system`.

Findings in a script or an `action.yml` are located in that file. The scope
is the jobs of promote paths (publish, promote — name-only promotes included
— and verify); `rules: {swallowed-failure: {scope: all}}` widens it to every
job.
""",
    why="""
A promotion whose POST gets a 403 must fail the run. `curl` exits 0 on an
HTTP error unless told otherwise, `|| true` throws the exit status away, and
a Python `except Exception: pass` turns any error into success: the step is
green, nothing downstream notices, and the runtime keeps the old image. That
is the same silent failure as `continue-on-error: true`, hidden one level
deeper, inside the step.
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
          curl -sS -X POST -H "Authorization: Bearer $TOKEN" \\
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
    example_line=28,
    example_path='.github/workflows/release.yml',
    check=check,
    tags=("promote-path", "fail-loud", "scripts"),
    options=("scope",),
    fix=fix,
    fix_safety="unsafe",
    fix_docs="""
For a `curl` without `--fail`, adds `--fail-with-body` after `curl`. For a step
that runs without errexit or pipefail, adds `shell: bash` (which runs
`bash -eo pipefail`) to a step that names no shell, else (a bash shell
given as a command, `bash {0}`) `set -euo pipefail` as the first line of its
`run: |` block. Unsafe: a command whose failure was
tolerated now fails the step. `|| true`, `set +e` and a failure in a script the
step runs are left for a person.
""",
)
