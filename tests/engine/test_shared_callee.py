"""A reusable workflow that is scanned as a file and called by another is parsed, built
and analysed once per repository, whichever the scan meets first, and its findings are
the same as when it is scanned alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.engine import Engine
from auditor.policy import Policy
from auditor.repo import DirectorySource, RepoContext
from tests.conftest import check_json, write_files

CALLEE = """\
on:
  workflow_call:
    outputs:
      digest: {value: "${{ jobs.push.outputs.digest }}"}
permissions: {contents: read}
jobs:
  push:
    runs-on: ubuntu-latest
    outputs: {digest: "${{ steps.p.outputs.digest }}"}
    steps:
      - id: p
        run: echo "digest=sha256:abc" >> "$GITHUB_OUTPUT"
    continue-on-error: true
    unknown-key: 1
"""
CALLER = """\
on: push
permissions: {contents: read}
jobs:
  build:
    uses: ./.github/workflows/reusable.yml
  use:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - run: echo "${{ needs.build.outputs.digest }}"
"""


def _repo(tmp_path: Path) -> Path:
    return write_files(tmp_path / "repo", {".github/workflows/reusable.yml": CALLEE,
                                           ".github/workflows/a-caller.yml": CALLER})  # fmt: skip


@pytest.mark.parametrize("order", ["callee first", "caller first"])
def test_one_model_and_one_analysis_whichever_comes_first(tmp_path: Path, order: str) -> None:
    root = _repo(tmp_path)
    engine = Engine(Policy())
    repo = RepoContext(DirectorySource(root), engine.policy)
    paths = [".github/workflows/reusable.yml", ".github/workflows/a-caller.yml"]
    if order == "caller first":
        paths.reverse()
    found = {p: engine.analyse_file(repo, p, "workflow") for p in paths}
    callee = repo.workflows[".github/workflows/reusable.yml"]
    caller = repo.workflows[".github/workflows/a-caller.yml"]
    caller_facts = engine.facts(caller, repo)
    assert caller_facts.callees["build"] is engine.facts(callee, repo)  # analysed once, shared
    alone = Engine(Policy()).analyse_file(RepoContext(DirectorySource(root), Policy()), paths[0], "workflow")
    assert found[paths[0]] == alone  # the same findings as when scanned on its own
    # the callee's own problems (its unknown key) are still reported when it comes second
    rules = {f.rule for f in found[".github/workflows/reusable.yml"]}
    assert "workflow-structure" in rules


def test_the_scan_reports_the_same_in_either_file_order(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    whole = check_json(root, extra=("--no-cache", "-j", "1")).findings()
    one = check_json(root / ".github/workflows/reusable.yml", extra=("--no-cache",)).findings()
    assert [f for f in whole if f["path"].endswith("reusable.yml")] == one
