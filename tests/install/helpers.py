"""What the install tests share: a copy of the source tree, a clean environment, the registry.

These tests install the project the way users do (a fresh virtual environment,
pip, pre-commit, the composite action's own script) into tmp folders. They
build from a copy of the checkout so that in-tree build output (``build/``,
``*.egg-info``) never lands in the checkout and two builds never share a folder.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.conftest import ROOT

README = ROOT / "README.md"
CI_RUN = ROOT / ".ci" / "run"

_NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", ".ci-venv", "build", "dist", "*.egg-info", "__pycache__", ".mypy_cache",
    ".ruff_cache", ".pytest_cache", ".hypothesis",
)

# What pip and pre-commit print when the package registry cannot be reached.
_UNREACHABLE = (
    "NewConnectionError", "Max retries exceeded", "Temporary failure in name resolution",
    "Network is unreachable", "Could not fetch URL", "No matching distribution found",
    "ConnectTimeoutError", "ReadTimeoutError", "Name or service not known",
)


def pyproject_version() -> str:
    """The one source of the version: ``auditor/_version.py``, which pyproject.toml names
    as the package's dynamic version (checked here, so the two cannot part)."""
    with (ROOT / "pyproject.toml").open("rb") as f:
        project = tomllib.load(f)
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "auditor._version.__version__"}
    found = re.search(r'^__version__ = "([^"]+)"$', (ROOT / "auditor" / "_version.py").read_text(), re.M)
    assert found is not None
    return found.group(1)


def copy_source(dest: Path) -> Path:
    """The checkout as pip would see it, without venvs, caches or build output."""
    shutil.copytree(ROOT, dest, symlinks=True, ignore=_NOT_SOURCE)
    return dest


def clean_env(**extra: str) -> dict[str, str]:
    """This environment less any Python environment of ours: no auditor on PATH, no PYTHONPATH.

    A command that works only because the test's own virtual environment leaks
    into it would prove nothing about a fresh machine.
    """
    env = {k: v for k, v in os.environ.items()
           if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSAFEPATH"}}  # fmt: skip
    keep = [d for d in env.get("PATH", os.defpath).split(os.pathsep)
            if d and not (Path(d) / "auditor").exists()]  # fmt: skip
    env["PATH"] = os.pathsep.join(keep)
    env.update(extra)
    return env


def skip_if_registry_unreachable(proc: subprocess.CompletedProcess[str], what: str, log: str = "") -> None:
    """Skip (saying why) when ``proc`` failed because the package registry is out of reach."""
    if proc.returncode == 0:
        return
    text = f"{proc.stdout}\n{proc.stderr}\n{log}"
    if any(marker in text for marker in _UNREACHABLE):
        last = next((line for line in reversed(text.splitlines()) if line.strip()), "")
        pytest.skip(f"{what}: the package registry could not be reached ({last.strip()[:200]})")


def quick_start_commands() -> tuple[str, str]:
    """The README's two quick-start commands: install-and-try, then the test suite."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    blocks = [b.strip() for b in re.findall(r"^```sh\n(.*?)^```", section, re.S | re.M)]
    assert len(blocks) == 2, f"the Quick start section should hold two sh blocks, not {len(blocks)}"
    assert all("\n" not in b for b in blocks), "each quick-start command is one line"
    return blocks[0], blocks[1]


def venv_of(command: str) -> str:
    """The environment a ``python3 -m venv DIR && DIR/bin/...`` command makes and uses.

    Fails when the command runs ``pip`` (or anything else) from the system's
    interpreter, which PEP 668 systems (Debian 12 and later) refuse.
    """
    segments = [shlex.split(part) for part in command.split("&&")]
    assert segments[0][:3] == ["python3", "-m", "venv"] and len(segments[0]) == 4, (
        f"{command!r} should start by making its own environment: python3 -m venv DIR")
    venv = segments[0][3]
    for words in segments[1:]:
        assert words[0].startswith(f"{venv}/bin/"), f"{shlex.join(words)!r} does not run from {venv}"
    return venv
