"""``auditor check`` (and ``auditor baseline``): which policy judges what, the scan, the gate.

The trust model of issue 11 lives here:

- **Which policy.** ``--no-policy``: the defaults. ``--policy FILE`` outside
  every scanned tree: the user's own file. Otherwise the repository's own
  policy (``.auditor.yml`` at the root, or a ``--policy`` inside the scanned
  tree), read through the repository's source, so a symlink out of the tree
  is never followed.
- **Trust follows the revision.** With a gate revision (``--new-since REV``,
  or the commit a ``--baseline`` file was recorded at), a repository's policy
  is read from that revision through the git object store, and that policy
  judges the change. The working tree's policy is only compared with it
  (``auditor.policy_diff``): what the change gives up is a ``policy-weakened``
  finding at the weakened key. A policy the user named outside the tree is
  the same for both sides.
- **No repository code by default.** A repository's policy is untrusted: if
  it names ``custom_rules``, the check stops with exit 2 and one line naming
  the modules, unless the user passed ``--trust-repo-policy``. Trusted or
  not, modules are read from the same place as the policy (at REV in a gate).
- **Suppressions added by the change are visible.** With a gate revision,
  every ``# auditor: ignore[...]`` comment the revision lacks is listed with
  the findings it hides (``CheckResult.new_suppressions``).

``run_check`` returns a typed ``CheckResult``; the CLI only turns options
into a ``CheckOptions`` and the result into output.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.errors import InternalError, PolicyError, messages_of
from auditor.findings import Finding, make_finding
from auditor.gitsource import GitError, GitSource, repo_prefix
from auditor.suppress import NewSuppression

if TYPE_CHECKING:
    from auditor.baseline import Baseline
    from auditor.engine import Engine
    from auditor.facts import PipelineGraph
    from auditor.policy import Policy
    from auditor.repo import RepoContext, RepoSource
    from auditor.rule import Rule
    from auditor.summary import RepoSummary
    from auditor.targets import Target


class CheckError(Exception):
    """Why the check cannot run: one line per reason in ``messages`` (several only for a
    policy file with several errors); the CLI exits 2 with them."""

    def __init__(self, *messages: str) -> None:
        super().__init__(*messages[:1])
        self.messages: tuple[str, ...] = messages or ("cannot run",)

    def __str__(self) -> str:
        return self.messages[0]

    @classmethod
    def of(cls, exc: BaseException) -> CheckError:
        """The error for ``exc``, keeping every line of a ``PolicyError``."""
        return cls(*messages_of(exc))


@dataclass(frozen=True)
class CheckOptions:
    policy_file: str | None = None
    no_policy: bool = False
    trust_repo_policy: bool = False
    select: frozenset[str] = frozenset()
    ignore: frozenset[str] = frozenset()
    new_since: str | None = None
    baseline: Baseline | None = None
    jobs: int | None = None
    use_cache: bool = True
    progress: Callable[[int, int], None] | None = None  # (files done, total): the bar


@dataclass
class CheckResult:
    """One check's results and the lookups renderers need."""

    findings: list[Finding]
    repos: list[RepoSummary]
    suppressed: int = 0
    baselined: int = 0
    rules: list[Rule] = field(default_factory=list)
    new_suppressions: list[NewSuppression] = field(default_factory=list)
    gate_rev: str | None = None  # the revision the gate compared with (a baseline's commit)
    notices: list[str] = field(default_factory=list)  # one line each, for stderr
    checked_rules: list[str] = field(default_factory=list)  # after --select/--ignore
    targets: list[Target] = field(default_factory=list)
    engines: list[Engine] = field(default_factory=list)  # per target
    _lines: dict[tuple[int, str], list[str]] = field(default_factory=dict, repr=False)
    _contexts: dict[int, RepoContext] = field(default_factory=dict, repr=False)

    @property
    def files(self) -> int:
        return sum(r.files for r in self.repos)

    def counts(self) -> dict[str, int]:
        out = {"error": 0, "warning": 0, "note": 0}
        for f in self.findings:
            out[f.severity] = out.get(f.severity, 0) + 1
        return out

    def _target(self, f: Finding) -> int | None:
        """The target ``f`` came from: ``Finding.target``, a value the check sets (not the
        object's id), so copies, re-sorted and filtered lists still find theirs."""
        t = f.target
        return t if t is not None and 0 <= t < len(self.targets) else None

    def source_line(self, f: Finding) -> str | None:
        """The line of the scanned file ``f`` points at (None when unavailable)."""
        t = self._target(f)
        if t is None:
            return None
        key = (t, f.path)
        if key not in self._lines:
            try:
                data = self.targets[t].source.read(f.path)
                self._lines[key] = data.decode("utf-8", "replace").splitlines()
            except (OSError, ValueError):
                self._lines[key] = []
        lines = self._lines[key]
        return lines[f.line - 1] if 0 < f.line <= len(lines) else None

    def display_path(self, f: Finding) -> str:
        """``f.path`` under the root as the user named it."""
        t = self._target(f)
        label = self.targets[t].label if t is not None else "."
        return shown_path(label, f.path)

    def job_graph(self, f: Finding) -> PipelineGraph | None:
        """The roles-annotated job graph of the workflow ``f`` is in (markdown, html);
        one repository context per target, so a workflow is parsed once."""
        from auditor.repo import RepoContext

        t = self._target(f)
        if t is None:
            return None
        engine = self.engines[t]
        if t not in self._contexts:
            self._contexts[t] = RepoContext(self.targets[t].source, engine.policy)
        facts = engine.workflow_facts(self._contexts[t], f.path)
        return facts.pipeline() if facts is not None else None


