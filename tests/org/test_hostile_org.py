"""Hostile repositories in `auditor org` (and `check --new-since`): git runs nothing and
fetches nothing while auditor reads, and one repository never ends the whole run — it is
listed as "not scanned: why" and every other repository and every report goes on.

Everything runs through the real CLI in a subprocess (timeout, memory limit), on real git
repositories made here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write_files
from tests.hostile.test_hostile import TIMEOUT, _limit_memory
from tests.org.conftest import commit, git, make_repo

BAD = "on: push\njobs:\n  a:\n    runs-on: x\n    needs: [ghost]\n    steps: [{run: echo}]\n"


def auditor(*args: str | Path, cwd: Path | None = None, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AUDITOR_CACHE_DIR": str(tmp / "cache"), "XDG_CACHE_HOME": str(tmp / "xdg")}
    return subprocess.run(
        [sys.executable, "-m", "auditor", *map(str, args)], capture_output=True, text=True,
        timeout=TIMEOUT, env=env, cwd=cwd, preexec_fn=_limit_memory, check=False,
    )  # fmt: skip


def report(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
    doc: dict[str, Any] = json.loads(proc.stdout)
    return doc


def marker_program(tmp: Path) -> tuple[Path, Path]:
    """A program that records that it ran (then behaves like upload-pack)."""
    marker = tmp / "MARKER"
    program = tmp / "evil.sh"
    program.write_text(f'#!/bin/sh\necho "$0 $*" >> {marker}\nexec git-upload-pack "$@"\n')
    program.chmod(0o755)
    return program, marker


def upstream(tmp: Path) -> Path:
    up = make_repo(tmp / "up", "svc", {".github/workflows/ci.yml": BAD})
    git(up, "config", "uploadpack.allowFilter", "true")
    return up


def hostile_config(repo: Path, program: Path, *, ssh: bool = False) -> None:
    """What a partial clone handed over by an attacker carries: programs in its config."""
    git(repo, "config", "remote.origin.uploadpack", str(program))
    git(repo, "config", "core.sshCommand", str(program))
    git(repo, "config", "core.fsmonitor", str(program))
    git(repo, "config", "credential.helper", f"!{program}")
    if ssh:
        git(repo, "config", "remote.origin.url", "ssh://example.invalid/svc.git")


@pytest.mark.parametrize("ssh", [False, True], ids=["uploadpack", "sshCommand"])
def test_org_on_a_partial_clone_never_runs_its_programs(tmp_path: Path, ssh: bool) -> None:
    program, marker = marker_program(tmp_path)
    up = upstream(tmp_path)
    hostile = tmp_path / "hostile.git"
    git(tmp_path, "clone", "-q", "--bare", "--filter=blob:none", f"file://{up}", str(hostile))
    assert git(hostile, "config", "remote.origin.promisor").strip() == "true"
    missing = git(hostile, "rev-list", "--objects", "--all", "--missing=print")
    assert any(line.startswith("?") for line in missing.splitlines())  # blobs really absent
    hostile_config(hostile, program, ssh=ssh)
    for extra in ((), ("--ref", "main")):
        proc = auditor("org", "-q", "--format", "json", "--no-cache", *extra, hostile, tmp=tmp_path)
        doc = report(proc)
        assert not marker.exists(), marker.read_text()
        (f,) = doc["findings"]
        assert (f["rule"], f["path"]) == ("scan-incomplete", ".github/workflows/ci.yml"), f
        assert "partial clone" in f["message"] and "never fetches" in f["message"]
        assert proc.returncode == 1
    # and the blob is still absent: nothing was fetched
    again = git(hostile, "rev-list", "--objects", "--all", "--missing=print")
    assert again == missing


def test_check_new_since_in_a_partial_clone_never_runs_its_programs(tmp_path: Path) -> None:
    program, marker = marker_program(tmp_path)
    up = upstream(tmp_path)
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", "--filter=blob:none", "--no-checkout", f"file://{up}", str(work))
    write_files(work, {".github/workflows/ci.yml": BAD.replace("[ghost]", "[ghost, other]")})
    hostile_config(work, program, ssh=True)
    proc = auditor("check", "--format", "json", "--no-cache", "--new-since", "HEAD", ".", cwd=work,
                   tmp=tmp_path)  # fmt: skip
    doc = report(proc)
    assert not marker.exists(), marker.read_text()
    # the base's file cannot be read without a fetch, so nothing counts as old: the gate
    # fails closed, with every finding of the change
    assert sorted(f["rule"] for f in doc["findings"]) == ["needs-unknown-job"] * 2
    assert proc.returncode == 1


def test_an_unreachable_url_is_not_scanned_and_the_reports_are_still_written(tmp_path: Path) -> None:
    up = upstream(tmp_path)
    local = make_repo(tmp_path / "local", "web", {".github/workflows/ci.yml": BAD})
    listing = tmp_path / "repos.txt"
    listing.write_text(f"file://{up}\nfile://{tmp_path}/nowhere.git\n{local}\n")
    out_json, out_html = tmp_path / "org.json", tmp_path / "org.html"
    proc = auditor("org", "-q", "--no-cache", "--repos", listing, "--mirror-dir", tmp_path / "m",
                   "--report", f"json:{out_json}", "--report", f"html:{out_html}", tmp=tmp_path)  # fmt: skip
    assert proc.returncode == 2
    (line,) = proc.stderr.strip().splitlines()
    assert "nowhere" in line and "not scanned" in line and "git clone failed" in line
    doc = json.loads(out_json.read_text())
    repos = {r["name"]: r for r in doc["summary"]["repositories"]}
    assert set(repos) == {"svc", "nowhere", "web"}
    assert repos["nowhere"]["error"] and not repos["svc"]["error"] and not repos["web"]["error"]
    assert {(f["repo"], f["rule"]) for f in doc["findings"]} == {
        ("svc", "needs-unknown-job"), ("web", "needs-unknown-job"),
    }
    assert "nowhere" in out_html.read_text()


def test_a_missing_custom_rules_path_is_that_repository_only(tmp_path: Path) -> None:
    bad = make_repo(tmp_path / "org", "bad", {".github/workflows/ci.yml": BAD,
                                              ".auditor.yml": "version: 1\ncustom_rules: [nope/]\n"})
    make_repo(tmp_path / "org", "good", {".github/workflows/ci.yml": BAD})
    out = tmp_path / "org.json"
    proc = auditor("org", "-q", "--no-cache", "--root", tmp_path / "org", "--report", f"json:{out}",
                   tmp=tmp_path)  # fmt: skip
    assert proc.returncode == 2
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("auditor: error: bad: ") and "not scanned" in line
    doc = json.loads(out.read_text())
    repos = {r["name"]: r for r in doc["summary"]["repositories"]}
    assert repos["bad"]["error"] and repos["good"]["error"] is None
    assert [(f["repo"], f["rule"]) for f in doc["findings"]] == [("good", "needs-unknown-job")]
    # `check` of that repository alone: a one-line error, exit 2
    alone = auditor("check", "--no-cache", bad, tmp=tmp_path)
    assert alone.returncode == 2 and len(alone.stderr.strip().splitlines()) == 1, alone.stderr


RAISES = '''
from auditor.rule import Rule


def check(ctx):
    if ctx.repo.name == "bad":
        raise RuntimeError("boom in " + ctx.path)
    return iter(())


RULE = Rule(id="raises", severity="note", summary="s", what="w", why="y", example="e",
            use_instead="u", check=check, scope="file", kinds=frozenset({"workflow"}))
'''


@pytest.mark.parametrize("jobs", ["1", "2"], ids=["in-process", "pool"])
def test_anything_raised_while_analysing_one_repository_is_that_repository_only(
    tmp_path: Path, jobs: str
) -> None:
    trusted = write_files(tmp_path / "trusted", {"rules/raises.py": RAISES})
    policy = trusted / "policy.yml"
    policy.write_text(f"version: 1\ncustom_rules: [{trusted / 'rules'}]\n")
    many = {f".github/workflows/w{i}.yml": BAD for i in range(30)}  # 90 files: the pool runs
    for name in ("bad", "good", "other"):
        make_repo(tmp_path / "org", name, many)
    out = tmp_path / "org.json"
    proc = auditor("org", "-q", "--no-cache", "--jobs", jobs, "--policy", policy, "--root",
                   tmp_path / "org", "--report", f"json:{out}", tmp=tmp_path)  # fmt: skip
    assert "Traceback" not in proc.stderr
    doc = json.loads(out.read_text())
    repos = {r["name"]: r for r in doc["summary"]["repositories"]}
    assert set(repos) == {"bad", "good", "other"}
    by_repo = {name: {f["rule"] for f in doc["findings"] if f["repo"] == name} for name in repos}
    assert by_repo["good"] == by_repo["other"] == {"needs-unknown-job"}
    if repos["bad"]["error"]:  # not scanned: one line saying why
        assert proc.returncode == 2
        (line,) = proc.stderr.strip().splitlines()
        assert line.startswith("auditor: error: bad: ") and "boom in" in line
    else:  # or a rule that raises is a finding of its own (the custom-rule contract)
        assert by_repo["bad"]


def test_repositories_with_non_string_keys_and_deep_expressions_are_scanned(tmp_path: Path) -> None:
    deep = "secrets[" * 1000 + "'A'" + "]" * 1000
    keys = BAD.replace("runs-on: x", "runs-on: x\n    env: {[a]: 1}")
    expr = BAD.replace("steps: [{run: echo}]", f"steps:\n      - run: echo ${{{{ {deep} }}}}")
    make_repo(tmp_path / "org", "keys", {".github/workflows/ci.yml": keys})
    make_repo(tmp_path / "org", "expr", {".github/workflows/ci.yml": expr})
    make_repo(tmp_path / "org", "plain", {".github/workflows/ci.yml": BAD})
    proc = auditor("org", "-q", "--no-cache", "--format", "json", "--root", tmp_path / "org", tmp=tmp_path)
    doc = report(proc)
    assert proc.returncode == 1
    assert all(r["error"] is None for r in doc["summary"]["repositories"])
    rules = {(f["repo"], f["rule"]) for f in doc["findings"]}
    assert {("keys", "workflow-structure"), ("keys", "needs-unknown-job"),
            ("expr", "needs-unknown-job"), ("plain", "needs-unknown-job")} <= rules  # fmt: skip


PROMOTE = """
on: push
jobs:
  promote:
    runs-on: ubuntu-latest
    steps:
      - run: ./scripts/deploy.sh
