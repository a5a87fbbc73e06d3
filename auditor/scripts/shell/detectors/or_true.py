"""``or-true``: ``cmd || true`` discards the failure of a command that matters."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from tree_sitter import Node

from auditor.scripts.issues import ScriptIssue
from auditor.scripts.shell.body import Body
from auditor.scripts.shell.detectors.base import Detector
from auditor.scripts.shell.source import Source, norm
from auditor.scripts.shell.tree import CLIMB, Tree, is_statement, statement_of, value_holder
from auditor.scripts.shell.values import Comparison
from auditor.scripts.shell.words import static

__all__ = ["DETECTOR", "Swallow", "fails", "records_outcome", "swallower"]


@dataclass(frozen=True, slots=True)
class Swallow:
    """The right-hand side of ``||`` that swallows a failure: how it reads, and what it prints.

    ``value`` is what the fallback writes to stdout (``echo false`` → ``false``,
    ``true`` → ``""``), None when that is not known statically: inside
    ``x=$(cmd || echo false)`` it is the value ``x`` gets when ``cmd`` fails.
    """

    text: str
    value: str | None


def swallower(src: Source, node: Node) -> Swallow | None:
    """What a right-hand side of ``||`` does if it swallows the failure, else None.

    ``true``, ``:``, ``/bin/true``, ``echo …``, ``printf …``, ``exit 0``,
    ``return 0``, ``continue``, ``break``, and a ``{ …; }`` group of those.
    """
    while node.type == "redirected_statement":
        body = node.child_by_field_name("body")
        if body is None:
            return None
        node = body
    if node.type in ("compound_statement", "subshell"):
        statements = [c for c in node.children if is_statement(c)]
        if not statements:
            return None
        if any(swallower(src, s) is None for s in statements):
            return None
        return Swallow(norm(src.orig(node), 30), None)
    if node.type != "command":
        return None
    name = node.child_by_field_name("name")
    if name is None:
        return None
    word = static(src, name.named_children[0]) if name.named_child_count == 1 else None
    if word is None:
        return None
    args = node.children_by_field_name("argument")
    vals = [static(src, a) for a in args]
    if word in ("true", ":", "/bin/true", "/usr/bin/true"):
        return Swallow(word, "")
    if word == "echo":
        printed = None if any(v is None for v in vals) or any(v.startswith("-") for v in vals if v) else (
            " ".join(v for v in vals if v is not None)
        )  # fmt: skip
        return Swallow(norm(src.orig(node), 30), printed)
    if word == "printf":
        fmt = vals[0] if vals and len(vals) == 1 else None
        printed = fmt.replace("\\n", "\n").rstrip("\n") if fmt is not None and "%" not in fmt else None
        return Swallow(norm(src.orig(node), 30), printed)
    if word in ("exit", "return"):
        return Swallow(f"{word} 0", "") if vals[:1] == ["0"] else None
    if word in ("continue", "break"):
        return Swallow(word, "")
    return None


def fails(src: Source, node: Node) -> bool:
    """Whether a statement always fails loud: ``exit N`` (N≠0), ``false``, ``return N``, or a group ending so."""
    while node.type == "redirected_statement":
        body = node.child_by_field_name("body")
        if body is None:
            return False
        node = body
    if node.type in ("compound_statement", "subshell"):
        statements = [c for c in node.children if is_statement(c)]
        return bool(statements) and fails(src, statements[-1])
    if node.type != "command":
        return False
    name = node.child_by_field_name("name")
    word = static(src, name.named_children[0]) if name is not None and name.named_child_count == 1 else None
    if word == "false":
        return True
    if word in ("exit", "return"):
        vals = [static(src, a) for a in node.children_by_field_name("argument")]
        return bool(vals) and vals[0] != "0"
    return False


_OUTCOME = re.compile(r"(>>?|\btee\b[^|;&\n]*)\s*\"?\$\{?GITHUB_(OUTPUT|ENV)\b")


def records_outcome(src: Source, node: Node) -> bool:
    """Whether ``node`` writes to ``$GITHUB_OUTPUT``/``$GITHUB_ENV`` (a redirect or ``tee``)."""
    text = src.src(node)
    if "GITHUB_OUTPUT" not in text and "GITHUB_ENV" not in text:
        return False
    return _OUTCOME.search(text) is not None


def _outcome_recorded_after(t: Tree, node: Node) -> bool:
    """``cmd || echo … && echo "ok=false" >> "$GITHUB_OUTPUT"``: a later element of an enclosing list records it."""
    src = t.src
    child = node
    up = t.parent(node)
    for _ in range(CLIMB):
        if up is None or up.type not in ("list", "redirected_statement"):
            return False
        if up.type == "list":
            after = False
            for c in t.children(up):
                if c == child:
                    after = True
                elif after and is_statement(c) and records_outcome(src, c):
                    return True
        child, up = up, t.parent(up)
    return False


def _holding_statement(t: Tree, node: Node) -> Node:
    """The statement of its block that ``node`` (a list) is, or is part of."""
    up = t.parent(node)
    for _ in range(CLIMB):
        if up is None or up.type not in ("list", "redirected_statement", "pipeline", "negated_command"):
            break
        node, up = up, t.parent(up)
    return node


# --- fail-safe fallbacks: `x=$(cmd || echo false)` feeding a test

Effect = Literal["exit0", "noop", "work"]
_RANK: dict[str, int] = {"exit0": 0, "noop": 1, "work": 2}
_NOOPS = frozenset({"echo", "printf", "true", ":", "/bin/true"})


def _effect(src: Source, statements: list[Node]) -> Effect:
    """What a branch does: stops the remaining work with success, does nothing of note, or does work.

    ``exit 1``, ``false`` and any command other than ``echo``/``printf``/
    ``true``/``:``/an assignment count as work; ``exit 0``, ``return 0``,
    ``continue`` and ``break`` stop with success (after whatever came first).
    """
    worked = False
    for s in statements:
        if fails(src, s):
            return "work"
        if records_outcome(src, s):
            worked = True  # `echo "ok=false" >> "$GITHUB_OUTPUT"`: a decision a later step acts on
            continue
        inner = s
        while inner.type == "redirected_statement":
            body = inner.child_by_field_name("body")
            if body is None:
                break
            inner = body
        if inner.type == "variable_assignment":
            continue
        if inner.type != "command":
            worked = True  # a loop, a condition, a group: something happens
            continue
        name = inner.child_by_field_name("name")
        word = static(src, name.named_children[0]) if name is not None and name.named_child_count == 1 else None
        if word in ("exit", "return", "continue", "break"):
            return "work" if worked else "exit0"
        if word in _NOOPS:
            continue
        worked = True
    return "work" if worked else "noop"


def _body_of(children: list[Node], start: str, stops: tuple[str, ...]) -> list[Node]:
    out: list[Node] = []
    inside = False
    for c in children:
        if c.type == start:
            inside = True
        elif c.type in stops:
            break
        elif inside and is_statement(c):
            out.append(c)
    return out


def _branches(t: Tree, test: Node, holds: bool) -> tuple[list[Node], list[Node]] | None:
    """(statements run, statements not run) when ``test`` evaluates to ``holds``; None when that is unknown.

    ``if [ … ]; then A; else B; fi``, ``[ … ] && A``, ``[ … ] || B``, with
    ``!`` in front; as the first test of an ``if`` condition list, ``T || U``
    decides when ``T`` holds and ``T && U`` when it does not. An ``elif`` or
    anything more involved is unknown.
    """
    node = test
    up = t.parent(node)
    if up is not None and up.type == "negated_command":
        holds, node, up = not holds, up, t.parent(up)
    if up is None:
        return None
    if up.type == "list":
        parts = [c for c in t.children(up) if is_statement(c)]
        ops = [c.type for c in t.children(up) if c.type in ("&&", "||")]
        if len(parts) != 2 or parts[0] != node or not ops:
            return None
        decided = holds if ops[0] == "||" else not holds
        owner = t.parent(up)
        in_condition = owner is not None and owner.type == "if_statement"
        if in_condition and owner is not None and _body_of(t.children(owner), "if", ("then",)) == [up]:
            if not decided:
                return None  # the rest of the condition decides
            node, up = up, owner  # the whole condition is known: `holds` for `||`, not for `&&`
        else:
            ran = [parts[1]] if holds == (ops[0] == "&&") else []
            return ran, [parts[1]] if not ran else []
    if up.type != "if_statement":
        return None
    children = t.children(up)
    if _body_of(children, "if", ("then",)) != [node] or any(c.type == "elif_clause" for c in children):
        return None
    then = _body_of(children, "then", ("else_clause", "fi"))
    else_clause = next((c for c in children if c.type == "else_clause"), None)
    other = _body_of(t.children(else_clause), "else", ()) if else_clause is not None else []
    return (then, other) if holds else (other, then)


def _fallback_verdict(t: Tree, comparisons: list[Comparison], default: str, after: int) -> bool | None:
    """Whether the default a fallback prints sends every simple test of it down the safe branch.

    Only the tests after the assignment (byte ``after``) count. True: safe
    (the default runs the checks, fails, or records a negative outcome);
    False: some test sends the default down a branch that does less than the
    other one would (skips the checks, exits 0); None: no test could be judged.
    """
    judged = False
    for comparison in comparisons:
        if comparison.test.start_byte < after:
            continue
        branches = _branches(t, comparison.test, comparison.holds(default))
        if branches is None:
            continue
        taken, untaken = branches
        judged = True
        if _RANK[_effect(t.src, taken)] < _RANK[_effect(t.src, untaken)]:
            return False
    return True if judged else None


def find(body: Body) -> Iterator[ScriptIssue]:
    t = body.t
    src = body.src
    for rec in t.lists:
        node = rec.node
        children = t.children(node)
        if not any(c.type == "||" for c in children):
            continue
        named = [c for c in children if is_statement(c)]
        if len(named) < 2:
            continue
        left, right = named[0], named[-1]
        swallow = swallower(src, right)
        if swallow is None or body.quiet(node.start_byte):
            continue
        parent = t.parent(node)
        if parent is not None and parent.type == "list" and any(c.type == "&&" for c in t.children(parent)):
            after = [c for c in t.children(parent) if is_statement(c)][-1]
            if after != node and fails(src, after):
                continue  # `cmd || echo … && exit 1`: it still fails
        cmd = body.first_failing(left, rec.depth, reads=False)
        if cmd is None:
            continue
        if rec.depth and _value_decides(body, rec.sub, node, swallow):
            continue
        if records_outcome(src, right) or records_outcome(src, statement_of(t, node)):
            continue  # `… || echo "ok=false" >> "$GITHUB_OUTPUT"`: a later step decides on the value
        if _outcome_recorded_after(t, node):
            continue  # `cmd && echo "ok=true" >> … || echo "ok=false" >> …`
        following = t.next_sibling(_holding_statement(t, node))
        if following is not None and fails(src, following):
            continue  # `docker logs x || true` then `exit 1`: diagnostics on the way to failing
        yield body.issue(
            "or-true",
            f"`|| {swallow.text}` discards the failure of `{body.short(cmd)}`, so the step succeeds when it fails; "
            "drop the fallback and let it fail, or handle the error and `exit 1`.",
            node,
            node,
            norm(src.orig(cmd.node)) + " || " + norm(src.orig(right), 20),
        )


def _value_decides(body: Body, sub: Node | None, node: Node, swallow: Swallow) -> bool:
    """Whether the fallback only yields a value that a later test turns into the safe decision.

    ``code=$(curl … || echo 000)`` + ``[ "$code" = 200 ] || exit 1``: the
    failure becomes a value the test acts on. When the fallback's value is
    known and the variable is compared with a literal, the branch that value
    takes must be the safe one (see :func:`_fallback_verdict`); otherwise any
    test of the value counts.
    """
    t = body.t
    if sub is None:
        return False
    holder = value_holder(t, sub)
    if holder is not None and holder.type == "variable_assignment" and swallow.value is not None:
        var = holder.child_by_field_name("name")
        name = (var.text or b"").decode() if var is not None else ""
        verdict = _fallback_verdict(t, body.values.comparisons(name), swallow.value, sub.end_byte)
        if verdict is not None:
            return verdict
    return body.substitution_tested(node, "any", sub)


DETECTOR = Detector(
    id="or-true",
    summary="a command that can fail is followed by `|| true` (`:`, `echo`, `exit 0`...), discarding its failure",
    what="""
