#!/usr/bin/env python3
"""Benchmark ``auditor org`` over a folder of repositories (issue 6's acceptance figures).

    python bench/org.py [--corpus ../shared/corpus/wild] [--runs 5] [--out bench/org-results.md]

Every ``<owner>__<repo>/<commit>`` folder of the corpus is one repository. The
corpus is copied to a temporary folder first (file times kept), so the
"one file edited" case can edit a file; the project never holds a copy.

Per round, with an empty cache folder of its own (``XDG_CACHE_HOME``):

* cold: ``auditor org REPOS --quiet --report html:org.html -o /dev/null``;
* warm: the same command again (nothing changed: the org snapshot answers);
* one file edited: a comment appended to one workflow, then the same command
  (the snapshot no longer holds; the per-file cache answers all but that file).

Then ``--no-cache`` with ``--jobs 1`` vs ``--jobs 2``, alternating. Figures are
medians over ``--runs`` rounds; warm/cold is the median of per-round ratios.
``PYTHONDONTWRITEBYTECODE`` is dropped for the runs and one warm-up run is
made, so modules load from bytecode as in an installed copy.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from compare import ROOT, Run, Series, alternate, fresh_cache_env, machine, run, tool

from auditor.repo import DirectorySource, discover


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "wild")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "org-results.md")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        sys.exit(f"org.py: no corpus at {args.corpus}")
    auditor = tool("auditor")
    with tempfile.TemporaryDirectory(prefix="auditor-org-bench-") as tmp:
        base = Path(tmp)
        corpus = base / "corpus"
        shutil.copytree(args.corpus, corpus)  # file and folder times kept (copy2, copystat)
        repos = sorted(str(p) for p in corpus.glob("*/*") if p.is_dir())
        files = sum(len(discover(DirectorySource(Path(r))).files()) for r in repos)
        edited = next(p for p in sorted(corpus.rglob("*.yml")) if "/workflows/" in p.as_posix())
        original, stat = edited.read_bytes(), edited.stat()
        cmd = [auditor, "org", *repos, "--quiet", "--report", f"html:{base / 'org.html'}",
               "-o", os.devnull]  # fmt: skip

        def env_for(cache: Path | None = None) -> dict[str, str]:
            env = fresh_cache_env(base) if cache is None else {**os.environ,
                                                               "XDG_CACHE_HOME": str(cache)}
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env.pop("AUDITOR_CACHE_DIR", None)
            return env

        run(cmd, env_for())  # warm-up: bytecode written, page cache filled
        cold, warm, after_edit = (Series(n, files) for n in ("cold", "warm", "one file edited"))
        ratios = []
        for _ in range(args.runs):
            env = env_for()
            cold.runs.append(_checked(run(cmd, env)))
            warm.runs.append(_checked(run(cmd, env)))
            ratios.append(warm.runs[-1].wall / cold.runs[-1].wall)
            edited.write_bytes(original + b"\n# edited by bench/org.py\n")
            after_edit.runs.append(_checked(run(cmd, env)))
            edited.write_bytes(original)
            os.utime(edited, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        no_cache = [*cmd, "--no-cache"]
        one, two, pool = alternate(
            ("--jobs 1 --no-cache", lambda: _checked(run([*no_cache, "--jobs", "1"], env_for()))),
            ("--jobs 2 --no-cache", lambda: _checked(run([*no_cache, "--jobs", "2"], env_for()))),
            args.runs, files,
        )  # fmt: skip
    text = render(len(repos), [cold, warm, after_edit, one, two], ratios, pool, args)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


def _checked(result: Run) -> Run:
    if result.code not in (0, 1):
        sys.exit(f"org.py: auditor exited {result.code}")
    return result


def render(
    repos: int, series: list[Series], ratios: list[float], pool: list[float],
    args: argparse.Namespace,
) -> str:  # fmt: skip
    head = [
        f"# `auditor org` benchmark ({dt.date.today().isoformat()})",
        "",
        f"Machine: {machine()}",
        f"Command: `python bench/org.py --corpus {args.corpus} --runs {args.runs}` "
        f"({repos} repositories, medians of {args.runs} rounds)",
        "",
        "| Run | Files | Wall s (median) | Files/s | Peak RSS MB |",
        "|---|---:|---:|---:|---:|",
    ]
    rows = [
        f"| {s.label} | {s.files:,} | {s.wall:.2f} | {s.rate:,.0f} | {s.rss_mb:.0f} |"
        for s in series
    ]
    warm_ratio = statistics.median(ratios)
    tail = [
        "",
        f"- warm / cold: **{warm_ratio:.1%}** (median of per-round ratios; the bar is 10 %: "
        f"{'met' if warm_ratio <= 0.10 else 'not met'})",
        f"- `--jobs 1` / `--jobs 2` without the cache: {statistics.median(pool):.2f}x",
        "",
    ]
    return "\n".join(head + rows + tail)


if __name__ == "__main__":
    raise SystemExit(main())
