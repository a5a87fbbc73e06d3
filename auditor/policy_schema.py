"""The policy's JSON Schema (``auditor/policy.schema.json``), published for editors.

``auditor schema policy`` prints it, so a yaml-language-server comment or a VS
Code ``yaml.schemas`` setting completes and checks ``.auditor.yml`` while it is
typed. It is also enforced: ``auditor.policy`` validates every policy against
it (``schema_errors``) after its own checks, which come first because they give
the friendlier located messages and the checks a schema cannot make (regular
expressions that compile, paths confined to the repository).
tests/engine/test_policy_schema.py keeps the schema's keys equal to the
validator's at every level, so what an editor completes is what runs.
"""

from __future__ import annotations

import functools
import json
from importlib.resources import files
from typing import Any

SCHEMAS = ("policy",)


def schema_text(name: str) -> str:
    """The schema ``name`` as published (JSON text)."""
    return files("auditor").joinpath(f"{name}.schema.json").read_text("utf-8")


@functools.cache
def _validator() -> Any:
    import jsonschema  # only when a policy file is read: a scan without one never pays for it

    return jsonschema.Draft202012Validator(json.loads(schema_text("policy")))


def schema_errors(data: Any) -> list[tuple[str, str]]:
    """(dotted key such as ``rules.needs-cycle.severity`` or ``waivers[0]``, message) of
    every place ``data`` (a policy as plain values) breaks the published schema."""
    out = []
    for error in _validator().iter_errors(data):
        key = ""
        for part in error.absolute_path:
            key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
        out.append((key or "(file)", str(error.message)))
    return sorted(out)
