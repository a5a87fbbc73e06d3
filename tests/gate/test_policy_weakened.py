"""Trust follows the revision: the base branch's policy judges the change, and a change
that weakens the policy is a ``policy-weakened`` finding at the weakened key (issue 11,
item 1). Real git repositories, the real CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.gate.helpers import (
    CLEAN,
    GRANTS,
    STATUSES,
    WEAKENED,
    WF,
    base_repo,
    change,
    gate,
    line_of,
)  # fmt: skip
from tests.reports.gitrepo import commit, git


def weakened(run_findings: list[dict[str, object]]) -> list[dict[str, object]]:
    return [f for f in run_findings if f["rule"] == WEAKENED]


def test_the_issue_reproducer_rule_turned_off_now_fails_the_gate(tmp_path: Path) -> None:
    root = base_repo(tmp_path / "app")
    policy = 'version: 1\nrules:\n  statuses-write-permission: "off"\n'
    change(root, {".auditor.yml": policy, WF: GRANTS})
    run = gate(root)
    assert run.exit_code == 1, run.stderr
    found = run.findings()
    # The base branch's policy (none: the defaults) judged the workflow ...
    assert [f["rule"] for f in found if f["rule"] == STATUSES] == [STATUSES]
    # ... and the policy edit is its own finding, at the key's line, naming the key.
    [w] = weakened(found)
    assert (w["path"], w["line"], w["severity"]) == (".auditor.yml", 3, "error")
    assert "rules.statuses-write-permission" in str(w["message"]) and "off" in str(w["message"])
    # Without the gate the change's policy applies as before (it is the policy now).
    plain = run_cli("check", "--no-cache", "--format", "json", str(root))
    assert plain.exit_code == 0 and plain.findings() == []


def test_a_waiver_added_by_the_change_fails_the_gate(tmp_path: Path) -> None:
    root = base_repo(tmp_path / "app")
    policy = (
        "version: 1\nwaivers:\n  - rule: statuses-write-permission\n"
        f"    path: {WF}\n    reason: we need it\n"
    )
    change(root, {".auditor.yml": policy, WF: GRANTS})
    run = gate(root)
    assert run.exit_code == 1
    assert STATUSES in [f["rule"] for f in run.findings()]
    [w] = weakened(run.findings())
    assert w["line"] == line_of(policy, "- rule:") and "waivers[0]" in str(w["message"])


def test_a_lowered_severity_fails_the_gate_whatever_fail_on_says(tmp_path: Path) -> None:
    """`--fail-on error` sidestepped through the policy: the rule made a warning."""
    root = base_repo(tmp_path / "app")
    policy = "version: 1\nrules:\n  statuses-write-permission: {severity: warning}\n"
    change(root, {".auditor.yml": policy, WF: GRANTS})
    run = gate(root, "--fail-on", "error")
    assert run.exit_code == 1
    by_rule = {f["rule"]: f for f in run.findings()}
    assert by_rule[STATUSES]["severity"] == "error"  # judged by the base branch's policy
    w = by_rule[WEAKENED]
    assert w["line"] == 3 and "lowered from error to warning" in str(w["message"])


BASE_POLICY = """\
version: 1
promote:
  required_secrets: [CP_ADMIN_API_TOKEN, CP_ADMIN_API_TOKEN_STAGING]
permissions:
  forbidden: {statuses: write, deployments: write}
  forbidden_in: everywhere
rules:
  needs-cycle: error
  continue-on-error-on-promote-path: {severity: error, scope: all}
waivers:
  - rule: needs-cycle
    path: .github/workflows/legacy.yml
    job: promote
    reason: old pipeline
    until: 2027-01-31
