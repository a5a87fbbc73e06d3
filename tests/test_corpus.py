"""Never crash on real workflows: every YAML file under ../shared/corpus.

One CLI run (a subprocess, as CI would run it: the process pool and a fresh
result cache included) must exit 0 or 1 with a valid JSON report and no
traceback; the same files scanned again through ``scan_targets`` (served by
that cache, so the second pass is cheap) must place every finding inside its
file. Skipped, with the reason, when ../shared is not beside this checkout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from auditor.cache import ResultCache
from auditor.parallel import scan_targets
from auditor.policy import Policy
from auditor.targets import resolve_targets
from tests.conftest import CORPUS, need_shared

TIMEOUT = 900  # a hang fails; the run itself takes seconds


def corpus_files() -> list[Path]:
    root = need_shared(CORPUS)
    return sorted(p for p in root.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())


def test_every_corpus_file_is_scanned_without_a_crash(tmp_path: Path) -> None:
    files = corpus_files()
    assert len(files) > 3000
    env = dict(os.environ, AUDITOR_CACHE_DIR=str(tmp_path / "cache"))
    proc = subprocess.run(
        [sys.executable, "-m", "auditor", "check", "--no-policy", "--format", "json",
         "--output", str(tmp_path / "report.json"), *map(str, files)],
        capture_output=True, text=True, timeout=TIMEOUT, env=env, check=False,
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["summary"]["files"] == len(files)

    targets = resolve_targets([str(f) for f in files])
    batch = scan_targets(targets, lambda t: Policy(), cache=ResultCache(tmp_path / "cache"), jobs=1)
    assert batch.files_analysed + batch.files_cached == len(files)
    checked = 0
    for target, result in zip(targets, batch.results, strict=True):
        root = target.root
        assert root is not None
        for f in result.findings:
            data = (root / f.path).read_bytes()
            lines = max(1, len(data.decode("utf-8", "replace").splitlines()))
            assert 1 <= f.line <= lines, (root / f.path, f)
            assert f.end_line >= f.line and f.column >= 1, f
            checked += 1
    assert checked == len(report["findings"])
