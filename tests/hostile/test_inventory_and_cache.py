"""A secrets inventory is read only from a regular file of bounded size, and a cache entry of
the wrong shape is a miss: each ends in a one-line error or an unchanged verdict, never a
hang, a memory blow-up or an internal error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import write_files
from tests.hostile.test_hostile import TIMEOUT, _limit_memory, findings, scan

BAD = "on: push\njobs:\n  a:\n    runs-on: x\n    needs: [ghost]\n    steps: [{run: echo}]\n"


@pytest.mark.parametrize("where", ["/dev/zero", "/dev/stdin", "fifo", "folder", "huge"])
def test_an_inventory_that_is_no_regular_small_file_is_a_one_line_policy_error(
    tmp_path: Path, where: str
) -> None:
    root = write_files(tmp_path / "repo", {".github/workflows/ci.yml": BAD})
    if where == "fifo":
        os.mkfifo(root / "fifo")
    elif where == "folder":
        (root / "folder").mkdir()
    elif where == "huge":
        (root / "huge").write_bytes(b"SECRET_NAME\n" * 200_000)  # 2.4 MB of names
    (root / ".auditor.yml").write_text(f"version: 1\nsecrets:\n  inventory: {where}\n")
    # stdin is a pipe that stays open and empty: reading it would wait for ever
    proc = subprocess.Popen(
        [sys.executable, "-m", "auditor", "check", "--no-cache", str(root)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=_limit_memory,
    )  # fmt: skip
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    finally:
        proc.kill()
    assert proc.returncode == 2, err
    (line,) = err.strip().splitlines()
    assert line.startswith("auditor: error: ") and "secrets.inventory" in line, line
    assert "Traceback" not in err and out == ""


def test_a_small_regular_inventory_still_works(tmp_path: Path) -> None:
    text = ("on: push\njobs:\n  promote:\n    runs-on: x\n    steps:\n"
            "      - run: curl --fail -H \"$T\" -X POST https://cp.example/promote\n"
            "        env: {T: '${{ secrets.NOT_THERE }}'}\n")  # fmt: skip
    root = write_files(tmp_path / "repo", {".github/workflows/ci.yml": text, "secrets.txt": "OTHER\n",
                                           ".auditor.yml": "version: 1\nsecrets:\n  inventory: secrets.txt\n"})
    assert "secret-not-provisioned" in {f["rule"] for f in findings(scan(root, "--no-cache"))}


SHAPES = {
    "finding-not-a-mapping": {"f": [1], "j": None, "r": {}, "s": 0},
    "line-is-text": {"f": [{"rule": "needs-unknown-job", "severity": "error", "message": "m",
                            "path": ".github/workflows/ci.yml", "line": "5", "column": 1,
                            "end_line": 5, "end_column": 2}], "j": None, "r": {}, "s": 0},
    "reads-not-a-mapping": {"f": [], "j": None, "r": ["x"], "s": 0},
    "read-digest-a-number": {"f": [], "j": None, "r": {"x": 5}, "s": 0},
    "roles-wrong": {"f": [], "j": {"a": "publish"}, "r": {}, "s": 0},
    "suppressed-text": {"f": [], "j": None, "r": {}, "s": "0"},
    "not-an-object": [1, 2, 3],
    "step-without-index": {"f": [{"rule": "r", "severity": "error", "message": "m", "path": "p",
                                  "line": 1, "column": 1, "end_line": 1, "end_column": 2,
                                  "step": {"id": "x"}}], "j": None, "r": {}, "s": 0},
}  # fmt: skip


def test_cache_entries_of_the_wrong_shape_are_misses(tmp_path: Path) -> None:
    """Each entry carries a valid checksum (as another writer of the same cache format
    would make it) around JSON of the wrong shape."""
    from auditor.cache import _MAGIC, ResultCache, _frame

    root = write_files(tmp_path / "repo", {f".github/workflows/w{i}.yml": BAD for i in range(len(SHAPES))})
    cache = tmp_path / "cache"
    first = scan(root, cache=cache)
    store = ResultCache(cache)
    items = store.raw_items()
    assert len(items) == len(SHAPES)
    for (key, _), body in zip(items, SHAPES.values(), strict=True):
        store.set_raw(key, _frame(_MAGIC, key, json.dumps(body).encode()))
    store.close()
    again = scan(root, cache=cache)
    assert "internal error" not in again.stderr and "Traceback" not in again.stderr
    assert (again.returncode, again.stdout) == (first.returncode, first.stdout)
    # and the damaged entries were replaced by good ones
    from auditor.cache import Entry

    assert all(Entry.from_bytes(raw, key) is not None for key, raw in ResultCache(cache).raw_items())
