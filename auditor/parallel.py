"""Scanning many repositories (or many files) at once: result cache first, then a process pool.

The API (``auditor check`` and ``auditor org`` both call it)::

    from auditor.parallel import scan_targets

    batch = scan_targets(
        targets,                  # Sequence[auditor.targets.Target] (source, root, label, only)
        policy_for,               # Callable[[Target], Policy]; called once per target, in order
        selection=None,           # engine.Selection (--select/--ignore)
        jobs=None,                # worker processes; None: the usable core count; 1: in-process
        cache=None,               # cache.ResultCache, or None for --no-cache
        progress=None,            # Callable[[int, int], None]: (files done, files total)
        names=None,               # Sequence[str | None]: repository name per target (org scans)
        isolate=False,            # True (org scans): a target that fails is one error, not the run's
    )
    batch.results                 # list[RepoResult], in the order of ``targets``
    batch.files_analysed, batch.files_cached, batch.suppressed, batch.rules, batch.engines

``RepoResult`` holds ``findings`` (in file order; sort with
``engine.sort_findings``), ``summary`` (``summary.RepoSummary``), ``engine`` (the
``Engine`` of that target's policy), ``suppressed``,
``analysed`` and ``cached`` (file counts). ``policy_for`` may raise
``PolicyError``; an internal error in any file raises ``engine.InternalError``
naming that file, whichever process it happened in. With ``isolate=True`` none of
that (nor a failing discovery, nor a policy whose rules cannot load) ends the scan:
the target's ``RepoResult.error`` says why, in one line, and it has no findings.

How it runs:

1. Every target's files are discovered in this process (cheap: directory
   listings), and, when a cache is given, looked up there: a warm run never
   starts a worker. After ``COLD_AFTER`` misses in a row the cache is taken
   to be cold and the workers look up the remaining files themselves (in
   parallel) before analysing them.
2. When the files still to analyse are few (``PARALLEL_MIN_FILES``: the
   PR-lint case of one repository with a handful of workflows), or ``jobs`` is
   1, they are analysed here: a pool would cost more than it saves.
3. Otherwise a pool of ``jobs`` processes is forked (workers inherit the
   loaded modules, the engines and the targets, so nothing is imported or
   pickled twice; only results travel back). Work units are slices of one
   repository's files, biggest first. Workers send their new cache entries
   back with their results; the parent writes them all in one transaction.

Results do not depend on the number of workers or on the order units finish:
every file's findings depend only on that file and what it reads, results are
put back in target and file order, and job roles are sorted.

Sources handed to ``scan_targets`` must survive ``fork``: a source that keeps
an open handle (a ``git cat-file --batch`` process, say) should open it lazily
and re-open it when ``os.getpid()`` changed.
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from auditor.cache import ResultCache
from auditor.cached import analyse_with_cache, lookup
from auditor.engine import Engine, Selection
from auditor.errors import InternalError, PolicyError
from auditor.findings import Finding
from auditor.repo import FOLDER_KIND, RepoContext, discover
from auditor.summary import RepoSummary

if TYPE_CHECKING:
    from auditor import forkpool
    from auditor.policy import Policy
    from auditor.rule import Rule
    from auditor.targets import Target

PARALLEL_MIN_FILES = 48  # fewer files to analyse than this: no pool
COLD_AFTER = 64  # misses in a row after which lookups move to the workers (a cold cache)
MAX_UNIT_FILES = 24

Progress = Callable[[int, int], None]


def default_jobs() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@dataclass
class RepoResult:
    findings: list[Finding]
    summary: RepoSummary
    engine: Engine  # the engine (policy) that scanned this target
    suppressed: int = 0
    analysed: int = 0
    cached: int = 0
    # Every other file the analysis read (path → sha256, None when absent;
    # ``remote:<uses>`` for another repository's reusable workflow): with the
    # discovered files, what an org snapshot must re-check (auditor.snapshot).
    reads: dict[str, str | None] = field(default_factory=dict)
    files: list[tuple[str, str]] = field(default_factory=list)  # (path, kind) as discovered
    needs: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # RepoContext.job_needs
    error: str | None = None  # isolate=True: why this target was not scanned (one line)


@dataclass
class ScanBatch:
    results: list[RepoResult]
    engines: list[Engine] = field(default_factory=list)
    workers: int = 0  # processes used (0: everything ran in this process)

    @property
    def files_analysed(self) -> int:
        return sum(r.analysed for r in self.results)

    @property
    def files_cached(self) -> int:
        return sum(r.cached for r in self.results)

    @property
    def suppressed(self) -> int:
        return sum(r.suppressed for r in self.results)

    @property
    def rules(self) -> list[Rule]:
        return self.engines[0].all_rules if self.engines else []


@dataclass
class _Plan:
    """One target: its engine, repository context, files and per-file results."""

    target: Target
    engine: Engine
    name: str | None
    files: list[tuple[str, str]]
    forge_dirs: dict[str, str | None]
    repo: RepoContext | None  # made on first use, dropped when the target is done (memory)
    out: list[list[Finding] | None]
    roles: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    needs: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    reasons: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    reads: dict[str, str | None] = field(default_factory=dict)
    suppressed: int = 0
    analysed: int = 0
    cached: int = 0
    error: str | None = None  # isolate=True: why the target was not scanned


# Set in the parent right before forking; workers read it (never pickled).
_STATE: tuple[list[_Plan], ResultCache | None] | None = None


def scan_targets(
    targets: Sequence[Target],
    policy_for: Callable[[Target], Policy],
    *,
    selection: Selection | None = None,
    jobs: int | None = None,
    cache: ResultCache | None = None,
    progress: Progress | None = None,
    names: Sequence[str | None] | None = None,
    isolate: bool = False,
) -> ScanBatch:
    """Scan every target; see the module docstring."""
    engines: dict[tuple[str | None, str], Engine] = {}
    plans: list[_Plan] = []
    fallback: Engine | None = None  # the engine a target that failed before it had one reports
    for index, target in enumerate(targets):
        name = names[index] if names is not None else None
        try:
            policy = policy_for(target)
            key = (policy.source, policy.cache_key())
            engine = engines.get(key)
            if engine is None:
                engine = Engine(policy, selection)
                engine.cache = cache
                engines[key] = engine
            if target.only is not None:
                files, forge_dirs = list(target.only), {}
            else:
                found = discover(target.source)
                files = found.files()
                forge_dirs = found.forge_dirs
        except Exception as exc:
            if not isolate:
                raise
            if fallback is None:
                from auditor.policy import Policy

                fallback = Engine(Policy(), selection)
            plans.append(_Plan(target, fallback, name, [], {}, None, [], error=_reason(exc)))
            continue
        plans.append(_Plan(target, engine, name, files, forge_dirs, None, [None] * len(files)))
    total = sum(len(p.files) for p in plans)
    jobs = default_jobs() if jobs is None or jobs < 1 else jobs
    done = 0

    def tick(n: int = 1) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, total)

    workers = 0
    if jobs <= 1 or total < PARALLEL_MIN_FILES:
        for plan in plans:
            for i in range(len(plan.files)):
                if plan.error is None:
                    _here_isolated(plan, cache, i, isolate)
                tick()
            _release(plan)
    else:
        pending: list[tuple[int, int]] = []
        misses = 0  # in a row: past COLD_AFTER the cache is cold, workers look up the rest
        for t, plan in enumerate(plans):
            for i, (path, kind) in enumerate(plan.files):
                if plan.error is not None:
                    continue
                if cache is not None and misses < COLD_AFTER:
                    hit = _lookup(plan, cache, path, kind)
                    if hit is not None:
                        plan.out[i] = hit
                        misses = 0
                        tick()
                        continue
                    misses += 1
                pending.append((t, i))
            _release(plan)
        if len(pending) < PARALLEL_MIN_FILES:
            for t, i in pending:
                plan = plans[t]
                if plan.error is None:
                    _here_isolated(plan, cache, i, isolate)
                tick()
        else:
            workers = min(jobs, max(1, len(pending) // (PARALLEL_MIN_FILES // 2)))
            _run_pool(plans, cache, pending, workers, tick, isolate)
    results = []
    for plan in plans:
        _release(plan)
        summary = RepoSummary(
            name=plan.name or plan.target.source.name, root=plan.target.label,
            workflow_dirs=plan.forge_dirs, files=sum(k != FOLDER_KIND for _, k in plan.files),
            jobs=dict(sorted(plan.roles.items())), role_reasons=dict(sorted(plan.reasons.items())),
        )  # fmt: skip
        findings = [f for per_file in plan.out for f in (per_file or ())]
        if plan.error is not None:
            findings = []
        results.append(
            RepoResult(findings, summary, plan.engine, plan.suppressed, plan.analysed, plan.cached,
                       dict(sorted(plan.reads.items())), plan.files, dict(sorted(plan.needs.items())),
                       plan.error)
        )  # fmt: skip
    for engine in engines.values():
        engine.files_analysed += sum(p.analysed for p in plans if p.engine is engine)
        engine.files_cached += sum(p.cached for p in plans if p.engine is engine)
        engine.suppressed += sum(p.suppressed for p in plans if p.engine is engine)
    if cache is not None:
        cache.flush()
    return ScanBatch(results, list(engines.values()), workers)


def _reason(exc: BaseException) -> str:
    """One line saying why a target was not scanned."""
    if isinstance(exc, (InternalError, PolicyError)):
        text = str(exc)
    else:
        text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return " ".join(text.split())[:500]


def _here_isolated(plan: _Plan, cache: ResultCache | None, i: int, isolate: bool) -> None:
    path, kind = plan.files[i]
    try:
        plan.out[i] = _here(plan, cache, path, kind)
    except (InternalError, PolicyError) as exc:
        if not isolate:
            raise
        plan.error = _reason(exc)


def _here(plan: _Plan, cache: ResultCache | None, path: str, kind: str) -> list[Finding]:
    """One file analysed (or restored from the cache) in this process."""
    with _Counted(plan):
        return analyse_with_cache(plan.engine, cache, _repo(plan), path, kind, plan.forge_dirs)


def _lookup(plan: _Plan, cache: ResultCache, path: str, kind: str) -> list[Finding] | None:
    with _Counted(plan):
        return lookup(plan.engine, cache, _repo(plan), path, kind, plan.forge_dirs)[0]


def _repo(plan: _Plan) -> RepoContext:
    if plan.repo is None:
        plan.repo = RepoContext(plan.target.source, plan.engine.policy, name=plan.name)
    return plan.repo


def _release(plan: _Plan) -> None:
    """Keep a finished target's job roles and reads; drop its parsed files and bytes."""
    if plan.repo is not None:
        plan.roles.update(plan.repo.job_roles)
        plan.needs.update(plan.repo.job_needs)
        plan.reasons.update(plan.repo.role_reasons)
        plan.reads.update(plan.repo.reads)
        plan.repo = None


