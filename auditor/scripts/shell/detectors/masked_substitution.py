"""``masked-substitution``: the status of ``$(cmd)`` is discarded by what takes its value."""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from auditor.scripts.issues import ScriptIssue
from auditor.scripts.shell.body import Body
from auditor.scripts.shell.commands import Cmd, can_fail
from auditor.scripts.shell.consumers import PRINTERS
from auditor.scripts.shell.detectors.base import Detector
from auditor.scripts.shell.detectors.or_true import swallower
from auditor.scripts.shell.source import norm
from auditor.scripts.shell.tree import CLIMB, Rec, Tree, is_statement

__all__ = ["DETECTOR"]


def _status_part(t: Tree, sub: Node) -> Node | None:
    """The part of ``$(…)`` whose status is the substitution's: its last statement.

    None when that status is forced to 0 by a swallowing fallback
    (``$(cmd || echo false)``): nothing is left to mask, and ``or-true``
    judges the fallback.
    """
    statements = [c for c in t.children(sub) if is_statement(c)]
    if not statements:
        return None
    last = statements[-1]
    inner = last
    while inner.type == "redirected_statement":
        body = inner.child_by_field_name("body")
        if body is None:
            break
        inner = body
    if inner.type == "list":
        parts = [c for c in t.children(inner) if is_statement(c)]
        ops = [c.type for c in t.children(inner) if c.type in ("&&", "||")]
        if parts and ops and ops[-1] == "||" and swallower(t.src, parts[-1]) is not None:
            return None
    return last


def _declared_failure(body: Body, sub: Rec) -> Cmd | None:
    """The first command of the substitution's status part that can fail at all (see :func:`may_fail`)."""
    t = body.t
    part = _status_part(t, sub.node)
    if part is None:
        return None
    inner = part
    for _ in range(CLIMB):
        body_node = inner.child_by_field_name("body") if inner.type == "redirected_statement" else None
        if body_node is None:
            break
        inner = body_node
    if inner.type == "pipeline" and not body.option_on("pipefail", sub.node.start_byte):
        elements = [c for c in t.children(inner) if is_statement(c)]
        part = elements[-1] if elements else part
    return body.first_matching(part, sub.depth, "may-fail")


def _consumer(t: Tree, sub: Node) -> Node | None:
    """What takes the value of the ``$(...)`` ``sub`` when that discards its status.

    A ``declaration_command`` (``local x=$(…)``), a ``command`` using it as an
    argument, environment prefix or heredoc line, or a ``for_statement``
    list. None when the status survives (a plain ``x=$(…)``) or the value is
    tested (``[ "$(…)" = ok ]``, ``case $(…) in``), where an empty result
    fails the test.
    """
    child = sub
    up = t.parent(sub)
    for _ in range(CLIMB):
        if up is None:
            return None
        kind = up.type
        if kind in ("string", "concatenation", "expansion", "heredoc_body"):
            pass
        elif kind == "variable_assignment":
            owner = t.parent(up)
            if owner is not None and owner.type in ("declaration_command", "command"):
                return owner
            return None  # `x=$(cmd)` keeps cmd's status
        elif kind == "command":
            name = up.child_by_field_name("name")
            if name is not None and name.start_byte <= child.start_byte < name.end_byte:
                return None  # `$(cmd) args`: runs the output; its status is the step's
            return up
        elif kind == "heredoc_redirect":
            owner = t.parent(up)
            body = owner.child_by_field_name("body") if owner is not None else None
            return body if body is not None and body.type == "command" else None
        elif kind == "for_statement":
            return up
        else:
            return None  # a test, a redirect target, arithmetic...: not masked, or not our business
        child, up = up, t.parent(up)
    return None


def find(body: Body) -> Iterator[ScriptIssue]:
    t = body.t
    src = body.src
    reported: set[int] = set()
    for sub in t.substitutions:
        node = sub.node
        if node.type != "command_substitution":
            continue
        consumer = _consumer(t, node)
        if consumer is None or consumer.id in reported or body.quiet(consumer.start_byte):
            continue
        kind = consumer.type
        if kind == "for_statement":
            continue  # the `for` lists: below
        if kind == "declaration_command":
            status = _declared_failure(body, sub)
            if status is None:
                continue
            # Name the command whose failure matters most: a request or a push, else the status one.
            cmd = body.first_failing(node, sub.depth, reads=True) or status
            keyword = consumer.children[0].type if consumer.child_count else "local"
            assignment = t.parent(node)
            for _ in range(CLIMB):
                if assignment is None or assignment.type == "variable_assignment":
                    break
                assignment = t.parent(assignment)
            var = assignment.child_by_field_name("name") if assignment is not None else None
            var_name = src.src(var) if var is not None else "x"
            message = (
                f"`{keyword} {var_name}=$(…)` returns the status of `{keyword}`, not of `{body.short(cmd)}`, so "
                f"its failure is ignored; declare first (`{keyword} {var_name}`), then assign "
                f"(`{var_name}=$(…)`)."
            )
            start = consumer
        else:
            inner = body.first_failing(node, sub.depth, reads=True)
            if inner is None:
                continue
            cmd = inner
            outer = body.cmd(consumer)
            if outer is None or outer.base in ("[", "test", "exit", "return"):
                continue
            # Only where the lost value matters: it is printed (to $GITHUB_OUTPUT, a
            # file, the log) or handed to a command that itself can fail meaningfully.
            # `docker logs "$(docker ps -q)"` or `docker rmi $(docker images -q)` is
            # housekeeping.
            if outer.base not in PRINTERS and not can_fail(outer, False):
                continue
            message = (
                f"the status of `{body.short(cmd)}` inside `$(…)` is discarded by "
                f"`{norm(src.orig(consumer), 30)}`, so its failure is ignored; assign it first "
                '(`v=$(…)`, which fails the step under `-e`), then use `"$v"`.'
            )
            start = node
        reported.add(consumer.id)
        yield body.issue("masked-substitution", message, start, start, norm(src.orig(consumer)))
    yield from _for_lists(body)


