"""What an ``if:`` condition requires: its top-level ``&&`` parts.

``verify-does-not-cover-promote`` asks whether a verify's condition is
stricter than its promote's; that needs the conjuncts of both, compared as
normalised text. The tokenising of ``${{ }}`` itself is ``auditor.expressions``.
"""

from __future__ import annotations

from auditor.expressions import condition_expressions


def split_top(text: str, op: str) -> list[str]:
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


def strip_parens(text: str) -> str:
    while text.startswith("(") and text.endswith(")") and split_top(text[1:-1], "&&"):
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
        body = strip_parens(" ".join(expr.body.split()))
        if len(split_top(body, "||")) > 1:
            return None
        parts.extend(strip_parens(p) for p in split_top(body, "&&"))
    return parts
