"""swallowed-failure: a promote-path step (or a script it runs) can fail without failing the step."""

from __future__ import annotations

from collections.abc import Iterator

from auditor import scripthits, stepscripts
from auditor.findings import Hit
from auditor.rule import Rule, RuleContext


def check(ctx: RuleContext) -> Iterator[Hit]:
    return scripthits.hits(ctx.facts, ctx.options, stepscripts.SWALLOWED)


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
)
