"""The data of an org scan: what it reads (``RepoSpec``, ``ScanSettings``), what it gives
(``OrgResult``, of the typed summaries of ``auditor.summary``) and how it fails (``OrgError``).

Its own module so that every part of an org scan (``auditor.org``, the
snapshot of ``auditor.snapshot``, the sources of ``auditor.orgsource``) shares
these types without importing one another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from auditor.findings import Finding
from auditor.summary import OrgSummary, RepoSummary


class OrgError(Exception):
    """An org input that cannot be used (one-line, user-facing reason)."""


@dataclass(frozen=True)
class RepoSpec:
    """One repository of the org: where it is and how to read it."""

    name: str  # unique in the scan; what shards hash and reports show
    label: str  # as the user named it (path or URL)
    path: str  # the local folder: a working tree, or a bare repository / mirror
    git: bool  # a git repository (bare or with a .git)
    rev: str | None  # the revision to read from the object store; None: the folder on disk
    slugs: tuple[str, ...] = ()  # "owner/repo" forms, for cross-repository `uses:`
    error: str | None = None  # why it cannot be scanned (a URL that could not be mirrored)


@dataclass(frozen=True)
class ScanSettings:
    """What every repository's scan shares."""

    policy_file: str | None = None
    no_policy: bool = False
    select: frozenset[str] = frozenset()
    ignore: frozenset[str] = frozenset()
    use_cache: bool = True
    trust_repo_policy: bool = False  # import the custom_rules of repositories' own policies


@dataclass
class OrgResult:
    """The org scan: findings (org-level ones included), repositories, org facts."""

    findings: list[Finding]
    repos: list[RepoSummary]
    org: OrgSummary = field(default_factory=OrgSummary)
    suppressed: int = 0
    files_analysed: int = 0  # files the engine really analysed (cache hits excluded)
    files_cached: int = 0  # files whose findings came from the result cache
    errors: list[str] = field(default_factory=list)
    state: str | None = None  # hash of the snapshot state this result is stored under
    reused: bool = False  # restored from an org snapshot: nothing was read or analysed

    @property
    def files(self) -> int:
        return sum(r.files for r in self.repos)

    def to_json(self) -> dict[str, Any]:
        """What an org snapshot keeps (``from_json`` gives an equal result back)."""
        return {
            "findings": [f.to_record() for f in self.findings],
            "repos": [r.to_json() for r in self.repos], "org": self.org.to_json(),
            "suppressed": self.suppressed,
            "errors": self.errors,
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OrgResult:
        findings = [Finding.from_json(row) for row in data["findings"]]
        return cls(findings, [RepoSummary.from_json(r) for r in data["repos"]],
                   OrgSummary.from_json(data["org"]),
                   suppressed=int(data["suppressed"]), errors=list(data["errors"]))  # fmt: skip
