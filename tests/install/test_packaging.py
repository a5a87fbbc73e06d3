"""The project installed as users install it: the README's first command, run as written.

One fresh virtual environment (made by that command, in a copy of the
checkout under tmp) gets PyPI's ``rules`` distribution (django-rules) beside
auditor: the top-level name ``rules`` is django-rules' own, and every auditor
command, run through the environment's console script, still works. Slow
(venv + pip); skipped, saying so, only when the package registry is out of reach.
"""

from __future__ import annotations

import json
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT, validate_report, write_files
from tests.install.helpers import (
    clean_env,
    copy_source,
    pyproject_version,
    quick_start_commands,
    skip_if_registry_unreachable,
    venv_of,
)

PIP_TIMEOUT = 900


@dataclass(frozen=True)
class Installed:
    src: Path
    venv: Path
    quick_start: subprocess.CompletedProcess[str]
    wheel: Path
    work: Path

    @property
    def site_packages(self) -> Path:
        [site] = (self.venv / "lib").glob("python3*/site-packages")
        return site

    def auditor(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``auditor ARGS`` through the environment's console script, outside the source tree."""
        return subprocess.run([str(self.venv / "bin" / "auditor"), *args], cwd=self.work, env=clean_env(),
                              capture_output=True, text=True, check=False, timeout=300)  # fmt: skip

    def python(self, code: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.venv / "bin" / "python"), "-c", code], cwd=self.work, env=clean_env(),
                              capture_output=True, text=True, check=False, timeout=120)  # fmt: skip


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=clean_env(), capture_output=True, text=True, check=False,
                          timeout=PIP_TIMEOUT)  # fmt: skip


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("packaging")
    src = copy_source(base / "src")
    first, _ = quick_start_commands()
    quick = subprocess.run(["bash", "-c", first], cwd=src, env=clean_env(), capture_output=True, text=True,
                           check=False, timeout=PIP_TIMEOUT)  # fmt: skip
    skip_if_registry_unreachable(quick, "the README's first command")
    venv = src / venv_of(first)
    assert (venv / "bin" / "auditor").exists(), f"the README's first command installed nothing:\n{quick.stderr}"
    pip = str(venv / "bin" / "pip")
    rules = _run([pip, "install", "--quiet", "rules"], base)
    skip_if_registry_unreachable(rules, "pip install rules (PyPI's django-rules)")
    assert rules.returncode == 0, rules.stderr
    built = _run([pip, "wheel", "--quiet", "--no-deps", "--wheel-dir", str(base / "dist"), str(src)], base)
    assert built.returncode == 0, built.stderr
    [wheel] = (base / "dist").glob("auditor-*.whl")
    examples = ROOT / "examples"
    work = write_files(base / "work", {
        f"{name}/{path.relative_to(examples / name)}": path.read_bytes()
        for name in ("broken-pipeline", "fixed-pipeline")
        for path in (examples / name).rglob("*") if path.is_file()
    })  # fmt: skip
    return Installed(src, venv, quick, wheel, work)


def _no_crash(proc: subprocess.CompletedProcess[str], what: str) -> None:
    for word in ("Traceback", "ModuleNotFoundError", "ImportError", "internal error"):
        assert word not in proc.stderr and word not in proc.stdout, f"{what}: {word}\n{proc.stderr}"


def test_the_readme_first_command_works_as_written(installed: Installed) -> None:
    """Exit 1 is the documented outcome on examples/broken-pipeline: findings were reported."""
    proc = installed.quick_start
    _no_crash(proc, "quick start")
    assert proc.returncode == 1, proc.stderr
    assert "error[continue-on-error-on-promote-path]" in proc.stdout
    assert "auditor: 1 file checked" in proc.stdout


