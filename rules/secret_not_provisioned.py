"""secret-not-provisioned: a workflow references a secret the inventory does not list."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.findings import Hit, hit_in
from auditor.rule import Rule, RuleContext

_BUILTIN = frozenset({"GITHUB_TOKEN", "GITEA_TOKEN", "FORGEJO_TOKEN"})


def check(ctx: RuleContext) -> Iterator[Hit]:
    inventory = ctx.policy.secrets_inventory
    facts = ctx.facts
    if inventory is None or facts is None:
        return
    workflow = facts.workflow
    known = {n.upper() for n in inventory} | _BUILTIN
    known |= {t.upper() for t in ctx.policy.platform_tokens}
    if workflow.call_secrets is not None:
        known |= {k.upper() for k in workflow.call_secrets}  # passed by the caller
    for r in facts.refs:
        if r.ref.context != "secrets":
            continue
        name = r.ref.part(0)
        if name is None or name.upper() in known:
            continue
        yield hit_in(
            r.scalar, r.ref.start, r.ref.end,
            f"secrets.{name} is not in the secrets inventory "
            f"({ctx.policy.source or 'policy'}: secrets.inventory); a missing secret is the "
            "empty string at run time, silently — provision it (and add it to the inventory) "
            "or fix the name",
            f"{name.upper()}",
            job=r.job.id if r.job is not None else None,
            step=r.step,
        )  # fmt: skip


RULE = Rule(
    id="secret-not-provisioned",
    severity="error",
    summary="A referenced secret is not in the policy's secrets inventory.",
    what="""
With `secrets.inventory` in the policy (a list of names, or a file of one name
a line), reports every `secrets.NAME` reference whose name is not in it.
Platform tokens are always provisioned; in a reusable workflow, the secrets it
declares under `on.workflow_call.secrets` come from the caller and are
skipped. Names compare case-insensitively, as the runner does.
""",
    why="""
A secret that does not exist evaluates to the empty string without any error:
the promote sends an empty bearer token, gets a 401 and — if anything swallows
it — the run stays green.
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
      TOKEN: ${{ secrets.CP_ADMIN_TOKEN }}
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
    example_line=23,
    example_path='.github/workflows/release.yml',
    example_files=(
        ('secrets.txt', """
CP_ADMIN_API_TOKEN
SLACK_WEBHOOK
"""),
    ),
    example_policy="""
version: 1
secrets:
  inventory: secrets.txt   # what is provisioned, one name a line
""",
    check=check,
    tags=("secrets",),
)
