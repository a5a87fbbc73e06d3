"""pre-commit hook, composite action and the documented CI workflows."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from tests.conftest import ROOT, run_cli, write_files
from tests.reports.pipelines import PATH, with_continue_on_error


def load(path: Path) -> Any:
    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


def uses_of(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [v for k, v in node.items() if k == "uses" and isinstance(v, str)]
        return found + [u for v in node.values() for u in uses_of(v)]
    if isinstance(node, list):
        return [u for v in node for u in uses_of(v)]
    return []


def test_pre_commit_hook() -> None:
    [hook] = load(ROOT / ".pre-commit-hooks.yaml")
    assert hook["id"] == "auditor" and hook["language"] == "python"
    assert hook["entry"] == "auditor check" and hook["pass_filenames"] is False
    files = re.compile(hook["files"])
    for path in (".github/workflows/ci.yml", ".gitea/workflows/sub/x.yaml",
                 ".forgejo/workflows/a.yml", ".gitea/scripts/verify.sh", "tools/action.yml",
                 "action.yaml", ".auditor.yml"):  # fmt: skip
        assert files.search(path), path
    for path in ("src/app.py", "docs/ci.yml", "reaction.yml", "x/.auditor.yml"):
        assert not files.search(path), path


def test_composite_action_inputs_and_no_foreign_actions() -> None:
    action = load(ROOT / "action.yml")
    assert {"path", "policy", "format", "fail-on"} <= set(action["inputs"])
    assert action["inputs"]["fail-on"]["default"] == "error"
    assert action["runs"]["using"] == "composite"
    assert uses_of(action) == []
    # Inputs reach the scripts through env, never pasted into the script text.
    for step in action["runs"]["steps"]:
        assert "${{" not in step["run"]


def test_composite_action_run_step(tmp_path: Path) -> None:
    """The action's own script, run with bash as the runner would (auditor on PATH)."""
    step = next(s for s in load(ROOT / "action.yml")["runs"]["steps"] if s.get("id") == "check")
    root = write_files(tmp_path / "app", {PATH: with_continue_on_error()})
    out = tmp_path / "github_output"
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_OUTPUT": str(out),
        "AUDITOR_PATH": str(root), "AUDITOR_POLICY": "", "AUDITOR_FORMAT": "github",
        "AUDITOR_FAIL_ON": "error", "AUDITOR_OUTPUT": "", "AUDITOR_NEW_SINCE": "",
        "AUDITOR_ARGS": f"--no-policy\n--report\nsarif:{tmp_path / 'a.sarif'}",  # one per line
    }  # fmt: skip
    proc = subprocess.run(["bash", "-c", step["run"]], env=env, capture_output=True, text=True,
                          check=False)  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.count("::error file=") == 2
    assert out.read_text() == "exit-code=1\n"
    assert (tmp_path / "a.sarif").exists()


def test_this_repository_and_the_documented_workflows_pass_auditor() -> None:
    run = run_cli("check", "--format", "json", str(ROOT), str(ROOT / "docs/gitea-auditor.yml"),
                  str(ROOT / "docs/github-auditor.yml"))  # fmt: skip
    assert run.exit_code == 0 and run.findings() == [], run.stdout


def test_gitea_example_needs_no_other_forge() -> None:
    wf = load(ROOT / "docs/gitea-auditor.yml")
    assert uses_of(wf) == []
    assert list(wf["on"]) == ["pull_request"]
    script = "\n".join(step["run"] for step in wf["jobs"]["auditor"]["steps"])
    assert re.search(r"pip\S* install", script) and "--new-since" in script


def test_github_example_uploads_sarif() -> None:
    wf = load(ROOT / "docs/github-auditor.yml")
    job = wf["jobs"]["code-scanning"]
    assert job["permissions"]["security-events"] == "write"
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses_of(job))
    script = "\n".join(step.get("run", "") for step in job["steps"])
    assert "--format sarif --output auditor.sarif" in script
    gate = "\n".join(step.get("run", "") for step in wf["jobs"]["gate"]["steps"])
    assert "--new-since" in gate


def test_the_org_matrix_workflows_in_the_docs_pass_auditor(tmp_path: Path) -> None:
    """The shard-matrix examples (README and docs/org.md) are workflows users copy."""
    blocks = []
    for doc in (ROOT / "README.md", ROOT / "docs" / "org.md"):
        text = doc.read_text(encoding="utf-8")
        blocks += [b for b in re.findall(r"```yaml\n(.*?)```", text, re.S) if "auditor merge" in b]
    assert len(blocks) == 2
    for i, block in enumerate(blocks):
        if "\non:" not in f"\n{block}":
            block = "on: workflow_dispatch\n" + block
        write_files(tmp_path, {f".github/workflows/org{i}.yml": block})
    run = run_cli("check", "--format", "json", str(tmp_path))
    assert run.exit_code == 0 and run.findings() == [], run.stdout