class _Counted:
    """Moves what the engine counted during one file into the plan's counters."""

    def __init__(self, plan: _Plan) -> None:
        self.plan = plan

    def __enter__(self) -> None:
        e = self.plan.engine
        self.start = (e.files_analysed, e.files_cached, e.suppressed)

    def __exit__(self, *exc: object) -> None:
        e, plan = self.plan.engine, self.plan
        a, c, s = self.start
        plan.analysed += e.files_analysed - a
        plan.cached += e.files_cached - c
        plan.suppressed += e.suppressed - s
        e.files_analysed, e.files_cached, e.suppressed = a, c, s


# --- the pool -----------------------------------------------------------------------------

_Unit = tuple[int, list[int]]  # (target index, file indexes)


@dataclass
class _UnitResult:
    """What a worker sends back for one unit (pickled): per-file findings, what its
    RepoContext recorded, its counts and new cache entries; or the error that stopped it."""

    target: int
    files: list[tuple[int, list[Finding]]] = field(default_factory=list)
    roles: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    needs: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    reasons: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    reads: dict[str, str | None] = field(default_factory=dict)
    analysed: int = 0
    cached: int = 0
    suppressed: int = 0
    entries: dict[str, bytes] = field(default_factory=dict)
    error: tuple[str, str, str] | None = None  # (path, exception type name, message)
    size: int = 0  # files in the unit (what the progress counts, error or not)


