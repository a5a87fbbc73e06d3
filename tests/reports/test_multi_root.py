"""A check over several roots names each finding's repository (issue 13 item 6).

Without it a JSON report over many repositories has ``repo: null`` and
repository-relative paths: two findings in two repositories cannot be told
apart or traced. One root keeps ``repo: null`` (the DESIGN.md contract).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from tests.conftest import check_json, run_cli, write_files

GRANT = "on: push\npermissions: {statuses: write}\njobs:\n  t: {runs-on: x, steps: [{run: make}]}\n"


def _two(tmp_path: Path) -> tuple[Path, Path]:
    a = write_files(tmp_path / "svc-a", {".github/workflows/ci.yml": GRANT})
    b = write_files(tmp_path / "svc-b", {".github/workflows/ci.yml": GRANT})
    return a, b


def test_every_finding_carries_its_repository(tmp_path: Path) -> None:
    a, b = _two(tmp_path)
    found: list[dict[str, Any]] = check_json(a, b).findings()
    assert sorted((f["repo"], f["path"]) for f in found) == [
        (str(a), ".github/workflows/ci.yml"), (str(b), ".github/workflows/ci.yml"),
    ]
    assert len({f["fingerprint"] for f in found}) == 2


def test_one_root_keeps_repo_null(tmp_path: Path) -> None:
    a, _b = _two(tmp_path)
    assert [f["repo"] for f in check_json(a).findings()] == [None]


def test_the_gate_over_several_roots_still_knows_old_findings(tmp_path: Path) -> None:
    a, b = _two(tmp_path)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    for root in (a, b):
        subprocess.run([*git, "-C", str(root), "init", "-q"], check=True)
        subprocess.run([*git, "-C", str(root), "add", "-A"], check=True)
        subprocess.run([*git, "-C", str(root), "commit", "-qm", "base"], check=True)
    run = run_cli("check", "--format", "json", "--new-since", "HEAD", str(a), str(b))
    assert run.exit_code == 0, run.stdout
    assert run.json()["findings"] == []
