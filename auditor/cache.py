"""A content-addressed cache of per-file results, so an unchanged file is analysed once.

Key of one entry (sha256 of all of it):

* the bytes of the file (sha256), its repository-relative path and kind;
* the engine key: cache format, tool version, ``Policy.cache_key()`` plus the
  waivers (and today's date when a waiver has an ``until``), the enabled rules
  with their severities, ``--select``/``--ignore``, and a fingerprint of the
  code that computes findings (size and mtime of every module of the
  ``auditor`` package and of every rule module, built-in or custom), so an
  edited rule never serves stale results;
* the workflow folders each forge runs in that repository.

An entry also records ``RepoContext.reads`` of that one file: path → sha256 of
every other file the analysis read (scripts a step runs, local and remote
reusable workflows; ``None`` for a file that was absent). A hit is used only
when every one of them still hashes the same, read through the same
``RepoContext``.

The repository name is deliberately not in the key: identical files at the
same path in many template repositories are analysed once. A hit is re-homed
to its repository (``repo`` and the fingerprints, which hash it, are
recomputed exactly as the engine computes them).

Storage: one small file per entry under ``<dir>/v1/<2 hex>/<62 hex>``, written
to a temporary file and renamed into place (``os.replace``), so concurrent
runs sharing the folder never see a half-written entry; each entry carries the
sha256 of its body, so a truncated or corrupted entry is ignored (and
rewritten by the run that misses). Measured against SQLite (WAL) on the wild
corpus: a warm lookup of ~2,800 entries costs about the same either way
(tens of milliseconds), while one-file-per-entry needs no locking, survives
any single bad entry and lets concurrent writers never block each other.

Size is bounded (``max_bytes``, default 200 MB): after a run that wrote
entries, when the folder's size may exceed the bound, the least recently
used entries (oldest mtime; a hit refreshes it at most once a day) are
removed until it is below 80 % of it.

The folder is ``$AUDITOR_CACHE_DIR``, else ``$XDG_CACHE_HOME/auditor``, else
``~/.cache/auditor``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor import __version__
from auditor.findings import Finding, fingerprint

if TYPE_CHECKING:
    from auditor.engine import Engine
    from auditor.repo import RepoContext

CACHE_FORMAT = 1
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
_MAGIC = b"auditor-cache-1 "
_TOUCH_AFTER = 86_400.0  # refresh an entry's mtime (its LRU age) at most once a day
_SIZE_FILE = "size-estimate"


def default_cache_dir() -> Path:
    explicit = os.environ.get("AUDITOR_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "auditor"


@dataclass
class Entry:
    """What one analysed file produced, independent of the repository's name."""

    findings: list[dict[str, Any]]  # Finding.to_json() + "subject"
    job_roles: dict[str, list[str]] | None
    reads: dict[str, str | None]
    suppressed: int = 0

    def to_bytes(self) -> bytes:
        body = json.dumps(
            {"f": self.findings, "j": self.job_roles, "r": self.reads, "s": self.suppressed},
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode("utf-8", "surrogatepass")
        return _MAGIC + hashlib.sha256(body).hexdigest().encode() + b"\n" + body

    @classmethod
    def from_bytes(cls, raw: bytes) -> Entry | None:
        """The entry, or None for anything truncated, corrupted or of another format."""
        if not raw.startswith(_MAGIC):
            return None
        head, sep, body = raw[len(_MAGIC) :].partition(b"\n")
        if not sep or hashlib.sha256(body).hexdigest().encode() != head:
            return None
        try:
            data = json.loads(body.decode("utf-8", "surrogatepass"))
            entry = cls(data["f"], data["j"], data["r"], int(data["s"]))
        except (ValueError, KeyError, TypeError):
            return None
        if not isinstance(entry.findings, list) or not isinstance(entry.reads, dict):
            return None
        return entry


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    writes: int = 0
    bytes_written: int = 0
    rejected: int = 0  # corrupted/truncated entries, or stale dependencies


@dataclass
class ResultCache:
    """The on-disk store. Every operation degrades to a miss on any OS error."""

    directory: Path = field(default_factory=default_cache_dir)
    max_bytes: int = DEFAULT_MAX_BYTES
    stats: CacheStats = field(default_factory=CacheStats)

    def __post_init__(self) -> None:
        self.root = Path(self.directory) / f"v{CACHE_FORMAT}"
        self._root_s = str(self.root)
        self._made: set[str] = set()

    def _path(self, key: str) -> str:
        return f"{self._root_s}/{key[:2]}/{key[2:]}"

    def get(self, key: str) -> Entry | None:
        path = self._path(key)
        try:
            with open(path, "rb") as fh:
                raw = fh.read()
            entry = Entry.from_bytes(raw)
            if entry is None:
                self.stats.rejected += 1
                return None
            age = time.time() - os.stat(path).st_mtime
            if age > _TOUCH_AFTER:
                os.utime(path)  # keeps a used entry young for the LRU bound
        except OSError:
            return None
        return entry

    def put(self, key: str, entry: Entry) -> None:
        path = self._path(key)
        data = entry.to_bytes()
        try:
            shard = key[:2]
            folder = self.root / shard
            if shard not in self._made:
                folder.mkdir(parents=True, exist_ok=True)
                self._made.add(shard)
            fd, tmp = _mkstemp(folder)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError:
            return
        self.stats.writes += 1
        self.stats.bytes_written += len(data) + 512  # plus the filesystem's per-file cost

    # -- size bound ------------------------------------------------------------------

    def _entries(self) -> list[tuple[float, int, str]]:
        found: list[tuple[float, int, str]] = []
        try:
            shards = list(os.scandir(self.root))
        except OSError:
            return found
        for shard in shards:
            if not shard.is_dir(follow_symlinks=False):
                continue
            try:
                with os.scandir(shard.path) as it:
                    for entry in it:
                        try:
                            st = entry.stat(follow_symlinks=False)
                        except OSError:
                            continue
                        found.append((st.st_mtime, st.st_blocks * 512 or st.st_size, entry.path))
            except OSError:
                continue
        return found

    def size_estimate(self) -> int:
        try:
            return int((self.root / _SIZE_FILE).read_text())
        except (OSError, ValueError):
            return -1

    def prune(self, *, force: bool = False) -> int:
        """Evict least recently used entries when the folder may exceed ``max_bytes``.

        The folder's size is estimated from what this run wrote plus the last
        measured size, so the (directory walking) measurement happens only when
        the bound may have been crossed. Returns the number of entries removed.
        """
        estimate = self.size_estimate()
        if not force and estimate >= 0 and estimate + self.stats.bytes_written < self.max_bytes:
            self._save_estimate(estimate + self.stats.bytes_written)
            return 0
        entries = self._entries()
        total = sum(size for _, size, _ in entries)
        removed = 0
        if total > self.max_bytes:
            target = int(self.max_bytes * 0.8)
            for _, size, path in sorted(entries):
                if total <= target:
                    break
                try:
                    os.unlink(path)
                except OSError:
                    continue
                total -= size
                removed += 1
        self._save_estimate(total)
        return removed

    def _save_estimate(self, total: int) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd, tmp = _mkstemp(self.root)
            with os.fdopen(fd, "w") as fh:
                fh.write(str(total))
            os.replace(tmp, self.root / _SIZE_FILE)
        except OSError:
            return


def _mkstemp(folder: Path) -> tuple[int, str]:
    import tempfile  # only runs that write entries pay for its import

    return tempfile.mkstemp(prefix=".tmp-", dir=folder)


# --- keys ---------------------------------------------------------------------------


def _code_fingerprint(modules: Iterable[str]) -> list[tuple[str, int, int]]:
    """(file, size, mtime_ns) of every module that computes findings."""
    files: set[str] = set()
    package = sys.modules["auditor"].__file__
    if package:
        folder = os.path.dirname(package)
        with contextlib.suppress(OSError):
            files.update(
                os.path.join(folder, name) for name in os.listdir(folder) if name.endswith(".py")
            )
    for name in modules:
        module = sys.modules.get(name)
        file = getattr(module, "__file__", None)
        if file:
            files.add(file)
    out = []
    for file in sorted(files):
        try:
            st = os.stat(file)
        except OSError:
            continue
        out.append((file, st.st_size, st.st_mtime_ns))
    return out


def engine_key(engine: Engine) -> str:
    """Everything about a run that can change a file's findings, as one hash."""
    policy = engine.policy
    waivers = sorted(repr(w) for w in policy.waivers)
    dated = any(w.until is not None for w in policy.waivers)
    rules = [
        (r.id, policy.severity_for(r.id, r.severity), r.origin, r.scope, sorted(r.kinds))
        for r in engine.rules
    ]
    modules = sorted({getattr(r.check, "__module__", "") for r in engine.rules} - {""})
    parts = (
        CACHE_FORMAT,
        __version__,
        policy.cache_key(),
        waivers,
        engine.today.isoformat() if dated else None,
        rules,
        _code_fingerprint(modules),
    )
    return hashlib.sha256(repr(parts).encode("utf-8", "surrogatepass")).hexdigest()


def file_key(engine_hash: str, path: str, kind: str, data: bytes, forge_dirs: Any) -> str:
    h = hashlib.sha256()
    h.update(engine_hash.encode())
    h.update(b"\0")
    where = f"{kind}\0{path}\0{json.dumps(forge_dirs, sort_keys=True)}\0"
    h.update(where.encode("utf-8", "surrogatepass"))
    h.update(hashlib.sha256(data).digest())
    return h.hexdigest()


# --- engine glue ----------------------------------------------------------------------


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


def to_entry(
    findings: list[Finding], job_roles: dict[str, list[str]] | None,
    reads: dict[str, str | None], suppressed: int,
) -> Entry:  # fmt: skip
    rows = []
    for f in findings:
        row = f.to_json()
        row["subject"] = f.subject
        rows.append(row)
    return Entry(rows, job_roles, dict(reads), suppressed)


def from_entry(entry: Entry, repo_name: str | None) -> list[Finding]:
    """The entry's findings homed in ``repo_name``, fingerprints as the engine makes them."""
    out: list[Finding] = []
    seen: dict[str, int] = {}
    for row in entry.findings:
        f = Finding.from_json({**row, "repo": repo_name})
        subject = str(row.get("subject", ""))
        fp = fingerprint(f.rule, repo_name, f.path, f.job, f.step, subject)
        count = seen.get(fp, 0)
        seen[fp] = count + 1
        if count:
            fp = fingerprint(f.rule, repo_name, f.path, f.job, f.step, f"{subject}#{count}")
        out.append(
            Finding(
                rule=f.rule, severity=f.severity, message=f.message, path=f.path,
                line=f.line, column=f.column, end_line=f.end_line, end_column=f.end_column,
                job=f.job, step=f.step, repo=repo_name, fingerprint=fp, subject=subject,
            )
        )  # fmt: skip
    return out


def lookup(
    engine: Engine, cache: ResultCache, repo: RepoContext, path: str, kind: str, forge_dirs: Any
) -> tuple[list[Finding] | None, str | None, bytes | None]:
    """(findings of a valid hit or None, the entry key or None, the file's bytes if read).

    A hit is applied to ``repo`` (job roles) and counted on ``engine``.
    """
    key, data = _key_for(engine, repo, path, kind, forge_dirs)
    if key is None:
        return None, None, data
    entry = cache.get(key)
    if entry is not None and dependencies_hold(repo, entry.reads, path):
        cache.stats.hits += 1
        engine.files_cached += 1
        engine.suppressed += entry.suppressed
        if entry.job_roles is not None:
            repo.job_roles[path] = entry.job_roles
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
    if key is not None and cache is not None:
        roles = repo.job_roles.get(path)
        cache.put(key, to_entry(findings, roles, tracker, engine.suppressed - before))
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
    """The entry key of a file, or None for what is not worth caching (unreadable, too large)."""
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
