"""Caching (proven by counters), shard partitions, and merge == the unsharded report."""

from __future__ import annotations

from pathlib import Path

from auditor import org
from tests.conftest import run_cli
from tests.org.conftest import BROKEN, CLEAN, PUBLISH, write

SCRIPT = "scripts/verify.sh"

PIPELINE = PUBLISH + """
  promote-pin:
    needs: publish
    runs-on: ubuntu-latest
    steps:
      - run: curl --fail -X POST "$CP/promote" -d "${{ needs.publish.outputs.digest }}"
"""


def make_org(tmp_path: Path, count: int = 9) -> list[Path]:
    repos = []
    for i in range(count):
        files = {".github/workflows/ci.yml": CLEAN, ".github/workflows/release.yml": PIPELINE,
                 SCRIPT: "echo ok\n" if i % 3 else "echo drifted\n"}  # fmt: skip
        if i % 4 == 0:
            files[".github/workflows/broken.yml"] = BROKEN
        root = tmp_path / "org" / f"team{i % 2}" / f"svc-{i}"
        write(root, files)
        repos.append(root)
    return repos


def test_second_run_analyses_nothing_unchanged(tmp_path: Path, cache_dir: Path) -> None:
    repos = make_org(tmp_path, 4)
    specs = org.collect([str(r) for r in repos])
    settings = org.ScanSettings()
    cold = org.scan_org(specs, specs, settings, jobs=1, cache_dir=cache_dir)
    # identical files across repositories are analysed once even in a cold run
    assert cold.files_analysed == 3  # ci.yml, release.yml, broken.yml
    assert cold.files_analysed + cold.files_cached == cold.files == 9
    warm = org.scan_org(specs, specs, settings, jobs=1, cache_dir=cache_dir)
    assert warm.files_analysed == 0
    assert warm.files_cached == cold.files
    assert warm.findings == cold.findings
    assert warm.repos == cold.repos
    # one file changes: exactly that file is analysed again
    write(repos[1], {".github/workflows/ci.yml": CLEAN + "# edited\n"})
    again = org.scan_org(specs, specs, settings, jobs=1, cache_dir=cache_dir)
    assert again.files_analysed == 1
    # --no-cache analyses everything
    off = org.scan_org(specs, specs, org.ScanSettings(use_cache=False), jobs=1)
    assert off.files_analysed == off.files


def test_identical_files_across_repositories_are_analysed_once(
    tmp_path: Path, cache_dir: Path
) -> None:
    repos = []
    for name in ("a", "b", "c"):
        root = tmp_path / name
        write(root, {".github/workflows/ci.yml": CLEAN})
        repos.append(root)
    specs = org.collect([str(r) for r in repos])
    result = org.scan_org(specs, specs, org.ScanSettings(), jobs=1, cache_dir=cache_dir)
    assert result.files == 3
    assert result.files_analysed == 1


def test_shards_partition_the_repositories(tmp_path: Path) -> None:
    specs = org.collect([str(r) for r in make_org(tmp_path, 12)])
    for n in (1, 2, 3, 5):
        parts = [org.select_shard(specs, k, n) for k in range(1, n + 1)]
        names = [s.name for part in parts for s in part]
        assert sorted(names) == sorted(s.name for s in specs)  # every repository exactly once
    # stable: the same name always lands in the same shard
    assert org.shard_of("svc-3", 4) == org.shard_of("svc-3", 4)


def test_merge_of_shards_equals_the_unsharded_report(tmp_path: Path, cache_dir: Path) -> None:
    repos = [str(r) for r in make_org(tmp_path, 9)]
    policy = tmp_path / "policy.yml"
    policy.write_text(f"version: 1\nshared_files:\n  - path: {SCRIPT}\n    repos: ['svc-*']\n")
    common = ["org", "-q", "--policy", str(policy), *repos]
    full_json, full_html = tmp_path / "full.json", tmp_path / "full.html"
    full = run_cli(*common, "--report", f"json:{full_json}", "--report", f"html:{full_html}")
    assert full.exit_code == 1, full.stderr
    shard_files = []
    for k in (1, 2, 3):
        out = tmp_path / f"shard-{k}.json"
        run = run_cli(*common, "--shard", f"{k}/3", "--report", f"json:{out}")
        assert run.exit_code in (0, 1), run.stderr
        shard_files.append(str(out))
    merged_json, merged_html = tmp_path / "merged.json", tmp_path / "merged.html"
    merged = run_cli("merge", *shard_files, "--report", f"json:{merged_json}",
                     "--report", f"html:{merged_html}")  # fmt: skip
    assert merged.exit_code == 1
    assert merged_json.read_text() == full_json.read_text()
    assert merged_html.read_text() == full_html.read_text()
    # drift is computed over the whole org, not per shard
    assert '"rule": "shared-file-drift"' in merged_json.read_text()


def test_merge_rejects_a_check_report(tmp_path: Path) -> None:
    root = tmp_path / "one"
    write(root, {".github/workflows/ci.yml": CLEAN})
    report = tmp_path / "check.json"
    run_cli("check", "--format", "json", "-o", str(report), str(root))
    run = run_cli("merge", str(report))
    assert run.exit_code == 2
    assert "not an org report" in run.stderr
