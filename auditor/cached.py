"""One file analysed through the result cache, and one repository scanned that way.

The engine (``auditor.engine``) analyses a file; the cache (``auditor.cache``)
stores what that gave. This module sits above both and drives them: a lookup
is a hit only when every file the cached analysis read still has the same
bytes (``dependencies_hold``), a hit is applied to the repository context as
the analysis would have been (job roles, needs and reasons), and a miss is
analysed and stored. ``auditor.parallel`` runs these for many repositories at
once; ``scan_source`` runs them for one (the gate's view of a revision).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from auditor.budget import INCOMPLETE_RULE
from auditor.cache import ResultCache, file_key, from_entry, record_shape, to_entry
from auditor.findings import Finding
from auditor.repo import FOLDER_KIND, RepoContext, RepoSource, discover

if TYPE_CHECKING:
    from auditor.engine import Engine


def dependencies_hold(repo: RepoContext, reads: dict[str, str | None], self_path: str) -> bool:
    """True when every file the cached analysis read still has the same bytes."""
    for key, digest in reads.items():
        if key == self_path:
            continue
        if key.startswith("remote:"):
            resolver = repo.remote_resolver
            data = None
            if resolver is not None:
                try:
                    data = resolver(key[len("remote:") :])
                except (OSError, RuntimeError):
                    data = None
            now = hashlib.sha256(data).hexdigest() if data is not None else None
        else:
            repo.read(key)
            now = repo.reads.get(key)
        if now != digest:
            return False
    return True


def lookup(
    engine: Engine, cache: ResultCache, repo: RepoContext, path: str, kind: str, forge_dirs: Any
) -> tuple[list[Finding] | None, str | None, bytes | None]:
    """(findings of a valid hit or None, the entry key or None, the file's bytes if read).

    A hit is applied to ``repo`` (job roles, needs and role reasons) and counted on ``engine``.
    """
    key, data = _key_for(engine, repo, path, kind, forge_dirs)
    if key is None:
        return None, None, data
    entry = cache.get(key)
    if entry is not None and not all(record_shape(row) for row in entry.findings):
        entry = None  # the right checksum around findings of another shape: a miss
        cache.stats.rejected += 1
    if entry is not None and dependencies_hold(repo, entry.reads, path):
        cache.stats.hits += 1
        engine.files_cached += 1
        engine.suppressed += entry.suppressed
        if entry.job_roles is not None:
            repo.job_roles[path] = entry.job_roles
        if entry.job_needs is not None:
            repo.job_needs[path] = entry.job_needs
        if entry.role_reasons is not None:
            repo.role_reasons[path] = entry.role_reasons
        return from_entry(entry, repo.name), key, data
    if entry is not None:
        cache.stats.rejected += 1
    cache.stats.misses += 1
    return None, key, data


def analyse_and_store(
    engine: Engine, cache: ResultCache | None, repo: RepoContext, path: str, kind: str,
    key: str | None, data: bytes | None,
) -> list[Finding]:  # fmt: skip
    """Analyse one file (a miss) and store its entry under ``key``."""
    if data is not None:
        repo.remember(path, data)
    tracker = repo.track()
    before = engine.suppressed
    try:
        findings = engine.analyse_file(repo, path, kind)
    finally:
        repo.untrack()
    if key is not None and cache is not None and not any(f.subject.startswith("budget:") and
                                                         f.rule == INCOMPLETE_RULE for f in findings):
        # (a file stopped by the budget is not stored: whether it finishes depends on the
        # machine's speed and load, and a later run with a larger budget must analyse it)
        roles, needs = repo.job_roles.get(path), repo.job_needs.get(path)
        entry = to_entry(findings, roles, tracker, engine.suppressed - before, needs,
                         repo.role_reasons.get(path))  # fmt: skip
        cache.put(key, entry)
    return findings


def analyse_with_cache(
    engine: Engine, cache: ResultCache | None, repo: RepoContext, path: str, kind: str,
    forge_dirs: Any,
) -> list[Finding]:  # fmt: skip
    """``engine.analyse_file`` through the cache: a valid hit is restored, a miss stored.

    Counts go to ``engine.files_analysed`` (by ``analyse_file``) and
    ``engine.files_cached`` (hits).
    """
    if cache is None:
        return engine.analyse_file(repo, path, kind)
    hit, key, data = lookup(engine, cache, repo, path, kind, forge_dirs)
    if hit is not None:
        return hit
    return analyse_and_store(engine, cache, repo, path, kind, key, data)


def _key_for(
    engine: Engine, repo: RepoContext, path: str, kind: str, forge_dirs: Any
) -> tuple[str | None, bytes | None]:
    """The entry key of a file, or None for what is not worth caching (unreadable, too large,
    a folder discovery could not read)."""
    if kind == FOLDER_KIND:
        return None, None
    try:
        size = repo.source.size(path)
        if size is None or size > engine.policy.max_file_bytes:
            return None, None
        data = repo.source.read(path)
    except (OSError, RuntimeError):
        return None, None
    if len(data) > engine.policy.max_file_bytes:
        return None, None
    return file_key(engine.cache_hash(), path, kind, data, forge_dirs), data


def scan_source(
    engine: Engine, source: RepoSource, *, repo_name: str | None = None,
    only: Sequence[tuple[str, str]] | None = None,
) -> list[Finding]:  # fmt: skip
    """The findings of a repository (or only of the ``(path, kind)`` files given), through
    ``engine.cache`` when it has one (written when the scan ends)."""
    repo = RepoContext(source, engine.policy, name=repo_name)
    forge_dirs: dict[str, str | None] = {}
    if only is None:
        found = discover(source)
        files = found.files()
        forge_dirs = found.forge_dirs
    else:
        files = list(only)
    findings: list[Finding] = []
    for path, kind in files:
        findings.extend(analyse_with_cache(engine, engine.cache, repo, path, kind, forge_dirs))
    if engine.cache is not None:
        engine.cache.flush()
    return findings