def _units(pending: list[tuple[int, int]], workers: int) -> list[_Unit]:
    size = max(1, min(MAX_UNIT_FILES, len(pending) // (workers * 8) or 1))
    by_target: dict[int, list[int]] = {}
    for t, i in pending:
        by_target.setdefault(t, []).append(i)
    units: list[_Unit] = []
    for t, indexes in by_target.items():
        for start in range(0, len(indexes), size):
            units.append((t, indexes[start : start + size]))
    units.sort(key=lambda u: -len(u[1]))
    return units


def _run_pool(
    plans: list[_Plan], cache: ResultCache | None, pending: list[tuple[int, int]],
    workers: int, tick: Callable[[int], None], isolate: bool = False,
) -> None:  # fmt: skip
    from auditor import forkpool  # here: a warm or small run never forks (nor imports pipes)

    global _STATE
    units = _units(pending, workers)
    if not forkpool.can_fork():  # pragma: no cover - not POSIX
        for unit in units:
            _merge(plans, cache, _work(unit, plans, cache), tick, isolate)
        return
    if cache is not None:
        for plan in plans:
            plan.engine.cache_hash()  # once here, not in every worker
    _STATE = (plans, cache)
    _preload_analysis()
    gc.collect()
    gc.freeze()  # keep the parent's objects out of the workers' collections (copy-on-write)
    try:
        # Leaving the loop by any exception (a unit's error under isolate=False, a
        # KeyboardInterrupt) closes the pool, which kills and reaps the workers.
        with contextlib.closing(forkpool.imap_unordered(_work_in_child, units, workers)) as results:
            for result in results:
                if isinstance(result, forkpool.Died):
                    result = _died(plans, result)
                _merge(plans, cache, result, tick, isolate)
    finally:
        gc.unfreeze()
        _STATE = None


def _died(plans: list[_Plan], died: forkpool.Died[_Unit]) -> _UnitResult:
    """The error of a unit whose worker died (the kernel's out-of-memory killer, say):
    the files it held are named, since which of them it was analysing is not known."""
    t, indexes = died.unit
    files = [plans[t].files[i][0] for i in indexes]
    more = f" (or one of the {len(files) - 1} files after it in its batch)" if len(files) > 1 else ""
    hint = "; if memory ran out, try fewer --jobs" if "SIGKILL" in died.status else ""
    message = f"the worker process analysing it{more} {died.status}{hint}"
    return _UnitResult(t, error=(files[0], "WorkerDied", message), size=len(indexes))


def _preload_analysis() -> None:
    """Import what analysing a file needs before the workers fork, so they share it.

    The engine imports the model builder, the analysis and the script parsers on first
    use (a run answered from the cache needs none of them); a pool forked before that
    would make every worker import and compile them on its own."""
    import auditor.build
    import auditor.facts
    import auditor.scripts.python
    import auditor.scripts.shell  # noqa: F401 - imported for the workers


def _merge(
    plans: list[_Plan], cache: ResultCache | None, result: _UnitResult,
    tick: Callable[[int], None], isolate: bool = False,
) -> None:  # fmt: skip
    if result.error is not None:
        path, kind, message = result.error
        error: Exception = (PolicyError(message) if kind == "PolicyError"
                            else InternalError(path, _remote(kind, message)))  # fmt: skip
        if not isolate:
            raise error
        plans[result.target].error = plans[result.target].error or _reason(error)
        tick(result.size)
        return
    plan = plans[result.target]
    for i, findings in result.files:
        plan.out[i] = findings
    plan.roles.update(result.roles)
    plan.reads.update(result.reads)
    plan.needs.update(result.needs)
    plan.reasons.update(result.reasons)
    plan.analysed += result.analysed
    plan.cached += result.cached
    plan.suppressed += result.suppressed
    if cache is not None:
        cache.pending.update(result.entries)  # written by the parent, in one transaction
        cache.stats.writes += len(result.entries)
    tick(len(result.files))


def _remote(kind: str, message: str) -> Exception:
    """An exception raised in a worker, rebuilt in the parent with its type name and message."""
    cls: type[Exception] = type(kind, (Exception,), {})
    return cls(message)


def _work_in_child(unit: _Unit) -> _UnitResult:
    assert _STATE is not None
    plans, cache = _STATE
    return _work(unit, plans, cache)


def _work(unit: _Unit, plans: list[_Plan], cache: ResultCache | None) -> _UnitResult:
    t, indexes = unit
    plan = plans[t]
    engine = plan.engine
    repo = RepoContext(plan.target.source, engine.policy, name=plan.name)
    a, s = engine.files_analysed, engine.suppressed
    c = engine.files_cached
    out: list[tuple[int, list[Finding]]] = []
    path = ""
    try:
        for i in indexes:
            path, kind = plan.files[i]
            out.append((i, analyse_with_cache(engine, cache, repo, path, kind, plan.forge_dirs)))
    except InternalError as exc:
        cause = exc.__cause__ or exc
        return _UnitResult(t, error=(exc.path, type(cause).__name__, str(cause)), size=len(indexes))
    except Exception as exc:  # a PolicyError from a custom rule, say
        return _UnitResult(t, error=(path, type(exc).__name__, str(exc)), size=len(indexes))
    return _UnitResult(
        t, out, dict(repo.job_roles), dict(repo.job_needs), dict(repo.role_reasons), dict(repo.reads),
        analysed=engine.files_analysed - a, cached=engine.files_cached - c,
        suppressed=engine.suppressed - s,
        entries=cache.take_pending() if cache is not None else {},
    )  # fmt: skip
