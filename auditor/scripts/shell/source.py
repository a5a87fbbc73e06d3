"""The analysed text: ``${{ }}`` blanking and byte ↔ character offsets.

tree-sitter works on UTF-8 bytes; every record this package returns is
located by *character* offsets into the text the caller passed in. The
parser is given a copy of the text in which each ``${{ … }}`` expression is
replaced by a same-length run of ``_``: the runner substitutes a value
there before the shell runs, so the parse must see one plain word, and
every column must stay exact (an unterminated ``${{`` is left as is).
"""

from __future__ import annotations

import bisect
import re

from tree_sitter import Node

__all__ = ["Source", "blank_expressions", "expression_spans", "norm"]


def expression_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the ``${{ … }}`` expressions in ``text``, in order.

    Single-quoted string literals inside an expression may contain ``}}``;
    they are skipped. An unterminated ``${{`` ends the scan (left as is).
    Linear in ``len(text)``: every character is looked at once.
    """
    spans: list[tuple[int, int]] = []
    find = text.find
    pos = find("${{")
    n = len(text)
    while pos != -1:
        i = pos + 3
        end = -1
        while i < n:
            ch = text[i]
            if ch == "'":
                close = find("'", i + 1)
                if close == -1:
                    break
                i = close + 1
                continue
            if ch == "}" and i + 1 < n and text[i + 1] == "}":
                end = i + 2
                break
            i += 1
        if end == -1:
            break
        spans.append((pos, end))
        pos = find("${{", end)
    return spans


def blank_expressions(text: str) -> str:
    """``text`` with every ``${{ … }}`` replaced by a same-length run of ``_``.

    ``_`` runs are a plain word to the shell (and an identifier to Python), so
    they cannot break the quoting around them, and every offset is preserved.
    """
    spans = expression_spans(text)
    if not spans:
        return text
    parts: list[str] = []
    last = 0
    for start, end in spans:
        parts.append(text[last:start])
        parts.append("_" * (end - start))
        last = end
    parts.append(text[last:])
    return "".join(parts)


_SURROGATES = re.compile("[\ud800-\udfff]")
_NON_ASCII = re.compile("[^\x00-\x7f]")


class Source:
    """The analysed text, the blanked text the parser saw, and byte ↔ character offsets.

    ASCII text (the usual case) maps bytes to characters one to one; otherwise
    the offsets of the multi-byte characters are kept sorted, so each mapping
    is a binary search.
    """

    __slots__ = ("_byte_starts", "_char_starts", "_cum", "ascii", "data", "expr_bytes", "original", "text")

    def __init__(self, original: str) -> None:
        self.original = original
        text = blank_expressions(original)
        if not text.isascii():
            text = _SURROGATES.sub("\ufffd", text)  # lone surrogates cannot be encoded
        self.text = text
        self.data = text.encode("utf-8")
        self.ascii = len(self.data) == len(text)
        self._byte_starts: list[int] = []  # byte offset of each multi-byte character
        self._char_starts: list[int] = []  # its character offset
        self._cum: list[int] = []  # extra bytes up to and including it
        if not self.ascii:
            extra = 0
            for m in _NON_ASCII.finditer(text):
                i = m.start()
                width = len(m.group().encode("utf-8")) - 1
                self._byte_starts.append(i + extra)
                self._char_starts.append(i)
                extra += width
                self._cum.append(extra)
        spans = expression_spans(original)
        self.expr_bytes: list[tuple[int, int]] = [(self.byte(s), self.byte(e)) for s, e in spans]

    def char(self, byte: int) -> int:
        """Character offset of a byte offset that starts a character."""
        if self.ascii:
            return byte
        k = bisect.bisect_left(self._byte_starts, byte)
        return byte - (self._cum[k - 1] if k else 0)

    def byte(self, char: int) -> int:
        """Byte offset of a character offset."""
        if self.ascii:
            return char
        k = bisect.bisect_left(self._char_starts, char)
        return char + (self._cum[k - 1] if k else 0)

    def span(self, node: Node) -> tuple[int, int]:
        return self.char(node.start_byte), self.char(node.end_byte)

    def src(self, node: Node) -> str:
        """The blanked text of ``node`` (what the parser saw)."""
        if self.ascii:
            return self.text[node.start_byte : node.end_byte]
        return self.data[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def orig(self, node: Node) -> str:
        """The original text of ``node`` (``${{ }}`` intact)."""
        s, e = self.span(node)
        return self.original[s:e]

    def has_expr(self, node: Node) -> bool:
        """Whether ``node`` overlaps a ``${{ }}`` expression (its value is unknown here)."""
        spans = self.expr_bytes
        if not spans:
            return False
        s, e = node.start_byte, node.end_byte
        # The spans are sorted and disjoint: the first one ending after `s` decides.
        k = bisect.bisect_right(spans, (s, len(self.data) + 1))
        if k and spans[k - 1][1] > s:
            return True
        return k < len(spans) and spans[k][0] < e


def norm(text: str, limit: int = 60) -> str:
    """A short, whitespace-normalised excerpt: stable across reformatting and line moves."""
    if len(text) > limit * 64:
        text = text[: limit * 64]  # bounded work on a huge command: only its head can show
    text = " ".join(text.replace("\\\n", " ").split())
    return text if len(text) <= limit else text[:limit].rstrip() + "..."
