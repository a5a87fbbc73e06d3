#!/usr/bin/env python3
"""Benchmark the org compliance page in headless Chromium: how fast it opens and filters.

    pip install -e '.[test]'        # playwright (the Python package; its browser is not used)
    python bench/org_html.py [--corpus ../shared/corpus/wild] [--runs 5] [--screenshots docs/img]

It scans the first 30 and all 241 repositories of the wild corpus
(``<owner>__<repo>/<commit12>/`` folders) with ``auditor org --report html:…``
and opens each page in Debian's ``/usr/bin/chromium`` (headless, the project's
flags, every network request refused). Figures, medians over ``--runs`` fresh
page loads:

* **open**: navigation start to the first frame painted after the load event
  (``performance.now()``, whose origin is the navigation start, read in a
  ``requestAnimationFrame`` after ``load``);
* **filter**: a rule picked in the rule filter, from the change event to the
  next painted frame (the filter's script, style and layout);
* the page's height (px, 1400 px wide) and size, the repositories and findings.

Target: under a second for each on the 241 repositories. With
``--screenshots DIR`` it saves ``org-30.png`` and ``org-241.png`` (the top of the
page, 1400×1800). Timing lives here, never in tests.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
AUDITOR = Path(sys.executable).parent / "auditor"

# after the load event: the first frame painted, in ms since navigation start (timeOrigin)
OPEN_JS = """() => new Promise(done => {
  requestAnimationFrame(() => setTimeout(() => done(performance.now()), 0));
})"""

FILTER_JS = """(rule) => new Promise(done => {
  const select = document.getElementById('rule-filter');
  const start = performance.now();
  select.value = rule;
  select.dispatchEvent(new Event('change'));
  requestAnimationFrame(() => setTimeout(() => done(performance.now() - start), 0));
})"""


def scan(roots: list[Path], out: Path) -> dict[str, Any]:
    data = out.with_suffix(".json")
    proc = subprocess.run(
        [str(AUDITOR), "org", "-q", "--no-cache", "--report", f"html:{out}", "--format", "json",
         "-o", str(data), *map(str, roots)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if proc.returncode not in (0, 1):
        sys.exit(f"auditor org failed: {proc.stderr.strip()}")
    doc: dict[str, Any] = json.loads(data.read_text())
    return doc


def measure(page_file: Path, runs: int, shot: Path | None) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    opens, filters = [], []
    height = 0
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        for index in range(runs + 1):  # the first load warms the disk cache: not counted
            page = browser.new_page(viewport={"width": 1400, "height": 1800 if index == 0 else 900})
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
            page.goto(page_file.as_uri(), wait_until="load")
            opened = page.evaluate(OPEN_JS)
            if not index:  # as it opens, before any filter
                height = page.evaluate("document.body.getBoundingClientRect().height")
            rule = page.eval_on_selector("#rule-filter", "s => s.options.length > 1 ? s.options[1].value : ''")
            took = page.evaluate(FILTER_JS, rule) if rule else 0.0
            if index:
                opens.append(opened)
                filters.append(took)
            elif shot is not None:
                page.evaluate(FILTER_JS, "")
                page.screenshot(path=str(shot))
            page.close()
        browser.close()
    return {"open_ms": statistics.median(opens), "filter_ms": statistics.median(filters),
            "height_px": height, "bytes": page_file.stat().st_size}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parents[2] / "shared/corpus/wild")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--screenshots", type=Path, default=None)
    args = parser.parse_args()
    if not args.corpus.is_dir():
        sys.exit(f"no corpus at {args.corpus}")
    roots = sorted(p for p in args.corpus.glob("*/*") if p.is_dir())
    print(f"{'repos':>5} {'findings':>8} {'open ms':>8} {'filter ms':>9} {'height px':>9} {'KB':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        for count in (30, len(roots)):
            out = Path(tmp) / f"org-{count}.html"
            doc = scan(roots[:count], out)
            shot = args.screenshots / f"org-{count}.png" if args.screenshots else None
            got = measure(out, args.runs, shot)
            print(f"{count:>5} {len(doc['findings']):>8} {got['open_ms']:>8.0f} {got['filter_ms']:>9.1f} "
                  f"{got['height_px']:>9.0f} {got['bytes'] // 1024:>6}")


if __name__ == "__main__":
    main()
