"""What else a body runs: repository scripts, the folders it changes into, and the Python it embeds.

Script calls
------------
``./x.sh``, ``scripts/x``, ``bash x.sh``, ``sh x``, ``source x`` / ``. x``,
``python3 x.py`` (wrappers such as ``sudo``, ``timeout`` looked through), by
a path relative to the working directory — and the same paths anchored at
the workspace or the action's folder: ``"${GITHUB_WORKSPACE}/x.sh"``,
``$GITHUB_WORKSPACE/x.sh``, ``${{ github.workspace }}/x.sh`` (the
repository root, where ``actions/checkout`` puts it) and
``${{ github.action_path }}/x.sh`` / ``"$GITHUB_ACTION_PATH/x.sh"`` (a
composite action's own folder). Not calls: absolute paths, ``~``, other
variables, URLs, virtualenv activation, ``node_modules/``, ``venv/``,
``dist/``…, and files the body itself downloads or writes first
(``curl -sSLO …/install.sh`` then ``bash install.sh``).

Folder changes
--------------
``cd DIR`` / ``pushd DIR`` of the top shell, in order, so that ``cd deploy
&& ./promote.sh`` resolves to ``deploy/promote.sh``; a folder that cannot be
known (``cd "$RUNNER_TEMP"``) is recorded as unknown.

Inline Python
-------------
``python -c '…'``, ``python - <<EOF``, ``python3 <<'PY'`` and ``cat <<EOF |
python3``: the code with shell quoting blanked to same-length stand-ins (see
:class:`~auditor.scripts.issues.InlinePython`).
"""

from __future__ import annotations

import re

from tree_sitter import Node

from auditor.scripts.issues import DirChange, InlinePython, ScriptCall
from auditor.scripts.shell.commands import RUN_WRAPPERS, WRAPPERS, Cmd, cmd_of, is_python, is_repo_path
from auditor.scripts.shell.downloads import downloaded_files, path_key
from auditor.scripts.shell.source import Source
from auditor.scripts.shell.tree import Tree
from auditor.scripts.shell.words import loose

__all__ = ["calls_and_inline", "dir_changes"]

_SKIP_DIRS = ("node_modules/", ".venv/", "venv/", "target/", "dist/")
_SHELL_VALUE_OPTS = frozenset({"-o", "+o", "-O", "+O", "--rcfile", "--init-file"})
_PY_VALUE_OPTS = frozenset({"-W", "-X", "-Q"})
_ANCHORED = re.compile(
    r"\$\{\{\s*github\.(?P<expr>workspace|action_path)\s*\}\}/+(?P<a>[^$`*?\s]+)"
    r"|\$\{?(?P<var>GITHUB_WORKSPACE|GITHUB_ACTION_PATH)\}?/+(?P<b>[^$`*?\s]+)"
)
_ANCHORS = {"workspace": "workspace", "action_path": "action", "GITHUB_WORKSPACE": "workspace",
            "GITHUB_ACTION_PATH": "action"}  # fmt: skip


def _callable_path(path: str) -> bool:
    if not path or path.startswith(("/", "~", "-")) or "://" in path or "$" in path:
        return False
    if path.endswith("/bin/activate") or "/bin/activate." in path:
        return False
    bare = path.removeprefix("./")
    return not bare.startswith(_SKIP_DIRS)


def _anchored(src: Source, node: Node) -> tuple[str, str] | None:
    """``(path, anchor)`` of a word that names a script by the workspace or the action's folder."""
    m = _ANCHORED.fullmatch(loose(src, node))
    if m is None:
        return None
    anchor = _ANCHORS[m.group("expr") or m.group("var")]
    path = m.group("a") or m.group("b")
    return (path, anchor) if _callable_path(path) else None


def _script_arg(cmd: Cmd, value_opts: frozenset[str], stop: frozenset[str]) -> int | None:
    """Index in ``cmd.args`` of the script an interpreter runs, or None (inline code, module, stdin)."""
    i = 0
    while i < len(cmd.vals):
        v = cmd.vals[i]
        if v is None:
            return i  # a computed word: the script, if it is an anchored path
        if v in stop:
            return None
        if v.startswith(("-", "+")) and v != "-":
            if v in value_opts:
                i += 2
                continue
            # `-c` may be combined: `bash -ec 'cmd'`, `python -Bc '...'`.
            if not v.startswith("--") and any(ch in v for ch in "cm"):
                return None
            i += 1
            continue
        if v == "-":
            return None
        return i
    return None


