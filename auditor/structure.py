"""The workflow syntax: which keys a workflow, a job and a step may carry.

The key sets come from SchemaStore's GitHub workflow schema as vendored by
``check-jsonschema`` (a maintained schema that already knows the June 2026
step keywords ``parallel``, ``background``, ``wait``, ``wait-all`` and
``cancel``), read once per process. Only the property names are used: a full
JSON-Schema validation of every file would cost more than the rest of a scan,
and the typed model already checks the shapes the rules rely on.

Gitea and Forgejo read the same syntax (their runners ignore some keys, which
the rules that care about those keys say); ``.gitea``/``.forgejo`` workflows
are checked against the same sets.
"""

from __future__ import annotations

import difflib
import functools
import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path

_SCHEMA = ("builtin_schemas", "vendor", "github-workflows.json")

class SyntaxUnavailable(Exception):
    """The installed schema is missing or unreadable (a broken install)."""


@dataclass(frozen=True, slots=True)
class Syntax:
    """The keys each level of a workflow may carry."""

    workflow: frozenset[str]
    job: frozenset[str]  # a job that runs steps
    call_job: frozenset[str]  # a job that calls a reusable workflow (``uses:``)
    step: frozenset[str]
    source: str  # where the sets came from, for messages and tests


def _schema_path() -> Path | None:
    # find_spec does not import the package (check-jsonschema's CLI imports
    # requests and more); only its data file is read.
    spec = importlib.util.find_spec("check_jsonschema")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        path = Path(location).joinpath(*_SCHEMA)
        if path.is_file():
            return path
    return None


@functools.cache
def syntax() -> Syntax:
    """The key sets, read from the vendored schema once per process.

    ``check-jsonschema`` is a declared dependency: without its schema the
    install is broken, which is an error to report, not a check to skip.
    """
    path = _schema_path()
    if path is None:
        raise SyntaxUnavailable("check-jsonschema's vendored github-workflows schema is not "
                                "installed; reinstall auditor (pip install auditor)")
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
        definitions = schema["definitions"]
        return Syntax(
            workflow=frozenset(schema["properties"]),
            job=frozenset(definitions["normalJob"]["properties"]),
            call_job=frozenset(definitions["reusableWorkflowCallJob"]["properties"]),
            step=frozenset(definitions["step"]["properties"]),
            source=f"SchemaStore github-workflow schema ({path.name}, vendored by check-jsonschema)",
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SyntaxUnavailable(f"cannot read the workflow schema {path}: {exc}") from exc


def nearest(key: str, allowed: frozenset[str]) -> str | None:
    """The valid key a typo most likely meant (``continue-on-errors`` → ``continue-on-error``)."""
    lowered = key.lower()
    if lowered in allowed:
        return lowered
    matches = difflib.get_close_matches(lowered, sorted(allowed), n=1, cutoff=0.6)
    return matches[0] if matches else None
