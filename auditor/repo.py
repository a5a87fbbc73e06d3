"""Sources and discovery: which files of a repository are workflows, and reading them.

A ``RepoSource`` hides where bytes come from (a working tree here; a git
object store for ``--new-since`` and bare mirrors), so everything downstream
reads files the same way. ``RepoContext`` is what rules see of the rest of the
repository: other files (scripts a step runs, local reusable workflows and
actions), each read once and parsed once.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, TypeVar

from auditor import budget
from auditor.sources import RepoSource as RepoSource  # re-exported: sources are read through it

T = TypeVar("T")

if TYPE_CHECKING:
    from auditor.model import Workflow
    from auditor.parse import Parsed
    from auditor.policy import Policy
    from auditor.problem import Problem

WORKFLOW_DIRS = (".github/workflows", ".gitea/workflows", ".forgejo/workflows")
# GitHub runs only the top level of its folder; Gitea (and Forgejo, its fork)
# also run workflows in subfolders of theirs.
RECURSIVE_DIRS = frozenset({".gitea/workflows", ".forgejo/workflows"})
ACTION_NAMES = ("action.yml", "action.yaml")
SKIP_DIRS = frozenset({".git", "node_modules", ".venv", "venv", "__pycache__", ".tox"})
YAML_SUFFIXES = (".yml", ".yaml")
MAX_WALK_ENTRIES = 200_000

# A reusable workflow in another repository: ``owner/repo/path.yml@ref`` (GitHub,
# Gitea, Forgejo), optionally as a full URL (Gitea/Forgejo accept that too).
REMOTE_WORKFLOW = re.compile(
    r"^(?:https?://[^/\s]+/)?(?P<owner>[^/\s.][^/\s]*)/(?P<repo>[^/\s]+)/"
    r"(?P<path>[^@\s]+\.ya?ml)@(?P<ref>[^\s]+)$"
)

# Resolves a cross-repository reusable-workflow reference to the callee's bytes
# (None when its repository is not available). Org scans provide one; a source
# may carry it as a ``remote_resolver`` attribute so every RepoContext built on
# that source (by the engine, a cache, a worker process) picks it up.
RemoteResolver = Callable[[str], "bytes | None"]


class UnreadableFile(OSError):
    """A file that exists but cannot be read (permission, loop, outside the repo)."""


class MissingContent(FileNotFoundError):
    """A file the source lists but whose bytes it does not hold (an object a partial clone
    lacks): part of the repository that cannot be checked, a ``scan-incomplete`` finding."""


def _no_nul(rel: str) -> None:
    """A path from a workflow (``run: ./x\\0y.sh``) may hold a NUL byte, which no file
    name can: the OS would raise ValueError, which is no "unreadable file" to callers."""
    if "\0" in rel:
        raise UnreadableFile(f"{rel!r} contains a NUL byte; no file can have that name")


def _read_to_end(fd: int, size: int) -> bytes:
    """Every byte of an open regular file of ``size`` bytes (as ``stat`` said), also when
    it grew or shrank since: read until the end, as ``FileIO.readall`` does."""
    chunks: list[bytes] = []
    want = size + 1
    while True:
        chunk = os.read(fd, want)
        if not chunk:
            return b"".join(chunks)  # one chunk (the usual case) is returned as it is, not copied
        chunks.append(chunk)
        want = max(want, 65536)


@dataclass
class DirectorySource:
    """A working tree on disk; never follows a symlink out of the tree."""

    root: Path
    name: str = ""
    _links: dict[str, bool] = field(default_factory=dict, repr=False)
    # Every folder listed or asked about (discovery's, above all): an org snapshot
    # stats them, since a folder's mtime changes when an entry is added or removed.
    looked: set[str] = field(default_factory=set, repr=False)

    def __post_init__(self) -> None:
        self.root = self.root.resolve()
        self._root_s = str(self.root)
        # "" is the root itself: resolved above, and os.path.islink("<root>/") is
        # false whatever the root is, so _through_link need not lstat it.
        self._links.setdefault("", False)
        if not self.name:
            self.name = self.root.name

    def _path(self, rel: str) -> Path:
        """The on-disk path of ``rel``; refuses symlinks that leave the tree.

        Resolving every path costs a system call per component, so only paths
        that pass through a symlink (checked once per directory) are resolved.
        """
        _no_nul(rel)
        path = self.root / rel
        if not self._through_link(rel):
            return path
        try:
            real = path.resolve(strict=False)
        except (OSError, RuntimeError) as exc:  # symlink loops
            raise UnreadableFile(f"cannot resolve {rel}: {exc}") from None
        if real != self.root and self.root not in real.parents:
            raise UnreadableFile(f"{rel} points outside the repository; not followed")
        return path

    def _through_link(self, rel: str) -> bool:
        prefix = ""
        for part in rel.split("/"):
            prefix = f"{prefix}/{part}" if prefix else part
            cached = self._links.get(prefix)
            if cached is None:
                cached = os.path.islink(f"{self._root_s}/{prefix}")
                self._links[prefix] = cached
            if cached:
                return True
        return False

    def _fspath(self, rel: str) -> str:
        """``_path`` as a string, without pathlib on the common (no symlink) path: a
        scan calls this several times per file."""
        _no_nul(rel)
        if self._through_link(rel):
            return str(self._path(rel))
        return f"{self._root_s}/{rel}" if rel else self._root_s

    def read(self, path: str) -> bytes:
        # O_NONBLOCK: opening a FIFO must not wait for a writer (a hang); then only
        # regular files are read (no FIFOs, devices or sockets planted in a repo).
        # os.read on the descriptor, not a file object: a file object costs five more
        # system calls per file (fstat twice, ioctl, lseek twice), and a scan reads
        # every workflow.
        with budget.critical():  # no descriptor left open by a budget alarm in between
            fd = os.open(self._fspath(path), os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
            try:
                info = os.fstat(fd)
                if not stat.S_ISREG(info.st_mode):
                    raise UnreadableFile(f"{path} is not a regular file; not read")
                return _read_to_end(fd, info.st_size)
            finally:
                os.close(fd)

    def size(self, path: str) -> int | None:
        try:
            return os.stat(self._fspath(path)).st_size
        except (OSError, RuntimeError):
            return None

    def is_dir(self, path: str) -> bool:
        self.looked.add(path)
        try:
            return os.path.isdir(self._fspath(path))
        except (OSError, RuntimeError):
            return False

    def is_file(self, path: str) -> bool:
        try:
            return os.path.isfile(self._fspath(path))
        except (OSError, RuntimeError):
            return False

    def list_dir(self, path: str) -> list[tuple[str, bool]]:
        """(name, is_dir) entries, sorted; symlinked dirs are not descended ([] when the
        folder cannot be listed: ``list_dir_checked`` says why)."""
        return self.list_dir_checked(path)[0]

    def list_dir_checked(self, path: str) -> tuple[list[tuple[str, bool]], str | None]:
        """(entries, None), or ([], why) when ``path`` exists but cannot be listed.

        Also notes whether each entry is a symlink in ``_links`` (what
        ``_through_link`` would otherwise lstat for it): the directory entry's
        type comes with ``scandir``, so listing and then reading or descending a
        tree costs no system call per entry for the symlink check.
        """
        self.looked.add(path)
        try:
            target = self._path(path)
            entries = []
            links = self._links
            with os.scandir(target) as it:
                for entry in it:
                    try:
                        is_dir = entry.is_dir(follow_symlinks=False)
                    except OSError:
                        is_dir = False
                    entries.append((entry.name, is_dir))
                    key = f"{path}/{entry.name}" if path else entry.name
                    try:
                        # The entry os.path.islink(root/key) would lstat. A link
                        # once seen stays one (checked on every read).
                        if entry.is_symlink():
                            links[key] = True
                        else:
                            links.setdefault(key, False)
                    except OSError:
                        pass  # unknown: _through_link checks it itself
            return sorted(entries), None
        except (FileNotFoundError, NotADirectoryError):
            return [], None
        except UnreadableFile as exc:
            return [], str(exc)
        except OSError as exc:
            return [], exc.strerror or type(exc).__name__
        except RuntimeError as exc:
            return [], str(exc)

    def dir_error(self, path: str) -> str | None:
        """Why ``path`` cannot even be looked at (a parent folder unreadable, say); None when
        it can, or when it does not exist."""
        try:
            os.stat(self._fspath(path))
        except (FileNotFoundError, NotADirectoryError):
            return None
        except UnreadableFile as exc:
            return str(exc)
        except OSError as exc:
            return exc.strerror or type(exc).__name__
        return None

    def walk_actions(self) -> list[str]:
        """Every ``action.yml|yaml`` outside .git and node_modules (bounded walk)."""
        found: list[str] = []
        stack = [""]
        seen = 0
        while stack:
            rel = stack.pop()
            for name, is_dir in self.list_dir(rel):
                seen += 1
                if seen > MAX_WALK_ENTRIES:
                    return sorted(found)
                child = f"{rel}/{name}" if rel else name
                if is_dir:
                    if name not in SKIP_DIRS:
                        stack.append(child)
                elif name in ACTION_NAMES:
                    found.append(child)
        return sorted(found)


FOLDER_KIND = "folder"  # a (path, kind) entry for a workflow folder that was not fully read


@dataclass(frozen=True)
class Discovered:
    """The files to scan in a repository, what each forge would run, and the workflow
    folders that could not be read to the end (each becomes a ``scan-incomplete`` finding)."""

    workflows: tuple[str, ...]
    actions: tuple[str, ...]
    forge_dirs: dict[str, str | None]
    folders: tuple[str, ...] = ()

    def files(self) -> list[tuple[str, str]]:
        """(path, kind) of every file to scan: workflows, local actions, unread folders."""
        return (
            [(p, "workflow") for p in self.workflows] + [(p, "action") for p in self.actions]
            + [(p, FOLDER_KIND) for p in self.folders]
        )  # fmt: skip


def _listing(source: RepoSource, folder: str) -> tuple[list[tuple[str, bool]], str | None]:
    checked = getattr(source, "list_dir_checked", None)
    if checked is not None:
        return checked(folder)  # type: ignore[no-any-return]
    return source.list_dir(folder), None


def workflow_files(source: RepoSource, folder: str, recursive: bool, unread: list[str]) -> list[str]:
    """Workflow files under ``folder`` (its subfolders too when ``recursive``: Gitea and
    Forgejo read them, to any depth). Iterative, so a folder nested thousands deep is
    walked like a flat one; a subfolder that cannot be listed, or the folder itself
    when the walk passes ``MAX_WALK_ENTRIES``, goes to ``unread``."""
    found: list[str] = []
    stack = [folder]
    seen = 0
    while stack:
        current = stack.pop()
        entries, error = _listing(source, current)
        if error is not None:
            unread.append(current)
            continue
        for name, is_dir in entries:
            seen += 1
            if seen > MAX_WALK_ENTRIES:
                unread.append(folder)
                return found
            child = f"{current}/{name}"
            if is_dir:
                if recursive:
                    stack.append(child)
            elif name.endswith(YAML_SUFFIXES):
                found.append(child)
    return found


def folder_reason(source: RepoSource, path: str) -> str:
    """Why discovery left the workflow folder ``path`` unread (the message of its finding)."""
    _, error = _listing(source, path)
    dir_error = getattr(source, "dir_error", None)
    if error is None and dir_error is not None:
        error = dir_error(path)
    if error is not None:
        return (
            f"cannot read this workflow folder ({error}), so the workflows in it were not "
            "checked; the forge may still run them — make it readable to the scan"
        )
    return (
        f"this workflow folder holds more than {MAX_WALK_ENTRIES:,} entries, so discovery "
        "stopped and part of it was not checked"
    )


def discover(source: RepoSource) -> Discovered:
    """Workflows under each forge folder, local actions, each forge's folder, and the
    workflow folders that could not be read."""
    workflows: list[str] = []
    unread: list[str] = []
    present = {d: source.is_dir(d) for d in WORKFLOW_DIRS}
    dir_error = getattr(source, "dir_error", None)
    for folder in WORKFLOW_DIRS:
        if present[folder]:
            workflows.extend(workflow_files(source, folder, folder in RECURSIVE_DIRS, unread))
        elif dir_error is not None and dir_error(folder) is not None:
            unread.append(folder)  # it may exist, behind a folder that cannot be read
    gitea = ".gitea/workflows" if present[".gitea/workflows"] else ".github/workflows"
    forgejo = ".forgejo/workflows" if present[".forgejo/workflows"] else ".github/workflows"
    forge_dirs: dict[str, str | None] = {
        "github": ".github/workflows" if present[".github/workflows"] else None,
        "gitea": gitea if present[gitea] else None,
        "forgejo": forgejo if present[forgejo] else None,
    }
    actions = [a for a in source.walk_actions() if not a.startswith(WORKFLOW_DIRS)]
    return Discovered(tuple(sorted(set(workflows))), tuple(actions), forge_dirs,
                      tuple(sorted(set(unread))))  # fmt: skip


def normalise(path: str, base: str = "") -> str | None:
    """Repository-relative POSIX path of ``path`` (relative to ``base``); None if it escapes."""
    joined = PurePosixPath(base) / path if base else PurePosixPath(path)
    parts: list[str] = []
    for part in joined.parts:
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
            continue
        if part == "/":
            return None
        parts.append(part)
    return "/".join(parts)


@dataclass
class RepoContext:
    """What rules may see of the repository beyond the file being checked.

    Reads are recorded (``reads``) so a result cache can key a file's findings
    on every other file they depended on.
    """

    source: RepoSource
    policy: Policy
    name: str | None = None
    workflows: dict[str, Workflow] = field(default_factory=dict)
    # path -> (bytes, parse, model problems) of a workflow first built as a callee
    built: dict[str, tuple[bytes, Parsed, tuple[Problem, ...]]] = field(default_factory=dict, repr=False)
    reads: dict[str, str | None] = field(default_factory=dict)
    job_roles: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    # {workflow: {job: direct needs}} of release pipelines (a job has a role): what
    # org reports draw, recorded while the graph is at hand so nothing is re-parsed.
    job_needs: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    # {workflow: {job: {role: why}}} for every job with a role (Facts.pipeline().reasons)
    role_reasons: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    remote_resolver: RemoteResolver | None = None
    _bytes: dict[str, bytes | None] = field(default_factory=dict)
    # While a file is analysed, every read (first or repeated) is also noted
    # here: the result cache keys that one file's findings on exactly these.
    _tracker: dict[str, str | None] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.remote_resolver is None:
            self.remote_resolver = getattr(self.source, "remote_resolver", None)

    def read(self, path: str) -> bytes | None:
        """Bytes of a repository file, or None when absent/unreadable/too large."""
        if path in self._bytes:
            if self._tracker is not None:
                self._tracker[path] = self.reads.get(path)
            return self._bytes[path]
        data: bytes | None
        try:
            size = self.source.size(path)
            too_big = size is None or size > self.policy.max_file_bytes
            data = None if too_big else self.source.read(path)
        except (OSError, RuntimeError):
            data = None
        self._bytes[path] = data
        self._note(path, hashlib.sha256(data).hexdigest() if data is not None else None)
        return data

    def _note(self, key: str, digest: str | None) -> None:
        self.reads[key] = digest
        if self._tracker is not None:
            self._tracker[key] = digest

    def held(self, path: str) -> bytes | None:
        """The bytes of ``path`` this context already holds (read or remembered in this
        scan), or None; never reads. A file the cache lookup read is not read again."""
        return self._bytes.get(path)

    def remember(self, path: str, data: bytes) -> None:
        """Bytes of ``path`` the caller already read (the file being analysed)."""
        if path not in self._bytes:
            self._bytes[path] = data
            self.reads[path] = hashlib.sha256(data).hexdigest()

    def track(self) -> dict[str, str | None]:
        """Start noting every read anew (one analysed file's dependencies); returns the log."""
        self._tracker = {}
        return self._tracker

    def untrack(self) -> None:
        self._tracker = None

    def reads_during(self, work: Callable[[], T]) -> tuple[T, dict[str, str | None]]:
        """(what ``work`` returns, every read it made). The reads still count for the file
        being analysed; ``replay`` notes them again for a later file that reuses the result
        instead of doing the work (the result cache must key that file on them too)."""
        outer = self._tracker
        self._tracker = {}
        try:
            result = work()
            seen = self._tracker
        finally:
            inner, self._tracker = self._tracker, outer
            if outer is not None and inner is not None:
                outer.update(inner)
        return result, seen

    def replay(self, reads: Mapping[str, str | None]) -> None:
        if self._tracker is not None:
            self._tracker.update(reads)

    def exists(self, path: str) -> bool:
        return self.read(path) is not None

    def workflow(self, path: str) -> Workflow | None:
        """A parsed workflow of this repository by path (parsed at most once)."""
        if path in self.workflows:
            if self._tracker is not None:
                self.read(path)  # a dependency even when already parsed
            return self.workflows[path]
        from auditor.build import build_workflow
        from auditor.parse import parse_bytes

        data = self.read(path)
        workflow = None
        if data is not None:
            parsed = parse_bytes(data, path)
            if parsed.root is not None:
                problems: list[Problem] = []
                workflow = build_workflow(path, parsed.root, problems)
                # the scan of this file itself reuses the parse, the model and its problems
                self.built[path] = (data, parsed, tuple(problems))
        if workflow is not None:
            self.workflows[path] = workflow
        return workflow

    def built_for(self, path: str, data: bytes) -> tuple[Parsed, Workflow, tuple[Problem, ...]] | None:
        """(parse, model, the model's problems) of the workflow at ``path`` made when another
        workflow called it, if made from these very bytes; None otherwise."""
        known = self.built.pop(path, None)
        model = self.workflows.get(path)
        if known is None or model is None or known[0] != data:
            return None
        return known[1], model, known[2]

    def resolve_local_uses(self, uses: str) -> Workflow | None:
        """``./.github/workflows/x.yml`` (a reusable workflow) → its model.

        ``owner/repo/path.yml@ref`` goes to ``resolve_remote_uses``.
        """
        if not uses.startswith("./") and REMOTE_WORKFLOW.match(uses):
            return self.resolve_remote_uses(uses)
        path = normalise(uses)
        if path is None or not path.endswith(YAML_SUFFIXES):
            return None
        return self.workflow(path)

    def resolve_remote_uses(self, uses: str) -> Workflow | None:
        """A reusable workflow of another repository, via ``remote_resolver``.

        The read is recorded in ``reads`` under ``remote:<uses>`` so a result
        cache keys the caller's findings on the callee's bytes too.
        """
        key = f"remote:{uses}"
        if key in self.workflows:
            if self._tracker is not None:
                self._tracker[key] = self.reads.get(key)
            return self.workflows[key]
        if self.remote_resolver is None:
            return None
        try:
            data = self.remote_resolver(uses)
        except (OSError, RuntimeError):
            data = None
        self._note(key, hashlib.sha256(data).hexdigest() if data is not None else None)
        if data is None or len(data) > self.policy.max_file_bytes:
            return None
        from auditor.build import build_workflow
        from auditor.parse import parse_bytes

        parsed = parse_bytes(data, uses)
        if parsed.root is None:
            return None
        workflow = build_workflow(uses, parsed.root, [])
        if workflow is not None:
            self.workflows[key] = workflow
        return workflow
