"""What silences findings in a repository, for the compliance report to list.

A lead tracking compliance needs to see the exceptions, not only the
findings: every policy waiver (rule, path, reason, expiry) and every inline
``# auditor: ignore[...] reason`` comment of the files scanned. Both are
collected at scan time into the repository's summary (``Exemption``), so
``auditor merge`` and ``--compare`` read them back from JSON like the rest.
Inline suppressions without a reason are not listed: they silence nothing
(``suppression-without-reason`` reports them instead).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.summary import Exemption
from auditor.suppress import suppressions

if TYPE_CHECKING:
    from auditor.policy import Policy
    from auditor.repo import RepoSource


def policy_waivers(policy: Policy) -> list[Exemption]:
    return [
        Exemption("waiver", (w.rule,), w.path, w.reason, w.line or None, w.job,
                  w.until.isoformat() if w.until is not None else None)
        for w in policy.waivers
    ]  # fmt: skip


def inline_suppressions(source: RepoSource, paths: Iterable[str]) -> list[Exemption]:
    """The reasoned suppression comments of ``paths`` (files that cannot be read: none)."""
    out: list[Exemption] = []
    for path in sorted(set(paths)):
        try:
            data = source.read(path)
        except OSError:
            continue
        if data is None or b"auditor:" not in data:
            continue
        for item in suppressions(data.decode("utf-8", "replace")):
            if item.reason:
                out.append(Exemption("inline", item.rules, path, item.reason, item.line))
    return out


def repo_exemptions(source: RepoSource, paths: Iterable[str], policy: Policy) -> tuple[Exemption, ...]:
    return (*policy_waivers(policy), *inline_suppressions(source, paths))


def policy_identity(policy_file: str | None) -> tuple[str | None, str | None]:
    """(path, sha256 of its bytes) of ``--policy``, so a report says which policy judged the
    repositories; (None, None) when there is none (defaults, or each repository's own)."""
    if not policy_file:
        return None, None
    try:
        data = Path(policy_file).read_bytes()
    except OSError:
        return policy_file, None
    return policy_file, hashlib.sha256(data).hexdigest()
