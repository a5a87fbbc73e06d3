"""Where things are: a source file's text and a 1-based span inside it.

These two types are shared by every layer (the parser makes them, the model
carries them, rules and reports print them), so they live apart from the YAML
layer: a rule can name a location without importing anything that parses.
"""

from __future__ import annotations

from typing import NamedTuple


class Span(NamedTuple):
    """1-based line and column of a value's first character and of the character after it."""

    line: int
    column: int
    end_line: int
    end_column: int


class SourceText:
    """The decoded text of one file, with its lines split once, on demand."""

    __slots__ = ("_lines", "path", "text")

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self._lines: list[str] | None = None

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = self.text.splitlines()
        return self._lines

    def line(self, number: int) -> str:
        """The text of 1-based line ``number`` (empty past the end)."""
        lines = self.lines
        return lines[number - 1] if 0 < number <= len(lines) else ""
