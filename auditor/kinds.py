"""The closed vocabularies every layer shares: severities, rule scopes, file kinds, roles.

Severities, scopes and file kinds are ``Literal`` types: rule modules,
policy files, JSON reports and cache entries spell them as plain strings, and
mypy still rejects a misspelt one. A role is a ``StrEnum`` (it compares equal
to its string) because code switches over roles.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, TypeAlias

Severity: TypeAlias = Literal["error", "warning", "note"]
RuleScope: TypeAlias = Literal["file", "workflow", "org"]
FileKind: TypeAlias = Literal["workflow", "action"]

SEVERITIES: tuple[Severity, ...] = ("error", "warning", "note")


class Role(StrEnum):
    """What a job or step does in a release pipeline (DESIGN.md, "Roles")."""

    PUBLISH = "publish"
    PROMOTE = "promote"
    VERIFY = "verify"
