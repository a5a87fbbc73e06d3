"""What the language server says about one editor buffer, computed without the protocol.

``auditor lsp`` (``auditor.lsp``) only translates: this module runs the same
engine, policy lookup and fixer as ``auditor check`` and ``auditor fix`` on
the buffer's *current* text, in the context of its repository on disk (the
other open buffers of that repository are read instead of their files, so an
unsaved ``.auditor.yml`` judges the workflows open beside it). Positions here
are 0-based lines and code-point columns; the server turns them into the
client's units.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.edits import line_starts
from auditor.errors import InternalError, PolicyError
from auditor.policy import POLICY_FILENAMES
from auditor.repo import ACTION_NAMES, RECURSIVE_DIRS, WORKFLOW_DIRS
from auditor.rule_docs import rule_doc_url
from auditor.suppress import suppressions

if TYPE_CHECKING:
    from auditor.edits import Edit
    from auditor.fixer import Fixer
    from auditor.rule import Rule

POLICY_CODE = "policy"  # the ``code`` of a diagnostic that is a policy error, not a rule's


@dataclass(frozen=True, slots=True)
class Mark:
    """One diagnostic: a finding (or a policy error) with a 0-based, end-exclusive range."""

    rule: str
    severity: str  # error | warning | note
    message: str
    line: int
    column: int
    end_line: int
    end_column: int
    fingerprint: str = ""
    doc_url: str | None = None

    def covers(self, line: int, column: int) -> bool:
        """The position lies inside the range (its end included: the cursor after a word)."""
        return (self.line, self.column) <= (line, column) <= (self.end_line, self.end_column)

    def meets(self, line: int, column: int, end_line: int, end_column: int) -> bool:
        """The range shares a position with ``line:column-end_line:end_column``."""
        return (self.line, self.column) <= (end_line, end_column) and (line, column) <= (
            self.end_line, self.end_column)  # fmt: skip


@dataclass
class Analysis:
    """A buffer's diagnostics, with what hover and code actions need to answer about it."""

    path: Path
    kind: str  # workflow | action | policy
    text: str
    marks: list[Mark] = field(default_factory=list)
    rules: dict[str, Rule] = field(default_factory=dict)
    rel: str = ""  # repository-relative path
    root: Path | None = None
    fixer: Fixer | None = None
    _fixes: dict[str, list[Edit]] = field(default_factory=dict)

    def fix(self, mark: Mark) -> list[Edit]:
        """The safe fix of ``mark`` as text edits (checked as ``auditor fix`` checks it);
        empty when it has none. Computed on first request, then kept for this text."""
        if self.fixer is None or not mark.fingerprint or mark.rule not in self.fixer.fixers:
            return []
        if mark.fingerprint not in self._fixes:
            try:
                self._fixes[mark.fingerprint] = self.fixer.fix_edits(self.rel, mark.fingerprint)
            except (PolicyError, InternalError):
                self._fixes[mark.fingerprint] = []
        return self._fixes[mark.fingerprint]


    def fix_all(self) -> Edit | None:
        """Every safe fix of the file at once, as ``auditor fix`` makes them (rounds,
        roll-backs and all), as one edit spanning what changed; None when nothing does."""
        if self.fixer is None:
            return None
        from auditor.edits import Edit

        try:
            fixed = self.fixer.fix_file(self.rel)
        except (PolicyError, InternalError):
            return None
        if not fixed.changed or fixed.before != self.text:
            return None
        before, after = fixed.before, fixed.after
        start = 0
        while start < min(len(before), len(after)) and before[start] == after[start]:
            start += 1
        end_before, end_after = len(before), len(after)
        while end_before > start and end_after > start and before[end_before - 1] == after[end_after - 1]:
            end_before -= 1
            end_after -= 1
        return Edit(start, end_before, after[start:end_after])


def document_kind(path: Path, root: Path) -> str | None:
    """``workflow``, ``action`` or ``policy`` for a file auditor checks; None otherwise."""
    if path.name in POLICY_FILENAMES:
        return "policy"
    if path.name in ACTION_NAMES:
        return "action"
    if path.suffix not in (".yml", ".yaml"):
        return None
    try:
        rel = path.relative_to(root).as_posix()
    except ValueError:
        return None
    for folder in WORKFLOW_DIRS:
        if rel.startswith(folder + "/"):
            rest = rel[len(folder) + 1 :]
            if "/" not in rest or folder in RECURSIVE_DIRS:
                return "workflow"
    return None


def _position(starts: list[int], text: str, offset: int) -> tuple[int, int]:
    """0-based (line, column) of a character offset."""
    import bisect

    offset = max(0, min(offset, len(text)))
    line = bisect.bisect_right(starts, offset) - 1
    return line, offset - starts[line]


def edit_range(text: str, edit: Edit) -> tuple[int, int, int, int]:
    """The 0-based range (line, column, end line, end column) an edit replaces."""
    starts = line_starts(text)
    return (*_position(starts, text, edit.start), *_position(starts, text, edit.end))


def _clamped(text: str, line: int, column: int) -> tuple[int, int]:
    """A 1-based model position as a 0-based one inside ``text``."""
    lines = text.split("\n")
    row = max(0, min(line - 1, len(lines) - 1))
    return row, max(0, min(column - 1, len(lines[row])))


def _policy_marks(text: str, exc: PolicyError) -> list[Mark]:
    """Every error of a policy (the loader reports them all at once), one diagnostic each."""
    return [_policy_mark(text, message, where) for message, where in zip(exc.messages, exc.located, strict=False)]


