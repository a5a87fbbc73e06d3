"""promote-without-verify: an artifact promote has no verify job depending on it."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.findings import Hit, hit
from auditor.kinds import Role
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
)
