"""Run the installed ``auditor`` with standard output on a real pseudo-terminal.

What a person sees at a terminal (OSC 8 links, wrapping at the width, rich
rendering) is decided by ``isatty()`` and the window size, so tests give the
command a real pty (python's ``pty``) of a known width instead of pretending.
"""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

AUDITOR = str(Path(sys.executable).parent / "auditor")


def run_on_pty(
    *args: str, columns: int = 80, env: dict[str, str] | None = None, cwd: Path | None = None
) -> tuple[int, str, str]:
    """``auditor ARGS`` with stdout on a pty ``columns`` wide: (exit code, what the pty
    showed, stderr). ``env`` entries are added to a copy of this environment without
    NO_COLOR, FORCE_COLOR, COLUMNS and LINES; an empty value removes a variable."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES")}
    base.setdefault("TERM", "xterm-256color")
    for key, value in (env or {}).items():
        if value:
            base[key] = value
        else:
            base.pop(key, None)
    proc = subprocess.Popen([AUDITOR, *args], stdout=slave, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, cwd=cwd, env=base)  # fmt: skip
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    stderr = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    code = proc.wait(timeout=120)
    return code, b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n"), stderr
