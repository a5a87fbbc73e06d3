#!/usr/bin/env python3
"""Benchmark ``auditor check`` against actionlint and zizmor on the same files.

    pip install -e '.[bench]'
    python bench/compare.py [--corpus ../shared/corpus/wild] [--runs 5] [--out bench/results.md]

What it measures (every figure is a median over ``--runs`` runs; runs of a
pair alternate A B A B after one warm-up run of each, so drift in machine load
hits both tools alike):

* cold ``auditor check`` (empty result cache) vs ``zizmor --offline
  --no-progress`` and vs ``actionlint -shellcheck= -pyflakes=``, over every
  workflow under the corpus that every tool accepts (zizmor aborts the whole
  run on a few files: they are found, listed, and left out for all tools);
  wall time, files per second, peak RSS of the largest process (``wait4``
  rusage: the tool or its largest worker), and auditor/peer per pair of runs;
* warm ``auditor check`` (cache filled, nothing changed) vs actionlint cold;
* ``auditor check`` of one repository of five workflows (the PR-lint case);
* scaling: 1×, 2× and 4× the file set, each copy made distinct (a comment
  naming the copy is appended to every file) so neither deduplication nor the
  cache can help.

It writes a Markdown table with the date and machine to ``--out``. Speed is
measured here, never by timed unit tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
WORKFLOW_DIRS = (".github/workflows", ".gitea/workflows", ".forgejo/workflows")


def tool(name: str) -> str:
    found = BIN / name
    if found.exists():
        return str(found)
    which = shutil.which(name)
    if which is None:
        sys.exit(f"compare.py: {name} not found; install the bench extra: pip install -e '.[bench]'")
    return which


@dataclass
class Run:
    wall: float
    rss_kb: int
    code: int


@dataclass
class Series:
    label: str
    files: int
    runs: list[Run] = field(default_factory=list)

    @property
    def wall(self) -> float:
        return statistics.median(r.wall for r in self.runs)

    @property
    def rss_mb(self) -> float:
        return max(r.rss_kb for r in self.runs) / 1024

    @property
    def rate(self) -> float:
        return self.files / self.wall if self.wall else 0.0


TIME = "/usr/bin/time"


def run(cmd: Sequence[str], env: dict[str, str] | None = None, timeout: float = 600) -> Run:
    """Wall time and peak RSS (largest process: the tool or any child it waited for).

    The RSS comes from ``wait4`` on a small ``/usr/bin/time`` wrapper where one
    exists: a child forked from this (large) Python process would otherwise
    report this process's pages as its own peak, even after ``exec``.
    """
    wrapped = [TIME, "-q", "-f", "", *cmd] if os.path.exists(TIME) else list(cmd)
    start = time.perf_counter()
    proc = subprocess.Popen(
        wrapped, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=ROOT
    )
    deadline = start + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.002)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Run(wall, int(usage.ru_maxrss), proc.returncode)


def workflow_files(corpus: Path) -> list[Path]:
    files = []
    for path in sorted(corpus.rglob("*")):
        rel = path.as_posix()
        if path.is_file() and path.suffix in (".yml", ".yaml") and any(
            f"/{d}/" in rel for d in WORKFLOW_DIRS
        ):
            files.append(path)
    return files


_FATAL = re.compile(r"failed to load (?:file://)?(\S+?) as (?:workflow|action)")


def zizmor_rejects(zizmor: str, files: list[Path]) -> list[Path]:
    """Files on which zizmor aborts the whole run (it names one per attempt)."""
    left = list(files)
    rejected: list[Path] = []
    for _ in range(50):
        proc = subprocess.run(
            [zizmor, "--offline", "--no-progress", *map(str, left)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if "no audit was performed" not in proc.stderr:
            return rejected
        match = _FATAL.search(proc.stderr)
        if match is None:
            sys.exit(f"compare.py: zizmor aborted without naming a file:\n{proc.stderr[-2000:]}")
        bad = Path(match.group(1))
        if bad not in left:
            sys.exit(f"compare.py: zizmor named an unknown file: {bad}")
        left.remove(bad)
        rejected.append(bad)
    return rejected


def fresh_cache_env(base: Path) -> dict[str, str]:
    folder = Path(tempfile.mkdtemp(prefix="cache-", dir=base))
    env = dict(os.environ)
    env["XDG_CACHE_HOME"] = str(folder)
    env.pop("AUDITOR_CACHE_DIR", None)
    return env


def alternate(
    a: tuple[str, Callable[[], Run]], b: tuple[str, Callable[[], Run]], runs: int, files: int
) -> tuple[Series, Series, list[float]]:
    """A B A B ... after one warm-up of each; returns both series and A/B per pair."""
    sa, sb = Series(a[0], files), Series(b[0], files)
    a[1]()
    b[1]()
    ratios = []
    for _ in range(runs):
        ra, rb = a[1](), b[1]()
        sa.runs.append(ra)
        sb.runs.append(rb)
        ratios.append(ra.wall / rb.wall)
    return sa, sb, ratios


def distinct_copies(files: list[Path], corpus: Path, dest: Path, copies: int) -> list[Path]:
    out = []
    for k in range(copies):
        for f in files:
            target = dest / f"copy{k}" / f.relative_to(corpus)
            target.parent.mkdir(parents=True, exist_ok=True)
            data = f.read_bytes()
            if k:
                sep = b"" if data.endswith(b"\n") or not data else b"\n"
                data = data + sep + f"# distinct copy {k}\n".encode()
            target.write_bytes(data)
            out.append(target)
    return out


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.1f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{platform.system()} {platform.release()}, {cpu}, {cores} cores{mem}, Python {platform.python_version()}"


def version(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) else "?"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "wild")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scale-runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=HERE / "results.md")
    parser.add_argument("--repo", type=Path, default=None,
                        help="the one-repository case (default: a corpus repo with 5 workflows)")
    parser.add_argument("--skip-scaling", action="store_true")
    parser.add_argument("--against", type=Path, default=None, metavar="AUDITOR",
                        help="another auditor executable (an install of the code before a change): "
                             "cold and warm runs alternate with it, same files, same machine")
    args = parser.parse_args(argv)
    corpus: Path = args.corpus.resolve()
    if not corpus.is_dir():
        sys.exit(f"compare.py: {corpus} is not a folder")
    auditor, zizmor, actionlint = tool("auditor"), tool("zizmor"), tool("actionlint")
    # An installed package has its bytecode compiled (pip does it); an editable
    # checkout under PYTHONDONTWRITEBYTECODE=1 would recompile every module on
    # every run and measure the compiler, not auditor.
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "auditor", "rules", "reports"],
        cwd=ROOT, check=False, stdout=subprocess.DEVNULL,
        env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
    )  # fmt: skip
    work = Path(tempfile.mkdtemp(prefix="auditor-bench-"))
    try:
        files = workflow_files(corpus)
        print(f"{len(files)} workflow files under {corpus}", file=sys.stderr)
        rejected = zizmor_rejects(zizmor, files)
        files = [f for f in files if f not in rejected]
        names = [str(f) for f in files]
        for f in rejected:
            print(f"left out (zizmor aborts on it): {f}", file=sys.stderr)
        # Every tool must accept the rest: exit 0 (clean) or 1 (findings).
        checks = {
            "auditor": [auditor, "check", *names],
            "zizmor": [zizmor, "--offline", "--no-progress", *names],
            "actionlint": [actionlint, "-shellcheck=", "-pyflakes=", *names],
        }
        accepted = {"auditor": {0, 1}, "actionlint": {0, 1}, "zizmor": {0, *range(10, 15)}}
        for name, cmd in checks.items():
            code = run(cmd, fresh_cache_env(work)).code
            if code not in accepted[name]:  # zizmor: 10 + the highest finding severity
                sys.exit(f"compare.py: {name} exited {code} on the file list")
        n = len(files)

        def auditor_cold() -> Run:
            return run([auditor, "check", *names], fresh_cache_env(work))

        def peer(cmd: list[str]) -> Callable[[], Run]:
            return lambda: run(cmd)

        a_z, z, ratio_z = alternate(("auditor cold", auditor_cold),
                                    ("zizmor", peer(checks["zizmor"])), args.runs, n)
        a_l, al, ratio_l = alternate(("auditor cold", auditor_cold),
                                     ("actionlint", peer(checks["actionlint"])), args.runs, n)
        warm_env = fresh_cache_env(work)
        run([auditor, "check", *names], warm_env)  # fill the cache
        warm = Series("auditor warm", n)
        for _ in range(args.runs):
            warm.runs.append(run([auditor, "check", *names], warm_env))
        repo = args.repo or next(
            (p for p in sorted(corpus.glob("*/*")) if len(workflow_files(p)) == 5), None
        )
        one = one_warm = None
        if repo is not None:
            one = Series(f"auditor, one repository ({repo.parent.name}, 5 workflows), cold", 5)
            run([auditor, "check", str(repo)], fresh_cache_env(work))
            for _ in range(args.runs):
                one.runs.append(run([auditor, "check", str(repo)], fresh_cache_env(work)))
            one_warm = Series("auditor, the same repository, warm", 5)
            env = fresh_cache_env(work)
            run([auditor, "check", str(repo)], env)
            for _ in range(args.runs):
                one_warm.runs.append(run([auditor, "check", str(repo)], env))
        scaling: list[Series] = []
        if not args.skip_scaling:
            copies = distinct_copies(files, corpus, work / "scaled", 4)
            for k in (1, 2, 4):
                subset = [str(p) for p in copies[: n * k]]
                series = Series(f"auditor cold, {k}× distinct files", len(subset))
                run([auditor, "check", *subset], fresh_cache_env(work))
                for _ in range(args.scale_runs):
                    series.runs.append(run([auditor, "check", *subset], fresh_cache_env(work)))
                scaling.append(series)
        against: tuple[Series, Series, list[float], Series, Series, list[float]] | None = None
        if args.against is not None:
            old = str(args.against)

            def old_cold() -> Run:
                return run([old, "check", *names], fresh_cache_env(work))

            new_c, old_c, ratio_c = alternate(("auditor cold (this code)", auditor_cold),
                                              ("auditor cold (--against)", old_cold), args.runs, n)
            new_env, old_env = fresh_cache_env(work), fresh_cache_env(work)
            run([auditor, "check", *names], new_env)
            run([old, "check", *names], old_env)
            new_w, old_w, ratio_w = alternate(
                ("auditor warm (this code)", lambda: run([auditor, "check", *names], new_env)),
                ("auditor warm (--against)", lambda: run([old, "check", *names], old_env)), args.runs, n,
            )  # fmt: skip
            against = (new_c, old_c, ratio_c, new_w, old_w, ratio_w)
        report = render(
            n, rejected, corpus, (a_z, z, ratio_z), (a_l, al, ratio_l), warm, one, one_warm,
            scaling, versions={
                "auditor": version([auditor, "--version"]),
                "zizmor": version([zizmor, "--version"]),
                "actionlint": version([actionlint, "-version"]),
            }, against=against, against_path=args.against,
        )  # fmt: skip
        args.out.write_text(report, encoding="utf-8")
        print(report)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def render(
    n: int, rejected: list[Path], corpus: Path,
    vs_z: tuple[Series, Series, list[float]], vs_l: tuple[Series, Series, list[float]],
    warm: Series, one: Series | None, one_warm: Series | None, scaling: list[Series],
    versions: dict[str, str],
    against: tuple[Series, Series, list[float], Series, Series, list[float]] | None = None,
    against_path: Path | None = None,
) -> str:  # fmt: skip
    def row(s: Series, ratio: str = "") -> str:
        return f"| {s.label} | {s.files} | {s.wall:.2f} | {s.rate:,.0f} | {s.rss_mb:.0f} | {ratio} |"

    def med(ratios: list[float]) -> str:
        return f"{statistics.median(ratios):.2f}× (pairs: {', '.join(f'{r:.2f}' for r in ratios)})"

    a_z, z, rz = vs_z
    a_l, al, rl = vs_l
    left_out = ", ".join(f"`{p.relative_to(corpus)}`" for p in rejected)
    lines = [
        "# Benchmark: auditor vs actionlint and zizmor",
        "",
        f"Date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}  ",
        f"Machine: {machine()}  ",
        f"Versions: {versions['auditor']}; zizmor {versions['zizmor']}; "
        f"actionlint {versions['actionlint']}  ",
        f"Command: `python bench/compare.py --corpus {corpus}` "
        f"(median of {len(a_z.runs)} runs; pairs alternate A B A B after a warm-up)",
        "",
        f"Files: {n} workflows under `{corpus.name}/` that every tool accepts"
        + (f"; left out because zizmor aborts on them: {left_out}" if rejected else "")
        + ".",
        "",
        "| run | files | wall s (median) | files/s | peak RSS MB | auditor / peer (median of pairs) |",
        "|---|---:|---:|---:|---:|---|",
        row(a_z),
        row(z, med(rz)),
        row(a_l),
        row(al, med(rl)),
        row(warm, f"{warm.wall / al.wall:.2f}× actionlint cold"),
    ]
    if one is not None:
        lines.append(row(one))
    if one_warm is not None:
        lines.append(row(one_warm))
    for s in scaling:
        base = scaling[0].wall
        lines.append(row(s, f"{s.wall / base:.2f}× the 1× time"))
    targets = [
        ("cold ≤ 0.5× zizmor", statistics.median(rz), 0.5),
        ("warm ≤ 1.0× actionlint cold", warm.wall / al.wall, 1.0),
    ]
    lines += ["", "| target | measured | met |", "|---|---:|---|"]
    for name, value, bar in targets:
        lines.append(f"| {name} | {value:.2f}× | {'yes' if value <= bar else 'no'} |")
    if one is not None:
        lines.append(f"| one repository of five workflows ≤ 0.4 s | {one.wall:.2f} s | "
                     f"{'yes' if one.wall <= 0.4 else 'no'} |")
    peak = max(a_z.rss_mb, a_l.rss_mb, *(s.rss_mb for s in scaling))
    lines.append(f"| peak RSS ≤ 250 MB | {peak:.0f} MB | {'yes' if peak <= 250 else 'no'} |")
    if len(scaling) == 3:
        r4 = scaling[2].wall / scaling[0].wall
        lines.append(f"| 4× distinct files ≤ 4.4× time | {r4:.2f}× | {'yes' if r4 <= 4.4 else 'no'} |")
    if against is not None:
        new_c, old_c, ratio_c, new_w, old_w, ratio_w = against
        lines += [
            "", f"## This code against `{against_path}` (the code before the change)", "",
            "Same files, same machine, same run; pairs alternate new, old after a warm-up.", "",
            "| run | files | wall s (median) | files/s | peak RSS MB | new / old (median of pairs) |",
            "|---|---:|---:|---:|---:|---|",
            row(new_c), row(old_c, med(ratio_c)), row(new_w), row(old_w, med(ratio_w)),
            "", "| target | measured | met |", "|---|---:|---|",
        ]
        for name, value in (("cold within 5% of the old code", statistics.median(ratio_c)),
                            ("warm within 5% of the old code", statistics.median(ratio_w))):
            lines.append(f"| {name} | {value:.2f}× | {'yes' if value <= 1.05 else 'no'} |")
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
