"""What every renderer receives: findings plus the facts around them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from auditor.findings import Finding
from auditor.rule import Rule
from auditor.summary import OrgSummary, RepoSummary

if TYPE_CHECKING:
    from auditor.facts import PipelineGraph
    from auditor.suppress import NewSuppression
    from auditor.terminal import Terminal
    from auditor.trends import Trends


@dataclass
class Report:
    """One run's results, in the order they are shown."""

    findings: list[Finding]
    rules: list[Rule]
    files: int
    repos: list[RepoSummary] = field(default_factory=list)
    suppressed: int = 0
    baselined: int = 0
    fail_on: str = "error"
    color: bool = False
    tool_version: str = ""
    # The source line a finding points at (None when unavailable), and the
    # path to show a person (relative to where they ran the command).
    source_line: Callable[[Finding], str | None] = field(default=lambda f: None)
    display_path: Callable[[Finding], str] = field(
        default=lambda f: f"{f.repo}:{f.path}" if f.repo else f.path
    )
    # org scans (``auditor org``, ``auditor merge``): the org-wide facts
    org: OrgSummary | None = None
    # Job graphs (roles annotated) of the workflows that have findings, keyed
    # by the workflow's display path; filled by the CLI only for the formats
    # that draw them (markdown, html), so renderers never build graphs.
    graphs: dict[str, PipelineGraph] = field(default_factory=dict)
    # Ids of the rules that ran (after --select/--ignore); None: every rule in ``rules``.
    checked_rules: list[str] | None = None
    # Where a person reads a file at the scanned commit: ``{base}{path}#L{line}``
    # (e.g. ``https://github.com/o/r/blob/<sha>/``); None gives relative links.
    link_base: str | None = None
    # The gate (``--new-since REV``, or a baseline's commit): the revision compared
    # with, and the inline suppressions the change added since (with the findings
    # they hide). Every format lists them, so a reviewer sees what was silenced.
    gate_rev: str | None = None
    new_suppressions: list[NewSuppression] = field(default_factory=list)
    # ``auditor org/merge --compare PREVIOUS.json``: new, fixed and still-open findings
    trends: Trends | None = None
    # The terminal standard output is (width, OSC 8 links), for the text shown there;
    # None everywhere else (piped, a file), where the text is the plain one.
    terminal: Terminal | None = None

    def counts(self) -> dict[str, int]:
        out = {"error": 0, "warning": 0, "note": 0}
        for f in self.findings:
            out[f.severity] = out.get(f.severity, 0) + 1
        return out

    def checked(self) -> list[Rule]:
        """The rules that ran, in catalogue order."""
        if self.checked_rules is None:
            return list(self.rules)
        wanted = set(self.checked_rules)
        return [rule for rule in self.rules if rule.id in wanted]

    def rule(self, rule_id: str) -> Rule | None:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        return None
