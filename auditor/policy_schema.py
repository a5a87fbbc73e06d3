"""The policy's JSON Schema (``auditor/policy.schema.json``), published for editors.

``auditor schema policy`` prints it, so a yaml-language-server comment or a VS
Code ``yaml.schemas`` setting completes and checks ``.auditor.yml`` while it is
typed. The validator in ``auditor.policy`` stays the authority (it gives
located messages and semantic checks a schema cannot: regular expressions that
compile, confined paths); tests/engine/test_policy_schema.py keeps the schema's
keys equal to the validator's at every level, so the two cannot drift.
"""

from __future__ import annotations

from importlib.resources import files

SCHEMAS = ("policy",)


def schema_text(name: str) -> str:
    """The schema ``name`` as published (JSON text)."""
    return files("auditor").joinpath(f"{name}.schema.json").read_text("utf-8")
