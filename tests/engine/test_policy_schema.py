"""``auditor schema policy``: the published JSON Schema of ``.auditor.yml``, kept equal
to the validator key for key (each level's unknown-key error lists the keys the
validator knows; the schema must name the same ones)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ruamel.yaml import YAML

from tests.conftest import ROOT, run_cli

EXAMPLE = ROOT.parent / "shared" / "examples" / "seed-incident" / "after" / ".auditor.yml"

# (where in the policy, a policy with a bogus key there, the schema object there)
LEVELS: list[tuple[str, dict[str, Any], list[str]]] = [
    ("(top)", {"bogus": 1}, []),
    ("roles", {"roles": {"bogus": 1}}, ["roles"]),
    ("roles.publish", {"roles": {"publish": {"bogus": 1}}}, ["roles", "publish"]),
    ("roles.promote", {"roles": {"promote": {"bogus": 1}}}, ["roles", "promote"]),
    ("roles.verify", {"roles": {"verify": {"bogus": 1}}}, ["roles", "verify"]),
    ("promote", {"promote": {"bogus": 1}}, ["promote"]),
    ("publish", {"publish": {"bogus": 1}}, ["publish"]),
    ("permissions", {"permissions": {"bogus": 1}}, ["permissions"]),
    ("secrets", {"secrets": {"bogus": 1}}, ["secrets"]),
    ("limits", {"limits": {"bogus": 1}}, ["limits"]),
    ("shared_files[0]", {"shared_files": [{"path": "a", "bogus": 1}]}, ["shared_files", "*"]),
    ("waivers[0]", {"waivers": [{"rule": "r", "path": "p", "reason": "x", "bogus": 1}]},
     ["waivers", "*"]),
    ("rules.X", {"rules": {"some-rule": {"bogus": 1}}}, ["rules", "**"]),
]  # fmt: skip


def _schema() -> dict[str, Any]:
    run = run_cli("schema", "policy")
    assert run.exit_code == 0, run.stderr
    return json.loads(run.stdout)  # type: ignore[no-any-return]


def _at(schema: dict[str, Any], path: list[str]) -> dict[str, Any]:
    node = schema
    for step in path:
        if step == "*":
            node = node["items"]
        elif step == "**":
            node = next(o for o in node["additionalProperties"]["oneOf"] if o.get("type") == "object")
        else:
            node = node["properties"][step]
    return node


def test_published_schema_is_a_valid_schema_and_the_package_file() -> None:
    schema = _schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema == json.loads((ROOT / "auditor" / "policy.schema.json").read_text())


@pytest.mark.parametrize(("where", "policy", "path"), LEVELS, ids=[lv[0] for lv in LEVELS])
def test_schema_keys_equal_the_validators(
    tmp_path: Path, where: str, policy: dict[str, Any], path: list[str]
) -> None:
    file = tmp_path / "p.yml"
    file.write_text(json.dumps(policy))  # JSON is YAML
    run = run_cli("rules", "--policy", str(file))
    assert run.exit_code == 2
    match = re.search(r"unknown key \(known here: ([^)]*)\)", run.stderr)
    assert match, run.stderr
    validator_keys = sorted(k.strip() for k in match.group(1).split(","))
    node = _at(_schema(), path)
    assert sorted(node["properties"]) == validator_keys
    assert node["additionalProperties"] is False
    errors = list(jsonschema.Draft202012Validator(_schema()).iter_errors(policy))
    assert errors and all("bogus" in e.message for e in errors), where


def test_a_policy_the_validator_accepts_the_schema_accepts(tmp_path: Path) -> None:
    policy = {
        "version": 1,
        "roles": {"promote": {"names": ["deploy"], "endpoints": "/go", "uses": ["o/a"]}},
        "permissions": {"forbidden": ["statuses"], "forbidden_in": "release"},
        "rules": {"swallowed-failure": "warning", "needs-unknown-job": {"severity": "off"}},
        "waivers": [{"rule": "r", "path": "p", "reason": "x", "until": "2030-01-01"}],
        "limits": {"max_file_bytes": 10},
    }
    file = tmp_path / "p.yml"
    file.write_text(json.dumps(policy))  # JSON is YAML
    assert run_cli("rules", "--policy", str(file)).exit_code == 0
    jsonschema.Draft202012Validator(_schema()).validate(policy)


@pytest.mark.skipif(not EXAMPLE.is_file(), reason="../shared/examples is not here")
def test_the_shared_example_policy_is_valid() -> None:
    jsonschema.Draft202012Validator(_schema()).validate(YAML(typ="safe").load(EXAMPLE.read_text()))


def test_the_schema_is_enforced_with_located_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the published schema forbids is refused even where the hand checks would let it
    through: here a schema that (unlike today's) caps ``limits.max_file_seconds`` at 60."""
    from auditor import policy_schema
    from auditor.errors import PolicyError
    from auditor.policy_file import parse_policy

    stricter = json.loads(policy_schema.schema_text("policy"))
    seconds = _at(stricter, ["limits", "max_file_seconds"])
    seconds["maximum"] = 60
    monkeypatch.setattr(policy_schema, "schema_text", lambda name: json.dumps(stricter))
    policy_schema._validator.cache_clear()
    try:
        parse_policy(b"version: 1\nlimits:\n  max_file_seconds: 30\n", "p.yml")  # within the cap
        with pytest.raises(PolicyError) as caught:
            parse_policy(b"version: 1\nlimits:\n  max_file_seconds: 600\n", "p.yml")
    finally:
        policy_schema._validator.cache_clear()
    assert caught.value.messages == (
        "p.yml:3: limits.max_file_seconds: 600 is greater than the maximum of 60 "
        "(the policy schema, `auditor schema policy`)",
    )
