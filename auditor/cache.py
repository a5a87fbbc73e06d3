"""A content-addressed cache of per-file results, so an unchanged file is analysed once.

This module is the storage only: entries, their keys' parts and the SQLite
store. What drives the engine through it (a lookup that checks an entry's
dependencies, the analysis of a miss) is ``auditor.cached``; the engine's own
part of the key is ``Engine.cache_hash``.

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

Storage: one SQLite database (``results-v1.sqlite``, WAL journal) in the
cache folder. Measured on this project's CI machine for 2,500 entries:
writing one file per entry (temporary file + rename) cost 1.1 s, mostly
system time, a third of a cold scan; one SQLite transaction cost 0.1 s;
reading back, 0.09 s vs 0.05 s. New entries are kept in memory (workers
send theirs to the parent) and written in one transaction at the end of a
scan; concurrent runs sharing the folder are serialised by SQLite's lock
(with a 30 s busy timeout; a run that cannot get it just does not store).
Every value carries the sha256 of its body, so a truncated or corrupted
entry is ignored and rewritten; a database file that is not one any more is
moved aside and rebuilt.

Size is bounded (``max_bytes``, default 200 MB of entries): after a run that
wrote, the least recently used entries (a hit refreshes its time at most
once a day) are deleted until the total is below 80 % of the bound.

The folder is ``$AUDITOR_CACHE_DIR``, else ``$XDG_CACHE_HOME/auditor``, else
``~/.cache/auditor``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.findings import Finding, fingerprint

CACHE_FORMAT = 1
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
_MAGIC = b"auditor-cache-1 "
_TOUCH_AFTER = 86_400  # refresh an entry's last use (its LRU age) at most once a day
_ROW_OVERHEAD = 160  # bytes a row costs beyond its value (key, index, page slack)
_BUSY_MS = 30_000


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
    job_needs: dict[str, list[str]] | None = None  # a release pipeline's needs edges
    role_reasons: dict[str, dict[str, str]] | None = None  # job → role → why (jobs with a role)

    def to_bytes(self, key: str = "") -> bytes:
        """Checksummed bytes; the checksum covers ``key`` too, so a row that a damaged
        index hands out under another key is rejected, not served."""
        data: dict[str, Any] = {"f": self.findings, "j": self.job_roles, "r": self.reads, "s": self.suppressed}
        if self.job_needs is not None:
            data["n"] = self.job_needs
        if self.role_reasons is not None:
            data["w"] = self.role_reasons
        body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode(
            "utf-8", "surrogatepass"
        )
        return _frame(_MAGIC, key, body)

    @classmethod
    def from_bytes(cls, raw: bytes, key: str = "") -> Entry | None:
        """The entry, or None for anything truncated, corrupted, of another format or key."""
        body = _unframe(_MAGIC, raw, key)
        if body is None:
            return None
        try:
            data = json.loads(body.decode("utf-8", "surrogatepass"))
        except ValueError:
            return None
        if not _entry_shape(data):
            return None  # the right checksum around the wrong shape (another writer): a miss
        return cls(data["f"], data["j"], data["r"], data["s"], data.get("n"), data.get("w"))


def _entry_shape(data: Any) -> bool:
    """Whether ``data`` has the shape ``to_bytes`` writes (each finding record's own fields
    are checked by ``lookup``: a line that is a string would break sorting much later).

    Plain loops over exact types (``json.loads`` makes no subclasses): every lookup of a
    warm scan runs this, and nested ``all(...)`` generators cost twice as much."""
    if type(data) is not dict or not data.keys() >= _ENTRY_KEYS:
        return False
    if type(data["s"]) is not int:
        return False
    reads = data["r"]
    if type(reads) is not dict:
        return False
    for name, digest in reads.items():
        if type(name) is not str or (digest is not None and type(digest) is not str):
            return False
    for graph in (data["j"], data.get("n")):
        if graph is None:
            continue
        if type(graph) is not dict:
            return False
        for job, names in graph.items():
            if type(job) is not str or type(names) is not list:
                return False
            for item in names:
                if type(item) is not str:
                    return False
    why = data.get("w")
    if why is not None:
        if type(why) is not dict:
            return False
        for job, roles in why.items():
            if type(job) is not str or type(roles) is not dict:
                return False
            for role, reason in roles.items():
                if type(role) is not str or type(reason) is not str:
                    return False
    findings = data["f"]
    return type(findings) is list and all(type(row) is dict for row in findings)


_ENTRY_KEYS = frozenset({"f", "j", "r", "s"})


_TEXT_FIELDS = ("rule", "severity", "message", "path")
_NUMBER_FIELDS = ("line", "column", "end_line", "end_column")


def record_shape(row: Any) -> bool:
    """Whether ``row`` is a finding record as ``Finding.to_record`` writes it (``lookup``
    checks it before a finding is made of it)."""
    if not isinstance(row, dict):
        return False
    if not all(isinstance(row.get(k), str) for k in _TEXT_FIELDS):
        return False
    if not all(isinstance(row.get(k), int) and not isinstance(row.get(k), bool) for k in _NUMBER_FIELDS):
        return False
    for key in ("job", "repo", "fingerprint", "subject"):
        if row.get(key) is not None and not isinstance(row[key], str):
            return False
    step = row.get("step")
    if step is None:
        return True
    return (
        isinstance(step, dict) and isinstance(step.get("index"), int)
        and all(step.get(k) is None or isinstance(step[k], str) for k in ("id", "name"))
    )  # fmt: skip


_BLOB_MAGIC = b"auditor-blob-1 "


def _frame(magic: bytes, key: str, body: bytes) -> bytes:
    return magic + _checksum(key, body) + b"\n" + body


def _unframe(magic: bytes, raw: bytes, key: str) -> bytes | None:
    """The body framed under ``magic`` and ``key``, or None (damaged, another key or kind)."""
    if not raw.startswith(magic):
        return None
    head, sep, body = raw[len(magic) :].partition(b"\n")
    if not sep or _checksum(key, body) != head:
        return None
    return body


def _checksum(key: str, body: bytes) -> bytes:
    h = hashlib.sha256(key.encode("ascii", "replace"))
    h.update(b"\0")
    h.update(body)
    return h.hexdigest().encode()


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    writes: int = 0
    bytes_written: int = 0
    rejected: int = 0  # corrupted/truncated entries, or stale dependencies
    evicted: int = 0


_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS entries ("
    " key TEXT PRIMARY KEY, value BLOB NOT NULL, size INTEGER NOT NULL, used INTEGER NOT NULL)"
)


@dataclass
class ResultCache:
    """The store. Every failure degrades to a miss (reads) or to not storing (writes)."""

    directory: Path = field(default_factory=default_cache_dir)
    max_bytes: int = DEFAULT_MAX_BYTES
    stats: CacheStats = field(default_factory=CacheStats)

    def __post_init__(self) -> None:
        self.directory = Path(self.directory)
        self.path = self.directory / f"results-v{CACHE_FORMAT}.sqlite"
        self._db: sqlite3.Connection | None = None
        self._pid = 0
        self._wal = False  # whether reads may share one transaction (see _raw)
        self._broken = False
        self.pending: dict[str, bytes] = {}  # written by flush(); workers hand theirs over
        self._touch: set[str] = set()
        self._owner = os.getpid()
        self._at_exit = False

    # -- the connection ------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection | None:
        if self._broken:
            return None
        if self._db is not None and self._pid == _pid:
            return self._db
        self._db = None  # a forked worker never uses its parent's connection
        for attempt in (1, 2):
            db = None
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self.path, timeout=_BUSY_MS / 1000, isolation_level=None)
                db.execute(f"PRAGMA busy_timeout={_BUSY_MS}")
                db.execute("PRAGMA auto_vacuum=INCREMENTAL")  # only takes on a new file
                mode = None
                with contextlib.suppress(sqlite3.OperationalError):
                    mode = db.execute("PRAGMA journal_mode=WAL").fetchone()  # not on every file system
                db.execute("PRAGMA synchronous=OFF")  # a cache: a torn write is a miss, never an fsync wait
                db.execute(_SCHEMA)
            except sqlite3.DatabaseError as exc:
                if db is not None:
                    # Closed before the files move: closing later would delete the
                    # "-wal" file by name, which by then is the new database's.
                    db.close()
                if attempt == 1 and _is_corrupt(exc):
                    self._set_aside()
                    continue
                self._broken = True
                return None
            except OSError:
                self._broken = True
                return None
            self._db, self._pid = db, _pid
            self._wal = mode is not None and str(mode[0]).lower() == "wal"
            return db
        return None  # pragma: no cover - the loop returns

    def _set_aside(self) -> None:
        """Move a file that is not a database any more out of the way (it is rebuilt)."""
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                os.replace(f"{self.path}{suffix}", f"{self.path}{suffix}.corrupt")

    def _failed(self, exc: sqlite3.DatabaseError) -> None:
        """A query failed: a damaged file is set aside (the next use rebuilds it)."""
        if _is_corrupt(exc):
            self.close()
            self._set_aside()

    def close(self) -> None:
        if self._db is not None and self._pid == _pid:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
        self._db = None

    # -- entries ---------------------------------------------------------------------

    def _raw(self, key: str) -> bytes | None:
        """The stored bytes under ``key`` (pending first); notes the use for the LRU bound."""
        raw = self.pending.get(key)
        if raw is not None:
            return raw
        db = self._connect()
        if db is None:
            return None
        try:
            if self._wal and not db.in_transaction:
                # One read transaction for the lookups of a scan, ended by the next write
                # (``_end_reads``) or by ``close``: a lookup outside one takes and drops
                # the shared locks each time (3× the time, measured on a warm scan of
                # the corpus). Only under WAL, where readers never hold a writer back.
                db.execute("BEGIN")
            row = db.execute("SELECT value, used FROM entries WHERE key = ?", (key,)).fetchone()
        except sqlite3.DatabaseError as exc:
            self._failed(exc)
            return None
        if row is None:
            return None
        if time.time() - row[1] > _TOUCH_AFTER:
            self._touch.add(key)
        return bytes(row[0])

    def get(self, key: str) -> Entry | None:
        raw = self._raw(key)
        if raw is None:
            return None
        entry = Entry.from_bytes(raw, key)
        if entry is None:
            self.stats.rejected += 1
            self._touch.discard(key)
        return entry

    def get_blob(self, key: str) -> bytes | None:
        """An opaque value stored with ``put_blob``; None when absent or damaged."""
        raw = self._raw(key)
        if raw is None:
            return None
        body = _unframe(_BLOB_MAGIC, raw, key)
        if body is None:
            self.stats.rejected += 1
            self._touch.discard(key)
        return body

    def put(self, key: str, entry: Entry) -> None:
        self._put_raw(key, entry.to_bytes(key))

    def put_blob(self, key: str, body: bytes) -> None:
        self._put_raw(key, _frame(_BLOB_MAGIC, key, body))

    def _put_raw(self, key: str, data: bytes) -> None:
        self.pending[key] = data
        if not self._at_exit:
            # Entries put after a scan's flush (callers memoising their own data)
            # are written when the process ends, not lost.
            import atexit

            atexit.register(self._flush_at_exit)
            self._at_exit = True
        self.stats.writes += 1
        self.stats.bytes_written += len(data)

    def _flush_at_exit(self) -> None:
        if os.getpid() == self._owner:  # never from a forked worker
            self.flush()

    def take_pending(self) -> dict[str, bytes]:
        """Hand the unwritten entries over (a worker to its parent)."""
        out, self.pending = self.pending, {}
        return out

    def flush(self) -> None:
        """Write the pending entries and refreshed use times in one transaction, then bound
        the size. A locked or broken database just means they are not stored."""
        if not self.pending and not self._touch:
            self.close()
            return
        db = self._connect()
        now = int(time.time())
        rows = [(k, v, len(v) + _ROW_OVERHEAD, now) for k, v in self.pending.items()]
        touched = [(now, k) for k in self._touch - self.pending.keys()]
        self.pending, self._touch = {}, set()
        for attempt in (1, 2):
            if db is None:
                return
            try:
                _end_reads(db)
                db.execute("BEGIN IMMEDIATE")
                try:
                    db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?)", rows)
                    db.executemany("UPDATE entries SET used = ? WHERE key = ?", touched)
                except BaseException:
                    with contextlib.suppress(sqlite3.Error):
                        db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
                break
            except sqlite3.DatabaseError as exc:
                if attempt == 2 or not _is_corrupt(exc):
                    return
                self._failed(exc)
                db = self._connect()
        if rows:
            self.prune()
        # Closed at the end of every scan: a connection left open until garbage
        # collection would, on closing, delete its "-wal" file by name, and that
        # may by then belong to a database rebuilt under the same name.
        self.close()

    # -- size bound --------------------------------------------------------------------

    def size(self) -> int:
        db = self._connect()
        if db is None:
            return 0
        try:
            total = db.execute("SELECT coalesce(sum(size), 0) FROM entries").fetchone()[0]
        except sqlite3.DatabaseError:
            return 0
        return int(total)

    def prune(self) -> int:
        """Delete least recently used entries while the total exceeds ``max_bytes``.

        Returns how many were removed.
        """
        db = self._connect()
        total = self.size()
        if db is None or total <= self.max_bytes:
            return 0
        target = int(self.max_bytes * 0.8)
        doomed: list[tuple[str]] = []
        try:
            for key, size in db.execute("SELECT key, size FROM entries ORDER BY used, key"):
                if total <= target:
                    break
                doomed.append((key,))
                total -= size
            _end_reads(db)
            db.execute("BEGIN IMMEDIATE")
            db.executemany("DELETE FROM entries WHERE key = ?", doomed)
            db.execute("COMMIT")
            with contextlib.suppress(sqlite3.DatabaseError):
                db.execute("PRAGMA incremental_vacuum")
        except sqlite3.DatabaseError:
            return 0
        self.stats.evicted += len(doomed)
        return len(doomed)

    # -- for tests and tools ---------------------------------------------------------------

    def raw_items(self) -> list[tuple[str, bytes]]:
        db = self._connect()
        if db is None:
            return []
        return [(k, bytes(v)) for k, v in db.execute("SELECT key, value FROM entries ORDER BY key")]

    def set_raw(self, key: str, value: bytes, used: int | None = None) -> None:
        """Store bytes as they are (tests damage entries with it)."""
        db = self._connect()
        assert db is not None
        _end_reads(db)
        db.execute(
            "INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?)",
            (key, value, len(value) + _ROW_OVERHEAD, int(time.time()) if used is None else used),
        )


def _end_reads(db: sqlite3.Connection) -> None:
    """End the read transaction ``_raw`` keeps open, so that a write is its own (and is
    committed, not left inside a read transaction until the connection closes)."""
    if db.in_transaction:
        db.execute("COMMIT")


_pid = os.getpid()


def _forked() -> None:
    global _pid
    _pid = os.getpid()


# The process id, kept current across fork: asking the kernel for it on every lookup
# was a system call per file; a forked worker must still never use its parent's
# connection.
os.register_at_fork(after_in_child=_forked)


def _is_corrupt(exc: sqlite3.DatabaseError) -> bool:
    text = str(exc).lower()
    return "not a database" in text or "malformed" in text or "corrupt" in text


# --- keys ---------------------------------------------------------------------------


def code_fingerprint(modules: Iterable[str]) -> list[tuple[str, int, int]]:
    """(file, size, mtime_ns) of every module that computes findings."""
    files: set[str] = set()
    package = sys.modules["auditor"].__file__
    if package:
        # every module of the package, subpackages included (auditor/roles/catalogue,
        # auditor/scripts/shell decide findings too)
        for folder, dirs, names in os.walk(os.path.dirname(package)):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            files.update(os.path.join(folder, name) for name in names if name.endswith(".py"))
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


def file_key(engine_hash: str, path: str, kind: str, data: bytes, forge_dirs: Any) -> str:
    h = hashlib.sha256()
    h.update(engine_hash.encode())
    h.update(b"\0")
    where = f"{kind}\0{path}\0{json.dumps(forge_dirs, sort_keys=True)}\0"
    h.update(where.encode("utf-8", "surrogatepass"))
    h.update(hashlib.sha256(data).digest())
    return h.hexdigest()


# --- entries and findings -----------------------------------------------------------


def to_entry(
    findings: list[Finding], job_roles: dict[str, list[str]] | None,
    reads: dict[str, str | None], suppressed: int, job_needs: dict[str, list[str]] | None = None,
    role_reasons: dict[str, dict[str, str]] | None = None,
) -> Entry:  # fmt: skip
    rows = [f.to_record() for f in findings]
    return Entry(rows, job_roles, dict(reads), suppressed, job_needs, role_reasons)


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
