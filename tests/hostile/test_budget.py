"""The per-file budget: a file whose analysis does not end (or costs too much) is one
``scan-incomplete`` finding for that file, and the scan goes on — in-process (``--jobs 1``)
and in the pool's workers alike.

A custom rule that spins forever on some files stands in for "whatever is still
exponential somewhere": without the budget these scans never end (the subprocess
timeout would fail the test). The policy naming it lives outside the scanned tree,
so it is the user's own, trusted code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write_files
from tests.hostile.test_hostile import TIMEOUT, _limit_memory, findings

SPIN = '''
from auditor.rule import Rule


def check(ctx):
    if "slow" in ctx.path:
        n = 0
        while True:  # never ends, and swallows every Exception on its way
            try:
                n += 1
            except Exception:
                pass
    return iter(())


RULE = Rule(id="spin", severity="note", summary="s", what="w", why="y", example="e",
            use_instead="u", check=check, scope="file", kinds=frozenset({"workflow"}))
'''

BAD = "on: push\njobs:\n  a:\n    runs-on: x\n    needs: [ghost]\n    steps: [{run: echo}]\n"


def run(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "auditor", "check", "--format", "json", *map(str, args)],
        capture_output=True, text=True, timeout=TIMEOUT, env=full, preexec_fn=_limit_memory,
        check=False,
    )  # fmt: skip


def spin_policy(tmp_path: Path) -> Path:
    folder = write_files(tmp_path / "trusted", {"rules/spin.py": SPIN})
    policy = folder / "policy.yml"
    policy.write_text(f"version: 1\ncustom_rules: [{folder / 'rules'}]\n")
    return policy


def by_path(found: list[dict[str, Any]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in found:
        out.setdefault(f["path"], set()).add(f["rule"])
    return out


@pytest.mark.parametrize("jobs", ["1", "2"], ids=["in-process", "pool"])
def test_a_file_that_never_finishes_is_a_finding_and_the_scan_goes_on(tmp_path: Path, jobs: str) -> None:
    many = 1 if jobs == "1" else 60  # the pool starts at 48 files to analyse
    files = {f".github/workflows/ok{i}.yml": BAD for i in range(many)}
    files[".github/workflows/slow-a.yml"] = BAD
    files[".github/workflows/slow-b.yml"] = BAD
    root = write_files(tmp_path / "repo", files)
    proc = run(root, "--no-cache", "--jobs", jobs, "--policy", spin_policy(tmp_path),
               env={"AUDITOR_FILE_SECONDS": "2"})  # fmt: skip
    found = findings(proc)
    rules = by_path(found)
    assert rules[".github/workflows/slow-a.yml"] == {"scan-incomplete"}
    assert rules[".github/workflows/slow-b.yml"] == {"scan-incomplete"}
    assert all(rules[f".github/workflows/ok{i}.yml"] == {"needs-unknown-job"} for i in range(many))
    stopped = [f for f in found if f["rule"] == "scan-incomplete"]
    assert all((f["line"], f["column"], f["severity"]) == (1, 1, "error") for f in stopped)
    assert "longer than 2 s" in stopped[0]["message"]
    assert proc.returncode == 1


def test_the_work_bound_is_deterministic(tmp_path: Path) -> None:
    big = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n" + "".join(
        f"      - run: echo {i} {'x' * 80}\n" for i in range(20_000)
    )
    root = write_files(tmp_path / "repo", {".github/workflows/big.yml": big,
                                           ".github/workflows/small.yml": BAD})  # fmt: skip
    proc = run(root, "--no-cache", "--jobs", "1", env={"AUDITOR_FILE_WORK": "1000000"})
    found = findings(proc)
    assert by_path(found) == {".github/workflows/big.yml": {"scan-incomplete"},
                              ".github/workflows/small.yml": {"needs-unknown-job"}}  # fmt: skip
    assert "1,000,000 units of work" in found[0]["message"]


def test_a_stopped_file_is_not_cached(tmp_path: Path) -> None:
    """Whether a file finishes depends on the machine: a later run with a larger budget
    analyses it instead of being served the stop from the cache."""
    root = write_files(tmp_path / "repo", {".github/workflows/ci.yml": BAD})
    cache = {"AUDITOR_CACHE_DIR": str(tmp_path / "cache")}
    first = findings(run(root, env={**cache, "AUDITOR_FILE_WORK": "10"}))
    assert [f["rule"] for f in first] == ["scan-incomplete"]
    again = findings(run(root, env=cache))
    assert [f["rule"] for f in again] == ["needs-unknown-job"]


def test_the_budget_finding_can_be_waived_like_any_other(tmp_path: Path) -> None:
    root = write_files(tmp_path / "repo", {
        ".github/workflows/gen.yml": BAD,
        ".auditor.yml": "version: 1\nwaivers:\n  - rule: scan-incomplete\n    path: .github/workflows/gen.yml\n"
                        "    reason: generated, checked upstream\n",
    })  # fmt: skip
    proc = run(root, "--no-cache", env={"AUDITOR_FILE_WORK": "10"})
    assert findings(proc) == [] and proc.returncode == 0


def test_a_ten_thousand_job_promote_chain_ends(tmp_path: Path) -> None:
    """Was quadratic in the engine (roles, graph closure: gigabytes at this size); now
    linear, so under the default budget and the memory limit every promote of the chain
    is judged, never a hang or an internal error."""
    jobs = ["on: push", "jobs:"]
    for i in range(10_000):
        jobs.append(f"  promote{i}:\n    runs-on: x")
        if i:
            jobs.append(f"    needs: [promote{i - 1}]")
        jobs.append('    steps:\n      - run: curl --fail -X POST https://cp.example/promote -d "digest=$D"')
    root = write_files(tmp_path / "repo", {".github/workflows/chain.yml": "\n".join(jobs) + "\n",
                                           ".github/workflows/small.yml": BAD})  # fmt: skip
    proc = run(root, "--no-cache", "--jobs", "1")
    found = findings(proc)
    assert "needs-unknown-job" in by_path(found)[".github/workflows/small.yml"]
    assert "promote-without-verify" in by_path(found)[".github/workflows/chain.yml"]
    json.loads(proc.stdout)  # one well-formed report
