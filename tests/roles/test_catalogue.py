"""Every catalogue entry, documented and run on its bad and good workflow through the CLI.

Each entry of ``auditor.roles.catalogue.ENTRIES`` carries a bad workflow that
the checker must flag because of that entry (``bad_rule``) and a good one, the
same pipeline done right, that must come out with no finding at all. Both are
written to a repository in tmp and checked with ``auditor check --format
json``; the JSON summary's roles of the job the entry matched must be the
entry's. Entries that are explicitly not promotes (releases, package uploads,
static sites, test clusters, git push) show the absence of a false promote:
their job is never a promote and neither workflow gets a finding.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor.build import build_workflow
from auditor.kinds import Role
from auditor.parse import parse_text
from auditor.roles.catalogue import ENTRIES, Entry, match_step
from tests.conftest import check_json, run_cli

PATH = ".github/workflows/release.yml"
IDS = [e.id for e in ENTRIES]


def matched_jobs(text: str, entry: Entry) -> set[str]:
    """The jobs with a step that ``entry`` matches (the catalogue run in process)."""
    parsed = parse_text(text, PATH)
    assert parsed.root is not None, parsed.problems
    problems: list[Any] = []
    workflow = build_workflow(PATH, parsed.root, problems)
    assert workflow is not None and not problems, problems
    return {job.id for job in workflow.jobs for step in job.action_steps()
            if any(m.entry.id == entry.id for m in match_step(step))}  # fmt: skip


def scan(root: Path, text: str) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """Findings and job roles of a one-workflow repository, through the real CLI."""
    (root / ".github" / "workflows").mkdir(parents=True, exist_ok=True)
    (root / PATH).write_text(text, encoding="utf-8")
    run = check_json(root, extra=("--no-policy",))
    assert run.exit_code in (0, 1), run.stderr
    doc = run.json()
    # the summary lists the jobs of workflows with a role in them only
    roles: dict[str, list[str]] = doc["summary"]["repositories"][0]["jobs"].get(PATH, {})
    return doc["findings"], roles


def reasons(root: Path) -> dict[str, list[str]]:
    """Each job's role reasons as ``auditor graph --format json`` gives them (each names the
    catalogue entry that decided it, in brackets)."""
    run = run_cli("graph", str(root), "--format", "json", "--no-policy")
    assert run.exit_code == 0, run.stderr
    graphs: list[dict[str, Any]] = json.loads(run.stdout)
    return {job["id"]: [r["why"] for r in job.get("reasons", [])] for g in graphs for job in g["jobs"]}


def decided_by(root: Path, entry: Entry, jobs: set[str]) -> bool:
    """Some job of ``jobs`` plays its role because of ``entry`` (the reason names it)."""
    found = reasons(root)
    return any(f"[{entry.id}]" in why for job in jobs for why in found.get(job, []))


def brief(findings: list[dict[str, Any]]) -> list[str]:
    return [f"{f['rule']}@{f['job']}:{f['line']}: {f['message'][:160]}" for f in findings]


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_entry_is_documented(entry: Entry) -> None:
    assert entry.title.strip(), f"{entry.id}: title is empty"
    for field in ("what", "reference", "verification", "bad", "good"):
        value = getattr(entry, field)
        assert isinstance(value, str) and len(value.strip()) > 10, f"{entry.id}: {field} is empty"
    assert entry.programs or entry.actions or entry.action_pattern, f"{entry.id} matches nothing"
    if entry.role is None:
        assert entry.bad_rule == "", f"{entry.id} is not a promote: it flags nothing"
    else:
        assert entry.bad_rule, f"{entry.id}: bad_rule is empty"


def test_entry_ids_are_unique() -> None:
    assert len(IDS) == len(set(IDS)), sorted(i for i in IDS if IDS.count(i) > 1)


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_bad_workflow_is_flagged_because_of_the_entry(entry: Entry, tmp_path: Path) -> None:
    findings, roles = scan(tmp_path, entry.bad)
    jobs = matched_jobs(entry.bad, entry)
    if entry.role is None:
        assert jobs, f"{entry.id} matches no step of its bad workflow"
        for job in jobs:
            assert "promote" not in roles.get(job, []), (job, roles)
        assert findings == [], brief(findings)
        return
    hits = [f for f in findings if f["rule"] == entry.bad_rule]
    assert hits, f"{entry.id}: no {entry.bad_rule} in {brief(findings)}"
    if entry.role is Role.VERIFY:
        # the bad workflow is the promote without this verify: the entry is absent from it
        assert not jobs, f"{entry.id} matches {jobs} in its bad workflow"
        assert all("promote" in roles[f["job"]] for f in hits), (hits, roles)
        return
    assert jobs, f"{entry.id} matches no step of its bad workflow"
    assert {f["job"] for f in hits} & jobs, f"{entry.id}: {entry.bad_rule} on {[f['job'] for f in hits]}, " \
                                            f"entry matched {jobs}"
    for job in jobs:
        assert str(entry.role) in roles[job], (job, roles)
    assert decided_by(tmp_path, entry, jobs), reasons(tmp_path)


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_good_workflow_is_clean(entry: Entry, tmp_path: Path) -> None:
    findings, roles = scan(tmp_path, entry.good)
    assert findings == [], brief(findings)
    jobs = matched_jobs(entry.good, entry)
    assert jobs, f"{entry.id} matches no step of its good workflow"
    for job in jobs:
        if entry.role is None:
            assert "promote" not in roles.get(job, []), (job, roles)
        else:
            assert str(entry.role) in roles[job], (job, roles)
    if entry.role is Role.VERIFY:
        assert decided_by(tmp_path, entry, jobs), reasons(tmp_path)