def shown_path(label: str, path: str) -> str:
    if label in (".", "", "-"):
        return path
    return f"{label.rstrip('/')}/{path}"


# --- where each target's policy comes from ------------------------------------------------


@dataclass
class _Site:
    """A policy inside a scanned tree: the tree's root, its source and the file's path."""

    root: Path
    source: RepoSource
    name: str  # repository-relative
    label: str  # how messages name the file


@dataclass
class _Plan:
    """One target: the policy that judges it and, in a gate, the working tree's one."""

    judge: Policy
    site: _Site | None = None  # None: no policy file, or the user's own file
    current: Policy | None = None  # the working tree's policy (compared with judge)
    rev: str | None = None  # the gate revision, if any
    owns_site: bool = True  # the policy file lies in this target's own tree


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


def _site_of_option(policy_file: str, targets: Sequence[Target]) -> tuple[_Site | None, Path]:
    """``--policy FILE``: a site when FILE lies inside a scanned tree, else the file."""
    given = Path(policy_file)
    try:
        resolved = given.resolve()
    except (OSError, RuntimeError):
        resolved = given.absolute()
    # A link's own place decides whose it is, not where it points.
    place = given.absolute().parent.resolve() / given.name
    for target in targets:
        if target.root is None:
            continue
        root = target.root.resolve()
        for candidate in (place, resolved):
            if _inside(candidate, root):
                rel = candidate.relative_to(root).as_posix()
                label = shown_path(target.label, rel)
                return _Site(root, target.source, rel, label), resolved
    return None, resolved


def _repo_policy(site: _Site, trusted: bool) -> Policy:
    from auditor.policy import Policy
    from auditor.policy_file import read_repository_policy

    policy = read_repository_policy(
        site.source, site.name, site.label, trusted=trusted, base_dir=str(site.root)
    )
    return policy if policy is not None else Policy()


def _default_site(target: Target) -> _Site | None:
    from auditor.policy import POLICY_FILENAMES

    if target.root is None:
        return None
    for name in POLICY_FILENAMES:
        try:
            target.source.read(name)
        except FileNotFoundError:
            continue
        except (OSError, ValueError):
            pass  # present but refused (a link out of the tree): reading it says why
        return _Site(target.root.resolve(), target.source, name, shown_path(target.label, name))
    return None


class _Revisions:
    """One ``GitSource`` per (tree root, revision), opened on first use."""

    def __init__(self) -> None:
        self.sources: dict[tuple[str, str], GitSource] = {}

    def at(self, root: Path, rev: str) -> GitSource:
        key = (str(root), rev)
        if key not in self.sources:
            top, prefix = repo_prefix(root)
            self.sources[key] = GitSource(top, rev, prefix=prefix)
        return self.sources[key]

    def close(self) -> None:
        for source in self.sources.values():
            source.close()


