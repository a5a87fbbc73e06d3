"""``${{ … }}`` expressions: find them, tokenise them, extract context references.

Rules ask "which secrets does this job read", "which ``needs.J.outputs.O`` does
it use and where exactly", so this module returns every context reference
with its offset inside the string value; ``YScalar.position_of`` turns that
offset into a file line and column. The tokeniser knows string literals (with
``''`` escapes), so ``'needs.x'`` inside quotes is not a reference, and index
access (``secrets['NAME']``, ``secrets[matrix.env]``) is resolved where it is
literal and marked dynamic where it is not.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor import budget
from auditor.record import record

CONTEXTS = frozenset(
    {
        "github", "gitea", "forgejo", "env", "vars", "job", "jobs", "steps", "runner",
        "secrets", "strategy", "matrix", "needs", "inputs",
    }
)  # fmt: skip


@record
class Expression:
    """One ``${{ … }}`` (or a bare ``if:`` condition) inside a string value."""

    start: int  # offset of '$' (or of the condition's first character)
    end: int  # offset after '}}' (or the end of the string)
    body_start: int
    body: str
    terminated: bool


@record
class Reference:
    """A context access such as ``needs.publish.outputs.digest``.

    ``path`` holds the property names after the context; ``None`` marks a
    dynamic index (``secrets[matrix.name]``) or a ``*`` filter.
    """

    context: str
    path: tuple[str | None, ...]
    text: str
    start: int
    end: int

    @property
    def dynamic(self) -> bool:
        return None in self.path

    def part(self, index: int) -> str | None:
        return self.path[index] if index < len(self.path) else None


@record
class _Token:
    kind: str  # ident, string, number, op, dot, lbracket, rbracket, lparen, rparen, comma, star
    text: str
    start: int
    end: int


def find_expressions(value: str) -> Iterator[Expression]:
    """Every ``${{ … }}`` in ``value``; an unterminated one is yielded with ``terminated=False``."""
    pos = value.find("${{")
    while pos >= 0:
        body_start = pos + 3
        close = _find_close(value, body_start)
        if close < 0:
            yield Expression(pos, len(value), body_start, value[body_start:], False)
            return
        yield Expression(pos, close + 2, body_start, value[body_start:close], True)
        pos = value.find("${{", close + 2)


def _find_close(value: str, start: int) -> int:
    """Offset of the ``}}`` closing an expression, skipping string literals."""
    i = start
    n = len(value)
    while i < n:
        ch = value[i]
        if ch == "'":
            end = value.find("'", i + 1)
            while end >= 0 and end + 1 < n and value[end + 1] == "'":
                end = value.find("'", end + 2)
            if end < 0:
                return value.find("}}", i)
            i = end + 1
            continue
        if ch == "}" and i + 1 < n and value[i + 1] == "}":
            return i
        i += 1
    return -1


def condition_expressions(value: str) -> list[Expression]:
    """Expressions of an ``if:`` value: the whole string when it has no ``${{``."""
    if "${{" in value:
        return list(find_expressions(value))
    return [Expression(0, len(value), 0, value, True)]


_OPS2 = ("==", "!=", "<=", ">=", "&&", "||")


def tokenize(body: str, base: int = 0) -> list[_Token]:
    """Tokens of an expression body; offsets are ``base`` + index into ``body``."""
    tokens: list[_Token] = []
    i = 0
    n = len(body)
    while i < n:
        ch = body[i]
        if ch.isspace():
            i += 1
            continue
        start = i
        if ch == "'":
            i += 1
            chars: list[str] = []
            while i < n:
                if body[i] == "'":
                    if i + 1 < n and body[i + 1] == "'":
                        chars.append("'")
                        i += 2
                        continue
                    i += 1
                    break
                chars.append(body[i])
                i += 1
            tokens.append(_Token("string", "".join(chars), base + start, base + i))
            continue
        if ch.isalpha() or ch == "_":
            i += 1
            while i < n and (body[i].isalnum() or body[i] in "_-"):
                i += 1
            tokens.append(_Token("ident", body[start:i], base + start, base + i))
            continue
        if ch.isdigit():
            i += 1
            while i < n and (body[i].isalnum() or body[i] in "._+-"):
                if body[i] in "+-" and body[i - 1] not in "eE":
                    break
                i += 1
            tokens.append(_Token("number", body[start:i], base + start, base + i))
            continue
        two = body[i : i + 2]
        if two in _OPS2:
            tokens.append(_Token("op", two, base + i, base + i + 2))
            i += 2
            continue
        kind = {
            ".": "dot", "[": "lbracket", "]": "rbracket", "(": "lparen", ")": "rparen",
            ",": "comma", "*": "star",
        }.get(ch, "op")  # fmt: skip
        tokens.append(_Token(kind, ch, base + i, base + i + 1))
        i += 1
    return tokens


MAX_REFERENCE_TEXT = 200  # a reference's ``text`` longer than this is cut (messages, subjects)


def references_in_tokens(tokens: list[_Token], source: str) -> list[Reference]:
    """Context references among ``tokens``; ``source`` is the string offsets index.

    A non-literal index (``secrets[matrix.name]``) holds references of its own,
    which come before the reference they index. Indexes nest without limit
    (``secrets[secrets[secrets[...]]]``), so they are followed with an explicit
    stack rather than recursion, and brackets are matched once, in one pass:
    a thousand levels cost neither the recursion limit nor quadratic time.
    """
    if "[" not in source:  # no index anywhere (most expressions): one flat scan
        return [r for r in _scan(tokens, 0, len(tokens), [], source) if isinstance(r, Reference)]
    match = _bracket_pairs(tokens)
    refs: list[Reference] = []
    stack = [_scan(tokens, 0, len(tokens), match, source)]
    while stack:
        item = next(stack[-1], None)
        if item is None:
            stack.pop()
        elif isinstance(item, Reference):
            refs.append(item)
        else:
            stack.append(_scan(tokens, item[0], item[1], match, source))
    return refs


def _scan(
    tokens: list[_Token], lo: int, hi: int, match: list[int], source: str
) -> Iterator[Reference | tuple[int, int]]:
    """References in ``tokens[lo:hi]``; yields ``(lo, hi)`` of an index to scan first."""
    i = lo
    while i < hi:
        tok = tokens[i]
        prev = tokens[i - 1] if i > lo else None
        is_call = i + 1 < hi and tokens[i + 1].kind == "lparen"
        if (
            tok.kind == "ident"
            and tok.text in CONTEXTS
            and not is_call
            and (prev is None or prev.kind not in ("dot",))
        ):
            path: list[str | None] = []
            end = tok.end
            j = i + 1
            while j < hi:
                t = tokens[j]
                if t.kind == "dot" and j + 1 < hi and tokens[j + 1].kind in ("ident", "star"):
                    nxt = tokens[j + 1]
                    path.append(nxt.text if nxt.kind == "ident" else None)
                    end = nxt.end
                    j += 2
                    continue
                if t.kind == "dot" and j + 1 < hi and tokens[j + 1].kind == "number":
                    # ``steps.a.outputs.0`` is not valid, but keep scanning sane.
                    path.append(tokens[j + 1].text)
                    end = tokens[j + 1].end
                    j += 2
                    continue
                if t.kind == "lbracket":
                    close = match[j]
                    if close == j + 2 and tokens[j + 1].kind == "string":
                        path.append(tokens[j + 1].text)
                    else:
                        path.append(None)
                        if close > j + 1 and not (close == j + 2 and tokens[j + 1].kind == "star"):
                            yield (j + 1, close)  # references inside the index are references too
                    if close < 0:
                        j = hi
                        break
                    end = tokens[close].end
                    j = close + 1
                    continue
                break
            text = source[tok.start : min(end, tok.start + MAX_REFERENCE_TEXT)]
            if end - tok.start > MAX_REFERENCE_TEXT:
                text += "…"
            yield Reference(tok.text, tuple(path), text, tok.start, end)
            i = j
            continue
        i += 1


def _bracket_pairs(tokens: list[_Token]) -> list[int]:
    """For each ``[`` token, the index of its ``]`` (-1 when unclosed); -1 elsewhere."""
    match = [-1] * len(tokens)
    opened: list[int] = []
    for k, tok in enumerate(tokens):
        if tok.kind == "lbracket":
            opened.append(k)
        elif tok.kind == "rbracket" and opened:
            match[opened.pop()] = k
    return match


def references(value: str, *, condition: bool = False) -> list[Reference]:
    """All context references in a string value (offsets index ``value``).

    With ``condition=True`` the value is an ``if:`` and is an expression even
    without ``${{ }}``.
    """
    if not condition and "${{" not in value:
        return []
    # charged whether or not the memo knows the value, so a file's count does not depend
    # on which files the process read before it
    budget.charge(len(value))
    key = (value, condition)
    known = _MEMO.get(key)
    if known is None:
        exprs = condition_expressions(value) if condition else find_expressions(value)
        found: list[Reference] = []
        for expr in exprs:
            found.extend(references_in_tokens(tokenize(expr.body, expr.body_start), value))
        known = tuple(found)
        if len(value) <= _MEMO_MAX_CHARS:
            if len(_MEMO) >= _MEMO_MAX_ENTRIES:
                _MEMO.clear()
            _MEMO[key] = known
    return list(known)


# The same expressions recur across files (``${{ secrets.GITHUB_TOKEN }}``,
# ``${{ matrix.os }}``, ``${{ needs.build.outputs.version }}``): on the wild
# corpus 28k calls hold 11k distinct values, and tokenising is the costly part.
# References are immutable and their offsets index the value, so a result is
# valid wherever the same text appears.
_MEMO: dict[tuple[str, bool], tuple[Reference, ...]] = {}
_MEMO_MAX_CHARS = 1024
_MEMO_MAX_ENTRIES = 50_000


def functions_called(body: str) -> set[str]:
    """Names of the functions an expression calls (``always``, ``failure``, ...)."""
    tokens = tokenize(body)
    return {
        t.text
        for k, t in enumerate(tokens)
        if t.kind == "ident" and k + 1 < len(tokens) and tokens[k + 1].kind == "lparen"
    }
