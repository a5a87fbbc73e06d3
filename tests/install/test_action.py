"""The composite action, run as a runner runs it: each ``run:`` script with bash, in order.

A small runner stands in for GitHub's, Gitea's and Forgejo's: it fills each
step's ``env`` from the inputs, runs the script with ``bash --noprofile --norc
-eo pipefail`` (what ``shell: bash`` means), gives every step fresh
``GITHUB_OUTPUT`` and ``GITHUB_PATH`` files, puts what a step added to
``GITHUB_PATH`` before ``PATH`` for the steps after it, and stops at the first
failing step. The action installs from a copy of this checkout (its
``GITHUB_ACTION_PATH``) into ``RUNNER_TOOL_CACHE`` under tmp; the second run
must reuse that environment without calling pip. Slow (venv + pip) on the
first run; skipped, saying so, only when the package registry is out of reach.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conftest import ROOT, validate_report, write_files
from tests.install.helpers import clean_env, copy_source, pyproject_version, skip_if_registry_unreachable
from tests.reports.test_integrations import load

INPUT = re.compile(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}")
STEP_OUTPUT = re.compile(r"\$\{\{\s*steps\.([\w-]+)\.outputs\.([\w-]+)\s*\}\}")


@dataclass
class ActionRun:
    steps: list[subprocess.CompletedProcess[str]] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)  # the action's own outputs
    raw_outputs: list[str] = field(default_factory=list)  # each step's GITHUB_OUTPUT text

    @property
    def log(self) -> str:
        return "\n".join(p.stdout + p.stderr for p in self.steps)


def run_action(action_path: Path, runner: Path, workspace: Path, inputs: dict[str, str]) -> ActionRun:
    action = load(action_path / "action.yml")
    values = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    unknown = set(inputs) - set(values)
    assert not unknown, f"the action has no input {unknown}"
    values.update(inputs)
    env = clean_env(
        GITHUB_ACTION_PATH=str(action_path), GITHUB_WORKSPACE=str(workspace),
        RUNNER_TEMP=str(runner / "temp"), RUNNER_TOOL_CACHE=str(runner / "tool-cache"),
    )  # fmt: skip
    (runner / "temp").mkdir(parents=True, exist_ok=True)
    done = ActionRun()
    step_outputs: dict[str, dict[str, str]] = {}
    for number, step in enumerate(action["runs"]["steps"]):
        assert step["shell"] == "bash" and "uses" not in step
        assert "${{" not in step["run"], "inputs reach a script through env, never pasted into it"
        step_env = dict(env)
        for key, value in step.get("env", {}).items():
            step_env[key] = INPUT.sub(lambda m: values[m.group(1)], str(value))
            assert "${{" not in step_env[key], f"unexpected expression in env {key}: {value}"
        output, path_file, script = (runner / f"{name}-{number}" for name in ("output", "path", "script"))
        for f in (output, path_file):
            f.write_text("")
        script.write_text(step["run"])
        step_env.update(GITHUB_OUTPUT=str(output), GITHUB_PATH=str(path_file))
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=workspace,
                              env=step_env, capture_output=True, text=True, check=False, timeout=900)  # fmt: skip
        done.steps.append(proc)
        done.raw_outputs.append(output.read_text())
        step_outputs[step.get("id", f"step{number}")] = dict(
            line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
        added = [line for line in path_file.read_text().splitlines() if line]
        env["PATH"] = os.pathsep.join([*reversed(added), env["PATH"]])
        if proc.returncode != 0:
            break
    for name, spec in action.get("outputs", {}).items():
        done.outputs[name] = STEP_OUTPUT.sub(lambda m: step_outputs.get(m.group(1), {}).get(m.group(2), ""),
                                             str(spec["value"]))  # fmt: skip
    return done


def _examples(dest: Path, name: str) -> Path:
    source = ROOT / "examples" / name
    return write_files(dest, {str(p.relative_to(source)): p.read_bytes() for p in source.rglob("*") if p.is_file()})


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns


def test_installs_once_reuses_after_and_passes_args_line_by_line(tmp_path: Path) -> None:
    action_path = copy_source(tmp_path / "action")
    runner = tmp_path / "runner"
    workspace = tmp_path / "work"
    broken = _examples(workspace / "broken", "broken-pipeline")
    fixed = _examples(workspace / "fixed", "fixed-pipeline")

    first = run_action(action_path, runner, workspace, {"path": str(broken), "format": "text"})
    install = first.steps[0]
    skip_if_registry_unreachable(install, "the action's install step")
    assert install.returncode == 0, first.log
    [venv] = (runner / "tool-cache" / "auditor-action").glob("venv-*/")
    cache = venv.parent / "pip-cache"
    assert install.stdout == f"auditor: installing from {action_path} into {venv} (pip cache: {cache})\n"
    assert cache.is_dir(), "pip's cache sits beside the environment"
    assert not (runner / "temp" / "auditor-action").exists(), "RUNNER_TOOL_CACHE is used when set"
    # The findings fail the step, and the exit code reaches the action's output first.
    assert len(first.steps) == 2 and first.steps[1].returncode == 1, first.log
    assert "error[continue-on-error-on-promote-path]" in first.steps[1].stdout
    assert first.raw_outputs[1] == "exit-code=1\n"
    assert first.outputs == {"exit-code": "1"}

    marker = venv / ".auditor-installed"
    [dist_info] = venv.glob("lib/python3*/site-packages/auditor-*.dist-info")
    assert dist_info.name == f"auditor-{pyproject_version()}.dist-info"
    before = (_stamp(marker), _stamp(dist_info), _stamp(dist_info / "RECORD"))

    (workspace / "out dir").mkdir()
    args = "--no-policy\n--report\njson:out dir/audit report.json\n\n--report=markdown:out dir/*.md\n"
    second = run_action(action_path, runner, workspace, {"path": str(fixed), "format": "json", "args": args})
    assert [p.returncode for p in second.steps] == [0, 0], second.log
    assert second.steps[0].stdout == f"auditor: reusing {venv}\n"
    assert (_stamp(marker), _stamp(dist_info), _stamp(dist_info / "RECORD")) == before, "pip ran again"
    assert second.outputs == {"exit-code": "0"}
    # Each line arrived as one argument: the path with spaces and the literal `*` are file names.
    report = validate_report(json.loads((workspace / "out dir" / "audit report.json").read_text()))
    assert report["findings"] == [] and report["summary"]["files"] == 1
    assert (workspace / "out dir" / "*.md").is_file()
    assert json.loads(second.steps[1].stdout)["tool"]["version"] == pyproject_version()

    # Another version of the action (any package file changed) gets an environment of its own.
    init = action_path / "auditor" / "__init__.py"
    init.write_text(init.read_text() + "\n# the next version\n")
    third = run_action(action_path, runner, workspace, {"path": str(fixed)})
    assert [p.returncode for p in third.steps] == [0, 0], third.log
    assert third.steps[0].stdout.startswith("auditor: installing from")
    assert len(list((runner / "tool-cache" / "auditor-action").glob("venv-*/"))) == 2
    assert _stamp(marker) == before[0], "the first version's environment is left as it was"


def test_args_lines_are_neither_split_nor_globbed(tmp_path: Path) -> None:
    """The run step alone (auditor from this environment): what reaches the command line."""
    action: Any = load(ROOT / "action.yml")
    step = next(s for s in action["runs"]["steps"] if s.get("id") == "check")
    probe = tmp_path / "bin" / "auditor"  # stands in for auditor: prints each argument it got on a line
    probe.parent.mkdir()
    probe.write_text('#!/usr/bin/env bash\nprintf "<%s>\\n" "$@"\n')
    probe.chmod(0o755)
    for name in ("a.yml", "b.yml"):
        (tmp_path / name).write_text("")
    env = clean_env(
        GITHUB_OUTPUT=str(tmp_path / "out"), AUDITOR_PATH=".", AUDITOR_POLICY="", AUDITOR_FORMAT="text",
        AUDITOR_FAIL_ON="error", AUDITOR_OUTPUT="", AUDITOR_NEW_SINCE="", AUDITOR_TRUST_REPO_POLICY="false",
        AUDITOR_ARGS="--select\nneeds-cycle, needs-unknown-job\n*.yml\n  two  spaces \r\n\n--last",
    )  # fmt: skip
    env["PATH"] = f"{probe.parent}{os.pathsep}{env['PATH']}"
    proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], cwd=tmp_path,
                          env=env, capture_output=True, text=True, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "<check>", "<.>", "<--format>", "<text>", "<--fail-on>", "<error>",
        "<--select>", "<needs-cycle, needs-unknown-job>", "<*.yml>", "<  two  spaces >", "<--last>",
    ]  # fmt: skip
    assert (tmp_path / "out").read_text() == "exit-code=0\n"
