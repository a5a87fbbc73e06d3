"""The result cache: hits are proven through counters (never timing), and are exact.

A hit must give byte-for-byte the findings a fresh analysis gives, in any
repository; anything that could change them (the file, a file it read, the
policy, the rule code) must miss; a damaged entry must be ignored and rebuilt.
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

from auditor.cache import Entry, ResultCache
from auditor.parallel import scan_targets
from auditor.policy import Policy
from auditor.targets import resolve_targets
from tests.conftest import run_cli, write_files

BROKEN = """
name: ci
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    needs: [nope]
    steps:
      - run: echo hi
"""

CLEAN = """
name: ci
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo hi
"""

# A custom rule that reads another file of the repository, so the cache must
# key the workflow's findings on that file's bytes too.
READER_RULE = '''
from auditor.findings import hit
from auditor.rule import Rule


def check(ctx):
    data = ctx.repo.read("scripts/deploy.sh")
    if data is not None and b"BAD" in data and ctx.workflow is not None:
        yield hit(ctx.workflow.jobs[0].key, "deploy.sh is bad", "bad")


RULE = Rule(
    id="reads-deploy-script", severity="error", summary="s", what="w", why="y",
    example="e", use_instead="u", check=check,
)
'''


def _scan(paths: list[Path], cache: ResultCache | None, policy: Policy | None = None,
          jobs: int = 1, named: bool = False) -> tuple[list[dict[str, object]], int, int]:  # fmt: skip
    targets = resolve_targets([str(p) for p in paths])
    names = [p.name for p in paths] if named else None
    batch = scan_targets(
        targets, lambda t: policy or Policy(), jobs=jobs, cache=cache, names=names
    )
    findings = [f.to_json() for r in batch.results for f in r.findings]
    return findings, batch.files_analysed, batch.files_cached


def test_second_run_analyses_nothing_and_finds_the_same(tmp_path: Path) -> None:
    root = write_files(tmp_path / "r", {
        ".github/workflows/a.yml": BROKEN, ".github/workflows/b.yml": CLEAN,
    })  # fmt: skip
    cache = ResultCache(tmp_path / "cache")
    first, analysed, cached = _scan([root], cache)
    assert (analysed, cached) == (2, 0)
    assert any(f["rule"] == "needs-unknown-job" for f in first)
    second, analysed, cached = _scan([root], ResultCache(tmp_path / "cache"))
    assert (analysed, cached) == (0, 2)
    assert second == first
    uncached, _, _ = _scan([root], None)
    assert uncached == first


def test_an_edited_file_is_analysed_again_and_only_it(tmp_path: Path) -> None:
    root = write_files(tmp_path / "r", {
        ".github/workflows/a.yml": BROKEN, ".github/workflows/b.yml": CLEAN,
    })  # fmt: skip
    _scan([root], ResultCache(tmp_path / "cache"))
    (root / ".github/workflows/a.yml").write_text(textwrap.dedent(CLEAN))
    findings, analysed, cached = _scan([root], ResultCache(tmp_path / "cache"))
    assert (analysed, cached) == (1, 1)
    assert findings == []


def test_identical_files_in_many_repositories_are_analysed_once(tmp_path: Path) -> None:
    roots = [
        write_files(tmp_path / f"tmpl-{i}", {".github/workflows/a.yml": BROKEN}) for i in range(4)
    ]
    findings, analysed, cached = _scan(roots, ResultCache(tmp_path / "cache"), named=True)
    assert (analysed, cached) == (1, 3)
    # Re-homed exactly: same findings (repository, fingerprints) as a fresh scan.
    assert findings == _scan(roots, None, named=True)[0]
    assert [f["repo"] for f in findings] == [r.name for r in roots]
    assert len({f["fingerprint"] for f in findings}) == len(findings)


def test_a_file_the_analysis_read_is_part_of_the_key(tmp_path: Path) -> None:
    rules_dir = write_files(tmp_path / "policy-rules", {"reader.py": READER_RULE})
    policy = Policy(custom_rules=(str(rules_dir),))
    root = write_files(tmp_path / "r", {
        ".github/workflows/a.yml": CLEAN, ".github/workflows/b.yml": CLEAN,
        "scripts/deploy.sh": "echo ok\n",
    })  # fmt: skip
    cache_dir = tmp_path / "cache"
    assert _scan([root], ResultCache(cache_dir), policy)[1:] == (2, 0)
    assert _scan([root], ResultCache(cache_dir), policy)[1:] == (0, 2)
    (root / "scripts/deploy.sh").write_text("BAD\n")
    findings, analysed, cached = _scan([root], ResultCache(cache_dir), policy)
    assert (analysed, cached) == (2, 0)
    assert [f["rule"] for f in findings] == ["reads-deploy-script"] * 2
    (root / "scripts/deploy.sh").unlink()  # absent is a state too
    findings, analysed, cached = _scan([root], ResultCache(cache_dir), policy)
    assert (analysed, cached, findings) == (2, 0, [])


def test_policy_changes_miss(tmp_path: Path) -> None:
    root = write_files(tmp_path / "r", {".github/workflows/a.yml": BROKEN})
    cache_dir = tmp_path / "cache"
    _scan([root], ResultCache(cache_dir))
    off = Policy(rules={})
    assert _scan([root], ResultCache(cache_dir), off)[1:] == (0, 1)  # same content: a hit
    from auditor.policy import RuleSetting

    quiet = Policy(rules={"needs-unknown-job": RuleSetting(severity="warning")})
    findings, analysed, _ = _scan([root], ResultCache(cache_dir), quiet)
    assert analysed == 1
    assert {f["severity"] for f in findings if f["rule"] == "needs-unknown-job"} == {"warning"}


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "empty"])
def test_a_damaged_entry_is_ignored_and_rebuilt(tmp_path: Path, damage: str) -> None:
    root = write_files(tmp_path / "r", {".github/workflows/a.yml": BROKEN})
    cache_dir = tmp_path / "cache"
    first = _scan([root], ResultCache(cache_dir))[0]
    store = ResultCache(cache_dir)
    [(key, raw)] = store.raw_items()
    if damage == "truncate":
        store.set_raw(key, raw[: len(raw) // 2])
    elif damage == "flip":
        store.set_raw(key, raw[:-5] + bytes([raw[-5] ^ 0x20]) + raw[-4:])
    elif damage == "garbage":
        store.set_raw(key, os.urandom(len(raw)))
    else:
        store.set_raw(key, b"")
    store.close()
    cache = ResultCache(cache_dir)
    findings, analysed, cached = _scan([root], cache)
    assert (analysed, cached) == (1, 0)
    assert cache.stats.rejected >= 1
    assert findings == first
    assert [Entry.from_bytes(v, k) is not None for k, v in ResultCache(cache_dir).raw_items()] == [True]
    assert _scan([root], ResultCache(cache_dir))[1:] == (0, 1)


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_a_damaged_database_file_is_set_aside_and_rebuilt(tmp_path: Path, damage: str) -> None:
    root = write_files(tmp_path / "r", {".github/workflows/a.yml": BROKEN})
    cache_dir = tmp_path / "cache"
    first = _scan([root], ResultCache(cache_dir))[0]
    db = ResultCache(cache_dir).path
    for extra in (db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        extra.unlink(missing_ok=True)
    raw = db.read_bytes()
    db.write_bytes({"truncate": raw[:700], "garbage": os.urandom(len(raw)), "empty": b""}[damage])
    assert _scan([root], ResultCache(cache_dir)) == (first, 1, 0)
    assert _scan([root], ResultCache(cache_dir)) == (first, 0, 1)


def test_entries_are_json_with_a_checksum() -> None:
    entry = Entry([{"rule": "x", "subject": "\udcff"}], {"j": ["publish"]}, {"a": None}, 2)
    again = Entry.from_bytes(entry.to_bytes("k1"), "k1")
    assert again == entry
    assert Entry.from_bytes(entry.to_bytes("k1")[:-1], "k1") is None
    assert Entry.from_bytes(entry.to_bytes("k1"), "k2") is None  # another key's row


def test_size_is_bounded_oldest_first(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path / "cache", max_bytes=40_000)
    entry = Entry([{"pad": "x" * 1000}], None, {}, 0).to_bytes()
    for i in range(40):
        cache.set_raw(f"{i:02x}" + "0" * 62, entry, used=1_000_000 + i)
    assert cache.size() > 40_000
    removed = cache.prune()
    assert removed > 0
    left = sorted(int(k[:2], 16) for k, _ in cache.raw_items())
    assert left == list(range(40 - len(left), 40))  # the newest survive
    assert cache.size() <= 40_000 * 0.8


def test_a_hit_refreshes_the_entry_s_age(tmp_path: Path) -> None:
    root = write_files(tmp_path / "r", {".github/workflows/a.yml": BROKEN})
    _scan([root], ResultCache(tmp_path / "cache"))
    store = ResultCache(tmp_path / "cache")
    [(key, raw)] = store.raw_items()
    store.set_raw(key, raw, used=1_000)
    _scan([root], ResultCache(tmp_path / "cache"))
    db = ResultCache(tmp_path / "cache")._connect()
    assert db is not None
    assert db.execute("SELECT used FROM entries").fetchone()[0] > 1_000_000_000


def test_cli_no_cache_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_files(tmp_path / "r", {".github/workflows/a.yml": BROKEN})
    monkeypatch.setenv("AUDITOR_CACHE_DIR", str(tmp_path / "c1"))
    run = run_cli("check", "--no-cache", "--format", "json", str(root))
    assert run.exit_code == 1
    assert not (tmp_path / "c1").exists()
    run2 = run_cli("check", "--format", "json", str(root))
    assert ResultCache(tmp_path / "c1").raw_items()
    assert json.loads(run2.stdout)["findings"] == json.loads(run.stdout)["findings"]


def test_xdg_cache_home_is_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from auditor.cache import default_cache_dir

    monkeypatch.delenv("AUDITOR_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "auditor"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir() == Path.home() / ".cache" / "auditor"


def test_entries_put_outside_a_scan_are_written_when_the_process_ends(tmp_path: Path) -> None:
    """``auditor org`` memoises its own data in the cache after the scan's flush."""
    import subprocess
    import sys

    code = (
        "from auditor.cache import ResultCache, Entry\n"
        f"c = ResultCache({str(tmp_path / 'c')!r})\n"
        "c.put('k' * 64, Entry([], {'job': ['publish']}, {}, 0))\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    [(key, raw)] = ResultCache(tmp_path / "c").raw_items()
    entry = Entry.from_bytes(raw, key)
    assert entry is not None and entry.job_roles == {"job": ["publish"]}


# Two callers of one reusable workflow that calls another: the middle one is analysed once
# per repository (auditor.facts keeps it), yet each caller's cache entry must still depend
# on the innermost file, which only that single analysis read.
_CALLER = """
name: {name}
on: push
permissions:
  contents: read
jobs:
  build:
    runs-on: ubuntu-latest
    outputs:
      digest: ${{{{ steps.push.outputs.digest }}}}
    steps:
      - uses: docker/build-push-action@v6
        id: push
        with:
          push: true
          tags: ghcr.io/acme/{name}:latest
  ship:
    needs: build
    uses: ./.github/workflows/ship.yml
    with:
      digest: ${{{{ needs.build.outputs.digest }}}}
"""
_SHIP = """
name: ship
on:
  workflow_call:
    inputs:
      digest: {type: string, required: true}
permissions:
  contents: read
jobs:
  go:
    uses: ./.github/workflows/deploy.yml
    with:
      digest: ${{ inputs.digest }}
"""
_DEPLOY = """
name: deploy
on:
  workflow_call:
    inputs:
      digest: {type: string, required: true}
permissions:
  contents: read
jobs:
  rollout:
    runs-on: ubuntu-latest
    steps:
      - run: kubectl set image deployment/api api=ghcr.io/acme/api@${{ inputs.digest }}
"""


def test_a_file_read_through_a_shared_callee_keys_every_caller(tmp_path: Path) -> None:
    root = write_files(tmp_path / "r", {
        ".github/workflows/a.yml": _CALLER.format(name="a"),
        ".github/workflows/b.yml": _CALLER.format(name="b"),
        ".github/workflows/ship.yml": _SHIP, ".github/workflows/deploy.yml": _DEPLOY,
    })  # fmt: skip

    def unverified(findings: list[dict[str, object]]) -> list[object]:
        return sorted(f["path"] for f in findings
                      if f["rule"] == "promote-without-verify" and f["severity"] == "error")  # fmt: skip

    first, _, _ = _scan([root], ResultCache(tmp_path / "cache"))
    assert unverified(first) == [".github/workflows/a.yml", ".github/workflows/b.yml"]
    # the innermost promote now verifies itself: both call sites are verified
    deploy = root / ".github/workflows/deploy.yml"
    deploy.write_text(textwrap.dedent(_DEPLOY) + "      - run: kubectl rollout status deployment/api\n")
    second, analysed, _ = _scan([root], ResultCache(tmp_path / "cache"))
    assert analysed == 4  # every file depends on deploy.yml
    assert unverified(second) == []
    assert second == _scan([root], None)[0]
