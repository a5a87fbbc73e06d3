"""What a shell detector is: an id, its documentation, and a function from a body to issues."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from auditor.scripts.issues import ScriptIssue
from auditor.scripts.shell.body import Body

__all__ = ["Detector"]


@dataclass(frozen=True, slots=True)
class Detector:
    """One way a shell body loses a failure, documented like a rule.

    ``example`` is a body the detector reports (under ``shell``, a
    ``shell:`` value; None is the runner default ``bash -e {0}``) and
    ``use_instead`` the same intent written so that nothing is reported; the
    test suite runs both, so the documentation cannot rot. ``find`` is pure:
    it reads the body and yields issues, keeping nothing.
    """

    id: str
    summary: str
    what: str
    why: str
    example: str
    use_instead: str
    find: Callable[[Body], Iterable[ScriptIssue]]
    shell: str | None = None
