"""The seed incident, read in place from ../shared: before must show its findings, after none."""

from __future__ import annotations

import json

from tests.conftest import SEED, check_json, need_shared


def test_before_reports_every_expected_finding() -> None:
    before = need_shared(SEED / "before")
    expected = json.loads((before / "expected.json").read_text(encoding="utf-8"))
    run = check_json(before)
    assert run.exit_code == 1
    found = run.findings()
    for item in expected["must"]:
        matches = [
            f for f in found
            if f["rule"] == item["rule"] and f["path"] == expected["path"]
            and (item["line"] is None or f["line"] == item["line"])
            and (item["job"] is None or f["job"] == item["job"])
        ]  # fmt: skip
        assert matches, f"missing {item} in {[(f['rule'], f['line'], f['job']) for f in found]}"


def test_before_points_at_the_exact_keys() -> None:
    before = need_shared(SEED / "before")
    found = {(f["rule"], f["line"], f["column"]) for f in check_json(before).findings()}
    assert ("statuses-write-permission", 18, 3) in found
    assert ("continue-on-error-on-promote-path", 39, 9) in found
    assert ("promote-uses-platform-token", 41, 22) in found
    assert ("swallowed-failure", 43, 11) in found  # the curl without --fail


def test_before_messages_say_what_to_do() -> None:
    before = need_shared(SEED / "before")
    by_rule = {f["rule"]: f["message"] for f in check_json(before).findings()}
    assert "Gitea ignores" in by_rule["statuses-write-permission"]
    assert "secrets.GITEA_TOKEN" in by_rule["promote-uses-platform-token"]
    assert "needs: publish" in by_rule["promote-without-verify"]


def test_after_is_clean_with_its_policy() -> None:
    after = need_shared(SEED / "after")
    run = check_json(after)
    assert run.findings() == []
    assert run.exit_code == 0


def test_after_is_clean_without_policy() -> None:
    after = need_shared(SEED / "after")
    run = check_json(after, extra=("--no-policy",))
    assert run.findings() == []
    assert run.exit_code == 0


def test_after_roles_in_summary() -> None:
    after = need_shared(SEED / "after")
    repos = check_json(after).json()["summary"]["repositories"]
    jobs = repos[0]["jobs"][".gitea/workflows/publish-image.yml"]
    assert jobs == {"publish": ["publish"], "promote-pin": ["promote"], "verify-pin": ["verify"]}


def test_before_swallowed_failure_says_add_fail() -> None:
    before = need_shared(SEED / "before")
    found = check_json(before).findings("swallowed-failure")
    assert [(f["line"], f["job"]) for f in found] == [(43, "publish")]
    assert "--fail" in found[0]["message"]

