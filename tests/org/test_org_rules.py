"""Org rules (``auditor.rule.OrgRule``): a policy's custom_rules may define rules that run
once over the whole organisation, through `auditor org`, `auditor merge`, `auditor rules`
and `auditor explain`, exactly like the built-in shared-file-drift."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import run_cli
from tests.org.conftest import CLEAN, PUBLISH, write

RULE_ID = "release-pipeline-missing"

# A custom org rule: every scanned repository where no job publishes, promotes or verifies.
ORG_RULE = '''
from auditor.rule import OrgCheck, OrgHit, Rule


def check_org(ctx):
    for repo in ctx.repos:
        if not any(roles for jobs in repo.jobs.values() for roles in jobs.values()):
            path = min(repo.jobs) if repo.jobs else "."
            others = sum(1 for r in ctx.repos if r is not repo)
            yield OrgHit(repo.name, path, f"no release pipeline here ({others} other repositories)",
                         "no-pipeline")


RULE = Rule(
    id="release-pipeline-missing",
    severity="error",
    summary="Org scans: a repository without any release pipeline.",
    what="Reports every repository of the organisation where no job has a role.",
    why="Every service of the organisation is released through a pipeline we audit.",
    example="",
    use_instead="",
    scope="org",
    org=OrgCheck(check_org),
)
'''

# An org rule whose check raises: contained as one error finding of that rule.
BROKEN_RULE = '''
from auditor.rule import OrgCheck, Rule


def check_org(ctx):
    raise ZeroDivisionError("the rule's own bug")


RULE = Rule(id="org-rule-that-fails", severity="warning", summary="fails", what="", why="",
            example="", use_instead="", scope="org", org=OrgCheck(check_org))
'''


def org_setup(tmp_path: Path, rule_text: str = ORG_RULE, severity: str | None = None) -> tuple[Path, list[str]]:
    """Three repositories (one with a release pipeline) and a policy naming the rule module."""
    (tmp_path / "policy" / "rules").mkdir(parents=True)
    (tmp_path / "policy" / "rules" / "org_rule.py").write_text(rule_text)
    text = "version: 1\ncustom_rules: [rules/]\n"
    if severity is not None:
        text += f"rules:\n  {RULE_ID}: {severity}\n"
    policy = tmp_path / "policy" / "org.yml"
    policy.write_text(text)
    repos = []
    for name, workflow in (("alpha", CLEAN), ("beta", PUBLISH), ("gamma", CLEAN)):
        root = tmp_path / "org" / name
        write(root, {".github/workflows/ci.yml": workflow})
        repos.append(str(root))
    return policy, repos


def org_json(*args: str) -> Any:
    run = run_cli("org", "-q", "--format", "json", *args)
    assert run.exit_code in (0, 1), run.stderr
    return run


def mine(doc: dict[str, Any], rule: str = RULE_ID) -> list[dict[str, Any]]:
    return [f for f in doc["findings"] if f["rule"] == rule]


def test_a_custom_org_rule_reports_two_repositories(tmp_path: Path, cache_dir: Path) -> None:
    policy, repos = org_setup(tmp_path, severity="warning")
    run = org_json("--no-cache", "--policy", str(policy), *repos)
    doc = run.json()
    found = mine(doc)
    assert [(f["repo"], f["path"], f["severity"]) for f in found] == [
        ("alpha", ".github/workflows/ci.yml", "warning"),
        ("gamma", ".github/workflows/ci.yml", "warning"),
    ]
    assert found[0]["message"] == "no release pipeline here (2 other repositories)"
    assert len({f["fingerprint"] for f in found}) == 2
    org = doc["summary"]["org"]
    assert RULE_ID in org["checked_rules"]
    assert org["org_rules"] == {RULE_ID: "warning"}
    ignored = org_json("--no-cache", "--policy", str(policy), "--ignore", RULE_ID, *repos).json()
    assert mine(ignored) == [] and "org_rules" not in ignored["summary"]["org"]
    assert RULE_ID not in ignored["summary"]["org"]["checked_rules"]


def test_a_warm_run_gives_the_same_report(tmp_path: Path, cache_dir: Path) -> None:
    policy, repos = org_setup(tmp_path)
    cold = org_json("--policy", str(policy), *repos)
    warm = org_json("--policy", str(policy), *repos)
    assert len(mine(cold.json())) == 2
    assert warm.stdout == cold.stdout


def test_rules_and_explain_list_the_org_rule(tmp_path: Path) -> None:
    policy, _ = org_setup(tmp_path)
    listed = run_cli("rules", "--policy", str(policy))
    assert listed.exit_code == 0, listed.stderr
    (line,) = [ln for ln in listed.stdout.splitlines() if ln.startswith(RULE_ID)]
    assert "a repository without any release pipeline" in line and "org_rule.py" in line
    assert "shared-file-drift" in listed.stdout
    explained = run_cli("explain", RULE_ID, "--policy", str(policy))
    assert explained.exit_code == 0, explained.stderr
    assert explained.stdout.startswith(f"# {RULE_ID}\n") and "auditor org" in explained.stdout


def test_merge_runs_the_org_rule_over_the_union(tmp_path: Path, cache_dir: Path) -> None:
    policy, repos = org_setup(tmp_path)
    whole = org_json("--no-cache", "--policy", str(policy), *repos).json()
    shards = []
    for k in (1, 2):
        out = tmp_path / f"shard{k}.json"
        run = run_cli("org", "-q", "--no-cache", "--policy", str(policy), "--shard", f"{k}/2",
                      "--report", f"json:{out}", *repos)  # fmt: skip
        assert run.exit_code in (0, 1), run.stderr
        shards.append(str(out))
    # alpha and gamma are shard 1, beta shard 2: each shard saw part of the organisation
    partial = [f["message"] for s in shards for f in mine(json.loads(Path(s).read_text()))]
    assert partial == ["no release pipeline here (1 other repositories)"] * 2

    refused = run_cli("merge", "--format", "json", *shards)
    assert refused.exit_code == 2
    assert RULE_ID in refused.stderr and "--policy" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1

    merged = run_cli("merge", "--format", "json", "--policy", str(policy), *shards)
    assert merged.exit_code == 1, merged.stderr
    assert merged.json()["findings"] == whole["findings"]
    assert merged.json()["summary"]["org"] == whole["summary"]["org"]


def test_a_failing_org_rule_is_one_finding_and_the_scan_goes_on(tmp_path: Path, cache_dir: Path) -> None:
    policy, repos = org_setup(tmp_path, BROKEN_RULE)
    run = org_json("--no-cache", "--policy", str(policy), *repos)
    (failed,) = mine(run.json(), "org-rule-that-fails")
    assert failed["severity"] == "error" and failed["repo"] is None
    assert failed["path"] == "org_rule.py"
    assert "ZeroDivisionError: the rule's own bug" in failed["message"]
    assert run.exit_code == 1
    assert "Traceback" not in run.stderr


def test_a_repository_policy_does_not_judge_the_organisation(tmp_path: Path, cache_dir: Path) -> None:
    """A repository's own policy judges that repository only: an org rule among its
    custom_rules (trusted) does not run over the other repositories."""
    _, repos = org_setup(tmp_path)
    own = Path(repos[1])
    (own / "rules").mkdir()
    (own / "rules" / "org_rule.py").write_text(ORG_RULE)
    (own / ".auditor.yml").write_text("version: 1\ncustom_rules: [rules/]\n")
    untrusted = run_cli("org", "-q", "--no-cache", "--format", "json", *repos)
    assert untrusted.exit_code == 2 and "custom_rules not loaded" in untrusted.stderr
    trusted = org_json("--no-cache", "--trust-repo-policy", *repos)
    assert mine(trusted.json()) == []
    assert all(r["error"] is None for r in trusted.json()["summary"]["repositories"])
