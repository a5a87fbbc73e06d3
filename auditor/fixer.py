"""Apply the rules' fixes to one repository's workflow files, and keep only safe results.

A fix (``Rule.fix``) returns text edits for one finding, located through the
model; this module applies the non-overlapping ones to the file's original
text, re-checks the result with the same engine, and rolls a fix back when
the file no longer parses or shows a finding it did not have before. A file
with a parse error (or whose bytes are not plain UTF-8 text) is never touched.
Nothing is written here: the caller gets the new text and decides.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from auditor.edits import Edit
from auditor.engine import Engine
from auditor.findings import Finding
from auditor.policy import Policy
from auditor.repo import RepoContext, RepoSource, discover
from auditor.rule import Rule, RuleContext
from auditor.targets import Target

ROUNDS = 4  # a fix may reveal another fixable finding (a grant dropped, then permissions)


@dataclass
class OverlaySource:
    """A repository source with some files replaced by new text (the fix under test)."""

    base: RepoSource
    files: dict[str, bytes]
    name: str = "overlay"

    def read(self, path: str) -> bytes:
        data = self.files.get(path)
        return data if data is not None else self.base.read(path)

    def size(self, path: str) -> int | None:
        data = self.files.get(path)
        return len(data) if data is not None else self.base.size(path)

    def is_dir(self, path: str) -> bool:
        return self.base.is_dir(path)

    def list_dir(self, path: str) -> list[tuple[str, bool]]:
        return self.base.list_dir(path)

    def walk_actions(self) -> list[str]:
        return self.base.walk_actions()


@dataclass(frozen=True, slots=True)
class Applied:
    """One finding a fix removed (or tried to): its rule, place and message."""

    rule: str
    line: int
    message: str
    reason: str = ""  # why it was rolled back; empty when it was kept


@dataclass
class FileFix:
    """What fixing one file did: the original and new text, the fixes kept and rolled back."""

    path: str
    before: str
    after: str
    applied: list[Applied] = field(default_factory=list)
    rolled_back: list[Applied] = field(default_factory=list)
    skipped: str = ""  # why the file was not touched at all
    remaining: list[Finding] = field(default_factory=list)  # findings left after fixing

    @property
    def changed(self) -> bool:
        return self.after != self.before

    @property
    def rules(self) -> list[str]:
        return sorted({a.rule for a in self.applied})


class EditConflict(ValueError):
    """Two edits overlap: they cannot both apply to the same text."""


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """``text`` with ``edits`` applied; every character outside them stays as it was."""
    ordered = sorted(edits, key=lambda e: (e.start, e.end))
    for first, second in itertools.pairwise(ordered):
        if second.start < first.end or (second.start == first.end == second.end == first.start):
            raise EditConflict(f"edits at {first.start} and {second.start} overlap")
    out: list[str] = []
    at = 0
    for edit in ordered:
        if not (at <= edit.start <= edit.end <= len(text)):
            raise EditConflict(f"edit {edit.start}:{edit.end} is outside the text")
        out.append(text[at : edit.start])
        out.append(edit.replacement)
        at = edit.end
    out.append(text[at:])
    return "".join(out)


def _overlaps(edits: Sequence[Edit], taken: Sequence[Edit]) -> bool:
    return any((a.start < b.end and b.start < a.end) or a.start == b.start for a in edits for b in taken)


class Fixer:
    """Fixes the workflow files of one target with the rules ``engine`` runs."""

    def __init__(self, engine: Engine, target: Target, policy: Policy, unsafe: bool) -> None:
        self.engine = engine
        self.target = target
        self.policy = policy
        self.unsafe = unsafe
        self.failures: list[str] = []  # custom fixes that raised (reported, never fatal)
        self.fixers: dict[str, Rule] = {
            r.id: r for r in engine.rules if r.fix is not None and (unsafe or r.fix_safety == "safe")
        }

    def files(self) -> list[str]:
        """The workflow files to fix: those named, else every one discovery finds."""
        if self.target.only is not None:
            return [p for p, kind in self.target.only if kind == "workflow"]
        return list(discover(self.target.source).workflows)

    def _state(self, path: str, files: dict[str, bytes]) -> tuple[RuleContext | None, list[Finding], str]:
        """The context and findings of ``path`` as ``files`` has it; the reason (non-empty)
        why it cannot be fixed (a parse error)."""
        repo = RepoContext(OverlaySource(self.target.source, files, self.target.source.name), self.policy)
        findings = self.engine.analyse_file(repo, path, "workflow")
        info, model = self.engine._file_info(repo, path, "workflow")
        broken = [p for p in info.problems if p.rule == "parse-error"]
        if model is None or info.source is None or broken:
            reason = broken[0].message if broken else "it does not parse as a workflow"
            return None, findings, f"not fixed: {reason}"
        facts = self.engine.facts(model, repo)
        return RuleContext(info, self.policy, repo, facts), findings, ""

    def _edits(self, ctx: RuleContext, finding: Finding) -> list[Edit]:
        rule = self.fixers.get(finding.rule)
        if rule is None or rule.fix is None:
            return []
        setting = self.policy.rules.get(rule.id)
        if setting is not None and setting.options:
            ctx = RuleContext(ctx.file, ctx.policy, ctx.repo, ctx.facts, dict(setting.options))
        if rule.origin == "builtin":
            return list(rule.fix(ctx, finding))
        try:  # someone else's code: a fix that fails makes no edit, it never ends the run
            return list(rule.fix(ctx, finding))
        except Exception as exc:
            self.failures.append(f"{ctx.path}:{finding.line}: the {rule.id} fix failed "
                                 f"({type(exc).__name__}: {exc}); nothing changed for it")  # fmt: skip
            return []

    def fix_file(self, path: str) -> FileFix:
        """Fix ``path`` as far as its fixes go without breaking it."""
        try:
            raw = self.target.source.read(path)
            text = raw.decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            return FileFix(path, "", "", skipped=f"not fixed: cannot read it as UTF-8 text ({exc})")
        result = FileFix(path, text, text)
        ctx, findings, reason = self._state(path, {})
        if ctx is None or ctx.file.source is None:
            result.skipped, result.remaining = reason, findings
            return result
        if ctx.file.source.text != text:
            result.skipped = "not fixed: the file's text is not plain UTF-8 (a byte order mark?)"
            result.remaining = findings
            return result
        failed: set[str] = set()  # fingerprints whose fix was rolled back: not tried again
        for _round in range(ROUNDS):
            plan: list[tuple[Finding, list[Edit]]] = []
            taken: list[Edit] = []
            for finding in findings:
                if finding.fingerprint in failed:
                    continue
                edits = self._edits(ctx, finding)
                if edits and not _overlaps(edits, taken):
                    plan.append((finding, edits))
                    taken.extend(edits)
            if not plan:
                break
            before = {f.fingerprint for f in findings}
            attempt = self._try(path, result.after, taken, before, {f.fingerprint for f, _ in plan})
            if attempt is not None:
                result.after, ctx, findings = attempt
                result.applied += [Applied(f.rule, f.line, f.message) for f, _ in plan]
                continue
            progressed = False
            for planned, planned_edits in plan:  # together they broke something: one at a time
                # after a kept fix the lines moved: use the finding as the file now has it
                now = next((f for f in findings if f.fingerprint == planned.fingerprint), None)
                if now is None:
                    continue  # an earlier fix removed it too
                finding = now
                edits = self._edits(ctx, finding) if progressed else planned_edits
                current = {f.fingerprint for f in findings}
                one = self._try(path, result.after, edits, current, {finding.fingerprint}) if edits else None
                if one is None:
                    failed.add(finding.fingerprint)
                    result.rolled_back.append(Applied(finding.rule, finding.line, finding.message,
                                                      self.last_reason))  # fmt: skip
                    continue
                result.after, ctx, findings = one
                result.applied.append(Applied(finding.rule, finding.line, finding.message))
                progressed = True
            if not progressed:
                break
        result.remaining = findings
        return result

    def fix_edits(self, path: str, fingerprint: str) -> list[Edit]:
        """The edits of the one fix for the finding ``fingerprint`` of ``path``, checked
        as ``fix_file`` checks them (the file still parses, gains no finding, loses this
        one); empty when there is no such fix or it would be rolled back. For an editor's
        code action (``auditor.lsp``), which offers each fix on its own."""
        try:
            text = self.target.source.read(path).decode("utf-8")
        except (OSError, UnicodeDecodeError):
            return []
        ctx, findings, _reason = self._state(path, {})
        if ctx is None or ctx.file.source is None or ctx.file.source.text != text:
            return []
        finding = next((f for f in findings if f.fingerprint == fingerprint), None)
        if finding is None:
            return []
        edits = self._edits(ctx, finding)
        if not edits:
            return []
        kept = self._try(path, text, edits, {f.fingerprint for f in findings}, {fingerprint})
        return edits if kept is not None else []

    last_reason = ""

    def _try(self, path: str, text: str, edits: Sequence[Edit], before: set[str],
             targets: set[str]) -> tuple[str, RuleContext, list[Finding]] | None:  # fmt: skip
        """The new text, context and findings if ``edits`` keep the file parsing, add no
        finding and remove the ``targets`` they fix; None (and ``last_reason``) otherwise."""
        try:
            new = apply_edits(text, edits)
        except EditConflict as exc:
            self.last_reason = str(exc)
            return None
        ctx, findings, reason = self._state(path, {path: new.encode("utf-8")})
        if ctx is None:
            self.last_reason = f"the fixed file would not parse ({reason.removeprefix('not fixed: ')})"
            return None
        introduced = [f for f in findings if f.fingerprint not in before]
        if introduced:
            first = introduced[0]
            self.last_reason = f"it would introduce {first.rule} at line {first.line}"
            return None
        if any(f.fingerprint in targets for f in findings):
            self.last_reason = "it would not remove the finding"
            return None
        return new, ctx, findings
