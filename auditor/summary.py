"""Per-repository facts the JSON summary carries (placeholder, typed below)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class RepoSummary:
    """Per-repository facts the JSON summary carries."""

    name: str
    root: str
    files: int = 0
    forge_dirs: dict[str, str | None] = field(default_factory=dict)
    jobs: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "root": self.root,
            "files": self.files,
            "workflow_dirs": self.forge_dirs,
            "jobs": self.jobs,
        }