"""


@pytest.mark.parametrize(
    ("edit", "key", "needle"),
    [
        (("  needs-cycle: error\n", "  needs-cycle: note\n"), "rules.needs-cycle", "needs-cycle: note"),
        (("    until: 2027-01-31\n", "    until: 2030-01-31\n"), "waivers[0].until", "until: 2030"),
        (("    path: .github/workflows/legacy.yml\n", "    path: .github/workflows/*.yml\n"),
         "waivers[0].path", "path: .github/workflows/*"),
        (("    job: promote\n", ""), "waivers[0]", "- rule: needs-cycle"),
        (("CP_ADMIN_API_TOKEN, CP_ADMIN_API_TOKEN_STAGING", "CP_ADMIN_API_TOKEN"),
         "promote.required_secrets", "required_secrets"),
        (("{statuses: write, deployments: write}", "{statuses: write}"),
         "permissions.forbidden.deployments", "forbidden:"),
        (("  forbidden_in: everywhere\n", "  forbidden_in: release\n"),
         "permissions.forbidden_in", "forbidden_in"),
        (("{severity: error, scope: all}", "{severity: error}"),
         "rules.continue-on-error-on-promote-path.scope", "continue-on-error-on-promote-path"),
        (("version: 1\n", "version: 1\ncustom_rules: [policy/rules/]\n"),
         "custom_rules", "custom_rules"),
        (("version: 1\n", "version: 1\nroles:\n  verify:\n    scripts: [scripts/ok.sh]\n"),
         "roles.verify.scripts", "scripts:"),
    ],
    ids=["severity", "until", "path", "job", "secret", "permission", "forbidden_in", "scope",
         "custom_rules", "verify-script"],
)
def test_each_weakening_is_a_finding_at_its_key(
    tmp_path: Path, edit: tuple[str, str], key: str, needle: str
) -> None:
    root = base_repo(tmp_path / "app", BASE_POLICY)
    old, new = edit
    assert old in BASE_POLICY
    policy = BASE_POLICY.replace(old, new)
    change(root, {".auditor.yml": policy})
    run = gate(root)
    assert run.exit_code == 1, run.stdout + run.stderr
    found = weakened(run.findings())
    assert len(found) == 1, found
    assert key in str(found[0]["message"])
    assert found[0]["line"] == line_of(policy, needle)
    assert found[0]["path"] == ".auditor.yml"


def test_a_strengthened_policy_passes(tmp_path: Path) -> None:
    root = base_repo(tmp_path / "app", BASE_POLICY)
    stronger = (
        BASE_POLICY.replace("CP_ADMIN_API_TOKEN_STAGING]", "CP_ADMIN_API_TOKEN_STAGING, EXTRA]")
        .replace("    until: 2027-01-31\n", "    until: 2026-01-31\n")
        .replace("{statuses: write, deployments: write}",
                 "{statuses: write, deployments: write, packages: write}")
        + "  - rule: needs-cycle\n    path: .github/workflows/legacy.yml\n    job: promote\n"
        "    reason: a narrower copy\n    until: 2026-06-30\n"
    )  # fmt: skip
    stronger = stronger.replace("rules:\n", "rules:\n  permissions-not-declared: error\n")
    change(root, {".auditor.yml": stronger})
    run = gate(root)
    assert run.exit_code == 0, run.stdout
    assert run.findings() == []


def test_a_deleted_policy_is_a_weakening_and_the_base_policy_still_judges(tmp_path: Path) -> None:
    root = base_repo(tmp_path / "app", "version: 1\nrules:\n  permissions-not-declared: error\n")
    (root / ".auditor.yml").unlink()
    run = gate(root)
    assert run.exit_code == 1
    [w] = weakened(run.findings())
    assert w["path"] == ".auditor.yml" and "rules.permissions-not-declared" in str(w["message"])


def test_the_changed_policy_cannot_silence_its_own_weakening(tmp_path: Path) -> None:
    """An inline suppression or a waiver the change adds in .auditor.yml does not hide it;
    the base branch's own waiver does (the base is what is trusted)."""
    root = base_repo(tmp_path / "app")
    policy = (
        "version: 1\nrules:\n"
        "  # auditor: ignore[policy-weakened] trust me\n"
        "  statuses-write-permission: 'off'\n"
        "  policy-weakened: 'off'\n"
        "waivers:\n  - {rule: policy-weakened, path: .auditor.yml, reason: trust me}\n"
    )
    change(root, {".auditor.yml": policy})
    run = gate(root)
    assert run.exit_code == 1
    assert len(weakened(run.findings())) == 3  # the rule off, the rule off, the waiver
    commit(root, {".auditor.yml": "version: 1\nrules:\n  policy-weakened: 'off'\n"}, "trusted")
    change(root, {".auditor.yml": "version: 1\nrules:\n  policy-weakened: 'off'\n"
                  "  statuses-write-permission: 'off'\n"})  # fmt: skip
    assert gate(root).exit_code == 0  # the base branch turned the rule off itself