def test_the_wheel_holds_only_the_auditor_package(installed: Installed) -> None:
    version = pyproject_version()
    names = zipfile.ZipFile(installed.wheel).namelist()
    tops = {name.split("/", 1)[0] for name in names}
    assert tops == {"auditor", f"auditor-{version}.dist-info"}, tops
    # The checkout's symlinks (auditor/rules -> ../rules) became real subpackages: every
    # file of rules/ and reports/ is in the wheel under auditor/, data files included.
    for folder in ("rules", "reports"):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                assert f"auditor/{path.relative_to(ROOT).as_posix()}" in names, path
    assert "auditor/reports/report.schema.json" in names and "auditor/py.typed" in names
    assert "auditor/policy.schema.json" in names  # `auditor schema policy` reads it
    # The rule pages ship too (auditor/docs -> ../docs): `explain` reads them offline.
    pages = sorted(p.name for p in (ROOT / "docs" / "rules").glob("*.md"))
    assert pages and all(f"auditor/docs/rules/{name}" in names for name in pages)
    assert not [n for n in names if n.startswith("auditor/docs/") and not n.startswith("auditor/docs/rules/")]


def test_the_environment_holds_no_top_level_rules_or_reports_of_ours(installed: Installed) -> None:
    site = installed.site_packages
    [info] = site.glob("auditor-*.dist-info")
    assert info.name == f"auditor-{pyproject_version()}.dist-info"
    recorded = [line.split(",", 1)[0] for line in (info / "RECORD").read_text().splitlines() if line]
    tops = {path.split("/", 1)[0] for path in recorded if not path.startswith("../")}
    assert tops == {"auditor", info.name}, tops
    assert not (site / "reports").exists()
    [rules_info] = site.glob("rules-*.dist-info")  # PyPI's rules is what owns site-packages/rules
    assert any(line.startswith("rules/__init__.py,") for line in (rules_info / "RECORD").read_text().splitlines())


def test_pypi_rules_and_auditor_rules_import_side_by_side(installed: Installed) -> None:
    proc = installed.python(
        "import json, rules, auditor.rules, auditor.reports\n"
        "print(json.dumps([rules.__file__, callable(getattr(rules, 'predicate', None)),"
        " auditor.rules.__file__, auditor.reports.__file__]))"
    )
    assert proc.returncode == 0, proc.stderr
    theirs, is_django_rules, ours, reports = json.loads(proc.stdout)
    site = installed.site_packages
    assert Path(theirs) == site / "rules" / "__init__.py" and is_django_rules
    assert Path(ours) == site / "auditor" / "rules" / "__init__.py"
    assert Path(reports) == site / "auditor" / "reports" / "__init__.py"


def test_every_command_through_the_console_script(installed: Installed) -> None:
    """Each command, with the exit code the README documents, and never a crash."""
    version = pyproject_version()
    run = installed.auditor

    def expect(code: int, *args: str) -> subprocess.CompletedProcess[str]:
        proc = run(*args)
        _no_crash(proc, f"auditor {' '.join(args)}")
        assert proc.returncode == code, f"auditor {' '.join(args)}: exit {proc.returncode}\n{proc.stderr}"
        return proc

    assert expect(0, "--version").stdout == f"auditor, version {version}\n"
    assert "error[" in expect(1, "check", "broken-pipeline").stdout
    assert "no findings" in expect(0, "check", "fixed-pipeline").stdout
    doc = validate_report(json.loads(expect(1, "check", "--format", "json", "broken-pipeline").stdout))
    assert doc["tool"] == {"name": "auditor", "version": version}
    expect(0, "baseline", "broken-pipeline", "-o", "baseline.json")
    expect(0, "check", "broken-pipeline", "--baseline", "baseline.json")
    expect(1, "org", "-q", "broken-pipeline", "fixed-pipeline", "--report", "json:org.json")
    for k in (1, 2):
        shard = run("org", "-q", "--shard", f"{k}/2", "broken-pipeline", "fixed-pipeline",
                    "--report", f"json:shard-{k}.json")  # fmt: skip
        _no_crash(shard, f"org --shard {k}/2")
        assert shard.returncode in (0, 1), shard.stderr
    expect(1, "merge", "shard-1.json", "shard-2.json")
    assert "flowchart" in expect(0, "graph", "broken-pipeline").stdout
    assert "continue-on-error-on-promote-path" in expect(0, "rules").stdout
    assert "## What it does" in expect(0, "explain", "needs-cycle").stdout
    assert "unknown rule" in expect(2, "explain", "no-such-rule").stderr
    assert expect(2, "check", "no-such-folder").stderr.count("\n") == 1