_CALLERS = (
    frozenset({b"bash", b"sh", b"dash", b"ash", b"source", b"."})
    | {w.encode() for w in WRAPPERS}
    | {w.encode() for w in RUN_WRAPPERS}
)


def _may_call(text: bytes) -> bool:
    """Cheap pre-filter on the raw command name: could this command run a script or Python?"""
    if b"/" in text or b"$" in text:
        return True
    return text in _CALLERS or text.startswith((b"python", b"pypy"))


def calls_and_inline(t: Tree) -> tuple[list[ScriptCall], list[InlinePython]]:
    src = t.src
    calls: list[ScriptCall] = []
    inline: list[InlinePython] = []
    for rec in t.commands:
        if not _may_call(rec.name):
            continue
        cmd = cmd_of(t, rec.node)
        if cmd is None:
            continue
        base, name = cmd.base, cmd.name
        if name is None:
            anchored = _anchored(src, cmd.name_node)
            if anchored is not None:
                s, e = src.span(cmd.name_node)
                calls.append(ScriptCall(anchored[0], "exec", s, e, anchored[1]))
            continue
        interpreter: str | None = None
        index: int | None = None
        if base in ("bash", "sh", "dash", "ash"):
            interpreter = "bash" if base == "bash" else "sh"
            index = _script_arg(cmd, _SHELL_VALUE_OPTS, frozenset({"-c"}))
        elif base in ("source", "."):
            interpreter = "source"
            index = 0 if cmd.args else None
        elif is_python(base):
            interpreter = "python"
            index = _script_arg(cmd, _PY_VALUE_OPTS, frozenset({"-c", "-m"}))
            code = _inline_python(t, cmd)
            if code is not None:
                inline.append(code)
        elif is_repo_path(name):
            if _callable_path(name):
                s, e = src.span(cmd.name_node)
                calls.append(ScriptCall(name, "exec", s, e))
            continue
        if interpreter is None or index is None:
            continue
        path = cmd.vals[index]
        s, e = src.span(cmd.args[index])
        if path is None:
            anchored = _anchored(src, cmd.args[index])
            if anchored is not None:
                calls.append(ScriptCall(anchored[0], interpreter, s, e, anchored[1]))
            continue
        if _callable_path(path):
            calls.append(ScriptCall(path, interpreter, s, e))
    if calls:
        produced = downloaded_files(t)
        end = len(src.original)
        calls = [c for c in calls if produced.get(path_key(c.path), end) >= c.start]
    # `cat <<EOF | python3`: the pipe hangs under the heredoc.
    for rec in t.heredocs:
        for child in rec.node.named_children:
            if child.type != "pipeline":
                continue
            first = next((c for c in child.named_children if c.type == "command"), None)
            if first is None:
                continue
            cmd = cmd_of(t, first)
            if cmd is not None and is_python(cmd.base) and all(v in ("-", "-u", "-B") for v in cmd.vals):
                body = next((c for c in rec.node.named_children if c.type == "heredoc_body"), None)
                if body is not None:
                    inline.append(_heredoc_code(src, rec.node, body))
    return calls, inline


_ANCHORED_DIR = re.compile(
    r"(?:\$\{\{\s*github\.(?P<expr>workspace|action_path)\s*\}\}|\$\{?(?P<var>GITHUB_WORKSPACE|GITHUB_ACTION_PATH)\}?)"
    r"(?:/+(?P<rest>[^$`*?\s]*))?"
)


