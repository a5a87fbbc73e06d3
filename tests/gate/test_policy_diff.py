"""``auditor.policy_diff.weakenings``: a pure function of two policies (no files, no git)."""

from __future__ import annotations

import datetime as dt

import pytest

from auditor.policy import Policy
from auditor.policy_diff import weakenings
from auditor.policy_file import parse_policy
from auditor.rules_loader import builtin_rules

DEFAULTS = {rule.id: rule.severity for rule in builtin_rules()}
TODAY = dt.date(2026, 12, 1)


def policy(text: str) -> Policy:
    return parse_policy(f"version: 1\n{text}".encode(), ".auditor.yml")


def keys(old: str, new: str) -> list[str]:
    return [w.key for w in weakenings(policy(old), policy(new), DEFAULTS, TODAY)]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("", "rules: {needs-cycle: warning}", ["rules.needs-cycle"]),
        ("rules: {needs-cycle: note}", "rules: {needs-cycle: 'off'}", ["rules.needs-cycle"]),
        ("rules: {permissions-not-declared: error}", "", ["rules.permissions-not-declared"]),
        ("", "promote: {platform_tokens: [GITHUB_TOKEN]}", ["promote.platform_tokens"] * 2),
        ("", "permissions: {forbidden: {statuses: read}}", []),  # read is stricter
        ("permissions: {forbidden: {statuses: read}}", "", ["permissions.forbidden.statuses"]),
        ("", "permissions: {forbidden: [packages]}", ["permissions.forbidden.statuses"]),
        ("", "roles: {promote: {names: ['(?i)deploy']}}", ["roles.promote.names"]),
        ("", "roles: {verify: {names: ['(?i)verif', '(?i)check']}}", ["roles.verify.names"]),
        ("", "publish: {digest_outputs: [digest, image_digest, image-digest, sha]}",
         ["publish.digest_outputs"]),
        ("secrets: {inventory: [A]}", "secrets: {inventory: [A, B]}", ["secrets.inventory"]),
        ("secrets: {inventory: [A]}", "", ["secrets.inventory"]),
        ("shared_files: [{path: a.sh, repos: ['x-*', 'y-*']}]",
         "shared_files: [{path: a.sh, repos: ['x-*']}]", ["shared_files[0].repos"]),
        ("shared_files: [{path: a.sh}]", "", ["shared_files"]),
        ("custom_rules: [a.py]", "custom_rules: [b.py]", ["custom_rules[0]", "custom_rules"]),
    ],
)
def test_weakenings(old: str, new: str, expected: list[str]) -> None:
    assert keys(old, new) == expected


def test_strengthening_is_no_weakening() -> None:
    old = "rules: {needs-cycle: warning}\nwaivers:\n  - {rule: needs-cycle, path: 'a/*', reason: r}\n"
    new = (
        "rules: {needs-cycle: error, permissions-not-declared: error}\n"
        "promote: {required_secrets: [A]}\n"
        "permissions: {forbidden: {statuses: read, packages: write}, forbidden_in: everywhere}\n"
        "roles: {promote: {names: ['(?i)promot|rollout|release-to', '(?i)deploy']}}\n"
        "waivers:\n  - {rule: needs-cycle, path: a/b.yml, job: j, reason: r, until: 2026-12-31}\n"
    )
    assert keys(old, new) == []
    assert keys(new, new) == []


def test_waiver_comparisons() -> None:
    old = "waivers:\n  - {rule: needs-cycle, path: a.yml, job: j, reason: r, until: 2027-01-01}\n"
    found = weakenings(policy(old), policy(
        "waivers:\n  - {rule: needs-cycle, path: '*.yml', reason: r}\n"), DEFAULTS, TODAY)
    [w] = found
    assert w.key == "waivers[0].until"
    assert "until extended" in w.message and "path widened" in w.message and "job 'j' dropped" in w.message
    assert w.span.line == 3  # the waiver (its until is gone)
    assert keys(old, old.replace("needs-cycle", "needs-unknown-job")) == ["waivers[0]"]


def test_the_location_is_the_nearest_key_still_there() -> None:
    old = policy("promote:\n  required_secrets: [A, B]\n  platform_tokens: [GITHUB_TOKEN]\n")
    new = policy("promote:\n  platform_tokens: [GITHUB_TOKEN]\n")
    found = [w for w in weakenings(old, new, DEFAULTS, TODAY) if "required_secrets" in w.key]
    assert len(found) == 2 and {w.span.line for w in found} == {2}  # the 'promote' key
    assert {w.subject for w in found} == {"promote.required_secrets:-A", "promote.required_secrets:-B"}


def test_an_unknown_rule_is_assumed_to_default_to_error() -> None:
    assert keys("", "rules: {acme-rule: warning}") == ["rules.acme-rule"]
