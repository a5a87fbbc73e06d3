"""verify-does-not-cover-promote: the verify job does not check what the promote did."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.conditions import conjuncts
from auditor.findings import Hit, hit, hit_in
from auditor.model import Job, leg_text
from auditor.roles.digests import digest_origins
from auditor.rule import Rule, RuleContext

if TYPE_CHECKING:
    from auditor.facts import Facts  # the type only: importing it loads the whole analysis

_OK_STATUS = re.compile(r"^(?:success\(\)|always\(\)|!\s*cancelled\(\)|!\s*failure\(\))$")
_RESULT = re.compile(
    r"^needs\.[\w-]+\.result\s*(==|!=)\s*'(\w+)'$|^'(\w+)'\s*(==|!=)\s*needs\.[\w-]+\.result$"
)


def _harmless(part: str) -> bool:
    if _OK_STATUS.match(part):
        return True
    m = _RESULT.match(part)
    if m:
        op = m.group(1) or m.group(4)
        value = m.group(2) or m.group(3)
        return (op == "==" and value == "success") or (op == "!=" and value != "success")
    return False


def stricter_parts(facts: Facts, promote: Job, verify: Job) -> list[str]:
    """Parts of the verify's ``if:`` that may skip it although the promote ran."""
    if verify.if_ is None or verify.if_.kind != "str":
        return []
    mine = conjuncts(verify.if_.value)
    if mine is None:
        return [] if "failure()" not in verify.if_.value else [verify.if_.value.strip()]
    allowed: set[str] = set()
    for job_id in {promote.id} | facts.graph.ancestors(promote.id):
        other = facts.graph.jobs[job_id]
        if other.if_ is not None and other.if_.kind == "str":
            allowed.update(conjuncts(other.if_.value) or [])
    return [p for p in mine if not _harmless(p) and p not in allowed]


def _legs_problem(promote: Job, verify: Job) -> str | None:
    p_legs = promote.matrix.legs
    v_legs = verify.matrix.legs
    if p_legs is None or v_legs is None or len(p_legs) <= 1:
        return None
    if v_legs == ({},):
        return (f"'{promote.id}' runs {len(p_legs)} matrix legs "
                f"({'; '.join(leg_text(leg) for leg in p_legs[:4])}) but '{verify.id}' "
                "runs once, without a matrix: give it the same matrix so every target is read "
                "back")
    shared = set(p_legs[0]).intersection(*map(set, p_legs)) & set(v_legs[0]).intersection(
        *map(set, v_legs))
    missing = []
    for leg in p_legs:
        if shared:
            proj = {k: leg[k] for k in shared}
            ok = any({k: v.get(k) for k in shared} == proj for v in v_legs)
        else:
            ok = any(set(leg.values()) & set(v.values()) for v in v_legs)
        if not ok:
            missing.append(leg)
    if not missing:
        return None
    return (f"'{verify.id}' has no matrix leg for "
            f"{'; '.join(leg_text(leg) for leg in missing[:4])} of '{promote.id}': those "
            "targets are promoted but never read back — give the verify the promote's matrix")


def check(ctx: RuleContext) -> Iterator[Hit]:
    facts = ctx.facts
    if facts is None or not facts.artifact_promotes:
        return
    policy = ctx.policy
    graph = facts.graph
    for promote in facts.workflow.jobs:
        if promote.id not in facts.artifact_promotes:
            continue
        p_digests = digest_origins(graph, facts.refs, promote.id, policy)
        for verify_id in facts.verifies_of(promote.id):
            verify = graph.jobs[verify_id]
            path = facts.describe_path(verify_id)
            if p_digests and not verify.is_reusable_call:
                v_digests = digest_origins(graph, facts.refs, verify_id, policy)
                if not v_digests:
                    yield hit(
                        verify.key,
                        f"verify job '{verify_id}' (path {path}) reads no digest, so it cannot "
                        f"check that '{promote.id}' pinned the image just pushed; pass it the "
                        f"digest the promote used (e.g. "
                        f"`${{{{ {next(iter(p_digests.values())).ref.text} }}}}`) and compare",
                        f"digest:{promote.id}",
                        job=verify_id,
                    )
                elif not set(v_digests) & set(p_digests):
                    ref = next(iter(v_digests.values()))
                    yield hit_in(
                        ref.scalar, ref.ref.start, ref.ref.end,
                        f"verify job '{verify_id}' reads {ref.ref.text}, not the digest "
                        f"'{promote.id}' promoted ({next(iter(p_digests.values())).ref.text}); "
                        "compare against the same digest",
                        f"other-digest:{promote.id}",
                        job=verify_id,
                        step=ref.step,
                    )  # fmt: skip
            problem = _legs_problem(promote, verify)
            if problem is not None:
                node = verify.matrix.value or verify.strategy or verify.key
                yield hit(node, f"{problem} (path {path})", f"legs:{promote.id}", job=verify_id)
            parts = stricter_parts(facts, promote, verify)
            if parts and verify.if_ is not None:
                yield hit(
                    verify.if_,
                    f"verify job '{verify_id}' runs only if `{' && '.join(parts)[:120]}`, which "
                    f"'{promote.id}' does not require: the promote can run while the verify is "
                    "skipped; use the promote's condition (or `success()`/`always()`)",
                    f"if:{promote.id}",
                    job=verify_id,
                )


RULE = Rule(
    id="verify-does-not-cover-promote",
    severity="error",
    summary="A verify job does not check the digest, the targets or the runs of its promote.",
    what="""
For each artifact promote and each verify job that depends on it, reports a
verify that (1) reads no digest, or a different one than the promote consumed
(outputs are followed through `needs` to the step that produced them); (2)
does not run for every leg of the promote's matrix (expanded with
`include`/`exclude`; e.g. prod and staging); or (3) has an `if:` stricter
than the promote's, so the promote can run while the verify is skipped
(`success()`, `always()`, `!cancelled()` and conditions the promote or its
upstream jobs already require are fine).
""",
    why="""
A verify that reads back a different image, checks only prod after promoting
prod and staging, or is skipped on the runs that promote proves nothing about
the promotion that just happened.
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
    steps:
      - name: Read the pin back
        env:
          DIGEST: ${{ needs.publish.outputs.digest }}
        run: test "$(curl --fail-with-body -sS https://cp.prod.example.com/pin)" = "$DIGEST"
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
    example_line=34,
    example_path='.github/workflows/release.yml',
    check=check,
    tags=("promote", "verify"),
)
