"""bench/peers.py measures the tools for issue 14's table; these tests keep it from rotting.

Each feature function runs for real against the installed auditor on tiny
inputs, and its cell is checked against what a direct run of the same command
returns, so a change in the script's parsing or in auditor's output that the
script no longer reads shows up here. Peers are measured only when installed.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT.parent / "shared" / "examples" / "seed-incident"
SCHEMA = ROOT.parent / "shared" / "schemas" / "sarif-2.1.0.json"
needs_seed = pytest.mark.skipif(not SEED.is_dir(), reason=f"seed incident not found at {SEED} (../shared absent)")


def load_peers() -> ModuleType:
    spec = importlib.util.spec_from_file_location("peers", ROOT / "bench" / "peers.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["peers"] = module  # dataclasses resolve their annotations through sys.modules
    spec.loader.exec_module(module)
    return module


peers = load_peers()


def tool(name: str) -> object:
    found = {t.name: t for t in peers.find_tools(None)}[name]
    if not found.exe:
        pytest.skip(f"{name} not installed (pip install -e '.[bench]')")
    return found


def test_empty_folder_cell_is_the_exit_code_auditor_returns(tmp_path: Path) -> None:
    auditor = tool("auditor")
    (tmp_path / "direct").mkdir()
    direct = subprocess.run([auditor.exe, "check", str(tmp_path / "direct"), "--no-cache"], capture_output=True)
    cell = peers.f_empty_folder(auditor, tmp_path)
    assert cell.startswith(f"exit {direct.returncode}, "), cell


def test_repos_folder_cell_counts_workflows_auditor_names(tmp_path: Path) -> None:
    cell = peers.f_repos_folder(tool("auditor"), tmp_path)
    assert re.fullmatch(r"(found [123]/3 workflows|no workflow found), exit \d+(, '.*')?", cell), cell
    assert len(list((tmp_path / "repos").glob("repo*/.git"))) == 3


def test_closed_stdout_cell_reports_exit_and_stderr(tmp_path: Path) -> None:
    cell = peers.f_closed_stdout(tool("auditor"), tmp_path)
    assert re.match(r"(exit -?\d+|killed by SIGPIPE), (quiet|traceback|'|stderr ')", cell), cell


@needs_seed
@pytest.mark.skipif(not SCHEMA.exists(), reason=f"SARIF schema not found at {SCHEMA}")
def test_sarif_cell_matches_auditor_sarif(tmp_path: Path) -> None:
    auditor = tool("auditor")
    direct = subprocess.run([auditor.exe, "check", str(SEED / "before"), "--no-cache", "--format", "sarif"],
                            capture_output=True, text=True)
    results = json.loads(direct.stdout)["runs"][0]["results"]
    cell = peers.f_sarif(auditor, tmp_path)
    assert f"for {len(results)} results" in cell, cell
    assert "schema: " in cell


@needs_seed
def test_seed_incident_counts_agree_with_expected_json(tmp_path: Path) -> None:
    cell = peers.f_seed_incident(tool("auditor"), tmp_path)
    before = json.loads((SEED / "before" / "expected.json").read_text())
    after = json.loads((SEED / "after" / "expected.json").read_text())
    found_before = int(re.search(r"before: (\d+) findings", cell).group(1))  # type: ignore[union-attr]
    assert found_before >= len(before["must"]), cell
    if after.get("clean"):
        assert "after: 0 findings" in cell, cell


def test_config_errors_cell_counts_at_least_the_first_error(tmp_path: Path) -> None:
    cell = peers.f_config_errors(tool("auditor"), tmp_path)
    assert re.match(r"[123]/3 reported, exit [1-9]", cell), cell


def test_schema_and_explain_cells_run_the_commands(tmp_path: Path) -> None:
    auditor = tool("auditor")
    assert peers.f_config_schema(auditor, tmp_path).startswith("`auditor schema policy`: ")
    explain = peers.f_explain(auditor, tmp_path)
    assert re.match(r"`explain`: exit 0, [1-9]\d* lines; typo: exit \d+, (suggests the id|no suggestion)", explain)


def test_progress_is_never_seen_when_piped(tmp_path: Path) -> None:
    cell = peers.f_progress(tool("auditor"), tmp_path)
    assert cell.endswith("piped: none"), cell


@needs_seed
def test_missing_tool_gives_a_cell_not_a_crash(tmp_path: Path) -> None:
    ghost = peers.Tool("zizmor", str(tmp_path / "no-such-zizmor"))
    assert peers.measure(ghost, peers.f_empty_folder) == "not installed"
    broken = peers.Tool("zizmor", "/bin/false")
    cell = peers.measure(broken, peers.f_sarif)
    assert cell.startswith("exit 1"), cell


@pytest.mark.parametrize("name", ["zizmor", "actionlint"])
def test_peer_empty_folder_is_measured_when_installed(name: str, tmp_path: Path) -> None:
    peer = tool(name)
    cell = peers.f_empty_folder(peer, tmp_path)
    assert re.match(r"exit \d+, ", cell), cell


def test_script_prints_one_row_per_feature(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    out = tmp_path / "peers.md"
    assert peers.main(["--only", "1,8", "--out", str(out)]) == 0
    rows = [line for line in out.read_text().splitlines() if line.startswith("| ")]
    assert rows[0] == "| feature | auditor | zizmor | actionlint | checkov |"
    labels = [r.split(" | ")[0] for r in rows[1:]]
    assert labels == ["| 1. empty folder as the path", "| 8. JSON Schema for the config file"]
    assert all(r.count(" | ") == 4 for r in rows[1:])