def _for_lists(body: Body) -> Iterator[ScriptIssue]:
    """``for x in $(cmd); do …; done``: the loop runs over nothing when ``cmd`` fails."""
    t = body.t
    src = body.src
    for rec in t.fors:
        loop = rec.node
        if body.quiet(loop.start_byte):
            continue
        loop_body = loop.child_by_field_name("body")
        if loop_body is None or not _uses_value(body, loop_body, rec.depth):
            continue  # a loop that only inspects or cleans up
        for value in loop.children_by_field_name("value"):
            sub = _substitution_in(t, value)
            if sub is None:
                continue
            cmd = body.first_failing(sub, rec.depth + 1, reads=True)
            if cmd is None:
                continue
            yield body.issue(
                "masked-substitution",
                f"the status of `{body.short(cmd)}` in the `for` list is discarded, so its failure is "
                "ignored and the loop runs over nothing; assign the list first (`v=$(…)`).",
                sub,
                sub,
                norm(src.orig(loop)),
            )
            break


def _substitution_in(t: Tree, value: Node) -> Node | None:
    """The ``$(…)`` a ``for`` list word is, or holds (``"$(cmd)"``, ``x$(cmd)``)."""
    stack = [value]
    for _ in range(CLIMB):
        if not stack:
            return None
        node = stack.pop(0)
        if node.type == "command_substitution":
            return node
        if node.type in ("string", "concatenation"):
            stack.extend(t.children(node))
    return None


def _uses_value(body: Body, loop_body: Node, depth: int) -> bool:
    """Whether the loop's work depends on its list: it runs a command whose failure matters, or only prints.

    A body of ``echo``/``printf``… alone produces the list as output (tags,
    a matrix, ``$GITHUB_OUTPUT`` lines): an empty list is a lost result. A body
    that also runs other, harmless commands (``kubectl describe``, ``docker
    rm``, ``az … delete``) is diagnostics or housekeeping.
    """
    if body.first_failing(loop_body, depth, reads=False) is not None:
        return True
    return (
        body.first_matching(loop_body, depth, "printer") is not None
        and body.first_matching(loop_body, depth, "non-printer") is None
    )


DETECTOR = Detector(
    id="masked-substitution",
    summary='`local/export/declare x=$(cmd)` or `echo "$(cmd)"` discards the status of `cmd`',
    what="""
`local/export/declare/readonly/typeset x=$(cmd)` where `cmd` (the command
whose status the substitution returns: the last of a pipeline without
pipefail) can fail at all — `cat f`, `git rev-parse`, `jq`, `curl`…; only
commands that cannot fail on valid use (`echo`, `pwd`, `basename`, `tr`,
text filters reading stdin) are left out — and the declaration returns its
own status instead. Also `$(cmd)` in the arguments, environment prefix or
heredoc of another command (`echo "d=$(crane digest …)"`) and in a `for`
list, where `cmd` is a command whose failure matters and the lost value
matters: the outer command prints it (`echo`, `printf`, `cat`, `tee`) or can
fail meaningfully itself, and a `for` loop's body prints or runs such a
command (`docker logs "$(docker ps -q)"` is housekeeping). A plain
`x=$(cmd)` keeps `cmd`'s status and is fine; so is a substitution inside a
test (`[ "$(cmd)" = ok ]`, `case`), whose empty result fails the test, and
`x=$(cmd || echo false)`, whose fallback `or-true` judges.
""",
    why="""
`local digest=$(crane digest "$IMAGE")` succeeds when crane fails: `local`
reports its own success, errexit never fires, and the promote goes on with
an empty digest.
""",
    example='export DIGEST=$(crane digest "$IMAGE")\n',
    use_instead='DIGEST=$(crane digest "$IMAGE")\nexport DIGEST\n',
    find=find,
)