def _policy_mark(text: str, message: str, where: tuple[int, int, int, int] | None) -> Mark:
    """A policy error as a diagnostic: at what the loader located, else its line."""
    if where is None:
        parts = message.split(":", 2)
        line = int(parts[1]) if len(parts) > 2 and parts[1].strip().isdigit() else 1
        where = (line, 1, line + 1, 1)
    start = _clamped(text, where[0], where[1])
    end = _clamped(text, where[2], where[3])
    if end <= start:  # an empty range shows nowhere: the rest of the line
        end = (start[0], len(text.split("\n")[start[0]]))
    return Mark(POLICY_CODE, "error", message, *start, *end)


def analyse_policy(path: Path, text: str) -> Analysis:
    """A ``.auditor.yml`` buffer: every error the loader reports, located, or nothing."""
    from auditor.policy_file import parse_policy
    from auditor.repo import DirectorySource

    result = Analysis(path, "policy", text, root=path.parent)
    try:
        parse_policy(text.encode("utf-8"), path.name, str(path.parent),
                     repository=DirectorySource(path.parent))  # fmt: skip
    except PolicyError as exc:
        result.marks.extend(_policy_marks(text, exc))
    return result


def analyse(path: Path, text: str, buffers: Mapping[Path, str] | None = None) -> Analysis | None:
    """The diagnostics of the buffer ``text`` of ``path`` (None: not a file auditor checks).

    ``buffers`` are the other open documents (absolute path → text): those inside the
    same repository are read instead of their files on disk.
    """
    from auditor.targets import repository_root

    try:  # as check names a file: by where it really is (a linked folder resolved)
        path = path.resolve()
    except (OSError, RuntimeError):
        path = path.absolute()
    root = repository_root(path)
    kind = document_kind(path, root)
    if kind is None:
        return None
    if kind == "policy":
        return analyse_policy(path, text)
    return _analyse_workflow(path, root, kind, text, buffers or {})


def _analyse_workflow(path: Path, root: Path, kind: str, text: str,
                      buffers: Mapping[Path, str]) -> Analysis:  # fmt: skip
    from auditor.check import CheckError, CheckOptions, target_policies
    from auditor.engine import Engine, Selection
    from auditor.fixer import Fixer, OverlaySource
    from auditor.repo import DirectorySource, RepoContext
    from auditor.targets import Target

    rel = path.relative_to(root).as_posix()
    result = Analysis(path, kind, text, rel=rel, root=root)
    files: dict[str, bytes] = {}
    for other, content in buffers.items():
        try:  # the keys are analyses' paths, resolved as ``path`` is
            files[other.relative_to(root).as_posix()] = content.encode("utf-8")
        except ValueError:
            continue  # another repository's buffer
    files[rel] = text.encode("utf-8")
    base = DirectorySource(root)
    source = OverlaySource(base, files, base.name)
    target = Target(source, root, ".", only=[(rel, kind)])
    try:
        policy = target_policies([target], CheckOptions())[0]
    except CheckError as exc:
        first = text.split("\n", 1)[0]
        result.marks.append(Mark(POLICY_CODE, "error", f"the repository's policy is not usable, "
                                 f"so nothing was checked: {exc}", 0, 0, 0, len(first)))  # fmt: skip
        return result
    engine = Engine(policy, Selection())
    result.rules = {rule.id: rule for rule in engine.all_rules}
    try:
        findings = engine.analyse_file(RepoContext(source, policy), rel, kind)
    except (PolicyError, InternalError) as exc:
        result.marks.append(Mark(POLICY_CODE, "error", str(exc), 0, 0, 0, 0))
        return result
    for finding in findings:
        if finding.path != rel:
            continue
        start = _clamped(text, finding.line, finding.column)
        end = _clamped(text, finding.end_line or finding.line, finding.end_column or finding.column)
        if end < start:
            end = start
        result.marks.append(Mark(finding.rule, finding.severity, finding.message, *start, *end,
                                 finding.fingerprint, rule_doc_url(finding.rule)))  # fmt: skip
    result.marks.sort(key=lambda m: (m.line, m.column, m.rule))
    if kind == "workflow":
        result.fixer = Fixer(engine, target, policy, unsafe=False)
    return result


def hover(analysis: Analysis, line: int, column: int) -> str | None:
    """Markdown for the position: the docs of the rules reported there, or of the rule id
    under the cursor in a ``# auditor: ignore[...]`` comment; None when there is none."""
    from auditor.rule_pages import explain_text  # the page `auditor explain` prints

    shown: list[str] = []
    parts: list[str] = []
    for mark in analysis.marks:
        if mark.covers(line, column) and mark.rule not in shown:
            shown.append(mark.rule)
            rule = analysis.rules.get(mark.rule)
            parts.append(f"**{mark.rule}**: {mark.message}\n\n" + (explain_text(rule) if rule else ""))
    if not parts:
        rule_id = suppressed_rule_at(analysis.text, line, column)
        rule = analysis.rules.get(rule_id) if rule_id else None
        if rule is not None:
            parts.append(explain_text(rule))
    return "\n\n---\n\n".join(parts) if parts else None


def suppressed_rule_at(text: str, line: int, column: int) -> str | None:
    """The rule id a suppression comment names at 0-based ``line:column``, if any."""
    lines = text.split("\n")
    if not 0 <= line < len(lines):
        return None
    for item in suppressions(lines[line]):
        source = lines[line]
        opening = source.find("[", item.column - 1)
        closing = source.find("]", opening)
        at = opening + 1
        for piece in source[opening + 1 : closing].split(","):
            name = piece.strip()
            start = at + piece.find(name) if name else at
            if name and start <= column <= start + len(name):
                return name
            at += len(piece) + 1
    return None
