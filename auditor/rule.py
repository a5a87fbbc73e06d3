"""The rule API: what a rule module declares and what its check receives.

A rule is a module exposing ``RULE = Rule(...)`` (or ``RULES = [...]``). Built-in
rules in the ``rules`` package, modules named by the policy's ``custom_rules``
and objects registered under the ``auditor.rules`` entry-point group are all
loaded the same way, so an organisation adds policy without forking.

``check`` receives a ``RuleContext`` and yields ``Hit``s. It never parses YAML
(the model is built), never prints and never decides severity (the policy
does).

A rule that compares repositories (scope ``org``) has an ``OrgRule`` instead:
``auditor org`` runs it once over the whole organisation, after every
repository is scanned, with the repositories' typed summaries
(``auditor.summary.RepoSummary``) and the org's policy, and it yields an
``OrgHit`` per repository it finds something in; ``auditor merge`` runs it
again over the union of the shards. Built-in, entry-point and ``custom_rules``
modules define org rules the same way (``OrgCheck`` wraps a function).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from auditor.codespan import code_span
from auditor.findings import Hit
from auditor.kinds import FileKind, RuleScope, Severity
from auditor.record import record

if TYPE_CHECKING:
    from auditor.edits import Edit
    from auditor.facts import Facts
    from auditor.findings import Finding
    from auditor.model import Workflow
    from auditor.policy import Policy
    from auditor.problem import Problem
    from auditor.repo import RepoContext
    from auditor.span import SourceText
    from auditor.summary import RepoSummary


@dataclass(frozen=True, slots=True)
class FileInfo:
    """One scanned file: its repository-relative path, kind, size, text and problems."""

    path: str
    kind: FileKind
    size: int
    source: SourceText | None
    problems: tuple[Problem, ...]
    too_large: bool = False


@record
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

# A fix: the text edits that remove one finding of the rule, computed from the model
# the context holds (never by re-parsing); empty when the case is not one it can fix.
Fix = Callable[[RuleContext, "Finding"], Sequence["Edit"]]
FixSafety = Literal["safe", "unsafe"]


def no_check(ctx: RuleContext) -> Iterable[Hit]:
    """The per-file check of a rule that has none (an org rule's)."""
    return ()


# --- org rules -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrgHit:
    """What an org rule found in one repository of the organisation: the repository's name,
    the repository-relative path, the message, and the rule-specific subject the finding's
    fingerprint hashes (never a line number)."""

    repo: str
    path: str
    message: str
    subject: str
    line: int = 1
    column: int = 1


@dataclass(frozen=True, slots=True)
class OrgContext:
    """Everything an org rule may read.

    ``repos``: every repository that was scanned (those that could not be are left out),
    in name order. ``policy``: the org's policy (``auditor org --policy FILE``, else the
    defaults; in ``auditor merge`` without ``--policy`` it is rebuilt from the shards'
    summary, which holds the shared files and nothing else). ``texts``: the shared files'
    contents by sha256. ``options``: the rule's own keys under ``rules.<id>``.
    """

    repos: Sequence[RepoSummary]
    policy: Policy
    texts: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)


class OrgRule(Protocol):
    """The org-wide check of a rule: run once over every repository of an org scan.

    ``applies`` says whether, under ``policy``, the rule has anything to compare (a rule
    that compares the policy's shared files has nothing without any); a rule that does
    not apply is not run and not listed as checked. ``check`` yields the hits.
    """

    def applies(self, policy: Policy) -> bool: ...

    def check(self, ctx: OrgContext) -> Iterable[OrgHit]: ...


def _always(policy: Policy) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class OrgCheck:
    """An ``OrgRule`` made of functions: ``check(ctx)``, and ``applies(policy)`` (default:
    always), e.g. ``Rule(..., scope="org", org=OrgCheck(check_org))``."""

    run: Callable[[OrgContext], Iterable[OrgHit]]
    when: Callable[[Policy], bool] = _always

    def applies(self, policy: Policy) -> bool:
        return self.when(policy)

    def check(self, ctx: OrgContext) -> Iterable[OrgHit]:
        return self.run(ctx)


