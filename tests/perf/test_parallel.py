"""The process pool: results do not depend on the worker count; errors name the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.cache import ResultCache
from auditor.parallel import PARALLEL_MIN_FILES, scan_targets
from auditor.policy import Policy
from auditor.targets import resolve_targets
from tests.conftest import run_cli, write_files

TEMPLATE = """
name: wf {i}
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    needs: [{need}]
    outputs:
      digest: ${{{{ steps.push.outputs.digest }}}}
    steps:
      - id: push
        run: echo "digest=sha256:{i}" >> "$GITHUB_OUTPUT"
  promote-{i}:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - run: curl -X POST https://cp.example/promote -d "${{{{ needs.build.outputs.digest }}}}"
"""


def _corpus(root: Path, repos: int, per_repo: int) -> list[Path]:
    paths = []
    for r in range(repos):
        files = {
            f".github/workflows/w{i}.yml": TEMPLATE.format(
                i=r * 100 + i, need="nope" if i % 3 == 0 else "promote-x" if i % 3 == 1 else ""
            )
            for i in range(per_repo)
        }
        paths.append(write_files(root / f"repo{r:02d}", files))
    return paths


def _run(paths: list[Path], jobs: int, cache: ResultCache | None = None) -> tuple[list[str], int]:
    targets = resolve_targets([str(p) for p in paths])
    batch = scan_targets(targets, lambda t: Policy(), jobs=jobs, cache=cache,
                         names=[p.name for p in paths])  # fmt: skip
    out = [repr(f.to_json()) for r in batch.results for f in r.findings]
    out += [repr(r.summary.to_json()) for r in batch.results]
    return out, batch.workers


def test_worker_count_does_not_change_results(tmp_path: Path) -> None:
    paths = _corpus(tmp_path, repos=6, per_repo=PARALLEL_MIN_FILES // 3)
    serial, workers = _run(paths, jobs=1)
    assert workers == 0
    parallel, workers = _run(paths, jobs=2)
    assert workers == 2
    assert parallel == serial
    wide, _ = _run(paths, jobs=5)
    assert wide == serial


def test_pool_writes_the_cache_and_a_warm_run_forks_nothing(tmp_path: Path) -> None:
    paths = _corpus(tmp_path / "src", repos=4, per_repo=PARALLEL_MIN_FILES // 2)
    cold, workers = _run(paths, jobs=2, cache=ResultCache(tmp_path / "cache"))
    assert workers == 2
    targets = resolve_targets([str(p) for p in paths])
    batch = scan_targets(targets, lambda t: Policy(), jobs=2, cache=ResultCache(tmp_path / "cache"),
                         names=[p.name for p in paths])  # fmt: skip
    assert batch.workers == 0
    assert batch.files_analysed == 0
    assert batch.files_cached == 4 * (PARALLEL_MIN_FILES // 2)
    warm = [repr(f.to_json()) for r in batch.results for f in r.findings]
    warm += [repr(r.summary.to_json()) for r in batch.results]
    assert warm == cold


def test_tiny_inputs_stay_in_process(tmp_path: Path) -> None:
    paths = _corpus(tmp_path, repos=1, per_repo=5)
    _, workers = _run(paths, jobs=4)
    assert workers == 0


CRASHING_RULE = '''
from auditor.rule import Rule


def check(ctx):
    if ctx.path.endswith("w7.yml"):
        raise ValueError("boom in a custom rule")
    return ()


RULE = Rule(id="crashes-on-w7", severity="error", summary="s", what="w", why="y",
            example="e", use_instead="u", check=check)
'''


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_custom_rule_crashing_in_a_worker_is_a_finding_on_the_file(
    tmp_path: Path, jobs: int
) -> None:
    paths = _corpus(tmp_path / "src", repos=1, per_repo=PARALLEL_MIN_FILES + 2)
    rules = write_files(tmp_path / "rules", {"crash.py": CRASHING_RULE})
    policy = Policy(custom_rules=(str(rules),))
    targets = resolve_targets([str(p) for p in paths])
    batch = scan_targets(targets, lambda t: policy, jobs=jobs)
    crashed = [f for r in batch.results for f in r.findings if f.rule == "crashes-on-w7"]
    assert [(f.path, f.severity) for f in crashed] == [(".github/workflows/w7.yml", "error")]
    assert "ValueError: boom in a custom rule" in crashed[0].message
    assert sum(r.summary.files for r in batch.results) == PARALLEL_MIN_FILES + 2


def test_cli_jobs_flag(tmp_path: Path) -> None:
    paths = _corpus(tmp_path, repos=3, per_repo=PARALLEL_MIN_FILES // 2)
    one = run_cli("check", "--format", "json", "--no-cache", "--jobs", "1", *map(str, paths))
    two = run_cli("check", "--format", "json", "--no-cache", "-j", "2", *map(str, paths))
    assert one.exit_code == two.exit_code == 1
    assert one.stdout == two.stdout
    bad = run_cli("check", "--jobs", "0", str(paths[0]))
    assert bad.exit_code == 2


def test_after_a_cold_start_workers_still_find_cached_files(tmp_path: Path) -> None:
    """Past COLD_AFTER misses the parent stops looking up; the workers' hits still count."""
    from auditor.parallel import COLD_AFTER

    per_repo = COLD_AFTER // 2 + 1
    old = _corpus(tmp_path / "old", repos=2, per_repo=per_repo)
    cache = ResultCache(tmp_path / "cache")
    _run(old, jobs=1, cache=cache)
    new = _corpus(tmp_path / "new", repos=3, per_repo=per_repo)
    for root in new:  # distinct bytes from the old set: real misses
        for wf in (root / ".github/workflows").iterdir():
            wf.write_text(wf.read_text() + "# new\n")
    order = new + old  # the misses come first
    targets = resolve_targets([str(p) for p in order])
    batch = scan_targets(targets, lambda t: Policy(), jobs=2, cache=ResultCache(tmp_path / "cache"),
                         names=[p.name for p in order])  # fmt: skip
    assert batch.workers == 2
    assert batch.files_analysed == 3 * per_repo
    assert batch.files_cached == 2 * per_repo
    fresh = [repr(f.to_json()) for f in scan_targets(
        targets, lambda t: Policy(), jobs=1, names=[p.name for p in order]
    ).results[0].findings]  # fmt: skip
    assert [repr(f.to_json()) for f in batch.results[0].findings] == fresh
