"""verify-does-not-cover-promote: the verify job does not check what the promote did."""

from __future__ import annotations

import re
from collections.abc import Iterator

from auditor import roles
from auditor.expressions import condition_expressions
from auditor.findings import Hit, hit
from auditor.graph import JobGraph
from auditor.model import Job
from auditor.rule import Rule, RuleContext

_OK_STATUS = re.compile(r"^(?:success\(\)|always\(\)|!\s*cancelled\(\)|!\s*failure\(\))$")
_RESULT = re.compile(
    r"^needs\.[\w-]+\.result\s*(==|!=)\s*'(\w+)'$|^'(\w+)'\s*(==|!=)\s*needs\.[\w-]+\.result$"
)


def _split_top(text: str, op: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    quote = False
    start = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "'":
            quote = not quote
        elif not quote and ch == "(":
            depth += 1
        elif not quote and ch == ")":
            depth -= 1
        elif not quote and depth == 0 and text.startswith(op, i):
            parts.append(text[start:i])
            start = i + len(op)
            i += len(op)
            continue
        i += 1
    parts.append(text[start:])
    return [" ".join(p.split()) for p in parts if p.strip()]


def _strip_parens(text: str) -> str:
    while text.startswith("(") and text.endswith(")") and _split_top(text[1:-1], "&&"):
        inner = text[1:-1]
        depth = 0
        balanced = True
        for ch in inner:
            depth += ch == "("
            depth -= ch == ")"
            if depth < 0:
                balanced = False
                break
        if not balanced:
            break
        text = inner.strip()
    return text


def conjuncts(condition: str) -> list[str] | None:
    """Top-level ``&&`` parts of an ``if:``; None when a top-level ``||`` makes it loose."""
    parts: list[str] = []
    for expr in condition_expressions(condition):
        body = _strip_parens(" ".join(expr.body.split()))
        if len(_split_top(body, "||")) > 1:
            return None
        parts.extend(_strip_parens(p) for p in _split_top(body, "&&"))
    return parts


def _harmless(part: str) -> bool:
    if _OK_STATUS.match(part):
        return True
    m = _RESULT.match(part)
    if m:
        op = m.group(1) or m.group(4)
        value = m.group(2) or m.group(3)
        return (op == "==" and value == "success") or (op == "!=" and value != "success")
    return False


def stricter_parts(graph: JobGraph, promote: Job, verify: Job) -> list[str]:
    """Parts of the verify's ``if:`` that may skip it although the promote ran."""
    if verify.if_ is None or verify.if_.kind != "str":
        return []
    mine = conjuncts(verify.if_.value)
    if mine is None:
        return [] if "failure()" not in verify.if_.value else [verify.if_.value.strip()]
    allowed: set[str] = set()
    for job_id in {promote.id} | graph.ancestors(promote.id):
        other = graph.jobs[job_id]
        if other.if_ is not None and other.if_.kind == "str":
            allowed.update(conjuncts(other.if_.value) or [])
    return [p for p in mine if not _harmless(p) and p not in allowed]


def _legs_problem(promote: Job, verify: Job) -> str | None:
    p_legs = roles.matrix_legs(promote)
    v_legs = roles.matrix_legs(verify)
    if p_legs is None or v_legs is None or len(p_legs) <= 1:
        return None
    if v_legs == [{}]:
        return (f"'{promote.id}' runs {len(p_legs)} matrix legs "
                f"({'; '.join(roles.leg_text(leg) for leg in p_legs[:4])}) but '{verify.id}' "
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
            f"{'; '.join(roles.leg_text(leg) for leg in missing[:4])} of '{promote.id}': those "
            "targets are promoted but never read back — give the verify the promote's matrix")


def check(ctx: RuleContext) -> Iterator[Hit]:
    graph = ctx.graph
    if graph is None:
        return
    policy = ctx.policy
    for promote in graph.workflow.jobs:
        if promote.id not in graph.artifact_promotes:
            continue
        p_digests = roles.digest_origins(graph, promote.id, policy)
        for verify_id in roles.verifies_of(graph, promote.id):
            if verify_id == promote.id:
                continue
            verify = graph.jobs[verify_id]
            path = roles.describe_path(graph, verify_id)
            if p_digests and not verify.is_reusable_call:
                v_digests = roles.digest_origins(graph, verify_id, policy)
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
                    from auditor.findings import hit_in

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
                node = verify.matrix or verify.strategy or verify.key
                yield hit(node, f"{problem} (path {path})", f"legs:{promote.id}", job=verify_id)
            parts = stricter_parts(graph, promote, verify)
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
  promote-pin:
    needs: publish
    strategy: {matrix: {target: [prod, staging]}}
    steps: [{run: './promote.sh ${{ matrix.target }} ${{ needs.publish.outputs.digest }}'}]
  verify-pin:
    needs: [publish, promote-pin]
    steps: [{run: ./verify.sh prod}]
""",
    use_instead="""
  promote-pin:
    needs: publish
    strategy: {matrix: {target: [prod, staging]}}
    steps: [{run: './promote.sh ${{ matrix.target }} ${{ needs.publish.outputs.digest }}'}]
  verify-pin:
    needs: [publish, promote-pin]
    strategy: {matrix: {target: [prod, staging]}}
    steps: [{run: './verify.sh ${{ matrix.target }} ${{ needs.publish.outputs.digest }}'}]
""",
    check=check,
    tags=("promote", "verify"),
)
