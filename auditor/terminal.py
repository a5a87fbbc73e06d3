"""What the terminal standard output is attached to can show: its width, and links.

The text report wraps long messages under their location and puts an OSC 8
hyperlink (the rule's page) on each rule id, but only for a person at a
terminal: never when the output is piped or written to a file (a log or a
script reads it there), and never under ``NO_COLOR`` or ``TERM=dumb``, whose
users asked for plain text. Detection lives here, below the reports, so a
renderer only reads the ``Terminal`` it is given.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

OSC8_OPEN = "\x1b]8;;"
OSC8_END = "\x1b\\"


@dataclass(frozen=True, slots=True)
class Terminal:
    """The terminal a text report is printed on: its width in columns, and whether it
    shows OSC 8 hyperlinks."""

    width: int
    links: bool


def detect(stream: Any, env: Mapping[str, str] | None = None) -> Terminal | None:
    """The terminal ``stream`` writes to, or None when it is not one (piped, a file)."""
    env = os.environ if env is None else env
    isatty = getattr(stream, "isatty", None)
    if not (isatty and isatty()):
        return None
    import shutil  # here: most runs print to a pipe, and shutil costs a few ms to import

    width = shutil.get_terminal_size(fallback=(80, 24)).columns
    plain = bool(env.get("NO_COLOR")) or env.get("TERM", "") in ("", "dumb")
    return Terminal(width=max(width, 40), links=not plain)


def hyperlink(text: str, url: str) -> str:
    """``text`` as an OSC 8 hyperlink to ``url`` (control characters in the URL dropped)."""
    clean = "".join(ch for ch in url if ch.isprintable())
    return f"{OSC8_OPEN}{clean}{OSC8_END}{text}{OSC8_OPEN}{OSC8_END}"


def shows_markdown(stream: Any, env: Mapping[str, str] | None = None) -> bool:
    """Whether Markdown sent to ``stream`` is rendered (a terminal that is not dumb) rather
    than printed as its source (piped, a file: what a script or a pager reads)."""
    env = os.environ if env is None else env
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and env.get("TERM", "") not in ("", "dumb")


def print_markdown(text: str, stream: Any) -> None:
    """Render Markdown on the terminal ``stream`` with rich (NO_COLOR is honoured by rich)."""
    from rich.console import Console
    from rich.markdown import Markdown

    Console(file=stream, soft_wrap=False).print(Markdown(text, code_theme="ansi_dark"))