def _policy_at(site: _Site, rev: str, revisions: _Revisions, trusted: bool,
               default_names: bool) -> tuple[str, Policy] | None:  # fmt: skip
    """(file name, policy) of the repository policy as it is at ``rev``: what judges the
    change; None when the revision has no policy file."""
    from auditor.policy import POLICY_FILENAMES
    from auditor.policy_file import read_repository_policy

    source = revisions.at(site.root, rev)
    names = POLICY_FILENAMES if default_names else (site.name,)
    origin = f"{rev}@{source.commit[:12]}"
    folder = site.label.removesuffix(site.name)
    for name in names:
        policy = read_repository_policy(
            source, name, f"{rev}:{folder}{name}", trusted=trusted, base_dir=str(site.root),
            rules_origin=origin,
        )  # fmt: skip
        if policy is not None:
            return name, policy
    return None


def _gate_rev(options: CheckOptions, target: Target) -> str | None:
    if options.new_since is not None:
        return options.new_since
    if options.baseline is not None and options.baseline.commit and target.root is not None:
        return options.baseline.commit
    return None


def _plans(
    targets: Sequence[Target], options: CheckOptions, revisions: _Revisions
) -> list[_Plan]:
    from auditor.policy import Policy

    trusted = options.trust_repo_policy
    option_site: _Site | None = None
    external: Policy | None = None
    if options.policy_file and not options.no_policy:
        option_site, _ = _site_of_option(options.policy_file, targets)
        if option_site is None:
            from auditor.policy_file import load_policy_file  # the YAML parser: only here

            external = load_policy_file(Path(options.policy_file))
    plans: list[_Plan] = []
    for target in targets:
        rev = _gate_rev(options, target)
        if options.no_policy:
            plans.append(_Plan(Policy(), rev=rev))
            continue
        if external is not None:
            plans.append(_Plan(external, rev=rev))
            continue
        site = option_site if option_site is not None else _default_site(target)
        if site is None and (rev is None or target.root is None or option_site is not None):
            plans.append(_Plan(Policy(), rev=rev))
            continue
        if site is None:
            # No policy in the working tree: the revision's, if it had one, still judges,
            # and the change deleted it.
            assert target.root is not None and rev is not None
            empty = _Site(target.root.resolve(), target.source, ".auditor.yml",
                          shown_path(target.label, ".auditor.yml"))  # fmt: skip
            at_rev = _policy_at(empty, rev, revisions, trusted, default_names=True)
            if at_rev is None:
                plans.append(_Plan(Policy(), rev=rev))
                continue
            name, judge = at_rev
            gone = replace(empty, name=name, label=shown_path(target.label, name))
            plans.append(_Plan(judge, gone, Policy(), rev))
            continue
        owns = target.root is not None and site.root == target.root.resolve()
        current = _repo_policy(site, trusted)
        if rev is None:
            plans.append(_Plan(current, site, None, rev, owns))
            continue
        at_rev = _policy_at(site, rev, revisions, trusted, default_names=option_site is None)
        judge = at_rev[1] if at_rev is not None else Policy(trusted=trusted, confined=True)
        plans.append(_Plan(judge, site, replace(current, trusted=False), rev, owns))
    for plan in plans:
        if plan.judge.custom_rules and not plan.judge.trusted:
            from auditor.rules_loader import not_loaded_message

            raise CheckError(not_loaded_message(plan.judge))
    return plans


# --- the gate: policy-weakened and new suppressions ----------------------------------------


def _weakened(
    plan: _Plan, engine: Engine, defaults: Mapping[str, str], today: dt.date
) -> tuple[list[Finding], int]:
    """``policy-weakened`` findings of one target, and how many the judge's waivers hid."""
    from auditor.rules.policy_weakened import RULE_ID, policy_hits

    if plan.rev is None or plan.current is None or plan.site is None or not plan.owns_site:
        return [], 0
    if not any(rule.id == RULE_ID for rule in engine.rules):
        return [], 0  # --select/--ignore, or the judging policy turned it off
    severity = plan.judge.severity_for(RULE_ID, "error")
    found: list[Finding] = []
    waived = 0
    for h in policy_hits(plan.judge, plan.current, defaults, plan.rev, today):
        f = make_finding(RULE_ID, severity, h, plan.site.name, None)
        if plan.judge.waived(RULE_ID, f.path, None, today):
            waived += 1
            continue
        found.append(f)
    return found, waived


