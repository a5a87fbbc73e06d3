"""Ctrl-C during a large scan: exit 130 and one line, never a traceback from the parent or
``Process ForkPoolWorker-N:`` from a worker.

A real ``python -m auditor`` runs in its own session; once its pool of two
workers exists (its children, read from /proc), SIGINT goes to the whole
process group, as a terminal's Ctrl-C or a CI runner's cancel does, or to the
parent alone, as ``kill -INT`` does. Before the fix a worker that took the
signal printed its traceback.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.faults.conftest import TIMEOUT, big_repo, cli_env

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/task").is_dir() or sys.platform != "linux",
    reason="finds the pool's workers through /proc (Linux)",
)


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(c) for c in text.split()]


def _interrupt(args: list[str], env: dict[str, str], *, group: bool, after: float = 0.3) -> tuple[int, str]:
    """Start ``auditor ARGS``, wait for its two workers, SIGINT, and return (exit, stderr)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "auditor", *args], stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, env=env, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while len(_children(proc.pid)) < 2:
            assert proc.poll() is None, "the scan ended before its workers started"
            assert time.monotonic() < deadline, "no pool of workers appeared"
            time.sleep(0.01)
        time.sleep(after)  # the workers are busy analysing
        assert proc.poll() is None, "the scan ended before it could be interrupted"
        if group:
            os.killpg(proc.pid, signal.SIGINT)
        else:
            proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return proc.returncode, err.decode("utf-8", "replace")


@pytest.fixture(scope="module")
def repos(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Six repositories of 250 workflows each (an org scan with two workers)."""
    base = tmp_path_factory.mktemp("org")
    return [big_repo(base / f"svc-{i}", 250) for i in range(6)]


@pytest.mark.parametrize("group", [True, False], ids=["process-group", "parent-only"])
@pytest.mark.parametrize("after", [0.05, 0.5])
def test_check_interrupted_is_one_line_and_130(
    big: Path, tmp_path: Path, group: bool, after: float
) -> None:
    code, err = _interrupt(["check", "--no-cache", "--jobs", "2", str(big)], cli_env(tmp_path),
                           group=group, after=after)  # fmt: skip
    assert (code, err) == (130, "auditor: interrupted\n")


@pytest.mark.parametrize("group", [True, False], ids=["process-group", "parent-only"])
def test_org_interrupted_is_one_line_and_130(repos: list[Path], tmp_path: Path, group: bool) -> None:
    args = ["org", "--no-cache", "--jobs", "2", "--quiet", *map(str, repos)]
    code, err = _interrupt(args, cli_env(tmp_path), group=group)
    assert (code, err) == (130, "auditor: interrupted\n")


def test_an_uninterrupted_scan_of_the_same_repository_finishes(big: Path, tmp_path: Path) -> None:
    """The interrupt tests prove something only if the scan would otherwise go on."""
    proc = subprocess.run(
        [sys.executable, "-m", "auditor", "check", "--no-cache", "--jobs", "2", "--format", "json",
         "-o", os.devnull, str(big)], capture_output=True, text=True, timeout=TIMEOUT,
        env=cli_env(tmp_path), check=False,
    )  # fmt: skip
    assert proc.returncode == 1 and proc.stderr == ""
