"""Helpers for fault tests: the real CLI in a subprocess, and a repository big enough
that a scan with ``--jobs 2`` is still running when a test interrupts it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TIMEOUT = 180


def cli_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["AUDITOR_CACHE_DIR"] = str(tmp_path / "cache")
    env["NO_COLOR"] = "1"
    env.pop("FORCE_COLOR", None)
    return env


def auditor(*args: str | Path, env: dict[str, str], cwd: Path | None = None,
            stdout: object = subprocess.PIPE) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """``python -m auditor ARGS`` as a subprocess (exit codes, file descriptors, signals)."""
    return subprocess.run(
        [sys.executable, "-m", "auditor", *map(str, args)], stdout=stdout,
        stderr=subprocess.PIPE, text=True, timeout=TIMEOUT, env=env, cwd=cwd, check=False,
    )  # fmt: skip


def _workflow(index: int) -> str:
    """A release pipeline with shell to analyse and a few findings, distinct per index."""
    lines = "\n".join(f"          curl -sS https://cp.example/{index}/{i} -o out{i} || true"
                      for i in range(12))  # fmt: skip
    return (
        f"name: release {index}\n"
        "on: push\n"
        "jobs:\n"
        "  publish:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        f"      - run: docker push ghcr.io/o/app{index}:latest\n"
        "  promote:\n"
        "    needs: publish\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - name: promote\n"
        "        continue-on-error: true\n"
        "        run: |\n"
        f"{lines}\n"
        f"          echo ${{{{ needs.publish.outputs.digest }}}} > pin{index}\n"
    )


def big_repo(root: Path, files: int) -> Path:
    folder = root / ".github" / "workflows"
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        (folder / f"release-{i:04d}.yml").write_text(_workflow(i), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One repository of 1,500 workflows (a cold scan with two workers takes seconds)."""
    return big_repo(tmp_path_factory.mktemp("big") / "repo", 1500)
