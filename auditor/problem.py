"""A located problem with a file's bytes or YAML, before it becomes a finding.

Apart from ``auditor.parse`` (which needs ruamel) because the engine names
problems it finds without parsing (an unreadable file, a folder where a file
was expected, a file over the size limit), and a run answered from the result
cache should import no YAML parser at all.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with a file's bytes or YAML, located; becomes a finding."""

    rule: str
    message: str
    line: int
    column: int
    subject: str
    end_line: int = 0
    end_column: int = 0