"""


def test_a_mirror_gets_the_scripts_its_workflows_run_between_scans(tmp_path: Path) -> None:
    """A fresh `--filter=blob:none` mirror lacks every file; the workflows, then the script
    a step runs, are fetched explicitly between scans, so the script's finding is there."""
    up = make_repo(tmp_path / "up", "svc", {
        ".github/workflows/release.yml": PROMOTE,
        "scripts/deploy.sh": "#!/bin/sh\ncurl -X POST https://cp.example/promote || true\n",
        "src/unrelated.txt": "never read\n",
    })  # fmt: skip
    git(up, "config", "uploadpack.allowFilter", "true")
    listing = tmp_path / "repos.txt"
    listing.write_text(f"file://{up}\n")
    mirrors = tmp_path / "m"
    proc = auditor("org", "-q", "--no-cache", "--format", "json", "--repos", listing,
                   "--mirror-dir", mirrors, tmp=tmp_path)  # fmt: skip
    doc = report(proc)
    found = {(f["path"], f["rule"]) for f in doc["findings"]}
    assert ("scripts/deploy.sh", "swallowed-failure") in found, found
    assert not any(rule == "scan-incomplete" for _, rule in found)
    (mirror,) = list(mirrors.glob("svc-*.git"))
    missing = git(mirror, "rev-list", "--objects", "--all", "--missing=print")
    assert any(line.startswith("?") for line in missing.splitlines())  # src/unrelated.txt: never


def test_a_mirror_whose_config_was_changed_is_not_fetched_or_read(tmp_path: Path) -> None:
    program, marker = marker_program(tmp_path)
    up = upstream(tmp_path)
    listing = tmp_path / "repos.txt"
    listing.write_text(f"file://{up}\n")
    mirrors = tmp_path / "m"
    first = auditor("org", "-q", "--no-cache", "--repos", listing, "--mirror-dir", mirrors, tmp=tmp_path)
    assert first.returncode == 1, first.stderr
    (mirror,) = list(mirrors.glob("svc-*.git"))
    git(mirror, "config", "remote.origin.uploadpack", str(program))
    commit(up, {".github/workflows/ci.yml": BAD.replace("ghost", "ghost2")})
    second = auditor("org", "-q", "--no-cache", "--repos", listing, "--mirror-dir", mirrors, tmp=tmp_path)
    assert not marker.exists()
    assert second.returncode == 2
    (line,) = second.stderr.strip().splitlines()
    assert "remote.origin.uploadpack" in line and "not scanned" in line
