"""Trends: this org scan against a previous org JSON report (``--compare PREVIOUS.json``).

A lead tracks compliance over time: which findings are new since the last
report, which were fixed, which are still open, per repository and per
rule. Findings are matched the way baselines match them
(``auditor.baseline.partition``): by their stable fingerprint (rule,
repository, path, job, step and the rule's subject, never line numbers),
so a finding pushed down by an unrelated edit stays "still open".

A repository that was not scanned this time (an error, or a shard that did
not hold it) is not compared: its old findings are neither fixed nor open,
they are just not known (``not_compared`` names those repositories).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from auditor.baseline import partition
from auditor.findings import Finding


@dataclass(frozen=True)
class Counts:
    """New, fixed and still-open findings of one repository or one rule."""

    new: int = 0
    fixed: int = 0
    still_open: int = 0

    def to_json(self) -> dict[str, int]:
        return {"new": self.new, "fixed": self.fixed, "still_open": self.still_open}


@dataclass(frozen=True)
class Trends:
    previous: str  # the previous report, as named on the command line
    previous_scanned_at: str | None
    new: tuple[Finding, ...]
    fixed: tuple[Finding, ...]
    still_open: tuple[Finding, ...]
    not_compared: tuple[str, ...] = field(default_factory=tuple)

    def by_repo(self) -> dict[str, Counts]:
        return _tally(self, lambda f: f.repo or "")

    def by_rule(self) -> dict[str, Counts]:
        return _tally(self, lambda f: f.rule)

    def totals(self) -> Counts:
        return Counts(len(self.new), len(self.fixed), len(self.still_open))

    def to_json(self) -> dict[str, Any]:
        return {
            "previous": self.previous,
            "previous_scanned_at": self.previous_scanned_at,
            "totals": self.totals().to_json(),
            "repositories": {k: v.to_json() for k, v in self.by_repo().items()},
            "rules": {k: v.to_json() for k, v in self.by_rule().items()},
            "new": [f.fingerprint for f in self.new],
            "fixed": [f.to_json() for f in self.fixed],
            "not_compared": list(self.not_compared),
        }


def _tally(trends: Trends, key: Any) -> dict[str, Counts]:
    counts: dict[str, list[int]] = {}
    for index, group in enumerate((trends.new, trends.fixed, trends.still_open)):
        for f in group:
            counts.setdefault(key(f), [0, 0, 0])[index] += 1
    return {k: Counts(*v) for k, v in sorted(counts.items())}


def compare(
    current: Sequence[Finding], scanned: Iterable[str], previous: dict[str, Any], name: str
) -> Trends:
    """``current`` (of the repositories ``scanned`` this time) against the ``previous``
    org report (a document ``auditor.org.load_report`` accepted)."""
    scanned_names = set(scanned)
    before = [Finding.from_json(row) for row in previous.get("findings", [])]
    compared = [f for f in before if (f.repo or "") in scanned_names]
    missing = sorted({f.repo or "" for f in before} - scanned_names)
    old_prints = {f.fingerprint for f in compared}
    new, _ = partition(current, old_prints)
    fixed, _ = partition(compared, {f.fingerprint for f in current})
    new_prints = {f.fingerprint for f in new}
    still = [f for f in current if f.fingerprint not in new_prints]
    org = (previous.get("summary") or {}).get("org") or {}
    return Trends(name, org.get("scanned_at"), tuple(new), tuple(fixed), tuple(still),
                  tuple(missing))  # fmt: skip
