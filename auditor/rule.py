"""The rule API: what a rule module declares and what its check receives.

A rule is a module exposing ``RULE = Rule(...)`` (or ``RULES = [...]``). Built-in
rules in the ``rules`` package, modules named by the policy's ``custom_rules``
and objects registered under the ``auditor.rules`` entry-point group are all
loaded the same way, so an organisation adds policy without forking.

``check`` receives a ``RuleContext`` and yields ``Hit``s. It never parses YAML
(the model is built), never prints and never decides severity (the policy
does).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from auditor.findings import Hit

if TYPE_CHECKING:
    from auditor.graph import JobGraph
    from auditor.model import Workflow
    from auditor.parse import Problem
    from auditor.policy import Policy
    from auditor.repo import RepoContext
    from auditor.yamltree import SourceText

# "org": the rule compares repositories, so it runs once per org scan (see
# auditor.org), not per file; its module still holds its id, docs and logic,
# and the engine skips it (its ``kinds`` is empty).
SCOPES = ("file", "workflow", "org")


@dataclass(frozen=True, slots=True)
class FileInfo:
    """One scanned file: its repository-relative path, kind, size, text and problems."""

    path: str
    kind: str  # "workflow" or "action"
    size: int
    source: SourceText | None
    problems: tuple[Problem, ...]
    too_large: bool = False
    expression_scalars: tuple[Any, ...] = ()  # raw nodes holding ``${{`` (from the parse walk)


@dataclass(slots=True)
class RuleContext:
    """Everything a check may read. ``workflow``/``graph`` are None for file-scope rules
    on files that did not parse."""

    file: FileInfo
    policy: Policy
    repo: RepoContext
    workflow: Workflow | None = None
    graph: JobGraph | None = None
    options: dict[str, Any] = field(default_factory=dict)
    memo: dict[str, Any] = field(default_factory=dict)  # per-file results shared by rules

    @property
    def path(self) -> str:
        return self.file.path


Check = Callable[[RuleContext], Iterable[Hit]]


@dataclass(frozen=True)
class Rule:
    """A rule's identity, documentation and check.

    The four documentation fields follow ruff's layout (what it does / why is
    this bad / example / use instead) and are what ``auditor explain`` prints
    and SARIF carries as help text.
    """

    id: str
    severity: str
    summary: str
    what: str
    why: str
    example: str
    use_instead: str
    check: Check
    scope: str = "workflow"  # "file": every file, even unparsable; "org": auditor.org
    kinds: frozenset[str] = frozenset({"workflow"})  # which file kinds it reads
    tags: tuple[str, ...] = ()
    options: tuple[str, ...] = ()  # extra keys accepted under rules.<id> in the policy
    origin: str = "builtin"

    def docs(self) -> str:
        """The rule's documentation as Markdown."""
        return (
            f"# {self.id}\n\n"
            f"Default severity: **{self.severity}**. {self.summary}\n\n"
            f"## What it does\n\n{self.what.strip()}\n\n"
            f"## Why is this bad?\n\n{self.why.strip()}\n\n"
            f"## Example\n\n```yaml\n{self.example.strip()}\n```\n\n"
            f"## Use instead\n\n```yaml\n{self.use_instead.strip()}\n```\n"
        )
