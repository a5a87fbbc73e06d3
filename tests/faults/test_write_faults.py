"""Write faults: a full disk, a closed pipe, a folder that cannot be made.

Standard output that cannot be written (a full disk) is one line on stderr and exit 2
(a closed pipe: no line, exit 141)
(before: exit 1 or an "internal error", and truncated JSON). ``-o`` and every
``--report`` are written atomically, so a failure leaves the previous file (or
none), never a truncated one; every ``--report`` is attempted and each failure
is named on its own line. The full disk is a real 64 KiB tmpfs where this
process may mount one (root), ``/dev/full`` otherwise; both are exercised when
they can be.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import write_files
from tests.faults.conftest import TIMEOUT, auditor, big_repo, cli_env

FULL = Path("/dev/full")
needs_dev_full = pytest.mark.skipif(not FULL.exists(), reason="/dev/full is not available")
ENOSPC = os.strerror(28)  # "No space left on device"

RELEASE = """
    on: push
    jobs:
      promote:
        runs-on: ubuntu-latest
        steps:
          - run: curl -X POST https://cp.example/promote || true
            continue-on-error: true
    """


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_files(tmp_path / "app", {".github/workflows/release.yml": RELEASE})


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return cli_env(tmp_path)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 64 KiB tmpfs (skips where mounting is not allowed)."""
    where = tmp_path / "disk"
    where.mkdir()
    mount = shutil.which("mount")
    if mount is None or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root and mount(8)")
    made = subprocess.run([mount, "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(where)],
                          capture_output=True, text=True, check=False)  # fmt: skip
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=False)


def _one_line(stderr: str) -> list[str]:
    lines = stderr.splitlines()
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
    assert all(line.startswith("auditor: error: ") for line in lines), stderr
    return lines


@needs_dev_full
@pytest.mark.parametrize("fmt", ["json", "text", "sarif"])
def test_stdout_on_a_full_disk_is_one_line_and_exit_2(
    repo: Path, env: dict[str, str], fmt: str
) -> None:
    with FULL.open("w") as full:
        run = auditor("check", "--no-cache", "--format", fmt, repo, env=env, stdout=full)
    assert run.returncode == 2
    assert _one_line(run.stderr) == [f"auditor: error: cannot write standard output: {ENOSPC}"]


@needs_dev_full
def test_org_and_graph_stdout_on_a_full_disk(repo: Path, env: dict[str, str]) -> None:
    with FULL.open("w") as full:
        org = auditor("org", "--no-cache", "--quiet", "--format", "json", repo, env=env, stdout=full)
        graph = auditor("graph", repo, env=env, stdout=full)
    for run in (org, graph):
        assert run.returncode == 2
        assert _one_line(run.stderr) == [f"auditor: error: cannot write standard output: {ENOSPC}"]


