"""Large, legal step bodies (issue 11's shapes): every finding is still found, and nothing hangs.

These are correctness tests: each runs the real CLI in a subprocess with a
generous timeout that only a hang (or the old quadratic paths: 8,000
``curl … || true`` lines took 86 s) can hit. Speed itself is measured by the
benchmark scripts, never asserted here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import write_files
from tests.stepscripts.helpers import HEAD, snippet_workflow

TIMEOUT = 300  # seconds; a hang fails, the run itself takes a few


def _scan(tmp_path: Path, workflow: str, extra: dict[str, str] | None = None) -> list[dict[str, object]]:
    root = write_files(tmp_path / "repo", {".github/workflows/release.yml": workflow, **(extra or {})})
    out = tmp_path / "report.json"
    env = dict(os.environ, AUDITOR_CACHE_DIR=str(tmp_path / "cache"))
    proc = subprocess.run(
        [sys.executable, "-m", "auditor", "check", "--no-policy", "--select", "swallowed-failure",
         "--format", "json", "--output", str(out), str(root)],
        capture_output=True, text=True, timeout=TIMEOUT, env=env, check=False,
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    findings: list[dict[str, object]] = json.loads(out.read_text())["findings"]
    return findings


def _lines(findings: list[dict[str, object]], says: str) -> list[object]:
    return sorted(f["line"] for f in findings if says in str(f["message"]))


def test_eight_thousand_curl_or_true_lines(tmp_path: Path) -> None:
    n = 8000
    body = "".join(f"curl -s https://cp.example.com/{i} || true\n" for i in range(n))
    found = _scan(tmp_path, snippet_workflow(body))
    first = HEAD.count("\n") + 2  # the line after `run: |`
    assert _lines(found, "`curl` exits 0") == list(range(first, first + n))
    assert _lines(found, "`|| true` discards") == list(range(first, first + n))


def test_twenty_thousand_link_and_chain(tmp_path: Path) -> None:
    n = 20000
    body = " && ".join(f"echo {i}" for i in range(n)) + " && curl -s https://cp.example.com/promote\n"
    found = _scan(tmp_path, snippet_workflow(body))
    assert [f["rule"] for f in found] == ["swallowed-failure"]
    assert "`curl` exits 0" in str(found[0]["message"])


def test_twenty_thousand_case_arms(tmp_path: Path) -> None:
    n = 20000
    arms = "".join(f"  a{i}) echo {i} ;;\n" for i in range(n))
    body = f'case "$X" in\n{arms}  promote) docker push registry.example.com/app:1 || true ;;\nesac\n'
    found = _scan(tmp_path, snippet_workflow(body))
    assert [str(f["message"]).split(": ", 2)[-1][:9] for f in found] == ["`|| true`"]


def test_twenty_thousand_functions_in_a_script(tmp_path: Path) -> None:
    n = 20000
    script = "#!/bin/bash\nset -euo pipefail\n" + "".join(
        f'f{i}() {{\n  local d=$(crane digest registry.example.com/app:{i})\n  echo "$d"\n}}\n' for i in range(n)
    )
    workflow = snippet_workflow("./scripts/promote.sh\n")
    found = _scan(tmp_path, workflow, {"scripts/promote.sh": script})
    assert len(found) == n
    assert {f["path"] for f in found} == {"scripts/promote.sh"}
    assert _lines(found, "`local d=$(…)`") == [4 + 4 * i for i in range(n)]


@pytest.mark.parametrize("n", [10000])
def test_ten_thousand_python_try_blocks(tmp_path: Path, n: int) -> None:
    code = "".join(f"try:\n    deploy_{i}()\nexcept Exception:\n    pass\n" for i in range(n))
    found = _scan(tmp_path, snippet_workflow(code, shell="python"))
    first = HEAD.count("\n") + 3  # `shell: python`, then `run: |`, then the body
    assert _lines(found, "swallows every error") == [first + 2 + 4 * i for i in range(n)]