def test_the_policy_is_read_from_the_revision_not_the_working_tree(tmp_path: Path) -> None:
    """A committed branch: the base's policy judges; --new-since names a branch."""
    root = base_repo(tmp_path / "app", "version: 1\nrules:\n  statuses-write-permission: error\n")
    git(root, "checkout", "-q", "-b", "feature")
    commit(root, {".auditor.yml": "version: 1\nrules:\n  statuses-write-permission: note\n",
                  WF: GRANTS}, "relax")  # fmt: skip
    run = gate(root, rev="main")
    assert run.exit_code == 1
    by_rule = {f["rule"]: f for f in run.findings()}
    assert by_rule[STATUSES]["severity"] == "error"
    assert "lowered from error to note" in str(by_rule[WEAKENED]["message"])
    text = gate(root, rev="main", fmt="text")
    assert "/.auditor.yml:3:3: error[policy-weakened] rules.statuses-write-permission" in text.stdout


def test_a_baseline_recorded_at_a_commit_reads_the_policy_from_it(tmp_path: Path) -> None:
    root = base_repo(tmp_path / "app")
    baseline = tmp_path / "baseline.json"
    recorded = run_cli("baseline", str(root), "-o", str(baseline))
    assert recorded.exit_code == 0, recorded.stderr
    assert git(root, "rev-parse", "HEAD") in baseline.read_text()
    change(root, {".auditor.yml": 'version: 1\nrules:\n  statuses-write-permission: "off"\n',
                  WF: GRANTS})  # fmt: skip
    run = run_cli("check", "--no-cache", "--format", "json", "--baseline", str(baseline),
                  str(root))  # fmt: skip
    assert run.exit_code == 1
    assert sorted(f["rule"] for f in run.findings()) == [WEAKENED, STATUSES]


def test_a_baseline_without_a_commit_says_the_working_tree_policy_judges(tmp_path: Path) -> None:
    root = base_repo(tmp_path / "app")
    report = tmp_path / "report.json"
    report.write_text(run_cli("check", "--format", "json", str(root)).stdout)
    run = run_cli("check", "--no-cache", "--baseline", str(report), str(root))
    assert run.exit_code == 0
    assert "records no commit" in run.stderr and run.stderr.count("\n") == 1


def test_an_invalid_changed_policy_is_a_policy_error(tmp_path: Path) -> None:
    root = base_repo(tmp_path / "app", "version: 1\n")
    change(root, {".auditor.yml": "version: 1\nrules: {no-such-key\n"})
    run = gate(root)
    assert run.exit_code == 2 and run.stderr.count("\n") == 1


def test_the_base_policy_with_a_file_named_by_option_inside_the_tree(tmp_path: Path) -> None:
    """`--policy .auditor.yml` inside the tree (what action.yml passes) is the repository's
    own: read from REV like the default, and weakening it is reported."""
    root = base_repo(tmp_path / "app", files={"ci/policy.yml": "version: 1\n"})
    change(root, {"ci/policy.yml": 'version: 1\nrules:\n  statuses-write-permission: "off"\n',
                  WF: GRANTS})  # fmt: skip
    run = gate(root, "--policy", str(root / "ci/policy.yml"))
    assert run.exit_code == 1
    by_rule = {f["rule"]: f for f in run.findings()}
    assert STATUSES in by_rule and by_rule[WEAKENED]["path"] == "ci/policy.yml"


def test_a_clean_change_with_an_unchanged_policy_passes(tmp_path: Path) -> None:
    root = base_repo(tmp_path / "app", BASE_POLICY)
    change(root, {WF: CLEAN.replace("echo build", "echo build twice")})
    run = gate(root)
    assert run.exit_code == 0 and run.findings() == []


def test_a_baseline_whose_commit_is_missing_says_so_in_one_line(tmp_path: Path) -> None:
    root = base_repo(tmp_path / "app")
    baseline = tmp_path / "baseline.json"
    assert run_cli("baseline", str(root), "-o", str(baseline)).exit_code == 0
    other = base_repo(tmp_path / "other", "version: 1\n")  # that commit is not in it
    run = run_cli("check", "--no-cache", "--baseline", str(baseline), str(other))
    assert run.exit_code == 2
    [line] = run.stderr.splitlines()
    assert "was recorded at commit" in line and "is not a commit" in line