def _text(source: Any, path: str) -> str | None:
    try:
        data: bytes = source.read(path)
    except (OSError, ValueError):
        return None
    return data.decode("utf-8", "replace")


def _new_suppressions(
    target: Target, files: Sequence[str], old: RepoSource | None
) -> Iterator[tuple[str, Any]]:
    """(path, suppression) for every effective suppression ``old`` lacks."""
    from auditor.suppress import added_suppressions

    for path in files:
        text = _text(target.source, path)
        if text is None or "auditor:" not in text:
            continue
        before = _text(old, path) if old is not None else None
        for item in added_suppressions(before, text):
            yield path, item


def _hidden_by(engine: Engine, target: Target, files: Sequence[tuple[str, str]]) -> list[Finding]:
    """Every finding suppressions and waivers removed from ``files`` (analysed again,
    in this process, without the cache; the engine's counters are left as they were)."""
    from auditor.repo import RepoContext

    saved = engine.suppressed, engine.files_analysed
    engine.kept_suppressed = []
    try:
        repo = RepoContext(target.source, engine.policy)
        for path, kind in files:
            engine.analyse_file(repo, path, kind)
        return list(engine.kept_suppressed)
    finally:
        engine.kept_suppressed = None
        engine.suppressed, engine.files_analysed = saved


# --- the check ----------------------------------------------------------------------------


def run_check(
    paths: Sequence[str], options: CheckOptions, stdin_data: bytes | None = None
) -> CheckResult:
    """Scan ``paths`` under ``options``; ``CheckError`` (one line) when it cannot run."""
    try:
        return _run(paths, options, stdin_data)
    except (PolicyError, InternalError, GitError) as exc:
        raise CheckError.of(exc) from None


def _run(paths: Sequence[str], options: CheckOptions, stdin_data: bytes | None) -> CheckResult:
    from auditor.baseline import fingerprints_at, partition
    from auditor.cache import ResultCache
    from auditor.engine import Selection, sort_findings
    from auditor.parallel import scan_targets
    from auditor.targets import TargetError, resolve_targets

    try:
        targets = resolve_targets(list(paths), stdin_data)
    except TargetError as exc:
        raise CheckError(str(exc)) from None
    result = CheckResult([], [], targets=targets)
    if options.baseline is not None and options.new_since is None:
        if options.baseline.commit:
            result.gate_rev = options.baseline.commit
        else:
            result.notices.append(
                f"{options.baseline.source}: the baseline records no commit, so the working "
                "tree's policy judges this run (record it in a git checkout to pin the policy)"
            )
    if options.new_since is not None:
        result.gate_rev = options.new_since
    revisions = _Revisions()
    try:
        try:
            plans = _plans(targets, options, revisions)
        except GitError as exc:
            if options.new_since is None and options.baseline is not None:
                commit = options.baseline.commit or ""
                raise CheckError(
                    f"{options.baseline.source} was recorded at commit {commit[:12]}, and the "
                    f"policy is read from that commit: {exc}"
                ) from None
            raise
        judges = iter([plan.judge for plan in plans])
        # With several roots every finding names its repository (as the user named the
        # root), so a JSON report over many repositories can be traced back.
        names = [t.label for t in targets] if len(targets) > 1 else None
        batch = scan_targets(
            targets, lambda _target: next(judges), names=names,
            selection=Selection(options.select, options.ignore), jobs=options.jobs,
            cache=ResultCache() if options.use_cache and stdin_data is None else None,
            progress=options.progress,
        )  # fmt: skip
        today = dt.date.today()
        for index, (target, plan, scanned) in enumerate(
            zip(targets, plans, batch.results, strict=True)
        ):
            engine = scanned.engine
            result.engines.append(engine)
            result.rules = engine.all_rules
            found = scanned.findings
            if options.new_since is not None:
                old = (
                    revisions.at(target.root, options.new_since)
                    if target.root is not None else None
                )  # fmt: skip
                old_prints = fingerprints_at(engine, target, options.new_since, source=old,
                                             repo_name=names[index] if names else None)
                found, known = partition(found, old_prints)
                result.baselined += known
            if options.baseline is not None:
                found, known = options.baseline.split(found)
                result.baselined += known
            defaults = {rule.id: rule.severity for rule in engine.all_rules}
            weakened, waived = _weakened(plan, engine, defaults, today)
            found = [replace(f, target=index) for f in weakened + found]
            result.suppressed += scanned.suppressed + waived
            result.findings.extend(found)
            result.repos.append(scanned.summary)
            if plan.rev is not None and target.root is not None:
                old_tree = revisions.at(target.root, plan.rev)
                result.new_suppressions.extend(
                    _gate_suppressions(index, target, scanned, old_tree)
                )
        if not result.engines:
            result.rules = []
    finally:
        revisions.close()
    rules = result.rules
    unknown = (options.select | options.ignore) - {rule.id for rule in rules}
    if unknown and rules:
        raise CheckError(
            f"unknown rule id(s): {', '.join(sorted(unknown))} (see `auditor rules`)"
        )
    selection = Selection(options.select, options.ignore)
    result.checked_rules = [rule.id for rule in rules if selection.allows(rule.id)]
    result.findings = sort_findings(result.findings)
    return result


