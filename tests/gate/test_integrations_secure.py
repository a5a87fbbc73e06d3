"""Every shipped integration uses the secure default (issue 11): no secrets in the gate,
``pull_request`` (never ``pull_request_target``), no ``--trust-repo-policy``; and the
action and the pre-commit hook, run as their runners would, import no repository code."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import ROOT, write_files
from tests.gate.helpers import CLEAN, WF, marker_module
from tests.reports.test_integrations import load

INTEGRATIONS = ("docs/github-auditor.yml", "docs/gitea-auditor.yml", "action.yml",
                ".pre-commit-hooks.yaml")  # fmt: skip


def hostile(root: Path, marker: Path) -> Path:
    return write_files(root, {
        WF: CLEAN, ".auditor.yml": "version: 1\ncustom_rules: [evil/r.py]\n",
        "evil/r.py": marker_module(marker),
    })  # fmt: skip


def test_no_integration_opts_in_or_names_a_secret() -> None:
    for name in INTEGRATIONS:
        text = (ROOT / name).read_text(encoding="utf-8")
        code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
        assert "secrets." not in code, name
        assert "pull_request_target" not in code, name
        assert "cmd+=(--trust-repo-policy)" in code or "--trust-repo-policy" not in code, name


def _steps_text(job: dict[str, Any]) -> str:
    return "\n".join(str(step.get("run", "")) for step in job["steps"])


def test_the_github_gate_is_a_pull_request_job_with_no_secrets() -> None:
    wf = load(ROOT / "docs/github-auditor.yml")
    assert set(wf["on"]) == {"push", "pull_request"}
    gate = wf["jobs"]["gate"]
    assert gate["if"] == "github.event_name == 'pull_request'"
    assert gate["permissions"] == {"contents": "read"}
    checkout = next(s for s in gate["steps"] if str(s.get("uses", "")).startswith("actions/checkout@"))
    assert checkout["with"]["persist-credentials"] is False
    assert "--new-since" in _steps_text(gate)
    scanning = wf["jobs"]["code-scanning"]
    assert scanning["if"] == "github.event_name == 'push'"


def test_the_gitea_gate_gives_the_auditor_step_no_token() -> None:
    wf = load(ROOT / "docs/gitea-auditor.yml")
    assert list(wf["on"]) == ["pull_request"]
    [step] = [s for s in wf["jobs"]["auditor"]["steps"] if "auditor check" in str(s.get("run"))]
    assert "--new-since" in step["run"]
    assert not any("token" in str(v).lower() for v in step.get("env", {}).values())


def _run_action(root: Path, tmp_path: Path, trust: str | None) -> subprocess.CompletedProcess[str]:
    step = next(s for s in load(ROOT / "action.yml")["runs"]["steps"] if s.get("id") == "check")
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_OUTPUT": str(tmp_path / "out"), "AUDITOR_PATH": str(root),
        "AUDITOR_POLICY": "", "AUDITOR_FORMAT": "github", "AUDITOR_FAIL_ON": "error",
        "AUDITOR_OUTPUT": "", "AUDITOR_NEW_SINCE": "", "AUDITOR_ARGS": "--no-cache",
    }  # fmt: skip
    if trust is not None:
        env["AUDITOR_TRUST_REPO_POLICY"] = trust
    return subprocess.run(["bash", "-c", step["run"]], env=env, capture_output=True, text=True,
                          check=False, timeout=120)  # fmt: skip


def test_the_action_imports_nothing_unless_asked(tmp_path: Path) -> None:
    action = load(ROOT / "action.yml")
    assert action["inputs"]["trust-repo-policy"]["default"] == "false"
    marker = tmp_path / "marker"
    root = hostile(tmp_path / "app", marker)
    for trust in (None, "false", "yes"):
        proc = _run_action(root, tmp_path, trust)
        assert proc.returncode == 2, proc.stderr
        assert not marker.exists()
        assert "custom_rules not loaded" in proc.stderr
    proc = _run_action(root, tmp_path, "true")
    assert proc.returncode == 0, proc.stderr
    assert marker.exists()


def test_the_pre_commit_hook_imports_nothing(tmp_path: Path) -> None:
    [hook] = load(ROOT / ".pre-commit-hooks.yaml")
    marker = tmp_path / "marker"
    root = hostile(tmp_path / "app", marker)
    # pre-commit runs `entry` + `args` in the repository's root.
    command = [*shlex.split(hook["entry"]), *hook["args"], "--no-cache"]
    assert command[:2] == ["auditor", "check"]
    proc = subprocess.run(
        [sys.executable, "-m", "auditor", *command[1:]], cwd=root, capture_output=True,
        text=True, check=False, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2 and not marker.exists()
    assert "custom_rules not loaded: evil/r.py" in proc.stderr