def dir_changes(t: Tree) -> list[DirChange]:
    """``cd DIR`` / ``pushd DIR`` of the top shell, in order (``path`` None when DIR is not known)."""
    src = t.src
    out: list[DirChange] = []
    for rec in t.commands:
        if rec.depth or rec.name not in (b"cd", b"pushd"):
            continue
        cmd = cmd_of(t, rec.node)
        if cmd is None:
            continue
        operands = [(a, v) for a, v in zip(cmd.args, cmd.vals, strict=True) if v is None or not v.startswith("-")]
        s, e = src.span(rec.node)
        if not operands:
            out.append(DirChange(None, s, e))  # `cd` alone: $HOME
            continue
        node, value = operands[0]
        if value is None:
            m = _ANCHORED_DIR.fullmatch(loose(src, node))
            if m is not None:
                anchor = _ANCHORS[m.group("expr") or m.group("var")]
                out.append(DirChange((m.group("rest") or "").rstrip("/"), s, e, anchor))
            else:
                out.append(DirChange(None, s, e))
            continue
        known = value and not value.startswith(("~", "/", "-")) and "$" not in value and "`" not in value
        out.append(DirChange(value if known else None, s, e))
    return out


def _blank(text: list[str], start: int, end: int) -> None:
    for k in range(start, end):
        if text[k] != "\n":
            text[k] = "_"


def _heredoc_code(src: Source, heredoc: Node, body: Node) -> InlinePython:
    start, end = src.span(body)
    # `<<-EOF` bodies: tree-sitter starts the body after the first line's tabs;
    # take them back so every line keeps its indentation (the Python analyser
    # copes with uniformly indented code, not with a first line that lost it).
    line_start = src.text.rfind("\n", 0, start) + 1
    if line_start < start and src.text[line_start:start].strip("\t") == "":
        start = line_start
    chars = list(src.text[start:end])
    opener = next((c for c in heredoc.children if c.type == "heredoc_start"), None)
    quoted = opener is not None and any(q in src.src(opener) for q in "'\"\\")
    if not quoted:
        for child in body.named_children:
            if child.type != "heredoc_content":
                s, e = src.span(child)
                _blank(chars, s - start, e - start)
        _unescape_in_place(chars, "$`\\")
    return InlinePython("".join(chars), start)


def _unescape_in_place(chars: list[str], escapable: str) -> None:
    """``\\"`` → ``" `` (same length): what the shell passes on, then a blank.

    The blank goes after the character so that a string prefix stays glued to
    its quote (``r\\"…\\"`` → ``r"… " ``).
    """
    k = 0
    while k < len(chars) - 1:
        if chars[k] == "\\" and chars[k + 1] in escapable:
            chars[k] = chars[k + 1]
            chars[k + 1] = " "
            k += 2
        else:
            k += 1


def _code_argument(src: Source, node: Node) -> InlinePython | None:
    """The Python code of a ``-c`` argument, with shell quoting blanked out (same length)."""
    if node.type == "raw_string":
        s, e = src.span(node)
        return InlinePython(src.text[s + 1 : e - 1], s + 1)
    if node.type == "string":
        s, e = src.span(node)
        chars = list(src.text[s + 1 : e - 1])
        for child in node.named_children:
            if child.type != "string_content":
                cs, ce = src.span(child)
                _blank(chars, cs - s - 1, ce - s - 1)
        _unescape_in_place(chars, '$`"\\')
        return InlinePython("".join(chars), s + 1)
    return None


def _inline_python(t: Tree, cmd: Cmd) -> InlinePython | None:
    """The code of ``python -c '…'``, or of a heredoc fed to ``python -`` / ``python3 <<'PY'``."""
    src = t.src
    vals = cmd.vals
    k = 0
    while k < len(vals):
        v = vals[k]
        if v is None:
            return None
        if v == "-":
            break  # the program comes from stdin; what follows are its arguments
        if v.startswith("--"):
            k += 1
            continue
        if v.startswith("-"):
            if v in _PY_VALUE_OPTS:
                k += 2
                continue
            if "c" in v[1:]:
                return _code_argument(src, cmd.args[k + 1]) if k + 1 < len(vals) else None
            if "m" in v[1:]:
                return None
            k += 1
            continue
        return None  # a script file
    parent = t.parent(cmd.node)
    if parent is None or parent.type != "redirected_statement":
        return None
    for redirect in parent.children_by_field_name("redirect"):
        if redirect.type == "heredoc_redirect":
            body = next((c for c in redirect.named_children if c.type == "heredoc_body"), None)
            if body is not None:
                return _heredoc_code(src, redirect, body)
    return None
