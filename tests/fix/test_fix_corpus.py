"""The fix round trip over every real workflow of ../shared/corpus (wild and molecule-ai).

``auditor fix --unsafe`` runs on a copy in tmp; then: a second run would change
nothing (no finding that has an applicable fix is left), every fixed file
still parses to the same model outside the keys the fixes own, and every
original line the diff removes or rewrites lies inside one of those keys.
"""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path
from typing import Any

from auditor.build import build_workflow
from auditor.model import Map, Value, plain
from auditor.parse import parse_bytes
from tests.conftest import CORPUS, need_shared, run_cli

# The keys a fix may add, drop or rewrite (and what they hold).
FIXED_KEYS = frozenset({"permissions", "continue-on-error", "run", "shell", "needs", "outputs"})


def _model(data: bytes, path: str) -> Any:
    parsed = parse_bytes(data, path)
    assert parsed.root is not None, path
    workflow = build_workflow(path, parsed.root, [])
    assert workflow is not None, path
    return workflow


def _differences(before: object, after: object, where: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Where two plain values differ, as key paths (a key only one side has ends a path)."""
    if isinstance(before, dict) and isinstance(after, dict):
        out = []
        for key in before.keys() | after.keys():
            if key in before and key in after:
                out += _differences(before[key], after[key], (*where, str(key)))
            else:
                out.append((*where, str(key)))
        return out
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [d for i, (b, a) in enumerate(zip(before, after, strict=True))
                for d in _differences(b, a, (*where, str(i)))]  # fmt: skip
    return [] if before == after else [where]


def _scaffolded(where: tuple[str, ...], old_jobs: set[str]) -> bool:
    """A verify job the promote-without-verify fix added (a new job, nothing else)."""
    return len(where) == 2 and where[0] == "jobs" and where[1] not in old_jobs and where[1].startswith("verify")


def _fixed_key_lines(value: Value | None, out: set[int]) -> set[int]:
    """The lines the fixed keys of a model cover (key line to the end of the value)."""
    if isinstance(value, Map):
        for key, item in value.entries:
            if key.value in FIXED_KEYS:
                out.update(range(key.line, item.span.end_line + 1))
            _fixed_key_lines(item, out)
    elif value is not None and not hasattr(value, "value"):
        for item in value:  # a Seq
            _fixed_key_lines(item, out)
    return out


def test_fix_round_trip_over_the_corpus(tmp_path: Path) -> None:
    roots = []
    for name in ("wild", "molecule-ai"):
        source = need_shared(CORPUS / name)
        shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("*.tsv"))
        roots += sorted(p for p in (tmp_path / name).glob("*/*") if p.is_dir())
    files = sorted(p for root in roots for p in root.glob(".*/workflows/**/*") if p.suffix in (".yml", ".yaml"))
    before = {p: p.read_bytes() for p in files}
    run = run_cli("fix", "--unsafe", "--no-policy", *map(str, roots))
    assert run.exit_code == 0, run.stderr[-2000:]
    changed = [p for p in files if p.read_bytes() != before[p]]
    fixes = run.stderr.count(": fixed ")
    assert changed and fixes >= len(changed)
    again = run_cli("fix", "--unsafe", "--no-policy", "--diff", *map(str, roots))
    assert again.exit_code == 0 and again.stdout == "", again.stdout[:2000]
    for path in changed:
        old = _model(before[path], str(path))
        new = _model(path.read_bytes(), str(path))
        old_jobs = {job.id for job in old.jobs}
        stray = [d for d in _differences(plain(old.root), plain(new.root))
                 if not FIXED_KEYS & set(d) and not _scaffolded(d, old_jobs)]  # fmt: skip
        assert not stray, (path, stray)
        allowed = _fixed_key_lines(old.root, set())
        old_lines = before[path].decode().splitlines(keepends=True)
        new_lines = path.read_text().splitlines(keepends=True)
        matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
        for tag, i1, i2, _j1, _j2 in matcher.get_opcodes():
            if tag in ("replace", "delete"):
                outside = [n for n in range(i1 + 1, i2 + 1) if n not in allowed]
                assert not outside, (path, outside)
    print(f"\n{len(files)} workflow files, {len(changed)} changed, {fixes} fixes, "
          f"{run.stderr.count('rolled back')} rolled back")
