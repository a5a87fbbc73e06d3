"""What ``curl`` and ``wget`` are told to do: fail or not, send data, write which file; who reads that file.

Files are named by *key*: the last path segment of a word's original text
with its quotes dropped (``-o "$TMP/dart-${V}.tgz"`` → ``dart-${V}.tgz``).
Two words with the same key name the same file in the same environment, so
``curl -LO "…/dart-${V}.tgz"`` followed by ``tar xf "dart-${V}.tgz"`` is a
download that is then read, although its name is only known at run time.
"""

from __future__ import annotations

import bisect
import re

from tree_sitter import Node

from auditor.scripts.shell.commands import Cmd, cmd_of, is_python, may_run
from auditor.scripts.shell.consumers import CHECKSUMS, FILE_CONSUMERS
from auditor.scripts.shell.source import Source
from auditor.scripts.shell.tree import Tree, statement_of
from auditor.scripts.shell.words import loose

__all__ = [
    "Consumers",
    "curl_flags",
    "curl_output_keys",
    "curl_writes",
    "downloaded_files",
    "path_key",
    "wget_output_keys",
]

_CURL_SHORT_WITH_VALUE = frozenset("AbcCdDeEFHKmoPQrtTuUwxXyYz")
_CURL_OPTIONS_VAR = re.compile(r"(?i)opt|flag|arg|param|curl")
_ARRAY_EXPANSION = re.compile(r"\$\{?[@*]|\[[@*]\]")
_CURL_DATA = frozenset(
    {"-d", "--data", "--data-raw", "--data-binary", "--data-urlencode", "--data-ascii", "-F", "--form"}
    | {"--form-string", "-T", "--upload-file", "--json"}
)
_NOT_FILES = frozenset({"", "null", "-", "stdout", "stderr"})


def path_key(text: str) -> str:
    """The last path segment of ``text`` (a URL's query and fragment dropped)."""
    if "://" in text:
        text = text.split("?", 1)[0].split("#", 1)[0].rstrip("/")
    return text.rsplit("/", 1)[-1]


def _writes_code(src: Source, node: Node, val: str | None) -> bool:
    text = val if val is not None else src.src(node)
    return "http_code" in text or "response_code" in text or text.startswith("@")


def curl_flags(src: Source, cmd: Cmd) -> str:
    """'ok' (fails on HTTP errors, or cannot tell), 'code' (writes %{http_code}) or 'plain'."""
    it = iter(zip(cmd.args, cmd.vals, strict=True))
    write_out = False
    for node, val in it:
        if val is None:
            text = src.src(node)
            if _ARRAY_EXPANSION.search(text):
                return "ok"  # "${args[@]}" / "$@": may carry --fail
            if node.type in ("simple_expansion", "expansion") and _CURL_OPTIONS_VAR.search(text):
                return "ok"
            whole = src.orig(node)
            if node.type == "word" and whole.startswith("${{") and whole.endswith("}}"):
                return "ok"  # an unquoted ${{ }} word may expand to flags
            continue
        if val.startswith("--"):
            if val in ("--fail", "--fail-with-body"):
                return "ok"
            if val in ("--version", "--help", "--manual", "--config"):
                return "ok"
            if val == "--write-out":
                nxt = next(it, None)
                write_out = write_out or (nxt is not None and _writes_code(src, nxt[0], nxt[1]))
            continue
        if val.startswith("-") and len(val) > 1:
            for k, ch in enumerate(val[1:], start=1):
                if ch == "f":
                    return "ok"
                if ch in "VhMK":
                    return "ok"
                if ch in _CURL_SHORT_WITH_VALUE:
                    rest = val[k + 1 :]
                    if ch == "w":
                        if rest:
                            write_out = write_out or "http_code" in rest or "response_code" in rest
                        else:
                            nxt = next(it, None)
                            write_out = write_out or (nxt is not None and _writes_code(src, nxt[0], nxt[1]))
                    elif not rest:
                        next(it, None)
                    break
    return "code" if write_out else "plain"


def curl_writes(cmd: Cmd) -> bool:
    """Whether curl sends something (a method other than GET/HEAD, a body, an upload)."""
    vals = cmd.vals
    for i, v in enumerate(vals):
        if v is None:
            continue
        if v in _CURL_DATA or v.startswith(("--data", "--form", "--json")):
            return True
        if v in ("-X", "--request"):
            method = vals[i + 1] if i + 1 < len(vals) else None
            return method is None or method.upper() not in ("GET", "HEAD")
        if v.startswith("-") and not v.startswith("--"):
            for k, ch in enumerate(v[1:], start=1):
                if ch in "dFT":
                    return True
                if ch == "X":
                    method = v[k + 1 :] or (vals[i + 1] if i + 1 < len(vals) else None)
                    return method is None or method.upper() not in ("GET", "HEAD")
                if ch in _CURL_SHORT_WITH_VALUE:
                    break
    return False


def _redirect_keys(t: Tree, node: Node, keys: set[str]) -> None:
    """``cmd > file``: the key of ``file``."""
    parent = t.parent(node)
    if parent is None or parent.type != "redirected_statement":
        return
    src = t.src
    for redirect in parent.children_by_field_name("redirect"):
        if redirect.type != "file_redirect" or redirect.child_by_field_name("descriptor") is not None:
            continue
        dest = redirect.child_by_field_name("destination")
        if dest is not None and any(c.type in (">", ">|") for c in redirect.children):
            keys.add(path_key(loose(src, dest)))


