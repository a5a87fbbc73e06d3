"""The install instructions and version pins users copy: checked against the files they name.

The README's first command must work on a system Python that refuses
``pip install`` (PEP 668), its second is what CI runs, every ``rev:`` and
``uses: ...@REF`` in the integrations resolves to a commit of this repository,
and the version comes from one place, auditor/_version.py (pyproject.toml names it).
"""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli
from tests.install.helpers import CI_RUN, README, pyproject_version, quick_start_commands, venv_of

# Where users copy a pin from.
PINNED = (ROOT / "docs" / "integrations.md", ROOT / "action.yml", ROOT / ".pre-commit-hooks.yaml")
# What users read a version in.
SHOWN = (README, *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "docs").glob("*.yml")),
         ROOT / "action.yml", ROOT / ".pre-commit-hooks.yaml")  # fmt: skip


def test_both_quick_start_commands_make_their_own_environment() -> None:
    first, second = quick_start_commands()
    assert venv_of(first) == venv_of(second), "the test command installs into the first command's environment"
    assert "install ." in first and "auditor check examples/broken-pipeline" in first
    assert "pytest" in shlex.split(second)[-1]


def test_the_quick_start_offers_pipx_and_uv() -> None:
    section = README.read_text(encoding="utf-8").split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    assert "`pipx install .`" in section and "`uv tool install .`" in section


def test_ci_runs_the_readme_test_command_verbatim_and_lints_from_its_environment() -> None:
    _, second = quick_start_commands()
    venv = venv_of(second)
    lines = [line.strip() for line in CI_RUN.read_text(encoding="utf-8").splitlines()]
    assert second in lines, f".ci/run does not run the README's test command verbatim: {second}"
    after = [line.split("#", 1)[0].strip() for line in lines[lines.index(second) + 1:]]
    commands = [line for line in after if line]
    assert commands, ".ci/run runs no linter after the tests"
    for tool in ("ruff", "mypy", "lint-imports"):
        assert any(shlex.split(c)[0] == f"{venv}/bin/{tool}" for c in commands), f"{tool} not run from {venv}"
    for command in commands:
        assert shlex.split(command)[0].startswith(f"{venv}/bin/"), f"{command!r} does not run from {venv}"
    before = "\n".join(lines[: lines.index(second)])
    assert "activate" not in before and not re.search(r"^(pip|python3? -m pip) ", before, re.M)


def test_version_is_pyproject_version() -> None:
    run = run_cli("--version")
    assert run.exit_code == 0
    assert run.stdout == f"auditor, version {pyproject_version()}\n"


def test_no_doc_shows_another_version() -> None:
    version = pyproject_version()
    for path in SHOWN:
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"(?:@|rev:\s*)v(\d+\.\d+\.\d+)\b|\"version\":\s*\"(\d+\.\d+\.\d+)\"", text):
            shown = match.group(1) or match.group(2)
            line = text.count("\n", 0, match.start()) + 1
            assert shown == version, f"{path.relative_to(ROOT)}:{line} shows {shown}, pyproject says {version}"


def _git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=False)


def _pins(path: Path) -> list[tuple[int, str]]:
    """``(line, ref)`` of every ``rev: REF`` and ``uses: .../auditor@REF`` in ``path``."""
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        for match in re.finditer(r"\brev:\s*['\"]?([^\s'\"#]+)|\buses:\s*\S*/auditor@([^\s'\"#]+)", line):
            found.append((number, match.group(1) or match.group(2)))
    return found


def test_every_pin_in_the_integrations_is_a_commit_of_this_repository() -> None:
    if _git("rev-parse", "--git-dir").returncode != 0:
        pytest.skip(f"{ROOT} is not a git checkout, so its commits cannot be looked up")
    if _git("rev-parse", "--is-shallow-repository").stdout.strip() == "true":
        pytest.skip(f"{ROOT} is a shallow clone: older commits the docs pin to may be missing")
    for path in PINNED:
        pins = _pins(path)
        assert pins, f"{path.relative_to(ROOT)} shows no rev: or @REF pin"
        assert any(re.fullmatch(r"[0-9a-f]{40}", ref) for _, ref in pins), (
            f"{path.relative_to(ROOT)} pins no full commit SHA")
        for line, ref in pins:
            known = _git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode == 0
            assert known, f"{path.relative_to(ROOT)}:{line}: {ref} is not a commit or tag of this repository"