@dataclass(frozen=True)
class Rule:
    """A rule's identity, documentation and check.

    The four documentation fields follow ruff's layout (what it does / why is
    this bad / example / use instead) and are what ``auditor explain`` prints
    and SARIF carries as help text. ``example`` and ``use_instead`` are whole
    workflows that ``tests/rules/test_docs.py`` runs: the example must fire at
    ``example_line``, the alternative must be clean (no finding of any rule).
    Both are written at ``example_path`` beside ``example_files``, with
    ``example_policy`` as ``.auditor.yml``. For a rule that reports only in org
    scans (``reports_in_org_scans``) every path is ``REPOSITORY/PATH``. A
    character a documentation page must not print is written ``<U+XXXX>``
    (``expand_placeholders``).
    """

    id: str
    severity: Severity
    summary: str
    what: str
    why: str
    example: str
    use_instead: str
    check: Check = no_check
    scope: RuleScope = "workflow"  # "file": every file, even unparsable; "org": auditor org
    kinds: frozenset[FileKind] = frozenset({"workflow"})  # which file kinds it reads
    tags: tuple[str, ...] = ()
    options: tuple[str, ...] = ()  # extra keys accepted under rules.<id> in the policy
    origin: str = "builtin"
    example_line: int | None = None  # where the example fires (None: anywhere)
    example_path: str = ".github/workflows/example.yml"  # where the example is written
    example_files: tuple[tuple[str, str], ...] = ()  # more files the example needs (path, text)
    example_policy: str | None = None  # a .auditor.yml the example and use_instead run with
    org: OrgRule | None = None  # scope "org": the check run once over the organisation
    fix: Fix | None = None  # what `auditor fix` changes (auditor.fixer applies and re-checks it)
    fix_safety: FixSafety = "safe"  # "unsafe": changes behaviour, applied only with --unsafe
    fix_docs: str = ""  # what the fix does, shown by `auditor explain`

    def __post_init__(self) -> None:
        if self.org is not None and self.scope != "org":
            raise ValueError(f"rule {self.id}: a rule with an org check has scope 'org'")

    @property
    def reports_in_org_scans(self) -> bool:
        """The rule reports only in ``auditor org`` (scope ``org``, or tagged ``org``): its
        example's paths are then ``REPOSITORY/PATH``, one folder per repository."""
        return self.scope == "org" or "org" in self.tags

    def docs(self) -> str:
        """The rule's documentation as Markdown: what ``auditor explain`` prints, SARIF's help.

        The example shows every file it needs and the policy it runs with, each
        under its path, so a reader can rebuild the repository and see the
        finding at the line named; ``use_instead`` runs with the same files and
        policy (``tests/rules/test_docs.py`` runs both).
        """
        where = f", reported at line {self.example_line}:" if self.example_line else ":"
        example = [f"{code_span(self.example_path)}{where}", _fenced(self.example_path, self.example)]
        shared = [w for w, has in (("policy", self.example_policy is not None),
                                   ("files", bool(self.example_files))) if has]  # fmt: skip
        same = f", with the same {' and '.join(shared)} as the example:" if shared else ":"
        instead = [f"{code_span(self.example_path)}{same}", _fenced(self.example_path, self.use_instead)]
        notes = []
        if self.reports_in_org_scans:
            notes.append("An org scan: each path is `REPOSITORY/PATH`, each repository a folder, "
                         "scanned together with `auditor org"
                         + (f" --policy {POLICY_FILE}" if self.example_policy is not None else "")
                         + " REPOSITORY...`.")  # fmt: skip
        texts = [self.example, self.use_instead, self.example_policy or "",
                 *(text for _path, text in self.example_files)]  # fmt: skip
        if any(_PLACEHOLDER.search(text) for text in texts):
            notes.append("`<U+XXXX>` stands for the one character of that code point, written "
                         "out so that this page does not hide text itself.")  # fmt: skip
        return (
            f"# {self.id}\n\n"
            f"Default severity: **{self.severity}**. {self.summary}\n\n"
            f"## What it does\n\n{self.what.strip()}\n\n"
            f"## Why is this bad?\n\n{self.why.strip()}\n\n"
            "## Example\n\n" + "\n\n".join(notes + example + _extras(self)) + "\n\n"
            "## Use instead\n\n" + "\n\n".join(instead) + "\n" + self._fix_section()
        )

    def _fix_section(self) -> str:
        """How ``auditor fix`` handles this rule: empty for a rule without a fix."""
        if self.fix is None:
            return ""
        flag = "`auditor fix`" if self.fix_safety == "safe" else "`auditor fix --unsafe`"
        return (f"\n## Fix\n\nAutomatic, {self.fix_safety} ({flag}). "
                f"{textwrap.dedent(self.fix_docs).strip()}\n")


POLICY_FILE = ".auditor.yml"

_FENCE_LANGUAGES = {".yml": "yaml", ".yaml": "yaml", ".sh": "sh", ".bash": "bash",
                    ".py": "python", ".json": "json"}  # fmt: skip


_PLACEHOLDER = re.compile(r"<U\+([0-9A-F]{4,6})>")


def file_text(text: str) -> str:
    """A documentation text as the file it stands for: dedented, blank edges dropped.

    ``docs()`` prints exactly these lines, so the line an example names is the
    line a reader counts in ``auditor explain``.
    """
    return textwrap.dedent(text).strip("\n") + "\n"


def expand_placeholders(text: str) -> str:
    """``<U+XXXX>`` → the character itself: how an example holds a character (a bidi
    control) that the documentation page must not print."""
    return _PLACEHOLDER.sub(lambda m: chr(int(m.group(1), 16)), text)


def _fenced(path: str, text: str) -> str:
    dot = path.rfind(".")
    language = _FENCE_LANGUAGES.get(path[dot:].lower(), "") if dot > path.rfind("/") else ""
    return f"```{language}\n{file_text(text)}```"


def _extras(rule: Rule) -> list[str]:
    """The example's policy and extra files, each as a heading line and a fenced block."""
    out: list[str] = []
    if rule.example_policy is not None:
        out += [f"With the policy `{POLICY_FILE}`:", _fenced(POLICY_FILE, rule.example_policy)]
    for path, text in rule.example_files:
        out += [f"And {code_span(path)}:", _fenced(path, text)]
    return out
