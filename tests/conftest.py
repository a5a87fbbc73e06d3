"""Shared test helpers: the real CLI, repositories written to tmp folders, ../shared.

Tests go through the real command line (click's CliRunner, and a subprocess
of the installed console script where that matters), on repositories the
tests write themselves. Material under ../shared is read in place, never
copied; tests that need it skip with a reason when it is absent.
"""

from __future__ import annotations

import functools
import json
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from auditor.cli import main

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
SEED = SHARED / "examples" / "seed-incident"
SCHEMAS = SHARED / "schemas"


REPORT_SCHEMA = ROOT / "reports" / "report.schema.json"


@functools.cache
def _report_validator() -> Any:
    import jsonschema

    schema = json.loads(REPORT_SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def validate_report(doc: Any) -> Any:
    """Assert ``doc`` is a JSON report per reports/report.schema.json; returns it.

    ``Run.json()`` calls it on every report it parses, so every JSON report a
    test produces through the CLI is checked against the published contract.
    """
    errors = sorted(_report_validator().iter_errors(doc), key=lambda e: list(e.path))
    if errors:
        where = "/".join(str(p) for p in errors[0].path)
        raise AssertionError(f"JSON report violates the schema at /{where}: {errors[0].message}")
    return doc


def need_shared(path: Path) -> Path:
    """``path`` under ../shared, or skip the test saying why."""
    if not path.exists():
        pytest.skip(f"{path} is absent (../shared is not beside this checkout)")
    return path


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        doc = json.loads(self.stdout)
        if isinstance(doc, dict) and "schema_version" in doc and "findings" in doc:
            validate_report(doc)
        return doc

    def findings(self, rule: str | None = None) -> list[dict[str, Any]]:
        found = self.json()["findings"]
        return [f for f in found if rule is None or f["rule"] == rule]


def run_cli(*args: str, input: str | bytes | None = None) -> Run:
    """Run ``auditor ARGS`` in-process through click, as a user would."""
    runner = CliRunner()
    result = runner.invoke(main, list(args), input=input, catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr)


def write_files(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write ``{relative path: content}`` under ``root`` (str content is dedented)."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return root


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Any]:
    """``repo({path: text})`` writes a repository under tmp and returns its root."""

    def make(files: dict[str, str | bytes], name: str = "repo") -> Path:
        return write_files(tmp_path / name, files)

    yield make


def check_json(*paths: str | Path, extra: tuple[str, ...] = ()) -> Run:
    """``auditor check --format json PATHS`` (no policy unless ``extra`` says so)."""
    return run_cli("check", "--format", "json", *extra, *[str(p) for p in paths])


def workflow(text: str) -> dict[str, str]:
    """A one-workflow repository: ``.github/workflows/ci.yml`` holding ``text``."""
    return {".github/workflows/ci.yml": text}


@pytest.fixture(autouse=True, scope="session")
def _private_result_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every test run gets its own result cache folder, never the user's ~/.cache."""
    import os

    folder = tmp_path_factory.mktemp("auditor-cache")
    old = os.environ.get("AUDITOR_CACHE_DIR")
    os.environ["AUDITOR_CACHE_DIR"] = str(folder)
    yield
    if old is None:
        os.environ.pop("AUDITOR_CACHE_DIR", None)
    else:
        os.environ["AUDITOR_CACHE_DIR"] = old