def test_stdout_closed_early_is_a_quiet_exit_141(tmp_path: Path, env: dict[str, str]) -> None:
    """A reader that stops (``| head``) after the first bytes of a large report: no
    message, exit 141 as git (auditor.exits)."""
    root = big_repo(tmp_path / "big", 120)  # megabytes of text: far more than a pipe holds
    proc = subprocess.Popen([sys.executable, "-m", "auditor", "check", "--no-cache", str(root)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(10)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=TIMEOUT) == 141
    assert err == ""


def _closed_pipe(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """``auditor ARGS | head -c 0`` through a real shell pipe: (auditor's status, stderr)."""
    exe = Path(sys.executable).with_name("auditor")
    command = " ".join(shlex.quote(a) for a in [str(exe), *args])
    script = f"{command} 2>&3 | head -c 0; echo ${{PIPESTATUS[0]}}"
    with tempfile.TemporaryFile() as errors:
        run = subprocess.run(["bash", "-c", f"exec 3>&{errors.fileno()}; {script}"], env=env,
                             capture_output=True, text=True, timeout=TIMEOUT, check=False,
                             pass_fds=(errors.fileno(),))  # fmt: skip
        errors.seek(0)
        return int(run.stdout.strip()), errors.read().decode()


@pytest.mark.parametrize("command", [
    ["check", "--no-cache", "--format", "json"],
    ["org", "--no-cache", "--quiet", "--format", "json"],
    ["graph"],
    ["rules"],
    ["explain", "needs-unknown-job"],
])  # fmt: skip
def test_head_c_0_is_quiet_for_every_command(
    tmp_path: Path, env: dict[str, str], command: list[str]
) -> None:
    root = big_repo(tmp_path / "big", 5)
    args = command + ([str(root)] if command[0] in ("check", "org", "graph") else [])
    status, err = _closed_pipe(args, env)
    assert (status, err) == (141, ""), err


def test_reports_are_still_written_when_stdout_is_closed(
    tmp_path: Path, env: dict[str, str]
) -> None:
    root = big_repo(tmp_path / "big", 5)
    out = tmp_path / "r.json"
    status, err = _closed_pipe(["check", "--no-cache", "--report", f"json:{out}", str(root)], env)
    assert (status, err) == (141, "")
    assert json.loads(out.read_text())["findings"]


@needs_dev_full
def test_output_file_on_a_full_device(repo: Path, env: dict[str, str]) -> None:
    run = auditor("check", "--no-cache", "--format", "json", "-o", FULL, repo, env=env)
    assert run.returncode == 2 and run.stdout == ""
    assert _one_line(run.stderr) == [f"auditor: error: cannot write {FULL}: {ENOSPC}"]
    assert FULL.is_char_device()


def test_writing_to_dev_null_keeps_the_device(repo: Path, env: dict[str, str]) -> None:
    """Atomic replacement must not rename a regular file over a device (we may be root)."""
    run = auditor("check", "--no-cache", "-o", os.devnull, "--report", f"sarif:{os.devnull}",
                  repo, env=env)  # fmt: skip
    assert run.returncode == 1, run.stderr
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_every_report_is_attempted_and_each_failure_named(
    repo: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    good = tmp_path / "out" / "good.sarif"
    also_good = tmp_path / "out" / "good.xml"
    specs = [f"json:{blocker}/r.json", f"sarif:{good}", f"markdown:{blocker}/r.md",
             f"junit:{also_good}"]  # fmt: skip
    if FULL.exists():
        specs.append(f"html:{FULL}")
    run = auditor("check", "--no-cache", *[a for s in specs for a in ("--report", s)], repo, env=env)
    assert run.returncode == 2
    lines = _one_line(run.stderr)
    expected = [f"auditor: error: cannot write {blocker}/r.json: Not a directory",
                f"auditor: error: cannot write {blocker}/r.md: Not a directory"]  # fmt: skip
    if FULL.exists():
        expected.append(f"auditor: error: cannot write {FULL}: {ENOSPC}")
    assert lines == expected
    assert run.stdout.splitlines()[-1].startswith("auditor: 1 file checked, ")  # stdout too
    assert json.loads(good.read_text())["runs"][0]["results"]
    assert ET.parse(also_good).getroot().tag == "testsuites"


def test_a_full_disk_leaves_the_old_report_and_no_temporary_file(
    small_disk: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    root = big_repo(tmp_path / "big", 40)  # its HTML and JSON reports are far over 64 KiB
    old = small_disk / "org.html"
    old.write_text("<p>yesterday's report</p>")
    old.chmod(0o640)
    small = write_files(tmp_path / "small", {".github/workflows/release.yml": RELEASE})
    run = auditor("check", "--no-cache", "--format", "json", "-o", small_disk / "out.json",
                  "--report", f"html:{old}", root, env=env)  # fmt: skip
    assert run.returncode == 2
    assert _one_line(run.stderr) == [
        f"auditor: error: cannot write {small_disk / 'out.json'}: {ENOSPC}",
        f"auditor: error: cannot write {old}: {ENOSPC}",
    ]
    assert sorted(p.name for p in small_disk.iterdir()) == ["org.html"]  # no out.json, no temp
    assert old.read_text() == "<p>yesterday's report</p>"
    # A report that fits replaces the old one whole, keeping its permissions.
    run = auditor("check", "--no-cache", "--report", f"html:{old}", small, env=env)
    assert run.returncode == 1, run.stderr
    assert old.read_text().startswith("<!DOCTYPE html>") and old.read_text().endswith("</html>\n")
    assert stat.S_IMODE(old.stat().st_mode) == 0o640
    assert sorted(p.name for p in small_disk.iterdir()) == ["org.html"]


def test_org_report_failures_are_named(repo: Path, tmp_path: Path, env: dict[str, str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    good = tmp_path / "org.json"
    run = auditor("org", "--no-cache", "--quiet", "--report", f"html:{blocker}/org.html",
                  "--report", f"json:{good}", repo, env=env)  # fmt: skip
    assert run.returncode == 2
    assert _one_line(run.stderr) == [
        f"auditor: error: cannot write {blocker}/org.html: Not a directory"]
    assert json.loads(good.read_text())["schema_version"] >= 1
