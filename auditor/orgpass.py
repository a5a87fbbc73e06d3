"""The org-level pass: what only the whole set of repositories can tell.

After every repository of an org scan is scanned (``auditor.org``), and again
in ``auditor merge`` over the union of the shards, ``finish``:

- runs every org rule (``Rule.org``, an ``auditor.rule.OrgRule``: built-in such
  as ``shared-file-drift``, installed, or from the ``custom_rules`` of the
  org's policy) that is enabled and applies, once, over the typed repository
  summaries, and turns its hits into findings (a custom rule's failure is an
  error finding of that rule, never the end of the run);
- keeps one ``reusable-workflow-unresolved`` note per callee: the rule reports
  each unresolved cross-repository call, the pass keeps the first by
  repository, path and line.

Which org rules run, and with which severity, is part of the org summary
(``OrgSummary.drift_severity`` and ``org_rules``), so a merge of shards runs
exactly the rules the scan ran.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from auditor.findings import Finding, fingerprint, printable
from auditor.policy import Policy
from auditor.rule import OrgContext, OrgHit, Rule
from auditor.summary import OrgSummary, RepoSummary

DRIFT_RULE = "shared-file-drift"  # its severity is OrgSummary.drift_severity (the first org rule)
UNRESOLVED_RULE = "reusable-workflow-unresolved"


def org_rules(rules: Iterable[Rule]) -> list[Rule]:
    """The rules that run over the organisation, in id order."""
    return sorted((r for r in rules if r.org is not None), key=lambda r: r.id)


def enabled(
    rules: Iterable[Rule], policy: Policy, select: frozenset[str], ignore: frozenset[str]
) -> dict[str, str]:
    """id → severity of every org rule ``--select``/``--ignore`` and the policy leave on."""
    out: dict[str, str] = {}
    for rule in org_rules(rules):
        severity = policy.severity_for(rule.id, rule.severity)
        if (not select or rule.id in select) and rule.id not in ignore and severity != "off":
            out[rule.id] = severity
    return out


def applying(rules: Iterable[Rule], severities: Mapping[str, str], policy: Policy) -> list[str]:
    """Ids of the enabled org rules that have something to check under ``policy``."""
    return [r.id for r in org_rules(rules)
            if r.id in severities and r.org is not None and r.org.applies(policy)]  # fmt: skip


def severities(org: OrgSummary) -> dict[str, str]:
    """id → severity of each org rule the scan ran."""
    out = dict(org.org_rules)
    if org.drift_severity:
        out[DRIFT_RULE] = org.drift_severity
    return out


def summary_policy(org: OrgSummary) -> Policy:
    """The policy an org rule sees when only the summary is at hand (``auditor merge``
    without ``--policy``): its shared files, every other key at its default."""
    return Policy(shared_files=tuple(org.shared_files))


def run(
    rules: Iterable[Rule], repos: Sequence[RepoSummary], org: OrgSummary, policy: Policy
) -> list[Finding]:
    """The findings of every org rule the summary says ran, over the scanned repositories."""
    wanted = severities(org)
    scanned = [r for r in repos if r.error is None]
    base = OrgContext(scanned, policy, org.texts)
    out: list[Finding] = []
    for rule in org_rules(rules):
        if rule.id not in wanted or rule.org is None or not rule.org.applies(policy):
            continue
        setting = policy.rules.get(rule.id)
        ctx = replace(base, options=dict(setting.options)) if setting is not None else base
        out.extend(_findings(rule, wanted[rule.id], ctx))
    return out


def _finding(rule_id: str, severity: str, h: OrgHit) -> Finding:
    """``h`` as a finding (an empty ``repo``: of the organisation, no repository's)."""
    repo = h.repo or None
    return Finding(
        rule=rule_id, severity=severity, message=h.message, path=h.path,
        line=h.line, column=h.column, end_line=h.line, end_column=h.column, repo=repo,
        fingerprint=fingerprint(rule_id, repo, h.path, None, None, h.subject), subject=h.subject,
    )  # fmt: skip


def _findings(rule: Rule, severity: str, ctx: OrgContext) -> list[Finding]:
    """One org rule's findings; a custom rule's failure (whatever it raises) is contained
    as one error finding of that rule that names its module."""
    assert rule.org is not None
    if rule.origin == "builtin":
        return [_finding(rule.id, severity, h) for h in rule.org.check(ctx)]
    from auditor.rules_loader import contained_failure, watch_interrupts

    watch_interrupts()
    try:
        return [_finding(rule.id, severity, h) for h in rule.org.check(ctx)]
    except BaseException as exc:  # someone else's code: contain it
        if not contained_failure(exc):
            raise
        reason = printable(" ".join(f"{type(exc).__name__}: {exc}".split()))[:300]
        subject = f"rule-failed:{type(exc).__name__}"
        message = (
            f"custom org rule '{rule.id}' ({rule.origin}) failed: {reason}; it did not check "
            "the organisation, so no repository is proven to pass it — fix the rule"
        )
        path = os.path.basename(rule.origin.rsplit(":", 1)[-1]) or rule.id
        return [_finding(rule.id, "error", OrgHit("", path, message, subject))]


def finish(
    findings: Iterable[Finding], repos: Sequence[RepoSummary], org: OrgSummary,
    rules: Iterable[Rule], policy: Policy,
) -> list[Finding]:  # fmt: skip
    """The scan's findings with the org rules' added (any the input had, a shard's, are
    dropped first: they were computed over part of the organisation), one
    unresolved-callee note kept per callee, sorted."""
    rules = list(rules)
    computed = {r.id for r in org_rules(rules)} | set(severities(org))
    ordered = sorted((f for f in findings if f.rule not in computed), key=Finding.sort_key)
    seen: set[str] = set()
    kept: list[Finding] = []
    for f in ordered:
        if f.rule == UNRESOLVED_RULE:
            if f.message in seen:
                continue
            seen.add(f.message)
        kept.append(f)
    kept.extend(run(rules, repos, org, policy))
    return sorted(kept, key=Finding.sort_key)
