"""Why a job or step plays a role: a structured reason, not a sentence to parse.

Rules and reports used to learn whether a promote moves an artifact by
testing the prefix of a human-readable reason; a reason now says what
decided it (``by``), which catalogue entry or policy pattern matched
(``entry``), on which step (``step``), and through which called workflow
(``callee``). ``text`` is the sentence messages and ``auditor graph`` show.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

from auditor.kinds import Role

ReasonKind: TypeAlias = Literal["catalogue", "policy", "callee", "name", "environment"]


@dataclass(frozen=True, slots=True)
class RoleReason:
    role: Role
    by: ReasonKind
    entry: str  # catalogue entry id, policy key, or the name pattern that matched
    detail: str  # what matched, for people: "docker/build-push-action", "kubectl set image …"
    job: str
    step: int | None = None  # flat index of the step that decided it, None for the job itself
    step_label: str | None = None
    callee: str | None = None  # the called workflow's path (``by == "callee"``)
    moves_artifact: bool = False  # a promote that by itself moves a built artifact
    image: str | None = None  # the image (or version) reference a catalogue promote moves, as written

    @property
    def pinned(self) -> bool:
        """The reference it moves names a digest (``…@sha256:…``, a digest output or variable)."""
        from auditor.roles.catalogue.base import pinned

        return pinned(self.image)

    @property
    def by_name(self) -> bool:
        return self.by == "name"

    @property
    def text(self) -> str:
        if self.by == "callee":
            return f"it calls {self.callee}, {self.detail}"
        if self.by == "name":
            who = f"step '{self.step_label}'" if self.step is not None else f"job '{self.job}'"
            return f"{who} is named like a {self.role}"
        if self.by == "environment":
            return f"job '{self.job}' deploys to the environment {self.detail}"
        where = f"step '{self.step_label}'" if self.step is not None else f"job '{self.job}'"
        if self.by == "catalogue":
            return f"{where} {self.detail} [{self.entry}]"
        return f"{where} {self.detail}"

    def to_json(self) -> dict[str, object]:
        return {
            "role": str(self.role), "by": self.by, "entry": self.entry, "detail": self.detail,
            "step": self.step, "step_label": self.step_label, "callee": self.callee,
            "text": self.text,
        }  # fmt: skip
