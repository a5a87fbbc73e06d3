"""Cross-repository reusable workflows: resolved in the scanned set (at the ref), else one note."""

from __future__ import annotations

from pathlib import Path

from auditor import org
from tests.conftest import run_cli
from tests.org.conftest import bare_mirror, commit, git, make_repo, write

CALLEE = """
on:
  workflow_call:
    outputs:
      digest: {value: "${{ jobs.push.outputs.digest }}"}
jobs:
  push:
    runs-on: ubuntu-latest
    outputs: {digest: "${{ steps.p.outputs.digest }}"}
    steps:
      - id: p
        run: echo "digest=sha256:1" >> "$GITHUB_OUTPUT"
"""


def caller(uses: str) -> str:
    return f"""
on: push
jobs:
  release:
    uses: {uses}
  after:
    needs: release
    runs-on: ubuntu-latest
    steps:
      - run: echo done
"""


def unresolved(run_json: dict) -> list[dict]:  # type: ignore[type-arg]
    return [f for f in run_json["findings"] if f["rule"] == "reusable-workflow-unresolved"]


def test_callee_in_the_scanned_set_resolves_at_its_ref(tmp_path: Path, cache_dir: Path) -> None:
    work = make_repo(tmp_path / "src", "shared-workflows",
                     {".github/workflows/promote.yml": CALLEE})  # fmt: skip
    git(work, "tag", "v1")
    commit(work, {}, "remove it on main", remove=(".github/workflows/promote.yml",))
    mirror = bare_mirror(work, tmp_path / "platform" / "shared-workflows.git")
    app = tmp_path / "apps" / "app"
    write(app, {".github/workflows/ci.yml":
                caller("platform/shared-workflows/.github/workflows/promote.yml@v1")})
    run = run_cli("org", "-q", "--format", "json", str(mirror), str(app))
    assert run.exit_code == 0, run.stderr
    assert unresolved(run.json()) == []
    # at a ref where the file does not exist, the call is unresolved
    write(app, {".github/workflows/ci.yml":
                caller("platform/shared-workflows/.github/workflows/promote.yml@main")})
    run = run_cli("org", "-q", "--format", "json", str(mirror), str(app))
    (note,) = unresolved(run.json())
    assert note["severity"] == "note" and note["repo"] == "app" and note["line"] == 4


def test_resolver_reads_the_callee(tmp_path: Path) -> None:
    work = make_repo(tmp_path / "src", "shared", {".github/workflows/promote.yml": CALLEE})
    git(work, "tag", "v2")
    mirror = bare_mirror(work, tmp_path / "platform" / "shared.git")
    resolver = org.OrgResolver(org.collect([str(mirror)]))
    assert resolver("platform/shared/.github/workflows/promote.yml@v2") is not None
    assert resolver("PLATFORM/shared/.github/workflows/promote.yml@v2") is not None
    assert resolver("platform/shared/.github/workflows/promote.yml@v9") is None
    assert resolver("platform/other/.github/workflows/promote.yml@v2") is None


def test_unresolvable_callee_is_reported_once(tmp_path: Path, cache_dir: Path) -> None:
    uses = "elsewhere/pipelines/.github/workflows/release.yml@v3"
    repos = []
    for name in ("a", "b", "c"):
        root = tmp_path / name
        write(root, {".github/workflows/ci.yml": caller(uses),
                     ".github/workflows/other.yml": caller(uses)})  # fmt: skip
        repos.append(str(root))
    run = run_cli("org", "-q", "--format", "json", *repos)
    (note,) = unresolved(run.json())
    assert note["repo"] == "a" and note["path"] == ".github/workflows/ci.yml"
    assert uses in note["message"]
    # a single-repository check cannot resolve other repositories: no note there
    check = run_cli("check", "--format", "json", repos[0])
    assert unresolved(check.json()) == []
