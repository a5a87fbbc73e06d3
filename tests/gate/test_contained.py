"""A custom rule is someone else's code: whatever it raises is a finding on the file it ran
on, never the end of the run; a policy's paths stay inside its repository; a policy file
linked out of the tree is never read (issue 11, item 2)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import run_cli, write_files
from tests.gate.helpers import CLEAN, WF, marker_module, subprocess_cli

OTHER = ".github/workflows/other.yml"


def repo_with_rule(root: Path, body: str, marker: Path) -> Path:
    return write_files(root, {
        WF: CLEAN, OTHER: CLEAN.replace("build", "test"),
        ".auditor.yml": "version: 1\ncustom_rules: [rules/]\n",
        "rules/r.py": marker_module(marker, body),
    })  # fmt: skip


@pytest.mark.parametrize(
    ("body", "name"),
    [
        ("raise ValueError('boom')", "ValueError"),
        ("import sys; sys.exit(0)", "SystemExit"),
        ("raise SystemExit(3)", "SystemExit"),
        ("raise KeyboardInterrupt", "KeyboardInterrupt"),
        ("raise GeneratorExit", "GeneratorExit"),
        ("class Stop(BaseException): pass\n        raise Stop()", "Stop"),
    ],
    ids=["raises", "sys.exit(0)", "SystemExit(3)", "KeyboardInterrupt", "GeneratorExit",
         "BaseException"],
)
def test_a_custom_rule_that_raises_or_exits_is_a_finding(
    tmp_path: Path, body: str, name: str
) -> None:
    body = f"if ctx.path.endswith('ci.yml'):\n        {body}\n    return ()"
    root = repo_with_rule(tmp_path / "app", body, tmp_path / "m")
    sarif = tmp_path / "out.sarif"
    run = subprocess_cli("check", "--no-cache", "--trust-repo-policy", "--format", "json",
                         "--report", f"sarif:{sarif}", str(root),
                         env={"AUDITOR_CACHE_DIR": str(tmp_path / "c")})  # fmt: skip
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr and run.stderr == ""
    doc = json.loads(run.stdout)
    [crash] = doc["findings"]
    assert (crash["rule"], crash["path"], crash["line"], crash["severity"]) == (
        "marker-rule", WF, 1, "error",
    )
    assert name in crash["message"]
    assert doc["summary"]["files"] == 2  # the other file was scanned too
    assert json.loads(sarif.read_text())["runs"][0]["results"][0]["ruleId"] == "marker-rule"


def test_a_module_that_exits_at_import_is_a_policy_error_not_a_pass(tmp_path: Path) -> None:
    root = write_files(tmp_path / "app", {
        WF: CLEAN, ".auditor.yml": "version: 1\ncustom_rules: [r.py]\n",
        "r.py": "import sys\nsys.exit(0)\n",
    })  # fmt: skip
    run = subprocess_cli("check", "--no-cache", "--trust-repo-policy", str(root))
    assert run.returncode == 2
    [line] = run.stderr.splitlines()
    assert "custom_rules: r.py: SystemExit: 0" in line


def test_a_real_ctrl_c_during_a_custom_rule_still_stops_the_run(tmp_path: Path) -> None:
    started = tmp_path / "started"
    body = f"import pathlib, time\n    pathlib.Path({str(started)!r}).touch()\n    time.sleep(60)"
    root = repo_with_rule(tmp_path / "app", body, tmp_path / "m")
    proc = subprocess.Popen(
        [sys.executable, "-m", "auditor", "check", "--no-cache", "--trust-repo-policy",
         "--format", "json", str(root)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "AUDITOR_CACHE_DIR": str(tmp_path / "c")},
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not started.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert started.exists(), proc.communicate(timeout=5)
    os.kill(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "marker-rule" not in out  # the user's interrupt is not the rule's finding


@pytest.mark.parametrize(
    ("policy", "key"),
    [
        ("custom_rules: [../outside/r.py]", "custom_rules[0]"),
        ("custom_rules: [/tmp/r.py]", "custom_rules[0]"),
        ("secrets:\n  inventory: /dev/zero", "secrets.inventory"),
        ("secrets:\n  inventory: ../../secrets.txt", "secrets.inventory"),
        ("roles:\n  verify:\n    scripts: [../verify.sh]", "roles.verify.scripts[0]"),
        ("shared_files:\n  - path: ../../etc/passwd", "shared_files[0].path"),
    ],
)
def test_a_repository_policy_naming_a_path_outside_is_refused(
    tmp_path: Path, policy: str, key: str
) -> None:
    root = write_files(tmp_path / "app", {WF: CLEAN, ".auditor.yml": f"version: 1\n{policy}\n"})
    for extra in ((), ("--trust-repo-policy",)):
        run = run_cli("check", "--no-cache", *extra, str(root))
        assert run.exit_code == 2
        [line] = run.stderr.splitlines()
        assert f"{key}: " in line and "outside the repository" in line
    org = subprocess_cli("org", "-q", "--no-cache", str(root),
                         env={"AUDITOR_CACHE_DIR": str(tmp_path / "c")})  # fmt: skip
    assert org.returncode == 2 and "outside the repository" in org.stderr
    assert "not scanned" in org.stderr and "Traceback" not in org.stderr


def test_the_same_paths_are_allowed_in_a_policy_the_user_names(tmp_path: Path) -> None:
    secrets = write_files(tmp_path / "ops", {"secrets.txt": "CP_ADMIN_API_TOKEN\n"})
    policy = write_files(tmp_path / "ops", {"p.yml": f"version: 1\nsecrets:\n  inventory: {secrets}/secrets.txt\n"})
    root = write_files(tmp_path / "app", {WF: CLEAN})
    run = run_cli("check", "--no-cache", "--policy", str(policy / "p.yml"), str(root))
    assert run.exit_code == 0, run.stderr


def test_a_policy_linked_out_of_the_tree_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "shadow"
    secret.write_text("root:$6$very-secret-hash:19000:0:99999:7:::\n")
    root = write_files(tmp_path / "app", {WF: CLEAN})
    (root / ".auditor.yml").symlink_to(secret)
    for args in (("check", str(root)), ("check", "--policy", str(root / ".auditor.yml"),
                 str(root)), ("graph", str(root))):  # fmt: skip
        run = run_cli(*args)
        assert run.exit_code == 2, args
        assert "very-secret" not in run.stdout + run.stderr and "root:" not in run.stderr
        [line] = run.stderr.splitlines()
        assert "points outside the repository" in line
    org = subprocess_cli("org", "-q", "--no-cache", str(root),
                         env={"AUDITOR_CACHE_DIR": str(tmp_path / "c")})  # fmt: skip
    assert org.returncode == 2 and "very-secret" not in org.stdout + org.stderr


def test_a_committed_policy_link_is_not_followed_at_the_revision(tmp_path: Path) -> None:
    from tests.reports.gitrepo import init_repo

    secret = tmp_path / "shadow"
    secret.write_text("root:very-secret\n")
    root = init_repo(tmp_path / "app", {WF: CLEAN})
    (root / ".auditor.yml").symlink_to(secret)
    from tests.reports.gitrepo import git

    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "link")
    (root / ".auditor.yml").unlink()
    (root / ".auditor.yml").write_text("version: 1\n")
    run = run_cli("check", "--no-cache", "--new-since", "HEAD", str(root))
    assert run.exit_code == 2
    assert "very-secret" not in run.stdout + run.stderr
    assert "points outside the repository" in run.stderr
