"""The value of a shell word, when it is known before the script runs."""

from __future__ import annotations

import re

from tree_sitter import Node

from auditor.scripts.shell.source import Source

__all__ = ["loose", "static", "unescape_word"]

_ESCAPE = re.compile(r"\\(.)")
_DQ_ESCAPE = re.compile(r'\\([$`"\\\n])')


def unescape_word(text: str) -> str:
    return _ESCAPE.sub(r"\1", text) if "\\" in text else text


def static(src: Source, node: Node) -> str | None:
    """The literal value of a word-like node, or None when it depends on run time."""
    kind = node.type
    if src.expr_bytes and src.has_expr(node):
        return None
    if kind == "word" or kind == "number":
        return unescape_word(src.src(node))
    if kind == "raw_string":
        return src.src(node)[1:-1]
    if kind == "string":
        parts: list[str] = []
        for c in node.named_children:
            if c.type != "string_content":
                return None
            parts.append(_DQ_ESCAPE.sub(r"\1", src.src(c)))
        return "".join(parts)
    if kind == "ansi_c_string":
        return src.src(node)[2:-1]
    if kind == "concatenation":
        pieces = [static(src, c) for c in node.named_children]
        if any(p is None for p in pieces):
            return None
        return "".join(p for p in pieces if p is not None)
    return None


def loose(src: Source, node: Node) -> str:
    """The original text of a word with its quotes dropped: ``"x=$v"`` → ``x=$v``.

    Two words with the same loose text expand to the same value (in the same
    environment): ``-o "dart-${V}.tgz"`` and ``tar xf dart-${V}.tgz`` name one file.
    """
    kind = node.type
    if kind == "concatenation":
        return "".join(loose(src, c) for c in node.children)
    text = src.orig(node)
    if kind == "string" and len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return text[1:-1]
    if kind == "raw_string" and len(text) >= 2:
        return text[1:-1]
    return text
