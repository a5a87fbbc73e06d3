"""Policy validation: every error names file, line and key; exit 2 with one line."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from auditor.rules_loader import entry_point_rules
from tests.conftest import check_json, run_cli, workflow

CLEAN = "on: push\njobs:\n  a:\n    runs-on: x\n    steps: [{run: e}]\n"


@pytest.mark.parametrize(
    ("policy", "line", "key", "words"),
    [
        ("version: 1\nrolez: {}\n", 2, "rolez", "unknown key"),
        ("version: 2\n", 1, "version", "must be 1"),
        ("version: 1\nroles:\n  promote:\n    names: ['(unclosed']\n", 4, "roles.promote.names",
         "invalid regular expression"),
        ("version: 1\nroles:\n  promote:\n    colour: red\n", 4, "roles.promote.colour", "unknown key"),
        ("version: 1\npromote:\n  required_secrets: {a: b}\n", 3, "promote.required_secrets",
         "must be a list of strings"),
        ("version: 1\nlimits:\n  max_file_bytes: lots\n", 3, "limits.max_file_bytes",
         "must be an integer"),
        ("version: 1\nrules:\n  needs-cycle: fatal\n", 3, "rules.needs-cycle", "must be one of"),
        ("version: 1\nrules:\n  no-such-rule: error\n", 3, "rules.no-such-rule", "unknown rule id"),
        ("version: 1\nwaivers:\n  - rule: needs-cycle\n    path: x.yml\n", 3, "waivers[0]",
         "needs a non-empty 'reason'"),
        ("version: 1\nwaivers:\n  - {rule: needs-cycle, path: x, reason: r, until: soon}\n", 3,
         "waivers[0].until", "must be a date"),
        ("version: 1\npermissions:\n  forbidden: {statuses: maybe}\n", 3,
         "permissions.forbidden.statuses", "must be one of"),
        ("version: 1\nshared_files:\n  - repos: ['*']\n", 3, "shared_files[0]", "needs a 'path'"),
        ("version: 1\nroles: [a]\n", 2, "roles", "must be a mapping"),
        ("version: 1\n  bad: indent\n", 2, "(file)", "invalid YAML"),
    ],
)
def test_validation_error_names_file_line_and_key(repo, policy: str, line: int, key: str,  # type: ignore[no-untyped-def]
                                                  words: str) -> None:
    root = repo(workflow(CLEAN))
    (root / ".auditor.yml").write_text(policy)
    result = run_cli("check", str(root))
    assert result.exit_code == 2
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1
    assert message.startswith(f"auditor: error: {root / '.auditor.yml'}:{line}: {key}: ")
    assert words in message


_FOUR_ERRORS = """\
version: 1
rulez: {}
promote:
  required_secrets: 3
limits:
  max_file_bytes: -5
  max_fil_seconds: 3
roles:
  promote:
    names: ["(unclosed"]
"""


@pytest.mark.parametrize("command", [("check",), ("baseline", "-o", "/dev/null"), ("fix", "--diff")])
def test_every_policy_error_is_reported_in_one_run(repo, command: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    """A policy with five errors at three depths: all five, in file order, each on its own
    located line, and nothing scanned (exit 2); a fixed file then passes."""
    root = repo(workflow(CLEAN))
    policy = root / ".auditor.yml"
    policy.write_text(_FOUR_ERRORS)
    result = run_cli(*command, str(root))
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    expected = [(2, "rulez", "unknown key"), (4, "promote.required_secrets", "must be a list of strings"),
                (6, "limits.max_file_bytes", "must be a positive integer"),
                (7, "limits.max_fil_seconds", "unknown key"),
                (10, "roles.promote.names", "invalid regular expression")]  # fmt: skip
    assert len(lines) == len(expected), lines
    for got, (line, key, words) in zip(lines, expected, strict=True):
        assert got.startswith(f"auditor: error: {policy}:{line}: {key}: "), got
        assert words in got
    policy.write_text("version: 1\n")
    assert run_cli(*command, str(root)).exit_code == 0


def test_a_waiver_with_a_bad_rule_is_one_error_not_two(repo) -> None:  # type: ignore[no-untyped-def]
    """A mapping that had an error is not judged further: its caller does not go on to
    report what the bad key left missing."""
    root = repo(workflow(CLEAN))
    (root / ".auditor.yml").write_text("version: 1\nwaivers:\n  - rule: [x]\n    path: a.yml\n"
                                       "    reason: r\n    until: 2099-01-01\n")
    result = run_cli("check", str(root))
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_full_design_example_is_valid(repo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = repo(workflow(CLEAN))
    (root / "secrets.txt").write_text("CP_ADMIN_API_TOKEN\n# comment\nCP_ADMIN_API_TOKEN_STAGING\n")
    (root / "policy" / "rules").mkdir(parents=True)
    (root / ".auditor.yml").write_text("""
version: 1
roles:
  publish: {names: ['(?i)publish|push']}
  promote: {names: ['(?i)promot'], endpoints: ['/promote\\b'], uses: []}
  verify:  {names: ['(?i)verif'], scripts: ['.gitea/scripts/verify-runtime-pin.sh']}
