"""Golden verdicts: every finding auditor gives on the real corpora, judged by hand.

``verdicts.tsv`` holds one row per finding over ``../shared/corpus/wild`` and
``../shared/corpus/molecule-ai``: where it is (set, repository folder, path,
line, column, rule), the verdict a platform engineer gave it (``true``,
``false`` or ``debatable``) and one line of why. ``test_verdicts.py`` fails
when a finding appears that has no row, when a row judged ``false`` comes
back, and when a row no longer matches any finding (so the file stays the
truth about today's output).

``python -m tests.corpus.verdicts`` prints the rows today's output lacks
(verdict ``?``) and the rows it no longer produces, to judge and paste.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
TSV = HERE / "verdicts.tsv"
SETS = ("wild", "molecule-ai")
VERDICTS = ("true", "false", "debatable")
COLUMNS = ("set", "repo", "path", "line", "column", "rule", "verdict", "why")


@dataclass(frozen=True, slots=True)
class Row:
    set: str
    repo: str  # the repository folder inside the set: owner__name/commit12
    path: str
    line: int
    column: int
    rule: str
    verdict: str = "?"
    why: str = ""

    @property
    def key(self) -> tuple[str, str, str, int, int, str]:
        return (self.set, self.repo, self.path, self.line, self.column, self.rule)


def load(path: Path = TSV) -> list[Row]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t")
        rows = []
        for record in reader:
            if not record or record[0].startswith("#") or record[0] == "set":
                continue
            s, repo, p, line, col, rule, verdict, why = (record + [""] * 8)[:8]
            rows.append(Row(s, repo, p, int(line), int(col), rule, verdict, why))
        return rows


def scan(corpus: Path) -> list[Row]:
    """Today's findings over both sets, one CLI run per set (the pool and a fresh cache)."""
    out: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, AUDITOR_CACHE_DIR=str(Path(tmp) / "cache"))
        for name in SETS:
            root = corpus / name
            repos = sorted(p for p in root.glob("*/*") if p.is_dir())
            report = Path(tmp) / f"{name}.json"
            proc = subprocess.run(
                [sys.executable, "-m", "auditor", "check", "--no-policy", "--format", "json",
                 "--output", str(report), *map(str, repos)],
                capture_output=True, text=True, timeout=900, env=env, check=False,
            )  # fmt: skip
            if proc.returncode not in (0, 1):
                raise RuntimeError(f"auditor check over {name} exited {proc.returncode}: {proc.stderr[-2000:]}")
            for f in json.loads(report.read_text(encoding="utf-8"))["findings"]:
                repo = Path(f["repo"]).resolve().relative_to(root.resolve()).as_posix() if f["repo"] else ""
                out.append(Row(name, repo, f["path"], f["line"], f["column"], f["rule"]))
    return out


def main() -> None:
    corpus = HERE.parent.parent.parent / "shared" / "corpus"
    judged = {r.key: r for r in load()}
    today = scan(corpus)
    keys = {r.key for r in today}
    writer = csv.writer(sys.stdout, delimiter="\t", lineterminator="\n")
    for row in today:
        if row.key not in judged:
            writer.writerow([*row.key, "?", ""])
    for key, row in judged.items():
        if key not in keys:
            print(f"# gone: {key} ({row.verdict}: {row.why})")


if __name__ == "__main__":
    main()
