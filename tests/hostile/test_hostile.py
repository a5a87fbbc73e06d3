"""Hostile input: every case ends in a finding or a clean one-line error, never a hang or a crash.

Each scan runs the real CLI in a subprocess with a wall-clock timeout (a hang
fails the test; no timing is asserted) and an address-space limit (a memory
blow-up fails it too). Files are made in tmp folders by the tests.
"""

from __future__ import annotations

import json
import os
import resource
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write_files

TIMEOUT = 120  # seconds; generous for a loaded 2-core CI machine: only a hang should hit it
MEMORY_LIMIT = 1536 * 1024 * 1024  # address space per process


def _limit_memory() -> None:  # pragma: no cover - runs in the child
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def scan(*args: str | Path, cache: Path | None = None, cwd: Path | None = None,
         timeout: float = TIMEOUT) -> subprocess.CompletedProcess[str]:  # fmt: skip
    env = dict(os.environ)
    if cache is not None:
        env["AUDITOR_CACHE_DIR"] = str(cache)
    return subprocess.run(
        [sys.executable, "-m", "auditor", "check", "--format", "json", *map(str, args)],
        capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd,
        preexec_fn=_limit_memory, check=False,
    )  # fmt: skip


def findings(proc: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
    found: list[dict[str, Any]] = json.loads(proc.stdout)["findings"]
    return found


def rules_of(proc: subprocess.CompletedProcess[str]) -> set[str]:
    return {f["rule"] for f in findings(proc)}


def one_workflow(tmp_path: Path, content: str | bytes, name: str = "ci.yml") -> Path:
    return write_files(tmp_path / "repo", {f".github/workflows/{name}": content})


OK = """
name: ok
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo ok
"""


# --- YAML bombs and nesting ------------------------------------------------------------


def test_billion_laughs(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 12):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    text = "on: push\n" + "\n".join(lines) + "\njobs:\n  x:\n    runs-on: [*a11]\n"
    proc = scan(one_workflow(tmp_path, text))
    found = findings(proc)
    assert any(f["rule"] == "parse-error" and "alias bomb" in f["message"] for f in found)


def test_aliases_in_depth_that_stay_small_are_fine(tmp_path: Path) -> None:
    text = OK + "env: &e {A: 1}\n" + "".join(f"x{i}: *e\n" for i in range(2000))
    assert "parse-error" not in rules_of(scan(one_workflow(tmp_path, text)))


@pytest.mark.parametrize("style", ["flow-seq", "flow-map", "block-seq", "block-map"])
def test_ten_thousand_levels_of_nesting(tmp_path: Path, style: str) -> None:
    depth = 10_000
    if style == "flow-seq":
        body = "x: " + "[" * depth + "]" * depth + "\n"
    elif style == "flow-map":
        body = "x: " + "{a: " * depth + "1" + "}" * depth + "\n"
    elif style == "block-seq":
        body = "x:\n" + "- " * depth + "1\n"
    else:
        # One space per level: 10,000 levels is 50 MB of indentation, so the
        # size limit would answer first; 3,000 levels (4.5 MB) reach the parser.
        depth = 3_000
        body = "x:\n" + "".join(" " * (i + 1) + "a:\n" for i in range(depth)) + " " * (depth + 1) + "b\n"
    proc = scan(one_workflow(tmp_path, "on: push\n" + body))
    found = findings(proc)
    assert any(f["rule"] == "parse-error" and "nest" in f["message"] for f in found), found


# --- size, bytes, lines ----------------------------------------------------------------


def test_fifty_megabyte_file_is_too_large_and_not_read_whole(tmp_path: Path) -> None:
    root = one_workflow(tmp_path, OK)
    big = root / ".github/workflows/huge.yml"
    with big.open("wb") as fh:
        line = b"# " + b"x" * 1000 + b"\n"
        for _ in range(50 * 1024):
            fh.write(line)
    found = findings(scan(root))
    hits = [f for f in found if f["rule"] == "file-too-large"]
    assert [f["path"] for f in hits] == [".github/workflows/huge.yml"]


def test_size_limit_comes_from_the_policy(tmp_path: Path) -> None:
    root = one_workflow(tmp_path, OK)
    (root / ".auditor.yml").write_text("version: 1\nlimits:\n  max_file_bytes: 50\n")
    found = findings(scan(root))
    assert [f["rule"] for f in found] == ["file-too-large"]


def test_binary_file(tmp_path: Path) -> None:
    blob = bytes(range(256)) * 64
    found = findings(scan(one_workflow(tmp_path, blob)))
    assert [f["rule"] for f in found] == ["parse-error"]


def test_nul_bytes_in_valid_utf8(tmp_path: Path) -> None:
    found = findings(scan(one_workflow(tmp_path, OK.encode() + b"\x00\x00")))
    assert [f["rule"] for f in found] == ["parse-error"]
    assert "binary" in found[0]["message"] or "NUL" in found[0]["message"]


def test_non_utf8_file_names_the_bad_byte(tmp_path: Path) -> None:
    text = OK.replace("echo ok", "echo caf\xe9").encode("latin-1")
    found = findings(scan(one_workflow(tmp_path, text)))
    assert [f["rule"] for f in found] == ["parse-error"]
    assert "UTF-8" in found[0]["message"]
    assert found[0]["line"] == 8


@pytest.mark.parametrize("where", ["run", "flow", "comment", "key"])
def test_one_megabyte_lines(tmp_path: Path, where: str) -> None:
    mb = 1024 * 1024
    if where == "run":
        text = OK.replace("echo ok", "echo " + "a" * mb)
    elif where == "flow":
        text = OK + "env: {" + ", ".join(f"K{i}: v" for i in range(mb // 8)) + "}\n"
    elif where == "comment":
        text = OK + "# " + "c" * mb + "\n"
    else:
        text = OK + "k" * mb + ": v\n"
    proc = scan(one_workflow(tmp_path, text))
    findings(proc)  # a clean verdict either way; bounded time and memory is the point


def test_five_thousand_jobs_with_a_long_needs_chain(tmp_path: Path) -> None:
    jobs = ["jobs:"]
    for i in range(5000):
        jobs.append(f"  j{i}:\n    runs-on: ubuntu-latest")
        if i:
            needs = [f"j{i - 1}"] + ([f"j{i // 2}"] if i > 2 else [])
            jobs.append(f"    needs: [{', '.join(needs)}]")
        jobs.append("    steps:\n      - run: echo ${{ needs.j0.outputs.x }}")
    text = "on: push\n" + "\n".join(jobs) + "\n"
    proc = scan(one_workflow(tmp_path, text))
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr


def test_five_thousand_jobs_in_one_cycle(tmp_path: Path) -> None:
    jobs = ["jobs:"]
    for i in range(5000):
        jobs.append(f"  j{i}:\n    runs-on: ubuntu-latest\n    needs: j{(i + 1) % 5000}")
        jobs.append("    steps:\n      - run: echo hi")
    proc = scan(one_workflow(tmp_path, "on: push\n" + "\n".join(jobs) + "\n"))
    assert "needs-cycle" in rules_of(proc)


# --- the file system --------------------------------------------------------------------


def test_symlink_loop(tmp_path: Path) -> None:
    root = one_workflow(tmp_path, OK)
    wf = root / ".github/workflows"
    (wf / "loop.yml").symlink_to("loop.yml")
    (wf / "a.yml").symlink_to("b.yml")
    (wf / "b.yml").symlink_to("a.yml")
    (root / "dirloop").symlink_to(".")  # a folder that contains itself
    found = findings(scan(root))
    bad = {f["path"] for f in found if f["rule"] == "parse-error"}
    assert bad == {".github/workflows/loop.yml", ".github/workflows/a.yml",
                   ".github/workflows/b.yml"}  # fmt: skip


def test_symlinks_out_of_the_repository_are_never_followed(tmp_path: Path) -> None:
    outside = write_files(tmp_path / "outside", {
        "secret.yml": "on: push\njobs:\n  x:\n    needs: [SECRET_OUTSIDE_MARKER]\n"
                      "    runs-on: u\n    steps:\n      - run: echo\n",
        "workflows/other.yml": "on: push\njobs:\n  y:\n    needs: [ALSO_OUTSIDE]\n",
    })  # fmt: skip
    root = one_workflow(tmp_path, OK)
    (root / ".github/workflows/linked.yml").symlink_to(outside / "secret.yml")
    (root / ".gitea").mkdir()
    (root / ".gitea/workflows").symlink_to(outside / "workflows")
    (root / "action.yml").symlink_to("/etc/passwd")
    proc = scan(root)
    found = findings(proc)
    assert "SECRET_OUTSIDE_MARKER" not in proc.stdout
    assert "ALSO_OUTSIDE" not in proc.stdout
    assert "root:" not in proc.stdout
    linked = [f for f in found if f["path"] == ".github/workflows/linked.yml"]
    assert linked and all(f["rule"] == "parse-error" for f in linked)
    assert "outside the repository" in linked[0]["message"]


def test_unreadable_file_is_a_finding_and_the_scan_goes_on(tmp_path: Path) -> None:
    root = write_files(tmp_path / "repo", {
        ".github/workflows/a.yml": OK,
        ".github/workflows/b.yml": OK.replace("build:", "build:\n    needs: [nope]"),
    })  # fmt: skip
    locked = root / ".github/workflows/locked.yml"
    if os.geteuid() == 0:
        # root reads through chmod 000, so the meaningful unreadable file here
        # is a FIFO: opening one blocks forever unless the reader refuses it.
        os.mkfifo(locked)
    else:
        locked.write_text(OK)
        locked.chmod(0)
    try:
        found = findings(scan(root))
    finally:
        if locked.exists() and not stat.S_ISFIFO(locked.lstat().st_mode):
            locked.chmod(0o644)
    by_path = {f["path"]: f["rule"] for f in found}
    assert by_path[".github/workflows/locked.yml"] == "parse-error"
    assert by_path[".github/workflows/b.yml"] == "needs-unknown-job"  # the scan went on


def test_a_folder_named_like_a_workflow_is_not_a_workflow(tmp_path: Path) -> None:
    root = one_workflow(tmp_path, OK)
    (root / ".github/workflows/folder.yml").mkdir()
    assert findings(scan(root)) == []


def test_missing_path_is_a_one_line_error(tmp_path: Path) -> None:
    proc = scan(tmp_path / "nope")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "no such file" in proc.stderr


# --- the cache ----------------------------------------------------------------------------


def _many(tmp_path: Path, repos: int = 4, per_repo: int = 20) -> list[Path]:
    roots = []
    for r in range(repos):
        files = {
            f".github/workflows/w{i}.yml": OK.replace("build:", f"build{i}:\n    needs: [n{r}{i % 3}]")
            for i in range(per_repo)
        }
        roots.append(write_files(tmp_path / f"r{r}", files))
    return roots


def test_corrupted_cache_entries_are_ignored_and_rebuilt(tmp_path: Path) -> None:
    from auditor.cache import Entry, ResultCache

    roots = _many(tmp_path)
    cache = tmp_path / "cache"
    first = scan(*roots, cache=cache)
    store = ResultCache(cache)
    items = store.raw_items()
    assert len(items) == 80
    for i, (key, raw) in enumerate(items):
        store.set_raw(key, raw[: len(raw) // 3] if i % 2 else b"\x00garbage" + raw[::-1])
    store.close()
    again = scan(*roots, cache=cache)
    assert again.returncode == first.returncode == 1
    assert again.stdout == first.stdout
    assert all(Entry.from_bytes(raw, key) is not None for key, raw in ResultCache(cache).raw_items())


def test_a_truncated_cache_database_is_rebuilt(tmp_path: Path) -> None:
    from auditor.cache import ResultCache

    roots = _many(tmp_path, repos=2)
    cache = tmp_path / "cache"
    first = scan(*roots, cache=cache)
    db = ResultCache(cache).path
    db.write_bytes(db.read_bytes()[:1000])
    again = scan(*roots, cache=cache)
    assert (again.returncode, again.stdout) == (first.returncode, first.stdout)
    assert len(ResultCache(cache).raw_items()) == 40


def test_an_unwritable_cache_folder_is_not_an_error(tmp_path: Path) -> None:
    roots = _many(tmp_path, repos=1, per_repo=3)
    blocker = tmp_path / "cache-is-a-file"
    blocker.write_text("not a folder")
    proc = scan(*roots, cache=blocker)
    assert proc.returncode == 1 and findings(proc)


def test_two_concurrent_runs_share_one_cache_folder(tmp_path: Path) -> None:
    roots = _many(tmp_path, repos=6, per_repo=20)
    cache = tmp_path / "shared-cache"
    reference = scan(*roots, "--no-cache")
    env = dict(os.environ, AUDITOR_CACHE_DIR=str(cache))
    cmd = [sys.executable, "-m", "auditor", "check", "--format", "json", *map(str, roots)]
    procs = [
        subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
            preexec_fn=_limit_memory,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=TIMEOUT) for p in procs]
    for proc, (out, err) in zip(procs, outs, strict=True):
        assert proc.returncode == 1, err
        assert out == reference.stdout
    # Afterwards the shared cache answers every file.
    from auditor.cache import ResultCache
    from auditor.parallel import scan_targets
    from auditor.policy import Policy
    from auditor.targets import resolve_targets

    batch = scan_targets(resolve_targets([str(r) for r in roots]), lambda t: Policy(),
                         cache=ResultCache(cache), jobs=1)  # fmt: skip
    assert (batch.files_analysed, batch.files_cached) == (0, 120)


# --- bidi -------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["job-name", "script", "comment"])
def test_bidi_control_characters(tmp_path: Path, where: str) -> None:
    rlo = "\u202e"
    if where == "job-name":
        text = OK.replace("build:", f"build:\n    name: 'deploy {rlo}gnp.exe'")
    elif where == "script":
        text = OK.replace("echo ok", f'if [ "$ROLE" != "admin{rlo} {chr(0x2066)}" ]; then exit 1; fi')
    else:
        text = OK + f"# harmless {chr(0x2067)}comment\n"
    found = findings(scan(one_workflow(tmp_path, text)))
    assert "bidi-control-character" in {f["rule"] for f in found}


def test_a_nul_byte_in_a_script_path_is_no_file(tmp_path: Path) -> None:
    """YAML can spell a NUL (`"\\0"`); no file name holds one, so it is simply not found."""
    text = ('on: push\njobs:\n  promote:\n    runs-on: x\n    steps:\n'
            '      - run: "./scripts/x\\0y.sh"\n      - run: "bash ./a\\0b.sh"\n'
            '      - run: curl --fail -X POST https://cp.example/promote\n')  # fmt: skip
    repo = one_workflow(tmp_path, text)
    proc = scan(repo, "--no-cache")
    assert proc.returncode in (0, 1), proc.stderr
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
    org = subprocess.run(
        [sys.executable, "-m", "auditor", "org", "-q", str(repo)], capture_output=True,
        text=True, timeout=TIMEOUT, env={**os.environ, "AUDITOR_CACHE_DIR": str(tmp_path / "c")},
        check=False,
    )  # fmt: skip
    assert org.returncode in (0, 1), org.stderr
    assert "internal error" not in org.stderr


def test_policy_paths_with_a_nul_byte_or_binary_content_are_policy_errors(tmp_path: Path) -> None:
    repo = one_workflow(tmp_path, OK)
    (repo / "bin.txt").write_bytes(b"\xff\xfe\x00bad")
    cases = {
        'secrets:\n  inventory: "s\\0.txt"': "a NUL byte in the name",
        "secrets:\n  inventory: bin.txt": "not UTF-8 text",
        'custom_rules: ["r\\0x.py"]': r"r\x00x.py",  # shown visibly, never a raw NUL
    }
    for policy, reason in cases.items():
        (repo / ".auditor.yml").write_text(f"version: 1\n{policy}\n")
        proc = scan(repo, "--no-cache")
        assert proc.returncode == 2, proc.stderr
        assert "internal error" not in proc.stderr and "\0" not in proc.stderr
        (line,) = proc.stderr.strip().splitlines()
        assert line.startswith("auditor: error: ") and reason in line, line
