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
from auditor.kinds import FileKind, RuleScope, Severity

if TYPE_CHECKING:
    from auditor.facts import Facts
    from auditor.model import Workflow
    from auditor.parse import Problem
    from auditor.policy import Policy
    from auditor.repo import RepoContext
    from auditor.span import SourceText


@dataclass(frozen=True, slots=True)
class FileInfo:
    """One scanned file: its repository-relative path, kind, size, text and problems."""

    path: str
    kind: FileKind
    size: int
    source: SourceText | None
    problems: tuple[Problem, ...]
    too_large: bool = False


@dataclass(frozen=True, slots=True)
class RuleContext:
    """Everything a check may read. ``facts`` is None for file-scope rules on files that
    did not parse; ``options`` are the rule's own keys under ``rules.<id>`` in the policy."""

    file: FileInfo
    policy: Policy
    repo: RepoContext
    facts: Facts | None = None
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return self.file.path

    @property
    def workflow(self) -> Workflow | None:
        return self.facts.workflow if self.facts is not None else None


Check = Callable[[RuleContext], Iterable[Hit]]


@dataclass(frozen=True)
class Rule:
    """A rule's identity, documentation and check.

    The four documentation fields follow ruff's layout (what it does / why is
    this bad / example / use instead) and are what ``auditor explain`` prints
    and SARIF carries as help text. ``example`` and ``use_instead`` are whole
    workflows that ``tests/rules/test_docs.py`` runs: the example must fire at
    ``example_line``, the alternative must be clean.
    """

    id: str
    severity: Severity
    summary: str
    what: str
    why: str
    example: str
    use_instead: str
    check: Check
    scope: RuleScope = "workflow"  # "file": every file, even unparsable; "org": auditor org
    kinds: frozenset[FileKind] = frozenset({"workflow"})  # which file kinds it reads
    tags: tuple[str, ...] = ()
    options: tuple[str, ...] = ()  # extra keys accepted under rules.<id> in the policy
    origin: str = "builtin"
    example_line: int | None = None  # where the example fires (None: anywhere)
    example_path: str = ".github/workflows/example.yml"  # where the example is written
    example_files: tuple[tuple[str, str], ...] = ()  # more files the example needs (path, text)
    example_policy: str | None = None  # a .auditor.yml the example and use_instead run with

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