promote:
  required_secrets: [CP_ADMIN_API_TOKEN, CP_ADMIN_API_TOKEN_STAGING]
  platform_tokens: [GITHUB_TOKEN, GITEA_TOKEN, FORGEJO_TOKEN]
publish:
  digest_outputs: [digest, image_digest, image-digest]
permissions:
  forbidden: {statuses: write}
secrets:
  inventory: secrets.txt
shared_files:
  - path: .gitea/scripts/verify-runtime-pin.sh
    repos: ['*-template-*']
custom_rules: [policy/rules/]
limits:
  max_file_bytes: 5000000
rules:
  needs-cycle: warning
  needs-unknown-job: {severity: error, scope: all}
waivers:
  - rule: needs-cycle
    path: .github/workflows/legacy.yml
    reason: mirror of the old pipeline, removed next quarter
    until: 2027-01-31
""")
    result = check_json(root, extra=("--trust-repo-policy",))
    assert result.exit_code == 0, result.stderr
    untrusted = check_json(root)  # the repository's own custom_rules need the opt-in
    assert untrusted.exit_code == 2 and "custom_rules not loaded: policy/rules/" in untrusted.stderr


def test_explicit_policy_file_and_no_policy(repo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = repo(workflow("on: push\njobs:\n  a:\n    needs: ghost\n    runs-on: x\n    steps: [{run: e}]\n"))
    policy = tmp_path / "strict.yml"
    policy.write_text("version: 1\nrules:\n  needs-unknown-job: note\n")
    assert check_json(root, extra=("--policy", str(policy))).findings()[0]["severity"] == "note"
    assert run_cli("check", "--policy", str(policy), "--no-policy", str(root)).exit_code == 2
    missing = run_cli("check", "--policy", str(tmp_path / "nope.yml"), str(root))
    assert missing.exit_code == 2 and "cannot read policy" in missing.stderr


CUSTOM_RULE = '''
"""An organisation's own rule: every job must set timeout-minutes."""
from auditor.findings import hit
from auditor.rule import Rule


def check(ctx):
    for job in ctx.workflow.jobs:
        if job.timeout_minutes is None and not job.is_reusable_call:
            yield hit(job.key, f"job '{job.id}' has no timeout-minutes; set one", "no-timeout",
                      job=job.id)


RULE = Rule(
    id="job-timeout-required", severity="warning", summary="Every job sets timeout-minutes.",
    what="Reports jobs without timeout-minutes.", why="A hung job holds a runner for 6 hours.",
    example="jobs: {a: {runs-on: x}}", use_instead="jobs: {a: {runs-on: x, timeout-minutes: 10}}",
    check=check,
)
'''


def test_custom_rule_from_the_policy_runs_like_a_builtin(repo) -> None:  # type: ignore[no-untyped-def]
    root = repo(workflow(CLEAN))
    (root / "policy" / "rules").mkdir(parents=True)
    (root / "policy" / "rules" / "timeouts.py").write_text(CUSTOM_RULE)
    (root / ".auditor.yml").write_text(
        "version: 1\ncustom_rules: [policy/rules/]\nrules:\n  job-timeout-required: error\n"
    )
    found = check_json(root, extra=("--trust-repo-policy",)).findings()
    assert [(f["rule"], f["severity"], f["line"], f["column"]) for f in found] == [
        ("job-timeout-required", "error", 3, 3)
    ]


def test_custom_rule_id_clash_is_a_policy_error(repo) -> None:  # type: ignore[no-untyped-def]
    root = repo(workflow(CLEAN))
    (root / "r.py").write_text(CUSTOM_RULE.replace("job-timeout-required", "needs-cycle"))
    (root / ".auditor.yml").write_text("version: 1\ncustom_rules: [r.py]\n")
    result = run_cli("check", "--trust-repo-policy", str(root))
    assert result.exit_code == 2 and "already defined" in result.stderr


def test_custom_rule_that_raises_is_a_finding_on_the_file(repo) -> None:  # type: ignore[no-untyped-def]
    root = repo(workflow(CLEAN))
    (root / "r.py").write_text(CUSTOM_RULE.replace("for job in", "1/0\n    for job in"))
    (root / ".auditor.yml").write_text("version: 1\ncustom_rules: [r.py]\n")
    result = check_json(root, extra=("--trust-repo-policy",))
    assert result.exit_code == 1
    [found] = result.findings()
    assert (found["rule"], found["severity"], found["path"]) == (
        "job-timeout-required", "error", ".github/workflows/ci.yml"
    )
    assert "ZeroDivisionError" in found["message"]
    assert "Traceback" not in result.stderr + result.stdout


def test_entry_point_rules_are_loaded(repo, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    site = tmp_path / "site"
    pkg = site / "acme_rules"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(CUSTOM_RULE)
    dist = site / "acme_rules-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-rules\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[auditor.rules]\ntimeouts = acme_rules\n")
    monkeypatch.syspath_prepend(str(site))
    entry_point_rules.cache_clear()
    try:
        assert "job-timeout-required" in run_cli("rules").stdout
        found = check_json(repo(workflow(CLEAN))).findings()
        assert [f["rule"] for f in found] == ["job-timeout-required"]
    finally:
        sys.modules.pop("acme_rules", None)
        entry_point_rules.cache_clear()
