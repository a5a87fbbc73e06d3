"""`auditor org` as a user runs it: progress, quiet, exit codes, formats."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, run_cli
from tests.org.conftest import BROKEN, CLEAN, write


def two_repos(tmp_path: Path, broken: bool = False) -> list[str]:
    a, b = tmp_path / "a", tmp_path / "b"
    write(a, {".github/workflows/ci.yml": CLEAN})
    write(b, {".github/workflows/ci.yml": BROKEN if broken else CLEAN})
    return [str(a), str(b)]


def test_exit_codes_follow_fail_on(tmp_path: Path, cache_dir: Path) -> None:
    assert run_cli("org", "-q", *two_repos(tmp_path / "clean")).exit_code == 0
    broken = two_repos(tmp_path / "broken", broken=True)
    assert run_cli("org", "-q", *broken).exit_code == 1
    assert run_cli("org", "-q", "--ignore", "parse-error", *broken).exit_code == 0
    assert run_cli("org").exit_code == 2
    assert run_cli("org", str(tmp_path / "absent")).exit_code == 2


def test_plain_progress_in_ci_and_nothing_when_quiet(tmp_path: Path, cache_dir: Path) -> None:
    repos = two_repos(tmp_path)
    script = Path(sys.executable).parent / "auditor"
    loud = subprocess.run([str(script), "org", *repos], capture_output=True, text=True,
                          cwd=ROOT, check=False)  # fmt: skip
    assert loud.returncode == 0, loud.stderr
    assert "auditor: scanned 2/2 files (100%)" in loud.stderr
    assert "2 repositories, 2 files" in loud.stderr
    assert "\x1b[" not in loud.stderr  # not a terminal: no bar, no escapes
    quiet = subprocess.run([str(script), "org", "--quiet", *repos], capture_output=True,
                           text=True, cwd=ROOT, check=False)  # fmt: skip
    assert quiet.returncode == 0
    assert quiet.stderr == ""


def test_formats_on_stdout(tmp_path: Path, cache_dir: Path) -> None:
    repos = two_repos(tmp_path, broken=True)
    text = run_cli("org", "-q", *repos)
    assert "b/.github/workflows/ci.yml:" in text.stdout
    data = run_cli("org", "-q", "--format", "json", *repos).json()
    assert data["schema_version"] == 1
    assert [r["name"] for r in data["summary"]["repositories"]] == ["a", "b"]
    assert data["summary"]["repos"] == 2 and data["summary"]["error"] == 1
    schema_file = ROOT / "reports" / "report.schema.json"
    if schema_file.exists():  # the published JSON contract
        import json

        import jsonschema

        jsonschema.validate(data, json.loads(schema_file.read_text()))
    md = tmp_path / "org.md"
    run = run_cli("org", "-q", "--report", f"markdown:{md}", *repos)
    assert run.exit_code == 1 and md.read_text().strip()


def test_a_progress_bar_on_a_terminal(tmp_path: Path, cache_dir: Path) -> None:
    """stderr on a real pseudo-terminal: rich draws the bar (and clears it when done)."""
    import os
    import pty

    repos = []
    for i in range(12):
        root = tmp_path / f"r{i}"
        write(root, {".github/workflows/ci.yml": CLEAN.replace("make", f"make t{i}")})
        repos.append(str(root))
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "NO_COLOR")}
    env.update({"TERM": "xterm-256color", "COLUMNS": "100"})
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "auditor"), "org", "--no-cache", *repos],
        stdout=subprocess.DEVNULL, stderr=slave, stdin=subprocess.DEVNULL, cwd=ROOT, env=env,
    )  # fmt: skip
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=60) == 0
    shown = b"".join(chunks).decode("utf-8", "replace")
    assert "scanning files" in shown and "\x1b[" in shown  # the bar, drawn with escapes
    assert "auditor: scanned" not in shown  # not the plain CI lines
    assert "12 repositories, 12 files" in shown


def test_merge_refuses_malformed_shards_with_one_line(tmp_path: Path, cache_dir: Path) -> None:
    """A hand-edited or truncated shard is named with where it breaks the schema."""
    import json

    shard = tmp_path / "shard.json"
    assert run_cli("org", "-q", "--report", f"json:{shard}", *two_repos(tmp_path)).exit_code == 0
    good = json.loads(shard.read_text())
    damages = {
        "summary.repositories[0].jobs": lambda d: d["summary"]["repositories"][0].update(jobs=[1]),
        "findings[0]": lambda d: d["findings"].append({"rule": "x"}),
        "summary.org.shared_files[0].path": lambda d: d["summary"]["org"].update(
            shared_files=[{"path": 3}]),
        "summary.repositories": lambda d: d["summary"].update(repositories=[{"nome": "x"}]),
    }  # fmt: skip
    for where, damage in damages.items():
        doc = json.loads(json.dumps(good))
        damage(doc)
        bad = tmp_path / "bad.json"
        bad.write_text(json.dumps(doc))
        run = run_cli("merge", str(bad))
        assert run.exit_code == 2, (where, run.stderr)
        (line,) = run.stderr.strip().splitlines()
        assert line.startswith(f"auditor: error: {bad}: not a valid auditor report: {where}"), line
    truncated = tmp_path / "cut.json"
    truncated.write_text(shard.read_text()[:-20])
    run = run_cli("merge", str(truncated))
    assert run.exit_code == 2 and "not JSON" in run.stderr
    assert run_cli("merge", str(shard)).exit_code == 0
