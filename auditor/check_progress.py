"""The progress bar of ``auditor check``: for long scans on a terminal, on stderr.

A scan of a few files ends before a bar would be read, and a bar on a
non-terminal is noise in CI logs or garbage in a file: so it is drawn only when
stderr is a terminal (and ``$CI`` is unset, as for ``auditor org``), ``--quiet``
is not given, and the scan has more than ``MIN_FILES`` files. Unlike ``org`` it
prints no plain lines elsewhere: ``check`` output is read by tools. The bar is
transient (rich): it is gone when the report is printed.
"""

from __future__ import annotations

import os
from typing import Any, TextIO

MIN_FILES = 200


def file_bar(label: str, stream: TextIO, total: int) -> tuple[Any, Any]:
    """A started transient rich bar (label, bar, n/total, elapsed) on ``stream`` and its task:
    the one look of ``check``'s and ``org``'s progress on a terminal."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=Console(file=stream), transient=True)  # fmt: skip
    bar.start()
    return bar, bar.add_task(label, total=total)


class CheckProgress:
    """``scan_targets``' progress callback: (files done, files total)."""

    def __init__(self, quiet: bool, stream: TextIO) -> None:
        isatty = getattr(stream, "isatty", None)
        self.enabled = not quiet and bool(isatty and isatty()) and not os.environ.get("CI")
        self.stream = stream
        self.bar: Any = None
        self.task: Any = None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total <= MIN_FILES:
            return
        if self.bar is None:
            self.bar, self.task = file_bar("checking files", self.stream, total)
        self.bar.update(self.task, completed=done, total=total)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None
