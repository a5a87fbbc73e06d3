"""The worker pool at its edges: big results, a worker that dies, a caller that stops.

``multiprocessing.Pool`` hung here: a worker killed half-way through writing a large
result left its result thread reading for ever (``auditor org`` interrupted in CI),
and a worker killed by the kernel made ``imap`` wait for ever. ``auditor.forkpool``
gives each worker its own pipes; these tests run real forked processes.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

from auditor import forkpool
from tests.conftest import write_files
from tests.faults.conftest import auditor, big_repo, cli_env

pytestmark = pytest.mark.skipif(not forkpool.can_fork() or sys.platform != "linux",
                                reason="forks workers, reads their pids in /proc (Linux)")  # fmt: skip


def _children() -> set[int]:
    """This process's children (the main thread's, the one that forks)."""
    pid = os.getpid()
    return {int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


def _payload(unit: int) -> str:
    return str(unit) * (unit * 400_000)  # up to 3.2 MB: far more than a pipe holds


def test_every_result_comes_back_whole_from_every_worker() -> None:
    before = _children()
    results = list(forkpool.imap_unordered(_payload, range(1, 9), 2))
    assert sorted(results, key=len) == [_payload(u) for u in range(1, 9)]
    assert _children() == before  # every worker reaped


def test_a_caller_that_stops_while_workers_write_kills_and_reaps_them() -> None:
    """The hang seen in CI: leave the loop while workers are mid-way through sending
    results bigger than a pipe holds. It must end at once with no worker left."""
    before = _children()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        for _ in forkpool.imap_unordered(_payload, [8] * 20, 2):
            raise KeyboardInterrupt
    assert time.monotonic() - started < 30
    assert _children() == before


def _dies_on_three(unit: int) -> int:
    if unit == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return unit * 10


def test_a_worker_that_dies_is_reported_and_replaced() -> None:
    before = _children()
    results = list(forkpool.imap_unordered(_dies_on_three, range(8), 2))
    died = [r for r in results if isinstance(r, forkpool.Died)]
    assert died == [forkpool.Died(3, "was killed by SIGKILL")]
    assert sorted(r for r in results if isinstance(r, int)) == [0, 10, 20, 40, 50, 60, 70]
    assert _children() == before


def test_the_unit_queued_behind_a_dying_one_is_done_by_its_replacement() -> None:
    """A worker holds the next unit in its pipe while it works on one (``DEPTH``): when it
    dies, that next unit was never started, so the replacement does it."""
    assert forkpool.DEPTH == 2
    before = _children()
    results = list(forkpool.imap_unordered(_dies_on_three, [3, 4], 1))
    assert results == [forkpool.Died(3, "was killed by SIGKILL"), 40]
    assert _children() == before


def test_more_workers_than_units_ends_with_every_worker_reaped() -> None:
    before = _children()
    started = time.monotonic()
    assert list(forkpool.imap_unordered(_dies_on_three, [1], 4)) == [10]
    assert time.monotonic() - started < 30
    assert _children() == before


def _raises_on_two(unit: int) -> int:
    if unit == 2:
        raise SystemExit(5)
    return unit


def test_a_worker_that_exits_says_with_what() -> None:
    results = list(forkpool.imap_unordered(_raises_on_two, range(4), 2))
    assert [r for r in results if isinstance(r, forkpool.Died)] == [forkpool.Died(2, "exited with 1")]


KILLING_RULE = '''
import os
import signal

from auditor.rule import Rule


def check(ctx):
    if ctx.path.endswith("/release-0007.yml"):
        os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's out-of-memory killer does
    return ()


RULE = Rule(id="killed-on-release-7", severity="error", summary="s", what="w", why="y",
            example="e", use_instead="u", check=check)
'''


def _killing_policy(tmp_path: Path) -> Path:
    rules = write_files(tmp_path / "rules", {"kill.py": KILLING_RULE})
    return write_files(tmp_path / "policy", {"auditor.yml": f"custom_rules: [{rules}]\n"}) / "auditor.yml"


def test_check_whose_worker_is_killed_is_one_line_and_exit_2(tmp_path: Path) -> None:
    repo = big_repo(tmp_path / "svc", 120)
    run = auditor("check", "--no-cache", "--jobs", "2", "--policy", _killing_policy(tmp_path), repo,
                  env=cli_env(tmp_path))  # fmt: skip
    assert run.returncode == 2
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("auditor: error: internal error while scanning .github/workflows/release-")
    assert "was killed by SIGKILL; if memory ran out, try fewer --jobs" in lines[0]


def test_org_whose_worker_is_killed_reports_that_repository_and_scans_the_rest(tmp_path: Path) -> None:
    """``org`` isolates a repository that fails: the one whose worker died is in error, the
    others are scanned by the worker that took its place."""
    doomed = big_repo(tmp_path / "doomed", 60)
    fine = [big_repo(tmp_path / f"fine-{i}", 60) for i in range(2)]
    for repo in fine:
        (repo / ".github" / "workflows" / "release-0007.yml").unlink()  # only "doomed" kills its worker
    run = auditor("org", "--no-cache", "--jobs", "2", "--quiet", "--format", "json", "--policy",
                  _killing_policy(tmp_path), doomed, *fine, env=cli_env(tmp_path))  # fmt: skip
    errors = [line for line in run.stderr.splitlines() if "was killed by SIGKILL" in line]
    assert len(errors) == 1 and "doomed" in errors[0], run.stderr
    assert run.returncode in (1, 2), run.stderr
    assert '"fine-0"' in run.stdout and '"fine-1"' in run.stdout
