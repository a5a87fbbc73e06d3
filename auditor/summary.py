"""What the JSON report's ``summary`` holds, as typed data: per repository and org-wide.

A ``RepoSummary`` is one scanned repository: its name and root, how many
files were checked, the workflow folder each forge runs, and per workflow
each job's roles and the reason for each role (``role_reasons``: what
``auditor graph`` shows, e.g. which catalogue entry matched which step). An org scan (``auditor org``)
adds what only it knows (``source`` is then set): the ``owner/repo`` slugs, where
the files were read, the release pipelines' needs, the source lines findings
point at, the shared files' hashes, or why the repository was not scanned.
``OrgSummary`` holds the org-wide facts an org rule and ``auditor merge`` need.

JSON is only at the edge: ``to_json`` gives the report's shape
(``reports/report.schema.json``) key for key, and ``from_json`` reads back what
``to_json`` wrote (an org snapshot, a shard report ``auditor merge`` validated
against the schema first). Everything between (the scan, the org rules, the
renderers) reads fields.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from auditor.policy import SharedFile

# workflow path → job id → strings (roles, or direct needs), in the order they were given
# (a summary holds tuples, whatever sequences it was made of)
JobMap = Mapping[str, Mapping[str, Sequence[str]]]
# workflow path → job id → role → why the job plays it
ReasonMap = Mapping[str, Mapping[str, Mapping[str, str]]]


def job_map(data: Mapping[str, Mapping[str, Sequence[str]]]) -> dict[str, dict[str, tuple[str, ...]]]:
    """A job map with tuples (what a summary holds, whatever the lists it was built from)."""
    return {path: {job: tuple(values) for job, values in jobs.items()} for path, jobs in data.items()}


def _job_map_json(data: JobMap) -> dict[str, dict[str, list[str]]]:
    return {path: {job: list(values) for job, values in jobs.items()} for path, jobs in data.items()}


def reason_map(data: Mapping[str, Mapping[str, Mapping[str, str]]]) -> dict[str, dict[str, dict[str, str]]]:
    return {path: {job: dict(why) for job, why in jobs.items()} for path, jobs in data.items()}


@dataclass(frozen=True, slots=True)
class RepoOrigin:
    """Where an org scan read a repository: a git revision (``commit`` it named) or a folder."""

    kind: Literal["git", "folder"]
    rev: str | None = None
    commit: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "rev": self.rev, "commit": self.commit}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RepoOrigin:
        return cls("git" if data.get("kind") == "git" else "folder", data.get("rev"), data.get("commit"))


@dataclass(frozen=True, slots=True)
class SharedCopy:
    """One repository's copy of a policy-listed shared file: its sha256 (None: absent) and
    the commit time of its last change (git repositories only)."""

    sha256: str | None
    time: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "time": self.time}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SharedCopy:
        return cls(data.get("sha256"), data.get("time"))


@dataclass(frozen=True, slots=True)
class Exemption:
    """A decision that silences findings, as a compliance report lists it: a policy
    ``waivers`` entry (``kind`` "waiver": a path glob, maybe a job and an expiry date)
    or an inline ``# auditor: ignore[...] reason`` comment (``kind`` "inline": its file
    and line; inline suppressions do not expire). A lead reviews these: each says why."""

    kind: Literal["waiver", "inline"]
    rules: tuple[str, ...]
    path: str
    reason: str
    line: int | None = None
    job: str | None = None
    until: str | None = None  # ISO date a waiver stops applying (None: no expiry)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "rules": list(self.rules), "path": self.path,
                "line": self.line, "job": self.job, "reason": self.reason,
                "until": self.until}  # fmt: skip

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Exemption:
        return cls(
            "waiver" if data.get("kind") == "waiver" else "inline",
            tuple(str(r) for r in data.get("rules") or ()), str(data.get("path") or ""),
            str(data.get("reason") or ""), data.get("line"), data.get("job"), data.get("until"),
        )  # fmt: skip


@dataclass(frozen=True)
class RepoSummary:
    """One repository of a scan; the org-scan fields are set by ``auditor org`` only."""

    name: str
    root: str
    files: int = 0
    workflow_dirs: Mapping[str, str | None] = field(default_factory=dict)
    jobs: JobMap = field(default_factory=dict)  # path → job → roles (every job of a workflow)
    role_reasons: ReasonMap = field(default_factory=dict)  # path → job → role → why
    # org scans (``source`` is None elsewhere):
    slugs: tuple[str, ...] = ()
    source: RepoOrigin | None = None
    needs: JobMap = field(default_factory=dict)  # release pipelines: path → job → direct needs
    source_lines: Mapping[str, Mapping[int, str]] = field(default_factory=dict)  # path → line → text
    shared_files: Mapping[str, SharedCopy] = field(default_factory=dict)  # path → this copy
    error: str | None = None  # why it was not scanned
    revision: str | None = None  # the commit scanned (git HEAD of a working tree), if known
    forge_url: str | None = None  # the repository's web page on a known forge (auditor.forge)
    exemptions: tuple[Exemption, ...] = ()  # waivers of its policy, inline suppressions

    def __post_init__(self) -> None:
        object.__setattr__(self, "jobs", job_map(self.jobs))
        object.__setattr__(self, "needs", job_map(self.needs))
        object.__setattr__(self, "role_reasons", reason_map(self.role_reasons))
        object.__setattr__(self, "slugs", tuple(self.slugs))
        object.__setattr__(self, "exemptions", tuple(self.exemptions))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "root": self.root,
            "files": self.files,
            "workflow_dirs": dict(self.workflow_dirs),
            "jobs": _job_map_json(self.jobs),
            "role_reasons": reason_map(self.role_reasons),
        }
        if self.source is not None:
            out.update({
                "slugs": list(self.slugs),
                "source": self.source.to_json(),
                "needs": _job_map_json(self.needs),
                "source_lines": {path: {str(n): text for n, text in lines.items()}
                                 for path, lines in self.source_lines.items()},
                "shared_files": {path: copy.to_json() for path, copy in self.shared_files.items()},
                "error": self.error,
                "revision": self.revision,
                "forge_url": self.forge_url,
                "exemptions": [e.to_json() for e in self.exemptions],
            })  # fmt: skip
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RepoSummary:
        """What ``to_json`` wrote (or a schema-valid report's entry: absent keys are empty)."""
        source = data.get("source")
        return cls(
            name=str(data["name"]),
            root=str(data.get("root") or ""),
            files=int(data.get("files") or 0),
            workflow_dirs=dict(data.get("workflow_dirs") or {}),
            jobs=data.get("jobs") or {},
            role_reasons=data.get("role_reasons") or {},
            slugs=tuple(data.get("slugs") or ()),
            source=RepoOrigin.from_json(source) if isinstance(source, Mapping) else None,
            needs=data.get("needs") or {},
            source_lines={path: {int(n): text for n, text in lines.items()}
                          for path, lines in (data.get("source_lines") or {}).items()},
            shared_files={path: SharedCopy.from_json(copy)
                          for path, copy in (data.get("shared_files") or {}).items()},
            error=data.get("error"),
            revision=data.get("revision"),
            forge_url=data.get("forge_url"),
            exemptions=tuple(Exemption.from_json(e) for e in data.get("exemptions") or ()),
        )  # fmt: skip


@dataclass(frozen=True)
class OrgSummary:
    """The org-wide facts of an org scan: the policy's shared files, the texts of their
    versions (by sha256, for drift diffs), the rules that ran, and the severity each org
    rule reports with (``auditor merge`` runs them again over the union of shards)."""

    shared_files: tuple[SharedFile, ...] = ()
    drift_severity: str | None = None  # shared-file-drift's (None: it does not run)
    checked_rules: tuple[str, ...] = ()
    texts: Mapping[str, str] = field(default_factory=dict)
    # id → severity of every other org rule that runs (written only when there is one)
    org_rules: Mapping[str, str] = field(default_factory=dict)
    # when the files were read (UTC, ISO 8601) and the policy that judged them: its path and
    # the sha256 of its bytes (None: the defaults, or each repository's own .auditor.yml)
    scanned_at: str | None = None
    policy_path: str | None = None
    policy_sha256: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "shared_files": [{"path": s.path, "repos": list(s.repos)} for s in self.shared_files],
            "drift_severity": self.drift_severity,
            "checked_rules": list(self.checked_rules),
        }
        if self.org_rules:
            out["org_rules"] = dict(sorted(self.org_rules.items()))
        if self.scanned_at is not None:
            out["scanned_at"] = self.scanned_at
        if self.policy_path is not None:
            out["policy"] = {"path": self.policy_path, "sha256": self.policy_sha256}
        out["texts"] = dict(self.texts)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> OrgSummary:
        return cls(
            shared_files=tuple(SharedFile(str(s["path"]), tuple(s.get("repos", ("*",))))
                               for s in data.get("shared_files") or ()),
            drift_severity=data.get("drift_severity"),
            checked_rules=tuple(data.get("checked_rules") or ()),
            texts=dict(data.get("texts") or {}),
            org_rules=dict(data.get("org_rules") or {}),
            scanned_at=data.get("scanned_at"),
            policy_path=(data.get("policy") or {}).get("path"),
            policy_sha256=(data.get("policy") or {}).get("sha256"),
        )  # fmt: skip
