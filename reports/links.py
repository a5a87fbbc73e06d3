"""Where a finding is read: its file and line on the forge (pinned to the scanned
revision) and its rule's documentation. One place, so the HTML page and the CSV
export link the same finding to the same pages."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from auditor.findings import Finding
from auditor.forge import file_url
from auditor.reports.model import Report
from auditor.rule_docs import rule_doc_url
from auditor.summary import RepoSummary

__all__ = ["forge_links", "rule_doc_url"]


def forge_links(report: Report) -> Callable[[Finding], str | None]:
    """``finding → URL`` of its file and line on the forge, or None: org scans use each
    repository's forge page and scanned commit; other reports the CI link base."""
    repos: dict[str, RepoSummary] = {r.name: r for r in report.repos}

    def link(f: Finding) -> str | None:
        repo = repos.get(f.repo or "")
        if repo is not None and repo.forge_url:
            return file_url(repo.forge_url, repo.revision, f.path, f.line)
        if report.link_base and report.org is None:
            return f"{report.link_base}{quote(f.path, safe='/')}#L{f.line}"
        return None

    return link


def revision_of(report: Report) -> Callable[[Finding], str | None]:
    """``finding → the commit its repository was scanned at`` (None: unknown)."""
    revisions = {r.name: r.revision for r in report.repos}
    return lambda f: revisions.get(f.repo or "")
