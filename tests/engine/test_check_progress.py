"""``check``'s progress bar: drawn under a real terminal (a pty) for a long scan,
never when stderr is piped, with ``--quiet`` or for a short scan."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from auditor.check_progress import MIN_FILES
from tests.conftest import write_files

WORKFLOW = "on: push\njobs:\n  build{i}:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n"
BAR = "checking files"


def _tree(root: Path, count: int) -> Path:
    return write_files(root, {f".github/workflows/w{i}.yml": WORKFLOW.format(i=i)
                              for i in range(count)})  # fmt: skip


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update(TERM="xterm", COLUMNS="100", XDG_CACHE_HOME=str(tmp_path / "cache"))
    return env


def _under_pty(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    """(status, stdout, what stderr wrote to the terminal)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "auditor", *args], stdout=subprocess.PIPE,
                            stderr=slave, env=env)  # fmt: skip
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the terminal's other side is closed
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    assert proc.stdout is not None
    out = proc.stdout.read().decode()
    return proc.wait(timeout=300), out, seen.decode("utf-8", "replace")


@pytest.fixture
def big(tmp_path: Path) -> Path:
    return _tree(tmp_path / "big", MIN_FILES + 50)


def test_bar_on_a_terminal_for_a_long_scan(big: Path, tmp_path: Path) -> None:
    status, out, terminal = _under_pty(["check", "--no-cache", "-j", "1", str(big)],
                                       _env(tmp_path))  # fmt: skip
    assert status == 0, terminal
    assert BAR in terminal and f"/{MIN_FILES + 50}" in terminal
    assert BAR not in out and f"{MIN_FILES + 50} files checked" in terminal + out


def test_no_bar_with_quiet_or_a_short_scan(big: Path, tmp_path: Path) -> None:
    env = _env(tmp_path)
    status, _, terminal = _under_pty(["check", "--no-cache", "-q", "-j", "1", str(big)], env)
    assert status == 0 and BAR not in terminal
    small = _tree(tmp_path / "small", 5)
    status, _, terminal = _under_pty(["check", "--no-cache", "-j", "1", str(small)], env)
    assert status == 0 and BAR not in terminal


def test_no_bar_when_stderr_is_piped(big: Path, tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "auditor", "check", "--no-cache", "-j", "1",
                          str(big)], capture_output=True, text=True, env=_env(tmp_path),
                         timeout=300, check=False)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    assert run.stdout == f"auditor: {MIN_FILES + 50} files checked, no findings\n"
