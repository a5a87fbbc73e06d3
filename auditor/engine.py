"""The engine: sources → parse → model → graph → rules → findings.

It loads rules the same way whatever their origin, runs every enabled rule on
every discovered file, and post-processes the hits into findings: severity
from the policy, inline suppressions, waivers, ``--select``/``--ignore``,
stable fingerprints, and one deterministic order. Nothing here prints.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from auditor import budget
from auditor.budget import INCOMPLETE_RULE
from auditor.errors import InternalError, PolicyError
from auditor.findings import Finding, Hit, fingerprint, make_finding
from auditor.kinds import FileKind
from auditor.policy import Policy
from auditor.problem import Problem
from auditor.repo import FOLDER_KIND, MissingContent, RepoContext, folder_reason
from auditor.rule import FileInfo, Rule, RuleContext
from auditor.rules_loader import load_rules
from auditor.suppress import suppressed_lines, suppressions

if TYPE_CHECKING:
    # The model builder and the analysis are imported when a file is first analysed,
    # not at start-up: a run answered from the result cache never needs them (about
    # 70 ms of imports and regex compilation, most of a warm run's start-up).
    from auditor.cache import ResultCache
    from auditor.facts import CalleeMemo, Facts
    from auditor.model import Workflow


# The options of a rule the policy gives none: one shared (read-only by contract) dict, so
# that the rules without options share one context per file.
_NO_OPTIONS: dict[str, Any] = {}


@dataclass
class Selection:
    """``--select``/``--ignore`` as given on the command line."""

    select: frozenset[str] = frozenset()
    ignore: frozenset[str] = frozenset()

    def allows(self, rule_id: str) -> bool:
        if self.select and rule_id not in self.select:
            return False
        return rule_id not in self.ignore


class Engine:
    """Runs the enabled rules of one policy over repositories."""

    def __init__(self, policy: Policy, selection: Selection | None = None) -> None:
        self.policy = policy
        self.selection = selection or Selection()
        self.all_rules = load_rules(policy)
        known = {rule.id for rule in self.all_rules}
        for rule_id, setting in policy.rules.items():
            if rule_id not in known:
                raise PolicyError(
                    f"{policy.source}:{setting.line}: rules.{rule_id}: unknown rule id "
                    "(see `auditor rules`)"
                )
        for waiver in policy.waivers:
            if waiver.rule not in known:
                raise PolicyError(
                    f"{policy.source}:{waiver.line}: waivers: unknown rule id '{waiver.rule}'"
                )
        self.rules = [
            rule
            for rule in self.all_rules
            if self.selection.allows(rule.id) and policy.severity_for(rule.id, rule.severity) != "off"
        ]
        self.suppressed = 0
        self.files_analysed = 0  # a counter tests read (caching is proven by it, not by time)
        self.files_cached = 0  # files whose findings came from the result cache
        self.cache: ResultCache | None = None  # set by the CLI unless --no-cache
        self.today = dt.date.today()
        self._cache_hash: str | None = None
        self._memo_repo: RepoContext | None = None
        self._callee_memo: CalleeMemo = {}
        # per rule, what each file's loop would otherwise look up again: (rule, severity, options)
        self._prepared = [
            (rule, policy.severity_for(rule.id, rule.severity),
             policy.rules[rule.id].options if rule.id in policy.rules and policy.rules[rule.id].options
             else _NO_OPTIONS)
            for rule in self.rules if rule.scope != "org"  # org rules run once (auditor.org)
        ]  # fmt: skip
        # When a list: the findings suppressions and waivers removed, kept here (the
        # gate shows what a new suppression hides; auditor.check sets it).
        self.kept_suppressed: list[Finding] | None = None
        # per file (time and work); see auditor.budget
        self.budget = budget.Limits.from_env(policy.max_file_seconds, policy.max_file_work)

    def cache_hash(self) -> str:
        """Hash of everything about this engine that can change a file's findings (the
        engine's part of a result-cache key, ``auditor.cache.file_key``): cache format,
        tool version, the policy and its waivers (today's date when one expires), the
        enabled rules with their severities, and the code that computes findings."""
        if self._cache_hash is None:
            from auditor import __version__
            from auditor.cache import CACHE_FORMAT, code_fingerprint

            policy = self.policy
            waivers = sorted(repr(w) for w in policy.waivers)
            dated = any(w.until is not None for w in policy.waivers)
            rules = [
                (r.id, policy.severity_for(r.id, r.severity), r.origin, r.scope, sorted(r.kinds))
                for r in self.rules
            ]
            modules = sorted({getattr(r.check, "__module__", "") for r in self.rules} - {""})
            parts = (
                CACHE_FORMAT, __version__, policy.cache_key(), waivers,
                self.today.isoformat() if dated else None, rules, code_fingerprint(modules),
            )  # fmt: skip
            self._cache_hash = hashlib.sha256(repr(parts).encode("utf-8", "surrogatepass")).hexdigest()
        return self._cache_hash

    # -- one file ---------------------------------------------------------------

    def _file_info(self, repo: RepoContext, path: str, kind: str) -> tuple[FileInfo, Workflow | None]:
        file_kind: FileKind = "action" if kind == "action" else "workflow"
        if kind == FOLDER_KIND:  # a workflow folder discovery could not read (or finish)
            why = Problem(INCOMPLETE_RULE, folder_reason(repo.source, path), 1, 1, "folder")
            return FileInfo(path, file_kind, 0, None, (why,)), None
        held = repo.held(path)  # read by the cache lookup a moment ago: not read twice
        if held is not None:
            data = held
        else:
            size = repo.source.size(path)
            if size is not None and size > self.policy.max_file_bytes:
                return FileInfo(path, file_kind, size, None, (), too_large=True), None
            try:
                data = repo.source.read(path)
            except MissingContent as exc:
                problem = Problem(INCOMPLETE_RULE, f"cannot read this file: {exc.strerror or exc}; "
                                  "fetch it (or scan a full clone) to have it checked", 1, 1, "missing")
                return FileInfo(path, file_kind, size or 0, None, (problem,)), None
            except OSError as exc:
                reason = exc.strerror or str(exc)
                problem = Problem("parse-error", f"cannot read the file: {reason}", 1, 1, "unreadable")
                return FileInfo(path, file_kind, size or 0, None, (problem,)), None
        if len(data) > self.policy.max_file_bytes:
            return FileInfo(path, file_kind, len(data), None, (), too_large=True), None
        from auditor.build import build_action, build_workflow, unterminated_expressions
        from auditor.parse import parse_bytes

        # A reusable workflow another file of the repository called is parsed and built
        # already: its model is shared, so its analysis is too (``Engine.facts``).
        known = repo.built_for(path, data) if file_kind == "workflow" else None
        parsed = known[0] if known is not None else parse_bytes(data, path)
        problems = list(parsed.problems)
        model = None
        if known is not None:
            model = known[1]
            problems.extend(known[2])
        elif parsed.root is not None:
            if file_kind == "action":
                model = build_action(path, parsed.root, problems)
            else:
                model = build_workflow(path, parsed.root, problems)
            if parsed.source is not None:
                problems.extend(unterminated_expressions(parsed.expression_scalars, parsed.source))
        info = FileInfo(path, file_kind, len(data), parsed.source, tuple(problems))
        return info, model

    def analyse_file(self, repo: RepoContext, path: str, kind: str) -> list[Finding]:
        """Findings of one file, post-processed except for sorting, within the per-file
        budget (``auditor.budget``): a file that uses it up is one ``scan-incomplete``
        finding, and the scan goes on with the next file."""
        try:
            with budget.limit(self.budget):
                return self._analyse_file(repo, path, kind)
        except budget.BudgetExceeded as exc:
            stopped = budget.BudgetExceeded(exc.what, exc.limit)  # no traceback: frames go now
        except InternalError:
            rang = budget.ran_out()
            if rang is None:
                raise
            # the alarm was caught inside a library, which then failed on its half-done state
            stopped = budget.BudgetExceeded(rang.what, rang.limit)
        except MemoryError:  # the memory a file may use is the machine's: it ran out on this one
            stopped = budget.BudgetExceeded("memory", 0)
        # Out of the except clause, the traceback and the frames it kept alive are gone.
        if stopped.what == "memory":
            import gc

            repo.workflows.pop(path, None)
            gc.collect()
        return self._over_budget(repo, path, kind, stopped)

    def _over_budget(
        self, repo: RepoContext, path: str, kind: str, exc: budget.BudgetExceeded
    ) -> list[Finding]:
        """The one finding of a file whose analysis was stopped (what it found so far is
        dropped: it would depend on where the clock stopped it)."""
        if exc.what == "time":
            spent = f"took longer than {exc.limit:g} s"
        elif exc.what == "memory":
            spent = "needed more memory than the scan could get"
        else:
            spent = f"needed more than {int(exc.limit):,} units of work"
        problem = Problem(
            INCOMPLETE_RULE,
            f"analysing this file {spent}, so it was stopped and none of it was checked; a "
            "workflow this costly is hostile or generated: simplify or split it, or raise "
            "limits.max_file_seconds / max_file_work in the policy if it is genuine",
            1, 1, f"budget:{exc.what}",
        )  # fmt: skip
        info = FileInfo(path, "action" if kind == "action" else "workflow", 0, None, (problem,))
        findings: list[Finding] = []
        for rule in self.rules:
            if rule.id == INCOMPLETE_RULE:
                severity = self.policy.severity_for(rule.id, rule.severity)
                ctx = RuleContext(info, self.policy, repo)
                findings.extend(make_finding(rule.id, severity, h, path, repo.name) for h in rule.check(ctx))
        return self._postprocess(findings, info, repo)

    def _analyse_file(self, repo: RepoContext, path: str, kind: str) -> list[Finding]:
        self.files_analysed += 1
        try:
            info, model = self._file_info(repo, path, kind)
            facts = None
            if model is not None:
                if info.kind == "workflow":
                    repo.workflows.setdefault(path, model)
                facts = self.facts(model, repo)
                if info.kind == "workflow":
                    pipeline = facts.pipeline()
                    repo.job_roles[path] = {j: sorted(str(r) for r in pipeline.roles[j]) for j in pipeline.jobs}
                    if any(pipeline.roles[j] for j in pipeline.jobs):
                        repo.job_needs[path] = {j: list(pipeline.needs[j]) for j in pipeline.jobs}
                    reasons = {j: dict(pipeline.reasons[j]) for j in pipeline.jobs if pipeline.reasons.get(j)}
                    if reasons:
                        repo.role_reasons[path] = reasons
            findings: list[Finding] = []
            policy = self.policy
            shared = RuleContext(info, policy, repo, facts, _NO_OPTIONS)  # most rules have no options
            for rule, severity, options in self._prepared:
                if rule.scope != "file" and (facts is None or info.kind not in rule.kinds):
                    continue
                if rule.origin != "builtin":
                    ctx = RuleContext(info, policy, repo, facts, dict(options))  # its own: not ours to share
                    findings.extend(_run_custom(rule, ctx, severity, path, repo.name))
                    continue
                ctx = shared if options is _NO_OPTIONS else RuleContext(info, policy, repo, facts, options)
                for h in rule.check(ctx):
                    findings.append(make_finding(rule.id, severity, h, path, repo.name))
        except (PolicyError, InternalError, MemoryError):
            raise
        except Exception as exc:
            raise InternalError(path, exc) from exc
        return self._postprocess(findings, info, repo)

    def facts(self, workflow: Workflow, repo: RepoContext) -> Facts:
        """The analysis of ``workflow`` under this engine's policy, computed once.

        The one place a workflow is analysed: the scan, ``auditor graph`` and the
        report renderers' graphs all come from here.
        """
        if self._memo_repo is not repo:  # one repository's callees at a time: bounded memory
            self._memo_repo, self._callee_memo = repo, {}
        from auditor.facts import analyse

        return analyse(workflow, self.policy, repo, self._callee_memo)

    def workflow_facts(self, repo: RepoContext, path: str) -> Facts | None:
        """The facts of the workflow at ``path``, or None if it does not parse."""
        workflow = repo.workflow(path)
        return self.facts(workflow, repo) if workflow is not None else None

    # -- post-processing ----------------------------------------------------------

    def _postprocess(self, findings: list[Finding], info: FileInfo, repo: RepoContext) -> list[Finding]:
        if not findings:
            return findings
        by_path_lines: dict[str, dict[int, set[str]]] = {}
        out: list[Finding] = []
        seen: dict[str, int] = {}
        for f in findings:
            if f.path not in by_path_lines:
                text = None
                if f.path == info.path and info.source is not None:
                    text = info.source.text
                else:
                    data = repo.read(f.path)
                    if data is not None:
                        text = data.decode("utf-8", "replace")
                by_path_lines[f.path] = suppressed_lines(suppressions(text)) if text else {}
            if f.rule != "suppression-without-reason":
                lines = by_path_lines[f.path]
                if f.rule in lines.get(f.line, ()) or self._waived(f):
                    self.suppressed += 1
                    if self.kept_suppressed is not None:
                        self.kept_suppressed.append(f)
                    continue
            count = seen.get(f.fingerprint, 0)
            seen[f.fingerprint] = count + 1
            if count:
                # The same subject twice in one place: keep fingerprints unique
                # (and stable: the n-th occurrence keeps its number).
                fp = fingerprint(f.rule, f.repo, f.path, f.job, f.step, f"{f.subject}#{count}")
                f = Finding(**{**_fields(f), "fingerprint": fp})
            out.append(f)
        return out

    def _waived(self, f: Finding) -> bool:
        for waiver in self.policy.waivers:
            if waiver.rule != f.rule or not waiver.active(self.today):
                continue
            if not (waiver.path == f.path or fnmatch.fnmatchcase(f.path, waiver.path)):
                continue
            if waiver.job is not None and waiver.job != f.job:
                continue
            return True
        return False


def _run_custom(
    rule: Rule, ctx: RuleContext, severity: str, path: str, repo: str | None
) -> list[Finding]:
    """A custom rule's findings on one file; whatever it raises (``sys.exit`` included)
    is an error finding of that rule on that file, never the end of the scan."""
    from auditor.findings import printable
    from auditor.rules_loader import contained_failure, watch_interrupts
    from auditor.span import Span

    watch_interrupts()  # before the rule runs: a real Ctrl-C must still end the run
    out: list[Finding] = []
    try:
        for h in rule.check(ctx):
            out.append(make_finding(rule.id, severity, h, path, repo))
    except BaseException as exc:  # someone else's code: contain it
        if not contained_failure(exc):
            raise
        reason = printable(" ".join(f"{type(exc).__name__}: {exc}".split()))[:300]
        message = (
            f"custom rule '{rule.id}' ({rule.origin}) failed on this file: {reason}; its "
            "check did not run here, so this file is not proven to pass it — fix the rule"
        )
        failure = Hit(message, Span(1, 1, 1, 1), f"rule-failed:{type(exc).__name__}")
        out.append(make_finding(rule.id, "error", failure, path, repo))
    return out


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=Finding.sort_key)


def _fields(f: Finding) -> dict[str, Any]:
    return {name: getattr(f, name) for name in Finding.__slots__}
