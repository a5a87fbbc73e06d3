"""Inputs: working trees, bare mirrors, --root, --repos with file:// URLs, --ref, names."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor import org
from tests.conftest import run_cli
from tests.org.conftest import BROKEN, CLEAN, bare_mirror, commit, git, make_repo


def test_names_from_paths(tmp_path: Path) -> None:
    corpus = tmp_path / "acme__web" / "0123456789ab"
    corpus.mkdir(parents=True)
    plain = tmp_path / "group" / "service"
    plain.mkdir(parents=True)
    specs = org.collect([str(corpus), str(plain)])
    assert [(s.name, s.slugs) for s in specs] == [
        ("acme__web", ("acme/web",)), ("service", ("group/service",)),
    ]
    assert all(not s.git and s.rev is None for s in specs)


def test_duplicate_names_made_unique(tmp_path: Path) -> None:
    for group in ("a", "b"):
        (tmp_path / group / "svc").mkdir(parents=True)
    specs = org.collect([str(tmp_path / "a" / "svc"), str(tmp_path / "b" / "svc")])
    assert sorted(s.name for s in specs) == ["svc", "svc-2"]


def test_bare_mirror_reads_default_branch_and_ref(tmp_path: Path, cache_dir: Path) -> None:
    work = make_repo(tmp_path / "src", "tool", {".github/workflows/ci.yml": CLEAN})
    git(work, "checkout", "-q", "-b", "broken")
    commit(work, {".github/workflows/ci.yml": BROKEN}, "break it")
    git(work, "checkout", "-q", "main")
    mirror = bare_mirror(work, tmp_path / "mirrors" / "tool.git")
    specs = org.collect([str(mirror)])
    assert specs[0].name == "tool" and specs[0].git and specs[0].rev == "HEAD"
    default = run_cli("org", "-q", "--format", "json", str(mirror))
    assert default.exit_code == 0, default.stderr
    assert default.json()["summary"]["repositories"][0]["files"] == 1
    on_branch = run_cli("org", "-q", "--format", "json", "--ref", "broken", str(mirror))
    assert on_branch.exit_code == 1
    assert {f["rule"] for f in on_branch.json()["findings"]} == {"parse-error"}
    # the working tree itself: as it is on disk unless --ref says otherwise
    tree = run_cli("org", "-q", "--format", "json", "--ref", "broken", str(work))
    assert tree.exit_code == 1
    missing = run_cli("org", "-q", "--format", "json", "--ref", "nope", str(mirror))
    assert missing.exit_code == 2
    assert "nope" in missing.stderr


def test_root_scans_each_subfolder(tmp_path: Path, cache_dir: Path) -> None:
    root = tmp_path / "org"
    for name in ("a", "b", "c"):
        make_repo(root, name, {".github/workflows/ci.yml": CLEAN})
    (root / ".hidden").mkdir()
    run = run_cli("org", "-q", "--format", "json", "--root", str(root))
    assert run.exit_code == 0, run.stderr
    assert [r["name"] for r in run.json()["summary"]["repositories"]] == ["a", "b", "c"]


def test_repos_file_mirrors_urls_then_fetches(tmp_path: Path, cache_dir: Path) -> None:
    upstream = make_repo(tmp_path / "upstream" / "acme", "api", {".github/workflows/ci.yml": CLEAN})
    git(upstream, "config", "uploadpack.allowFilter", "true")
    make_repo(tmp_path / "local", "web", {".github/workflows/ci.yml": CLEAN})
    listing = tmp_path / "repos.txt"
    listing.write_text(f"# the org\nfile://{upstream}\n\n../{tmp_path.name}/local/web\n")
    mirrors = tmp_path / "mirrors"
    first = run_cli("org", "-q", "--format", "json", "--repos", str(listing),
                    "--mirror-dir", str(mirrors))  # fmt: skip
    assert first.exit_code == 0, first.stderr
    names = [r["name"] for r in first.json()["summary"]["repositories"]]
    assert names == ["api", "web"]
    (mirror,) = list(mirrors.glob("api-*.git"))
    assert git(mirror, "config", "remote.origin.mirror").strip() == "true"
    # a later run fetches: a new upstream commit is what gets scanned
    commit(upstream, {".github/workflows/ci.yml": BROKEN}, "break upstream")
    second = run_cli("org", "-q", "--format", "json", "--repos", str(listing),
                     "--mirror-dir", str(mirrors))  # fmt: skip
    assert second.exit_code == 1
    assert {(f["repo"], f["rule"]) for f in second.json()["findings"]} == {("api", "parse-error")}


def test_unreachable_url_is_a_one_line_error(tmp_path: Path, cache_dir: Path) -> None:
    listing = tmp_path / "repos.txt"
    listing.write_text(f"file://{tmp_path}/nowhere.git\n")
    run = run_cli("org", "-q", "--repos", str(listing), "--mirror-dir", str(tmp_path / "m"))
    assert run.exit_code == 2
    (line,) = run.stderr.strip().splitlines()
    # git's own reason, not the tail of its hint ("and the repository exists.")
    assert "git clone failed: fatal: " in line and "does not appear to be a git repository" in line


def test_unusable_repository_lists_are_one_line_errors(tmp_path: Path, cache_dir: Path) -> None:
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\xff\xfe\n")
    run = run_cli("org", "-q", "--repos", str(binary))
    assert run.exit_code == 2 and "not UTF-8 text" in run.stderr
    nul = tmp_path / "nul.txt"
    nul.write_bytes(b"\x00bad\n")
    run = run_cli("org", "-q", "--repos", str(nul))
    assert run.exit_code == 2
    (line,) = run.stderr.strip().splitlines()
    assert "no such directory" in line and r"\x00" in line and "\0" not in line  # shown visibly


@pytest.mark.parametrize("bad", ["0/2", "3/2", "x", "1/0"])
def test_bad_shard(bad: str, tmp_path: Path) -> None:
    run = run_cli("org", "--shard", bad, str(tmp_path))
    assert run.exit_code == 2
    assert "--shard" in run.stderr


def test_filtered_mirror_fetches_only_what_is_read(tmp_path: Path, cache_dir: Path) -> None:
    files = {f"src/f{i}.txt": f"file {i}\n" for i in range(60)}
    files[".github/workflows/ci.yml"] = CLEAN
    upstream = make_repo(tmp_path / "up" / "acme", "big", files)
    git(upstream, "config", "uploadpack.allowFilter", "true")
    listing = tmp_path / "repos.txt"
    listing.write_text(f"file://{upstream}\n")
    mirrors = tmp_path / "mirrors"
    run = run_cli("org", "-q", "--repos", str(listing), "--mirror-dir", str(mirrors))
    assert run.exit_code == 0, run.stderr
    (mirror,) = list(mirrors.glob("big-*.git"))
    blobs = git(mirror, "rev-list", "--objects", "--all", "--missing=print")
    missing = [line for line in blobs.splitlines() if line.startswith("?")]
    assert len(missing) >= 60  # the 60 unread files were never fetched


def test_a_root_above_the_repositories_is_nothing_to_check_not_a_pass(tmp_path: Path, cache_dir: Path) -> None:
    """`--root` one level above real repositories (owner/repo folders): every folder it
    scans holds no workflow; that ends with exit 3 and the glob that scans them."""
    for owner, name in (("acme", "api"), ("acme", "web"), ("beta", "cli")):
        make_repo(tmp_path / "orgs" / owner, name, {".github/workflows/ci.yml": CLEAN})
    result = run_cli("org", "--root", str(tmp_path / "orgs"), "-q", "--format", "json")
    assert result.exit_code == 3, result.stderr
    assert "none of the 2 repositories holds a workflow" in result.stderr
    assert f"`auditor org {tmp_path / 'orgs'}/*/*`" in result.stderr
    deeper = run_cli("org", "-q", "--format", "json", *(str(p) for p in sorted((tmp_path / "orgs").glob("*/*"))))
    assert deeper.exit_code == 0, deeper.stderr
    assert "no workflow" not in deeper.stderr


def test_repositories_without_a_workflow_are_named(tmp_path: Path, cache_dir: Path) -> None:
    make_repo(tmp_path / "repos", "api", {".github/workflows/ci.yml": CLEAN})
    make_repo(tmp_path / "repos", "docs", {"README.md": "docs\n"})
    result = run_cli("org", "--root", str(tmp_path / "repos"), "-q", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert "1 of 2 repositories hold no workflow: docs" in result.stderr