def curl_output_keys(t: Tree, node: Node, cmd: Cmd) -> set[str]:
    """Keys of the files curl writes: ``-o f``, ``--output f``, ``-O``/``-J`` (the URL's name), ``> f``."""
    src = t.src
    keys: set[str] = set()
    args, vals = cmd.args, cmd.vals
    remote_name = False
    i = 0
    while i < len(vals):
        v = vals[i]
        if v is None:
            i += 1
            continue
        if v in ("-o", "--output") and i + 1 < len(args):
            keys.add(path_key(loose(src, args[i + 1])))
            i += 2
            continue
        if v.startswith("--output="):
            keys.add(path_key(v.split("=", 1)[1]))
        elif v in ("-O", "--remote-name", "--remote-name-all"):
            remote_name = True
        elif v.startswith("-") and not v.startswith("--"):
            for k, ch in enumerate(v[1:], start=1):
                if ch == "O":
                    remote_name = True
                if ch in _CURL_SHORT_WITH_VALUE:
                    if ch == "o":
                        if v[k + 1 :]:
                            keys.add(path_key(v[k + 1 :]))
                        elif i + 1 < len(args):
                            keys.add(path_key(loose(src, args[i + 1])))
                            i += 1
                    break
        i += 1
    if remote_name:
        for arg in args:
            text = loose(src, arg)
            if "://" in text:
                keys.add(path_key(text))
    _redirect_keys(t, node, keys)
    return keys - _NOT_FILES


def wget_output_keys(t: Tree, cmd: Cmd) -> set[str]:
    """Keys of the file wget writes: ``-O f``, ``--output-document=f``, else the URL's name."""
    src = t.src
    keys: set[str] = set()
    named = False
    for i, v in enumerate(cmd.vals):
        if v in ("-O", "--output-document") and i + 1 < len(cmd.args):
            keys.add(path_key(loose(src, cmd.args[i + 1])))
            named = True
        elif v is not None and v.startswith("--output-document="):
            keys.add(path_key(v.split("=", 1)[1]))
            named = True
    if not named:
        for arg in cmd.args:
            text = loose(src, arg)
            if "://" in text:
                keys.add(path_key(text))
    return keys - _NOT_FILES


_TOKENS = re.compile(r"[\s\"']+")


class Consumers:
    """Where each file key is read by a command that fails on an HTML error page (built once per body).

    A reader is: a program run by that name (``./installer.sh``), an argument
    of a file consumer (``tar``, ``unzip``, ``gpg``, ``dpkg``, ``bash``,
    ``python``…), or a word of a checksum check (``echo "$SUM  f" |
    sha256sum -c``).
    """

    def __init__(self, t: Tree) -> None:
        src = t.src
        where: dict[str, list[int]] = {}
        runs: dict[str, list[tuple[int, str]]] = {}

        def add(key: str, at: int) -> None:
            if key not in _NOT_FILES:
                where.setdefault(key, []).append(at)

        for rec in t.commands:
            cmd = cmd_of(t, rec.node)
            if cmd is None:
                continue
            at = rec.node.start_byte
            name_key = path_key(loose(src, cmd.name_node))
            runs.setdefault(name_key, []).append((at, loose(src, cmd.name_node)))
            base = cmd.base
            if is_python(base) or base in FILE_CONSUMERS:
                for arg in cmd.args:
                    add(path_key(loose(src, arg)), at)
            elif base in CHECKSUMS and cmd.has_flag("-c", "--check"):
                statement = statement_of(t, rec.node)
                for token in _TOKENS.split(src.orig(statement)):
                    add(path_key(token), at)
        for positions in where.values():
            positions.sort()
        for named in runs.values():
            named.sort()
        self._where = where
        self._runs = runs

    def read_after(self, keys: set[str], byte: int, program: str | None) -> bool:
        """Whether a file with one of ``keys`` is read (or run) by a command starting after ``byte``.

        ``program`` is the downloading command's own name, which does not count
        as running the file (``curl -o curl …``).
        """
        for key in keys:
            positions = self._where.get(key)
            if positions and positions[-1] > byte:
                return True
            runs = self._runs.get(key)
            if not runs:
                continue
            k = bisect.bisect_right(runs, (byte, "\U0010ffff"))
            while k < len(runs):  # the download's own program (`curl -o curl`) does not count
                if runs[k][1] != program:
                    return True
                k += 1
        return False


def downloaded_files(t: Tree) -> dict[str, int]:
    """Keys of the files the body itself downloads or writes, with the character offset of the first write.

    ``curl -sSLO https://…/install.sh`` then ``bash install.sh`` runs a file
    that is not in the repository: it is not a script call to look for.
    """
    src = t.src
    produced: dict[str, int] = {}

    def add(key: str, node: Node) -> None:
        if key not in _NOT_FILES:
            produced.setdefault(key, src.char(node.start_byte))

    for rec in t.commands:
        if may_run(rec, b"curl") or may_run(rec, b"wget"):
            cmd = cmd_of(t, rec.node)
            if cmd is not None and cmd.base == "curl":
                for key in curl_output_keys(t, rec.node, cmd):
                    add(key, rec.node)
            elif cmd is not None and cmd.base == "wget":
                for key in wget_output_keys(t, cmd):
                    add(key, rec.node)
    for rec in t.redirects:
        dest = rec.node.child_by_field_name("destination")
        if dest is not None and any(c.type in (">", ">>", ">|") for c in rec.node.children):
            add(path_key(loose(src, dest)), rec.node)
    return produced
