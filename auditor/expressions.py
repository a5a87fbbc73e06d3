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
from dataclasses import dataclass

CONTEXTS = frozenset(
    {
        "github", "gitea", "forgejo", "env", "vars", "job", "jobs", "steps", "runner",
        "secrets", "strategy", "matrix", "needs", "inputs",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Expression:
    """One ``${{ … }}`` (or a bare ``if:`` condition) inside a string value."""

    start: int  # offset of '$' (or of the condition's first character)
    end: int  # offset after '}}' (or the end of the string)
    body_start: int
    body: str
    terminated: bool


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
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


def references_in_tokens(tokens: list[_Token], source: str) -> list[Reference]:
    """Context references among ``tokens``; ``source`` is the string offsets index."""
    refs: list[Reference] = []
    i = 0
    n = len(tokens)
    while i < n:
        tok = tokens[i]
        prev = tokens[i - 1] if i else None
        is_call = i + 1 < n and tokens[i + 1].kind == "lparen"
        if (
            tok.kind == "ident"
            and tok.text in CONTEXTS
            and not is_call
            and (prev is None or prev.kind not in ("dot",))
        ):
            path: list[str | None] = []
            end = tok.end
            j = i + 1
            while j < n:
                t = tokens[j]
                if t.kind == "dot" and j + 1 < n and tokens[j + 1].kind in ("ident", "star"):
                    nxt = tokens[j + 1]
                    path.append(nxt.text if nxt.kind == "ident" else None)
                    end = nxt.end
                    j += 2
                    continue
                if t.kind == "dot" and j + 1 < n and tokens[j + 1].kind == "number":
                    # ``steps.a.outputs.0`` is not valid, but keep scanning sane.
                    path.append(tokens[j + 1].text)
                    end = tokens[j + 1].end
                    j += 2
                    continue
                if t.kind == "lbracket":
                    close = _matching_bracket(tokens, j)
                    inner = tokens[j + 1 : close] if close > j else []
                    if len(inner) == 1 and inner[0].kind == "string":
                        path.append(inner[0].text)
                    elif len(inner) == 1 and inner[0].kind == "star":
                        path.append(None)
                    else:
                        path.append(None)
                        # references inside the index are references too
                        refs.extend(references_in_tokens(inner, source))
                    if close < 0:
                        j = n
                        break
                    end = tokens[close].end
                    j = close + 1
                    continue
                break
            refs.append(Reference(tok.text, tuple(path), source[tok.start : end], tok.start, end))
            i = j
            continue
        i += 1
    return refs


def _matching_bracket(tokens: list[_Token], open_index: int) -> int:
    depth = 0
    for k in range(open_index, len(tokens)):
        kind = tokens[k].kind
        if kind == "lbracket":
            depth += 1
        elif kind == "rbracket":
            depth -= 1
            if depth == 0:
                return k
    return -1


def references(value: str, *, condition: bool = False) -> list[Reference]:
    """All context references in a string value (offsets index ``value``).

    With ``condition=True`` the value is an ``if:`` and is an expression even
    without ``${{ }}``.
    """
    if not condition and "${{" not in value:
        return []
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
