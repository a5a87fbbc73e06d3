"""required-secret-not-referenced: a promote does not use the credentials promotion requires."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.access import secrets_read
from auditor.findings import Hit, hit
from auditor.known_actions import OIDC_ACTIONS
from auditor.model import Job, RunStep, Workflow
from auditor.rule import Rule, RuleContext


def _keyless(workflow: Workflow, job: Job) -> bool:
    """The job authenticates with OIDC (a cloud login action, or an explicit id-token grant).

    ``write-all`` grants id-token too, but as a side effect of granting
    everything, which says nothing about how the promote authenticates.
    """
    if any(s.uses is not None and s.uses.name in OIDC_ACTIONS
           for s in job.action_steps() if not isinstance(s, RunStep)):  # fmt: skip
        return True
    perms = job.permissions if job.permissions.declared else workflow.permissions
    return perms.kind == "scopes" and perms.level("id-token") == "write"


def check(ctx: RuleContext) -> Iterator[Hit]:
    facts = ctx.facts
    if facts is None or not facts.artifact_promotes:
        return
    policy = ctx.policy
    platform = {t.upper() for t in policy.platform_tokens}
    for job in facts.workflow.jobs:
        if job.id not in facts.artifact_promotes:
            continue
        names, anything = secrets_read(facts.refs, job)
        if anything:
            continue
        path = facts.describe_path(job.id)
        if policy.required_secrets:
            for secret in policy.required_secrets:
                if secret.upper() in names:
                    continue
                yield hit(
                    job.key,
                    f"promote job '{job.id}' (path {path}) never references secrets.{secret}, "
                    "which the policy requires for promotion (promote.required_secrets); "
                    f"authenticate the promote with `${{{{ secrets.{secret} }}}}` (in env, with "
                    "or the command)",
                    f"required:{secret}",
                    job=job.id,
                )
            continue
        real = [n for n in names if n not in platform]
        if real or _keyless(facts.workflow, job) or not facts.through_control_plane(job):
            continue  # a registry, cluster or dispatch promote authenticates its own way
        used = sorted(n for n in names if n in platform)
        detail = (f"only the platform token ({', '.join(used)})" if used
                  else "no secret at all")  # fmt: skip
        yield hit(
            job.key,
            f"promote job '{job.id}' (path {path}) references {detail}, which cannot "
            "authorise a promotion on the control plane; pass the promotion credential "
            "(e.g. `${{ secrets.CP_ADMIN_API_TOKEN }}`) — or list the required ones in the "
            "policy's promote.required_secrets",
            "no-credential",
            job=job.id,
        )


RULE = Rule(
    id="required-secret-not-referenced",
    severity="error",
    summary="A promote job does not reference the secrets promotion requires.",
    what="""
For each artifact promote job: every secret in the policy's
`promote.required_secrets` must be referenced by the job — in `env`, `with`,
`run`, `secrets:` of a reusable call, or any expression (so
`cond && secrets.A || secrets.B` references both). Without that list, the
promote must reference at least one secret that is not a platform token
(`GITHUB_TOKEN`, `GITEA_TOKEN`, ...), or authenticate keylessly (OIDC cloud
login, `id-token: write`). `secrets: inherit` and dynamic `secrets[...]` count
as referencing everything.
""",
    why="""
A promote that carries no admin credential cannot change the control plane's
pin: its request is rejected, and unless everything else is fail-loud, that
rejection is silent. An empty secret is the empty string, silently, too.
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
    strategy:
      fail-fast: false
      matrix:
        target: [prod, staging]
    env:
      TOKEN: ${{ secrets.CP_ADMIN_API_TOKEN }}
      DIGEST: ${{ needs.publish.outputs.digest }}
    steps:
      - name: Pin the digest on the control plane
        run: |
          curl --fail-with-body -sS -X POST -H "Authorization: Bearer $TOKEN" \\
            -d "digest=$DIGEST" https://cp.${{ matrix.target }}.example.com/promote
  verify:
    needs: [publish, promote]
    runs-on: ubuntu-latest
    strategy:
      fail-fast: false
      matrix:
        target: [prod, staging]
    steps:
      - name: Read the pin back
        env:
          DIGEST: ${{ needs.publish.outputs.digest }}
        run: test "$(curl --fail-with-body -sS https://cp.${{ matrix.target }}.example.com/pin)" = "$DIGEST"
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
    strategy:
      fail-fast: false
      matrix:
        target: [prod, staging]
    env:
      TOKEN: ${{ matrix.target == 'prod' && secrets.CP_ADMIN_API_TOKEN || secrets.CP_ADMIN_API_TOKEN_STAGING }}
      DIGEST: ${{ needs.publish.outputs.digest }}
    steps:
      - name: Pin the digest on the control plane
        run: |
          curl --fail-with-body -sS -X POST -H "Authorization: Bearer $TOKEN" \\
            -d "digest=$DIGEST" https://cp.${{ matrix.target }}.example.com/promote
  verify:
    needs: [publish, promote]
    runs-on: ubuntu-latest
    strategy:
      fail-fast: false
      matrix:
        target: [prod, staging]
    steps:
      - name: Read the pin back
        env:
          DIGEST: ${{ needs.publish.outputs.digest }}
        run: test "$(curl --fail-with-body -sS https://cp.${{ matrix.target }}.example.com/pin)" = "$DIGEST"
""",
    example_line=19,
    example_path='.github/workflows/release.yml',
    example_policy="""
version: 1
promote:
  # each environment's control plane has its own admin token
  required_secrets: [CP_ADMIN_API_TOKEN, CP_ADMIN_API_TOKEN_STAGING]
""",
    check=check,
    tags=("promote", "secrets"),
)
