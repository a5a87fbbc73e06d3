"""What a body writes to ``$GITHUB_OUTPUT`` (and the deprecated ``::set-output`` command).

A ``run:`` step sets an output by appending ``name=value`` (or a
``name<<DELIM`` … ``DELIM`` block) to the file ``$GITHUB_OUTPUT`` names:
``echo``/``printf``/``cat <<EOF``/``tee -a`` redirected or piped there,
directly or through a variable assigned from it (``out=$GITHUB_OUTPUT``),
one command at a time or as a ``{ …; } >> "$GITHUB_OUTPUT"`` group. Each
write is located at its name, so a finding about an output points at the
exact column.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from tree_sitter import Node

from auditor.scripts.issues import OutputWrite
from auditor.scripts.shell.commands import Cmd, cmd_of, may_run
from auditor.scripts.shell.source import Source
from auditor.scripts.shell.tree import Tree, is_statement
from auditor.scripts.shell.words import loose

__all__ = ["output_writes"]

_SET_OUTPUT = re.compile(r"::set-output\s+name=([^:\s]*)::")
_ECHO_FLAGS = re.compile(r"-[neE]+")
_OUTPUT_LINE = re.compile(r"[ \t]*((?:\$\{\{.*?\}\}|[^\s=<])+)[ \t]*(<<|=)")


def _output_vars(t: Tree) -> set[str]:
    """``GITHUB_OUTPUT`` and the variables assigned from it (``out=$GITHUB_OUTPUT``)."""
    names = {"GITHUB_OUTPUT"}
    src = t.src
    for a in t.assignments:
        value = a.child_by_field_name("value")
        target = a.child_by_field_name("name")
        if value is None or target is None:
            continue
        if _is_output_target(src.src(value), names):
            names.add(src.src(target))
    return names


_TARGET = re.compile(r'"?\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?"?')


def _is_output_target(text: str, names: set[str]) -> bool:
    m = _TARGET.fullmatch(text.strip())
    return m is not None and m.group(1) in names


@dataclass(slots=True)
class _Line:
    text: str  # original text (``${{ }}`` intact) or an evaluated echo/printf line
    offset: int | None  # character offset of text[0] when the line is verbatim source
    search_from: int  # where to look for a name when offset is None
    fallback: tuple[int, int]


def _emitted_lines(src: Source, cmd: Cmd) -> list[_Line] | None:
    """What ``echo``/``printf`` print, line by line (None: not an echo/printf)."""
    args, vals = cmd.args, cmd.vals
    fallback = src.span(cmd.node)
    if cmd.base == "echo":
        k = 0
        interpret = False
        while k < len(vals) and vals[k] is not None and _ECHO_FLAGS.fullmatch(vals[k] or ""):
            interpret = interpret or "e" in (vals[k] or "")
            k += 1
        pieces = [vals[i] if vals[i] is not None else loose(src, args[i]) for i in range(k, len(args))]
        text = " ".join(p for p in pieces if p is not None)
        if interpret:
            text = text.replace("\\n", "\n")
        start = src.char(args[k].start_byte) if k < len(args) else fallback[0]
    elif cmd.base == "printf":
        if not args:
            return []
        k = 0
        if vals[0] == "-v":
            return []  # printf -v var: writes a variable, not stdout
        if vals[0] == "--":
            k = 1
        if k >= len(args):
            return []
        fmt = vals[k]
        if fmt is None:
            fmt = loose(src, args[k])
        rest: list[str] = []
        for i in range(k + 1, len(args)):
            val = vals[i]
            rest.append(val if val is not None else loose(src, args[i]))
        it = iter(rest)

        def fill(m: re.Match[str]) -> str:
            if m.group() == "%%":
                return "%"
            return next(it, "")

        text = re.sub(r"%%|%[-+ #0-9.]*[a-zA-Z]", fill, fmt or "").replace("\\n", "\n")
        start = src.char(args[k].start_byte)
    else:
        return None
    return [_Line(line, None, start, fallback) for line in text.split("\n")]


def _heredoc_lines(src: Source, body: Node) -> list[_Line]:
    s, e = src.span(body)
    text = src.original[s:e]
    lines: list[_Line] = []
    pos = s
    for line in text.split("\n"):
        lines.append(_Line(line, pos, pos, (pos, pos + len(line))))
        pos += len(line) + 1
    return lines


def _writer_lines(t: Tree, stmt: Node, body: Node | None = None) -> list[_Line]:
    """Lines written by the statement ``stmt`` (redirected to, or piped into, the output).

    ``body``: the part of ``stmt`` whose commands write (default: all of it);
    heredocs are looked for in all of ``stmt``.
    """
    src = t.src
    lines: list[_Line] = []
    scope = body if body is not None else stmt
    lo = bisect.bisect_left(t.command_starts, scope.start_byte)
    hi = bisect.bisect_left(t.command_starts, scope.end_byte)
    base_depth = next((r.depth for r in t.commands[lo:hi]), 0)
    heredoc_bodies: dict[int, Node] = {}
    first = bisect.bisect_left(t.heredoc_starts, stmt.start_byte)
    last = bisect.bisect_left(t.heredoc_starts, stmt.end_byte)
    for rec in t.heredocs[first:last]:
        if stmt.start_byte <= rec.node.start_byte < stmt.end_byte:
            body = next((c for c in rec.node.named_children if c.type == "heredoc_body"), None)
            owner = t.parent(rec.node)
            if body is not None and owner is not None:
                inner = owner.child_by_field_name("body")
                if inner is not None:
                    heredoc_bodies[inner.start_byte] = body
    for rec in t.commands[lo:hi]:
        if rec.depth != base_depth or rec.node.end_byte > scope.end_byte:
            continue
        cmd = cmd_of(t, rec.node)
        if cmd is None:
            continue
        emitted = _emitted_lines(src, cmd)
        if emitted is not None:
            lines.extend(emitted)
            continue
        body = heredoc_bodies.get(rec.node.start_byte)
        if body is not None and cmd.base in ("cat", "tee", "envsubst"):
            lines.extend(_heredoc_lines(src, body))
    return lines


def output_writes(t: Tree) -> tuple[OutputWrite, ...]:
    src = t.src
    writes: list[OutputWrite] = []
    text = src.original
    if "GITHUB_OUTPUT" in text:
        names = _output_vars(t)
        batches: list[tuple[int, list[_Line]]] = []
        for rec in t.redirects:
            redirect = rec.node
            dest = redirect.child_by_field_name("destination")
            if dest is None or not any(c.type in (">>", ">", ">|") for c in redirect.children):
                continue
            if not _is_output_target(src.src(dest), names):
                continue
            owner = t.parent(redirect)
            if owner is not None and owner.type == "heredoc_redirect":
                owner = t.parent(owner)
            if owner is None or owner.type != "redirected_statement":
                continue
            body = owner.child_by_field_name("body")
            if body is None:
                continue
            # tree-sitter hangs `a && echo x=1 >> "$GITHUB_OUTPUT"`'s redirect on the whole
            # list; bash binds it to the last command only.
            while body.type in ("list", "pipeline"):
                elements = [c for c in body.named_children if c.type != "comment"]
                if not elements:
                    break
                body = elements[-1]
            batches.append((owner.start_byte, _writer_lines(t, owner, body)))
        for rec in t.commands:
            if not may_run(rec, b"tee"):
                continue
            cmd = cmd_of(t, rec.node)
            if cmd is None or cmd.base != "tee":
                continue
            if not any(_is_output_target(src.src(a), names) for a in cmd.args):
                continue
            node = rec.node
            parent = t.parent(node)
            lines: list[_Line] = []
            if parent is not None and parent.type == "redirected_statement":
                lines.extend(_writer_lines(t, parent))
                node = parent
                parent = t.parent(node)
            if parent is not None and parent.type == "pipeline":
                for element in t.children(parent):
                    if element == node:
                        break
                    if is_statement(element):
                        lines.extend(_writer_lines(t, element))
            batches.append((rec.node.start_byte, lines))
        batches.sort(key=lambda b: b[0])
        pending: str | None = None
        for _, lines in batches:
            for line in lines:
                if pending is not None:
                    if line.text.strip() == pending:
                        pending = None
                    continue
                m = _OUTPUT_LINE.match(line.text)
                if m is None:
                    continue
                name = m.group(1)
                if m.group(2) == "<<":
                    pending = line.text[m.end() :].strip()
                    if not pending:
                        pending = None
                if line.offset is not None:
                    s = line.offset + m.start(1)
                    writes.append(OutputWrite(name, s, s + len(name), False))
                    continue
                found = text.find(name, line.search_from, line.fallback[1])
                if found == -1:
                    writes.append(OutputWrite(name, line.fallback[0], line.fallback[1], False))
                else:
                    writes.append(OutputWrite(name, found, found + len(name), False))
                    line.search_from = found + len(name)
    if "set-output" in text:
        comments = [src.span(c) for c in t.comments]
        comment_starts = [a for a, _ in comments]
        for m in _SET_OUTPUT.finditer(text):
            s = m.start(1)
            k = bisect.bisect_right(comment_starts, m.start()) - 1
            if k >= 0 and comments[k][0] <= m.start() < comments[k][1]:
                continue  # `# echo "::set-output …"`: commented out
            writes.append(OutputWrite(m.group(1), s, m.end(1), True))
    writes.sort(key=lambda w: w.start)
    return tuple(writes)
