#!/usr/bin/env python3
"""Small legal files that cost quadratic time or gigabytes (issue 11): each shape at 1×, 2×, 4×.

    python bench/hostile.py [--shapes a,b,...] [--scale 1.0] [--timeout 300] \
        [--out bench/hostile-results.md]

Every shape is a repository generated in a temporary folder and checked by the
real CLI in a subprocess (``python -m auditor check --no-cache REPO``, text
output to a pipe that is read and dropped, so the renderer does its full
work), at N, 2N and 4N. A run over ``--timeout`` seconds is stopped; a run
that needs more than ``--memory`` MB of address space fails with a
MemoryError (an rlimit), so a shape that is still quadratic cannot take the
machine down. Linear work gives a 4× time of about 4× the 1× time, plus what
the start-up costs; the target is a ratio of at most 4.5.

Shapes (base N in brackets):

* ``a`` a ``needs`` chain of N promote jobs [2,000];
* ``b`` one ``run:`` line with N ``${{ needs.a.outputs.b }}`` references, one
  ``needs-output-unwired`` finding each [5,000];
* ``c`` N ``curl … || true`` lines in one promote step [8,000];
* ``d&&``, ``dcase``, ``dfn``: a promote step's shell with N ``&&``, N ``case``
  arms, N functions [20,000];
* ``e`` a Python script with N ``try`` blocks, run by a promote step [20,000];
* ``f`` the size of shape ``b``'s report in JUnit and in HTML (``--format
  junit|html``): bytes at N, 2N, 4N, and the time of those runs.

It prints a table (shape, N, seconds at 1×/2×/4×, ratio at 4×, pass/fail
against 4.5×) and writes it, with the machine and the command, to ``--out``.
Speed is measured here, never by timed unit tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGET = 4.5
SCALES = (1, 2, 4)


# --- the shapes -------------------------------------------------------------------------

Files = dict[str, str]


def _promote_job(name: str, needs: str | None, run: str, shell: str | None = None) -> str:
    head = f"  {name}:\n    runs-on: ubuntu-latest\n"
    if needs:
        head += f"    needs: {needs}\n"
    step = "      - name: promote\n"
    if shell:
        step += f"        shell: {shell}\n"
    return head + "    steps:\n" + step + f"        run: {run}\n"


def _block(lines: list[str], indent: int = 10) -> str:
    pad = " " * indent
    return "|\n" + "".join(pad + line + "\n" for line in lines)


PROMOTE = "curl --fail -X POST https://cp.example/promote -d digest=sha256:0"


PUBLISH = (
    "  publish:\n    runs-on: ubuntu-latest\n"
    "    outputs:\n      digest: ${{ steps.push.outputs.digest }}\n"
    "    steps:\n      - id: push\n        uses: docker/build-push-action@v6\n"
    "        with:\n          push: true\n          tags: ghcr.io/o/app:latest\n"
)
PINNED = ("curl --fail -X POST https://cp.example/promote -H \"Authorization: Bearer "
          "${{ secrets.CP_ADMIN_API_TOKEN }}\" -d digest=${{ needs.publish.outputs.digest }}")  # fmt: skip


def needs_chain(n: int) -> Files:
    """A publish job, then N promote jobs each needing only the one before: one promote path
    N jobs long (every job has all the others before it as ancestors)."""
    run = _block([PINNED])
    jobs = [PUBLISH, _promote_job("promote-0", "publish", run)]
    jobs += [_promote_job(f"promote-{i}", f"promote-{i - 1}", run) for i in range(1, n)]
    return {".github/workflows/chain.yml": "on: push\njobs:\n" + "".join(jobs)}


def one_line_references(n: int) -> Files:
    refs = " ".join(["${{ needs.a.outputs.b }}"] * n)
    text = (
        "on: push\njobs:\n"
        "  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo a\n"
        "  b:\n    runs-on: ubuntu-latest\n    needs: a\n    steps:\n"
        f"      - run: echo {refs}\n"
    )
    return {".github/workflows/refs.yml": text}


def curl_or_true(n: int) -> Files:
    lines = [f"curl -X POST https://cp.example/promote/{i} || true" for i in range(n)]
    return {".github/workflows/curl.yml": "on: push\njobs:\n" + _promote_job(
        "promote", None, _block(lines))}  # fmt: skip


def shell_and_chain(n: int) -> Files:
    line = " && ".join(["true"] * (n + 1)) + " && " + PROMOTE
    return {".github/workflows/and.yml": "on: push\njobs:\n" + _promote_job(
        "promote", None, _block([line]))}  # fmt: skip


def shell_case_arms(n: int) -> Files:
    arms = [f"  v{i}) echo {i} ;;" for i in range(n)]
    lines = ['case "$1" in', *arms, "esac", PROMOTE]
    return {".github/workflows/case.yml": "on: push\njobs:\n" + _promote_job(
        "promote", None, _block(lines))}  # fmt: skip


def shell_functions(n: int) -> Files:
    lines = [f"f{i}() {{ echo {i}; }}" for i in range(n)] + [PROMOTE]
    return {".github/workflows/fn.yml": "on: push\njobs:\n" + _promote_job(
        "promote", None, _block(lines))}  # fmt: skip


def python_try_blocks(n: int) -> Files:
    body = ["import urllib.request", ""]
    for i in range(n):
        body += ["try:", f"    x{i} = int('{i}')", "except ValueError:", "    raise", ""]
    body += ["try:", "    urllib.request.urlopen('https://cp.example/promote', data=b'd')",
             "except Exception:", "    pass"]
    run = _block(["python3 scripts/promote.py", PROMOTE])
    workflow = "on: push\njobs:\n" + _promote_job("promote", None, run)
    return {".github/workflows/py.yml": workflow, "scripts/promote.py": "\n".join(body) + "\n"}


@dataclass(frozen=True)
class Shape:
    key: str
    what: str
    base: int
    make: Callable[[int], Files]
    fmt: str = "text"
    measure_size: bool = False


SHAPES = [
    Shape("a", "needs chain of N promote jobs", 2_000, needs_chain),
    Shape("b", "one line, N needs.a.outputs.b references", 5_000, one_line_references),
    Shape("c", "N `curl … || true` lines in a promote step", 8_000, curl_or_true),
    Shape("d&&", "shell: N `&&`", 20_000, shell_and_chain),
    Shape("dcase", "shell: N `case` arms", 20_000, shell_case_arms),
    Shape("dfn", "shell: N functions", 20_000, shell_functions),
    Shape("e", "Python: N `try` blocks run by a promote step", 20_000, python_try_blocks),
    Shape("f-junit", "report size of (b), JUnit", 5_000, one_line_references, "junit", True),
    Shape("f-html", "report size of (b), HTML", 5_000, one_line_references, "html", True),
]


# --- running --------------------------------------------------------------------------------


@dataclass
class Outcome:
    seconds: float
    code: int | None  # None: stopped at the timeout
    out_bytes: int
    note: str = ""


@dataclass
class Row:
    shape: Shape
    n: int
    runs: list[Outcome] = field(default_factory=list)

    def ratio(self, attr: str = "seconds") -> float | None:
        if len(self.runs) < len(SCALES) or any(r.code not in (0, 1) for r in self.runs):
            return None
        first, last = getattr(self.runs[0], attr), getattr(self.runs[-1], attr)
        return last / first if first else None


def write_repo(root: Path, files: Files) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def run_check(repo: Path, fmt: str, timeout: float, memory_mb: int, cache: Path) -> Outcome:
    env = dict(os.environ, AUDITOR_CACHE_DIR=str(cache), NO_COLOR="1")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    limit = memory_mb * 1024 * 1024

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    cmd = [sys.executable, "-m", "auditor", "check", "--no-cache", "--format", fmt, str(repo)]
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=repo.parent,
                                preexec_fn=limit_memory)  # fmt: skip
        try:
            code: int | None = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            code = None
        seconds = time.perf_counter() - started
        size = out.seek(0, os.SEEK_END)
        err.seek(0)
        last = err.read().decode("utf-8", "replace").strip().splitlines()[-1:]
    note = ""
    if code is None:
        note = f"stopped after {timeout:.0f} s"
    elif code not in (0, 1):
        note = f"exit {code}: {last[0][:120] if last else ''}"
    return Outcome(seconds, code, size, note)


def measure(shape: Shape, scale: float, timeout: float, memory_mb: int, tmp: Path) -> Row:
    n = max(1, int(shape.base * scale))
    row = Row(shape, n)
    for k in SCALES:
        repo = tmp / f"{shape.key.replace('&', 'and')}-{k}"
        write_repo(repo, shape.make(n * k))
        outcome = run_check(repo, shape.fmt, timeout, memory_mb, tmp / "cache")
        row.runs.append(outcome)
        print(f"  {shape.key} {n * k:>7}: {outcome.seconds:7.2f} s  {outcome.out_bytes:>12,} B"
              f"  {outcome.note}", file=sys.stderr, flush=True)  # fmt: skip
        if outcome.code not in (0, 1):
            break  # larger inputs only take longer
    return row


# --- the table ------------------------------------------------------------------------------


def _seconds(row: Row, i: int) -> str:
    if i >= len(row.runs):
        return "—"
    r = row.runs[i]
    if r.code is None:
        return f">{r.seconds:.0f}"
    return f"{r.seconds:.2f}" + ("" if r.code in (0, 1) else " (failed)")


def _verdict(ratio: float | None) -> str:
    return "pass" if ratio is not None and ratio <= TARGET else "FAIL"


def table(rows: list[Row]) -> list[str]:
    out = [
        "| shape | what | N | 1× s | 2× s | 4× s | 4×/1× time | result |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        ratio = row.ratio()
        shown = f"{ratio:.2f}×" if ratio is not None else "—"
        out.append(
            f"| {row.shape.key} | {row.shape.what} | {row.n:,} | {_seconds(row, 0)} | "
            f"{_seconds(row, 1)} | {_seconds(row, 2)} | {shown} | {_verdict(ratio)} |"
        )
    sized = [row for row in rows if row.shape.measure_size]
    if sized:
        out += [
            "",
            "| report | N | 1× bytes | 2× bytes | 4× bytes | 4×/1× size | result |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        for row in sized:
            sizes = [f"{r.out_bytes:,}" if r.code in (0, 1) else "—" for r in row.runs]
            sizes += ["—"] * (len(SCALES) - len(sizes))
            ratio = row.ratio("out_bytes")
            shown = f"{ratio:.2f}×" if ratio is not None else "—"
            out.append(f"| {row.shape.fmt} of (b) | {row.n:,} | {' | '.join(sizes)} | {shown} | "
                       f"{_verdict(ratio)} |")  # fmt: skip
    notes = [f"- {row.shape.key} at {row.n * SCALES[i]:,}: {r.note}"
             for row in rows for i, r in enumerate(row.runs) if r.note]  # fmt: skip
    if notes:
        out += ["", "Runs that did not finish:", "", *notes]
    return out


def machine() -> str:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{platform.system()} {platform.release()}, {cores} cores, Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", default=",".join(s.key for s in SHAPES),
                        help="comma-separated shape keys (default: all)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every base N")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per run")
    parser.add_argument("--memory", type=int, default=4096, help="address-space limit, MB")
    parser.add_argument("--out", type=Path, default=HERE / "hostile-results.md")
    args = parser.parse_args(argv)
    wanted = [k.strip() for k in args.shapes.split(",") if k.strip()]
    unknown = set(wanted) - {s.key for s in SHAPES}
    if unknown:
        parser.error(f"unknown shape(s): {', '.join(sorted(unknown))}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="auditor-hostile-") as tmp:
        for shape in (s for s in SHAPES if s.key in wanted):
            rows.append(measure(shape, args.scale, args.timeout, args.memory, Path(tmp)))
    lines = table(rows)
    print("\n".join(lines))
    command = "python bench/hostile.py" + "".join(
        f" {flag} {value}" for flag, value, default in (
            ("--shapes", args.shapes, ",".join(s.key for s in SHAPES)),
            ("--scale", args.scale, 1.0), ("--timeout", args.timeout, 300.0),
            ("--memory", args.memory, 4096),
        ) if value != default
    )  # fmt: skip
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    header = [
        "# Benchmark: hostile input shapes (issue 11)",
        "",
        f"Date: {stamp}  ",
        f"Machine: {machine()}  ",
        f"Command: `{command}` (each run: `python -m auditor check --no-cache --format FMT REPO`, "
        f"stdout to a file; target: 4× time ≤ {TARGET}× the 1× time)",
        "",
    ]
    args.out.write_text("\n".join(header + lines) + "\n", encoding="utf-8")
    failed = [row.shape.key for row in rows if _verdict(row.ratio()) == "FAIL"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