def _gate_suppressions(
    index: int, target: Target, scanned: Any, old: RepoSource
) -> list[NewSuppression]:
    files = [path for path, _ in scanned.files]
    files += [path for path in scanned.reads if not path.startswith("remote:")]
    added = list(_new_suppressions(target, sorted(set(files)), old))
    if not added:
        return []
    hidden = _hidden_by(scanned.engine, target, scanned.files)
    out = []
    for path, item in added:
        ns = NewSuppression(
            path, item.line, item.column, item.end_column, item.rules, item.reason,
            shown=shown_path(target.label, path),
        )  # fmt: skip
        hides = tuple(replace(f, target=index) for f in hidden if ns.covers(f))
        out.append(replace(ns, hides=hides))
    return out


def baseline_commit(paths: Sequence[str]) -> str | None:
    """The commit checked out where ``paths`` are, when they are all in one git repository
    (``auditor baseline`` records it so later checks read the policy from it)."""
    from auditor.gitsource import git_dir, run_git
    from auditor.targets import TargetError, resolve_targets

    if "-" in paths:
        return None
    try:
        targets = resolve_targets(list(paths))
    except TargetError:
        return None
    tops: set[str] = set()
    for target in targets:
        if target.root is None:
            return None
        try:
            git_dir(target.root)
            top, _ = repo_prefix(target.root)
        except GitError:
            return None
        tops.add(str(top))
    if len(tops) != 1:
        return None
    proc = run_git(Path(tops.pop()), "rev-parse", "--verify", "--quiet", "HEAD^{commit}",
                   check=False)  # fmt: skip
    text = proc.stdout.decode("ascii", "replace").strip()
    return text if proc.returncode == 0 and text else None


# --- auditor graph: the same policy, no rules needed ------------------------------------


def graph_policy(
    target: Target, policy_file: str | None, no_policy: bool
) -> tuple[Policy, str | None]:
    """The policy ``auditor graph`` draws roles with, and a notice when it left the
    policy's ``custom_rules`` out (a graph needs no rules, so none are imported)."""
    from auditor.policy import Policy
    from auditor.policy_file import load_policy_file

    if no_policy:
        return Policy(), None
    try:
        if policy_file:
            site, _ = _site_of_option(policy_file, [target])
            policy = _repo_policy(site, False) if site else load_policy_file(Path(policy_file))
        else:
            found = _default_site(target)
            policy = _repo_policy(found, False) if found else Policy()
    except PolicyError as exc:
        raise CheckError.of(exc) from None
    if not policy.custom_rules:
        return policy, None
    from auditor.rules_loader import not_loaded_message

    notice = not_loaded_message(policy) if not policy.trusted else None
    return replace(policy, custom_rules=(), rules={}, waivers=()), notice



def target_policies(targets: Sequence[Target], options: CheckOptions) -> list[Policy]:
    """The policy that judges each target, found as ``auditor check`` finds it (for
    ``auditor fix``, which must judge a file the way the check it answers does)."""
    revisions = _Revisions()
    try:
        return [plan.judge for plan in _plans(targets, options, revisions)]
    except (PolicyError, InternalError, GitError) as exc:
        raise CheckError.of(exc) from None
    finally:
        revisions.close()
