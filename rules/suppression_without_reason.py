"""suppression-without-reason: an inline ignore comment without a reason."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.findings import Hit
from auditor.rule import Rule, RuleContext
from auditor.span import Span
from auditor.suppress import suppressions


def check(ctx: RuleContext) -> Iterator[Hit]:
    source = ctx.file.source
    if source is None:
        return
    for item in suppressions(source.text):
        if item.reason:
            continue
        names = ", ".join(item.rules) or "(no rule)"
        yield Hit(
            f"'auditor: ignore[{names}]' has no reason, so it suppresses nothing; write why "
            "after the bracket, e.g. '# auditor: ignore[rule-id] mirror job, removed in Q3'",
            Span(item.line, item.column, item.line, item.end_column),
            "ignore:" + ",".join(item.rules),
        )


RULE = Rule(
    id="suppression-without-reason",
    severity="note",
    summary="An inline suppression without a reason suppresses nothing.",
    what="""
Reports an `# auditor: ignore[rule-id]` comment with no text after the
bracket. Such a comment does not suppress the finding on its line or the
line below; with a reason it does.
""",
    why="""
A suppression is an exception to policy that a reviewer must be able to
judge later. Without the reason it is indistinguishable from a shortcut.
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
      - name: Tell the releases channel
        # auditor: ignore[continue-on-error-on-promote-path]
        continue-on-error: true
        env:
          SLACK_WEBHOOK: ${{ secrets.SLACK_WEBHOOK }}
        run: curl --fail-with-body -sS -d '{"text":"app promoted"}' "$SLACK_WEBHOOK"
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
      - name: Tell the releases channel
        # auditor: ignore[continue-on-error-on-promote-path] a Slack outage must not fail a release
        continue-on-error: true
        env:
          SLACK_WEBHOOK: ${{ secrets.SLACK_WEBHOOK }}
        run: curl --fail-with-body -sS -d '{"text":"app promoted"}' "$SLACK_WEBHOOK"
  verify:
    needs: [publish, promote]
    runs-on: ubuntu-latest
    steps:
      - name: Read the pin back
        env:
          DIGEST: ${{ needs.publish.outputs.digest }}
        run: test "$(curl --fail-with-body -sS https://cp.example.com/pin)" = "$DIGEST"
""",
    example_line=31,
    example_path='.github/workflows/release.yml',
    check=check,
    scope="file",
    kinds=frozenset({"workflow", "action"}),
    tags=("policy",),
)
