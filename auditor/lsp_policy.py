"""Completion of ``.auditor.yml`` keys for the language server.

The keys come from the policy's published JSON Schema (``auditor schema
policy``, ``auditor/policy.schema.json``): the ``properties`` of the mapping
being edited, with their descriptions. The schema is the one the loader
enforces and tests/engine/test_policy_schema.py keeps its keys equal to the
loader's at every level, so completion never offers a key the loader would
refuse, nor misses one it accepts.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

_BLOCK_KEY = re.compile(r"^(\s*)([A-Za-z0-9_.-]+)\s*:\s*(#.*)?$")
_ANY_KEY = re.compile(r"^(\s*)([A-Za-z0-9_.-]+)\s*:")


@functools.cache
def _schema() -> dict[str, Any]:
    from auditor.policy_schema import schema_text

    loaded: dict[str, Any] = json.loads(schema_text("policy"))
    return loaded


def _mapping_at(parents: tuple[str, ...]) -> dict[str, Any] | None:
    """The schema of the mapping at ``parents``: a named property, or the object form of a
    map's values (``rules.<id>`` takes ``severity`` and ``scope``)."""
    node: dict[str, Any] = _schema()
    for key in parents:
        properties = node.get("properties", {})
        if key in properties:
            node = properties[key]
            continue
        values = node.get("additionalProperties")
        if not isinstance(values, dict):
            return None
        node = next((o for o in values.get("oneOf", [values]) if o.get("type") == "object"), {})
        if not node:
            return None
    return node if node.get("type") == "object" or "properties" in node else None


@functools.lru_cache(maxsize=64)
def known_keys(parents: tuple[str, ...]) -> tuple[str, ...]:
    """The keys the policy accepts in the mapping at ``parents`` (() for the top)."""
    node = _mapping_at(parents)
    return tuple(node.get("properties", {})) if node is not None else ()


def key_description(parents: tuple[str, ...], key: str) -> str:
    """The schema's description of ``key`` at ``parents`` (empty when it has none)."""
    node = _mapping_at(parents)
    described = node.get("properties", {}).get(key, {}) if node is not None else {}
    return str(described.get("description", ""))


def parents_at(text: str, line: int, column: int) -> tuple[tuple[str, ...], int] | None:
    """(the keys of the mappings enclosing 0-based ``line:column``, the indentation of
    the key being typed); None inside a list, a value or a flow collection."""
    lines = text.split("\n")
    if not 0 <= line < len(lines):
        return None
    typed = lines[line][:column]
    if ":" in typed or "[" in typed or "{" in typed or typed.lstrip().startswith(("-", "#")):
        return None
    indent = len(typed) - len(typed.lstrip(" "))
    parents: list[str] = []
    limit = indent
    for above in reversed(lines[:line]):
        stripped = above.strip()
        if not stripped or stripped.startswith("#"):
            continue
        lead = len(above) - len(above.lstrip(" "))
        if lead >= limit:
            continue
        match = _BLOCK_KEY.match(above)
        if match is None:
            return None  # a list item or a value: not a mapping we can complete in
        parents.insert(0, match.group(2))
        limit = lead
        if lead == 0:
            break
    return tuple(parents), indent


def siblings(text: str, line: int, indent: int) -> set[str]:
    """Keys already present in the mapping being typed in (not offered again): those at
    ``indent`` in the run of lines around ``line`` indented at least that much."""
    lines = text.split("\n")
    present: set[str] = set()
    for step in (-1, 1):
        at = line + step
        while 0 <= at < len(lines):
            raw = lines[at]
            if raw.strip() and not raw.lstrip().startswith("#"):
                lead = len(raw) - len(raw.lstrip(" "))
                if lead < indent:
                    break
                match = _ANY_KEY.match(raw)
                if match and lead == indent:
                    present.add(match.group(2))
            at += step
    return present


def completions(text: str, line: int, column: int) -> list[tuple[str, str]]:
    """(key, the schema's description of it) to offer at 0-based ``line:column`` of a
    policy buffer."""
    place = parents_at(text, line, column)
    if place is None:
        return []
    parents, indent = place
    present = siblings(text, line, indent)
    return [(key, key_description(parents, key)) for key in known_keys(parents) if key not in present]