`cmd || true` (also `|| :`, `|| /bin/true`, `|| echo …`, `|| printf …`,
`|| exit 0`, `|| return 0`, `|| continue` and a `{ …; }` group made only of
those) where `cmd` is a command whose failure matters (a push, a deploy, a
request, a repository script…; cleanup such as `rm -f x || true` is not).
Not reported when the fallback still fails loud (`|| echo … && exit 1`), a
test is on the left (`[ … ] || …` is control flow), the outcome is recorded
for a later step (`|| echo "ok=false" >> "$GITHUB_OUTPUT"`), the next
statement fails the step anyway (`docker logs x || true` then `exit 1`), or
the fallback only yields a value that is then tested: `code=$(curl … || echo
000)` + `[ "$code" = 200 ] || exit 1`. When that value is compared with a
literal (`enabled=$(gh api … || echo true)` + `if [ "$enabled" = true ];
then ./run-checks.sh; fi`), the branch the fallback's value takes must be
the safe one — the one that runs the checks or fails, not the one that skips
them or exits 0 — or it is reported.
""",
    why="""
The exit status of the command is thrown away: the push or the promotion
fails, and the step is green. A fallback that defaults to "skip the checks"
is the same loss, one assignment later.
""",
    example="docker push registry.example.com/app:1 || true\n",
    use_instead='docker push registry.example.com/app:1 || { echo "::error::push failed"; exit 1; }\n',
    find=find,
)
