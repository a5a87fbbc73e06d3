"""Which findings are old: baseline files and ``--new-since REV``.

Both compare stable fingerprints (rule, repository, path, job, step and the
rule's subject; never line numbers), so a finding stays "old" when unrelated
lines are inserted above it or unrelated jobs are reordered.

- A **baseline file** (``auditor baseline PATH -o auditor-baseline.json``)
  records the fingerprints of today's findings, with rule and path for the
  people who read the file; ``auditor check --baseline FILE`` then reports
  only findings that are not in it.
- **``--new-since REV``** runs the same checks on the same files as they are
  at git revision REV, read from the object store (``GitSource``: no
  checkout), and keeps only findings whose fingerprint REV does not have.

A baseline recorded in a git checkout also records the commit it was taken
at: like ``--new-since REV``, a check against it then reads the repository's
policy from that commit (``auditor.check``), so the change being checked
cannot relax the policy that judges it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.cached import scan_source
from auditor.findings import Finding
from auditor.gitsource import GitError, GitSource, repo_prefix

if TYPE_CHECKING:
    from auditor.engine import Engine
    from auditor.targets import Target

BASELINE_VERSION = 1
BASELINE_KIND = "auditor-baseline"


class BaselineError(Exception):
    """An unreadable or malformed baseline file (one-line reason)."""


@dataclass(frozen=True)
class Baseline:
    fingerprints: frozenset[str]
    source: str = ""
    # The commit the baseline was recorded at (None: not in a git checkout, or a JSON
    # report used as a baseline): a later check reads the policy from it.
    commit: str | None = None

    def split(self, findings: Iterable[Finding]) -> tuple[list[Finding], int]:
        """(findings not in the baseline, how many were in it)."""
        return partition(findings, self.fingerprints)


def partition(
    findings: Iterable[Finding], old: frozenset[str] | set[str]
) -> tuple[list[Finding], int]:
    new: list[Finding] = []
    known = 0
    for f in findings:
        if f.fingerprint in old:
            known += 1
        else:
            new.append(f)
    return new, known


def baseline_document(
    findings: Iterable[Finding], tool_version: str, commit: str | None = None
) -> dict[str, Any]:
    entries = sorted(
        (
            {"fingerprint": f.fingerprint, "rule": f.rule, "path": f.path, "repo": f.repo,
             "job": f.job}
            for f in findings
        ),
        key=lambda e: (e["repo"] or "", e["path"], e["rule"], e["fingerprint"]),
    )  # fmt: skip
    doc: dict[str, Any] = {
        "kind": BASELINE_KIND,
        "version": BASELINE_VERSION,
        "tool": {"name": "auditor", "version": tool_version},
    }
    if commit is not None:
        doc["commit"] = commit
    doc["count"] = len(entries)
    doc["findings"] = entries
    return doc


def write_baseline(
    path: Path, findings: Iterable[Finding], tool_version: str, commit: str | None = None
) -> int:
    doc = baseline_document(findings, tool_version, commit)
    try:
        path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as exc:
        raise BaselineError(f"cannot write {path}: {exc.strerror or exc}") from None
    return int(doc["count"])


def load_baseline(path: Path) -> Baseline:
    """Fingerprints of a baseline file; also accepts a JSON report (its findings)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"{path}: no such baseline file") from None
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BaselineError(f"{path}: not a baseline file (invalid JSON: {exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise BaselineError(f"{path}: not a baseline file (no 'findings' list)")
    if data.get("kind") == BASELINE_KIND and data.get("version") != BASELINE_VERSION:
        raise BaselineError(
            f"{path}: baseline version {data.get('version')!r} is not supported "
            f"(this auditor reads version {BASELINE_VERSION})"
        )
    prints: set[str] = set()
    for i, entry in enumerate(data["findings"]):
        fp = entry.get("fingerprint") if isinstance(entry, dict) else None
        if not isinstance(fp, str) or not fp:
            raise BaselineError(f"{path}: findings[{i}]: no fingerprint")
        prints.add(fp)
    commit = data.get("commit") if data.get("kind") == BASELINE_KIND else None
    if commit is not None and (
        not isinstance(commit, str) or not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", commit)
    ):
        raise BaselineError(f"{path}: 'commit' is not a full commit id")
    return Baseline(frozenset(prints), str(path), commit)


# -- --new-since REV ------------------------------------------------------------


def fingerprints_at(
    engine: Engine, target: Target, rev: str, *, source: GitSource | None = None,
    repo_name: str | None = None,
) -> frozenset[str]:
    """Fingerprints of the findings ``engine`` reports for ``target`` as it was at ``rev``.

    The target's folder is located inside its git repository (a folder of a
    checkout compares with that folder at ``rev``); the engine's counters are
    left as they were, so the working tree's numbers are not inflated.
    ``source``: that view of ``rev``, when the caller has one open already.
    """
    if target.root is None:
        raise GitError("--new-since needs repository paths, not standard input")
    saved = engine.suppressed, engine.files_analysed
    own = source is None
    if source is None:
        top, prefix = repo_prefix(target.root)
        source = GitSource(top, rev, prefix=prefix)
    try:
        only = target.only
        if only is not None:  # files that did not exist at rev have no old findings
            only = [(path, kind) for path, kind in only if source.size(path) is not None]
            if not only:
                return frozenset()
        findings = scan_source(engine, source, repo_name=repo_name, only=only)
    finally:
        engine.suppressed, engine.files_analysed = saved
        if own:
            source.close()
    return frozenset(f.fingerprint for f in findings)


def only_new(
    engine: Engine, target: Target, rev: str, findings: list[Finding]
) -> tuple[list[Finding], int]:
    """``findings`` (of the working tree) that ``rev`` does not have, and how many it had."""
    return partition(findings, fingerprints_at(engine, target, rev))
