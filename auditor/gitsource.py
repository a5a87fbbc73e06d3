"""A repository as it was at a git revision, read straight from the object store.

``GitSource`` implements the ``RepoSource`` protocol of ``auditor.repo`` over
one commit: ``git ls-tree -r -l -z`` once for the listing (paths, modes, blob
ids and sizes) and one long-lived ``git cat-file --batch`` process for the
contents. Nothing is checked out and the working tree and index are never
touched, so it serves ``--new-since REV`` in a developer's checkout, bare
mirrors (``*.git``) in org scans, and shallow CI clones where REV was fetched.

Symbolic links stored in the tree are followed when they stay inside the
repository (like ``DirectorySource``); submodules are neither files nor
folders here.
"""

from __future__ import annotations

import os
import subprocess
import threading
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from auditor import budget
from auditor.repo import ACTION_NAMES, SKIP_DIRS, MissingContent, UnreadableFile, normalise

# Variables a git hook or a caller's shell may set that would redirect our
# commands to another repository than the one we were given.
_GIT_ENV_DROP = (
    "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_NAMESPACE",
    "GIT_PREFIX", "GIT_CEILING_DIRECTORIES",
)  # fmt: skip
_MAX_LINK_HOPS = 16


class GitError(Exception):
    """A git repository or revision that cannot be read (one-line, user-facing reason)."""


class MissingObject(MissingContent):
    """A file listed at the revision whose object a partial clone does not hold. auditor
    never fetches while it scans, so this is a finding (or, for its own mirrors, a fetch
    between scans: ``auditor.org``), never a lazy fetch."""


def git_env() -> dict[str, str]:
    """The caller's environment without what would redirect git to another repository, and
    prompts off: for git commands that may use the network (``auditor org`` mirroring)."""
    env = {k: v for k, v in os.environ.items() if k not in _GIT_ENV_DROP}
    env["GIT_TERMINAL_PROMPT"] = "0"
    env.setdefault("LC_ALL", "C")
    return env


# Reading a repository must not make git run a program or touch the network on the
# repository's behalf. A repository's own config can name programs (core.fsmonitor,
# core.sshCommand, remote.*.uploadpack, credential helpers, diff drivers, hooks), and in
# a partial clone any read of a missing object starts a lazy `git fetch` that runs them
# (measured with git 2.39: `cat-file --batch` of a missing blob runs
# `remote.origin.uploadpack`). `GIT_NO_LAZY_FETCH=1` turns lazy fetching off (git 2.45.1,
# and the 2.39.4+ maintenance releases that carry the CVE-2024-32004 fixes; measured here
# with 2.39.5: no fetch, and cat-file ends on the missing object); for older git, allowing
# no transport at all (`GIT_ALLOW_PROTOCOL` naming none, which wins over any `protocol.*`
# config) makes the fetch fail before it starts one (measured: "transport 'file' not
# allowed"), so neither upload-pack nor ssh ever runs. The `-c` settings win over the repository's
# config (and anything it includes) for the programs a reading command could still start.
_NO_PROTOCOL = "auditor-allows-none"
SCAN_CONFIG = (
    "-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null",
    "-c", "core.sshCommand=", "-c", "core.askPass=", "-c", "credential.helper=",
    "-c", "core.alternateRefsCommand=", "-c", "diff.external=", "-c", "protocol.allow=never",
)  # fmt: skip


def scan_env() -> dict[str, str]:
    """``git_env`` for reading only: no lazy fetch, no transport, no replace refs, no
    optional locks (nothing written), no askpass program."""
    env = git_env()
    for name in ("GIT_ASKPASS", "SSH_ASKPASS", "GIT_SSH", "GIT_SSH_COMMAND", "GIT_PROXY_COMMAND",
                 "GIT_EXTERNAL_DIFF"):  # fmt: skip
        env.pop(name, None)
    env.update({
        "GIT_NO_LAZY_FETCH": "1", "GIT_ALLOW_PROTOCOL": _NO_PROTOCOL,
        "GIT_PROTOCOL_FROM_USER": "0", "GIT_NO_REPLACE_OBJECTS": "1", "GIT_OPTIONAL_LOCKS": "0",
    })  # fmt: skip
    return env


def scan_git(*args: str) -> list[str]:
    """The argv of a reading git command: ``git`` with ``SCAN_CONFIG``, then ``args``."""
    return ["git", *SCAN_CONFIG, *args]


def git_command(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    """A reading git command (``scan_git``'s argv, ``scan_env``) as given: ``--git-dir``
    and the rest are the caller's; its status is the caller's to test. GitError when git
    itself is missing."""
    try:
        return subprocess.run(
            scan_git(*args), cwd=cwd, capture_output=True, env=scan_env(),
            stdin=subprocess.DEVNULL, check=False,
        )  # fmt: skip
    except FileNotFoundError:
        raise GitError("git is not installed (it is needed to read revisions)") from None


def run_git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    """``git -C repo ARGS`` for reading (``scan_env``, ``SCAN_CONFIG``); GitError when git
    itself is missing."""
    try:
        proc = subprocess.run(
            scan_git("-C", str(repo), *args),
            capture_output=True, env=scan_env(), stdin=subprocess.DEVNULL, check=False,
        )  # fmt: skip
    except FileNotFoundError:
        raise GitError("git is not installed (it is needed to read revisions)") from None
    if check and proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = lines[-1] if lines else "unknown error"
        raise GitError(f"git {args[0]} failed in {repo}: {reason}")
    return proc


def git_dir(repo: Path) -> Path:
    """The git directory of a working tree or a bare repository; GitError if neither."""
    if not repo.is_dir():
        raise GitError(f"{repo}: no such directory")
    proc = run_git(repo, "rev-parse", "--absolute-git-dir", check=False)
    if proc.returncode != 0:
        raise GitError(f"{repo} is not a git repository")
    return Path(os.fsdecode(proc.stdout.strip()))


def repo_prefix(path: Path) -> tuple[Path, str]:
    """(top of the working tree, ``path`` relative to it) for a folder inside a checkout.

    A bare repository has no working tree: it is its own top with an empty prefix.
    """
    git_dir(path)
    proc = run_git(path, "rev-parse", "--is-bare-repository", "--show-prefix", check=False)
    lines = proc.stdout.decode("utf-8", "surrogateescape").splitlines()
    if lines and lines[0] == "true":
        return path, ""
    top = run_git(path, "rev-parse", "--show-toplevel")
    prefix = lines[1] if len(lines) > 1 else ""
    return Path(os.fsdecode(top.stdout.strip())), prefix.strip("/")


def _is_partial(repo: Path) -> bool:
    """A partial clone (e.g. ``--filter=blob:none``): blobs are fetched on demand."""
    proc = run_git(
        repo, "config", "--get-regexp", r"^(extensions\.partialclone|remote\..*\.promisor)$",
        check=False,
    )  # fmt: skip
    return proc.returncode == 0 and any(
        not line.endswith((b" false", b" 0")) for line in proc.stdout.splitlines()
    )


def is_shallow(repo: Path) -> bool:
    proc = run_git(repo, "rev-parse", "--is-shallow-repository", check=False)
    return proc.stdout.strip() == b"true"


@dataclass(frozen=True, slots=True)
class _Entry:
    mode: str
    type: str
    oid: str
    size: int | None


class _CatFileDied(GitError):
    """The ``git cat-file`` process ended while answering a request."""


class _CatFile:
    """One ``git cat-file --batch`` process; requests are serialised by a lock."""

    def __init__(self, git_directory: Path) -> None:
        try:
            self.proc = subprocess.Popen(
                scan_git("--git-dir", str(git_directory), "cat-file", "--batch"),
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                env=scan_env(),
            )  # fmt: skip
        except FileNotFoundError:
            raise GitError("git is not installed (it is needed to read revisions)") from None
        self.lock = threading.Lock()

    def read(self, oid: str) -> bytes | None:
        # critical: a budget alarm between the request and the end of its answer would
        # leave the answer in the pipe for the next request to read as its own
        with self.lock, budget.critical():
            stdin, stdout = self._pipes()
            try:
                stdin.write(oid.encode("ascii") + b"\n")
                stdin.flush()
                header = stdout.readline()
            except (BrokenPipeError, OSError) as exc:
                raise GitError(f"git cat-file stopped unexpectedly: {exc}") from None
            parts = header.split()
            if len(parts) != 3:  # "<oid> missing" (or the process died)
                if not header:
                    # git 2.39 ends cat-file when a lazy fetch it tried was refused
                    # (scan_env allows no transport): the object is not here
                    raise _CatFileDied("git cat-file stopped unexpectedly")
                return None
            size = int(parts[2])
            data = stdout.read(size)
            stdout.read(1)  # the newline after the contents
            if len(data) != size:
                raise GitError("git cat-file returned a truncated object")
            return data

    def _pipes(self) -> tuple[IO[bytes], IO[bytes]]:
        stdin, stdout = self.proc.stdin, self.proc.stdout
        if stdin is None or stdout is None or self.proc.poll() is not None:
            raise GitError("git cat-file is not running")
        return stdin, stdout

    def close(self) -> None:
        _close_process(self.proc)


def _close_process(proc: subprocess.Popen[bytes]) -> None:
    try:
        if proc.stdin is not None:
            proc.stdin.close()
        proc.wait(timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        proc.kill()
        proc.wait()
    finally:
        if proc.stdout is not None:
            proc.stdout.close()


class GitSource:
    """Read-only view of ``repo_path`` at ``rev`` (a working tree or a bare repository).

    ``prefix`` (a folder inside the repository, POSIX) makes that folder the
    root, so a checkout's subfolder scanned from disk can be compared with the
    same subfolder at ``rev``. The revision is resolved once, at construction:
    a missing revision raises ``GitError`` with a hint for shallow clones.
    Use as a context manager, or call ``close()``, to stop the git process
    early; it is also stopped when the object is collected.
    """

    def __init__(
        self, repo_path: Path, rev: str, name: str | None = None, *, prefix: str = ""
    ) -> None:
        self.repo_path = Path(repo_path)
        self.rev = rev
        self.git_dir = git_dir(self.repo_path)
        if name is None:
            base = self.repo_path.resolve().name
            name = base[:-4] if base.endswith(".git") and len(base) > 4 else base
        self.name = name
        self.prefix = normalise(prefix) or ""
        self.commit = self.resolve_rev()
        self._entries: dict[str, _Entry] | None = None
        self._partial = False
        self._absent: set[str] = set()  # objects this clone lacks (set when listing)
        self._dirs: dict[str, dict[str, bool]] = {}
        self._cat: _CatFile | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None

    # -- revision ---------------------------------------------------------------

    def resolve_rev(self) -> str:
        """The full commit id ``rev`` names; GitError saying why when there is none."""
        rev = self.rev
        if not rev or rev.startswith("-"):
            raise GitError(f"invalid revision {rev!r}")
        proc = run_git(self.repo_path, "rev-parse", "--verify", "--quiet", "--end-of-options",
                       f"{rev}^{{commit}}", check=False)  # fmt: skip
        if proc.returncode == 0 and proc.stdout.strip():
            return proc.stdout.decode("ascii").strip()
        hint = ""
        if is_shallow(self.repo_path):
            from auditor.fetch_hint import fetch_hint

            remotes = run_git(self.repo_path, "remote", check=False).stdout.decode(
                "utf-8", "replace").split()  # fmt: skip
            hint = f" (this is a shallow clone: {fetch_hint(rev, remotes)})"
        raise GitError(f"revision {rev!r} is not a commit in {self.repo_path}{hint}")

    # -- listing ----------------------------------------------------------------

    def _listing(self) -> dict[str, _Entry]:
        if self._entries is not None:
            return self._entries
        # In a partial clone (org mirrors are `--filter=blob:none`), `-l` makes git
        # fetch every blob of the tree, one request each, only to print its size
        # (measured: 18 s for 300 files over file://); list without sizes there, and
        # size() reads the one blob asked about (which reading would fetch anyway).
        self._partial = _is_partial(self.repo_path)
        sizes = [] if self._partial else ["-l"]
        if self._partial:
            self._absent = self._list_absent()
        args = ["ls-tree", "-r", *sizes, "-z", "--full-tree", self.commit]
        if self.prefix:
            args += ["--", self.prefix + "/"]
        proc = run_git(self.repo_path, *args)
        entries: dict[str, _Entry] = {}
        dirs: dict[str, dict[str, bool]] = {"": {}}
        cut = len(self.prefix) + 1 if self.prefix else 0
        for record in proc.stdout.split(b"\0"):
            if not record:
                continue
            meta, _, raw_path = record.partition(b"\t")
            fields = meta.split()
            if len(fields) == 3:  # listed without sizes (a partial clone)
                fields.append(b"-")
            if len(fields) != 4:
                continue
            mode, kind, oid, size = (f.decode("ascii") for f in fields)
            path = os.fsdecode(raw_path)[cut:]
            if not path:
                continue
            entries[path] = _Entry(mode, kind, oid, int(size) if size.isdigit() else None)
            parts = path.split("/")
            for depth in range(len(parts)):
                parent = "/".join(parts[:depth])
                is_dir = depth < len(parts) - 1
                if not is_dir and kind != "blob":
                    break  # a submodule: neither a file nor a folder here
                children = dirs.setdefault(parent, {})
                children[parts[depth]] = children.get(parts[depth], False) or is_dir
        self._entries = entries
        self._dirs = dirs
        return entries

    def _resolve(self, path: str) -> _Entry | None:
        """The blob entry of ``path``, following in-repository symlinks."""
        entries = self._listing()
        current = normalise(path)
        for _ in range(_MAX_LINK_HOPS):
            if current is None:
                raise UnreadableFile(f"{path} points outside the repository; not followed")
            entry = entries.get(current)
            if entry is None or entry.type != "blob":
                return None
            if entry.mode != "120000":
                return entry
            target = self._object(entry.oid)
            if target is None:
                return None
            parent = current.rsplit("/", 1)[0] if "/" in current else ""
            link = os.fsdecode(target)
            current = None if link.startswith("/") else normalise(link, parent)
        raise UnreadableFile(f"cannot resolve {path}: too many levels of symbolic links")

    # -- RepoSource -------------------------------------------------------------

    def read(self, path: str) -> bytes:
        entry = self._resolve(path)
        if entry is None:
            raise FileNotFoundError(2, f"not in {self.rev}", path)
        data = self._object(entry.oid)
        if data is None:
            if self._partial:
                raise MissingObject(2, "its object is not in this partial clone, and auditor "
                                    "never fetches while it scans", path)  # fmt: skip
            raise MissingObject(2, f"object missing from {self.rev}", path)
        return data

    def size(self, path: str) -> int | None:
        try:
            entry = self._resolve(path)
        except OSError:
            return None
        if entry is not None and entry.size is None and entry.type == "blob":
            try:
                data = self._object(entry.oid)  # a partial clone: sizes unlisted
            except GitError:
                return None
            return len(data) if data is not None else None
        return entry.size if entry is not None else None

    def is_file(self, path: str) -> bool:
        return self.size(path) is not None

    def is_dir(self, path: str) -> bool:
        self._listing()
        key = normalise(path)
        return key is not None and key in self._dirs

    def list_dir(self, path: str) -> list[tuple[str, bool]]:
        self._listing()
        key = normalise(path)
        if key is None:
            return []
        return sorted(self._dirs.get(key, {}).items())

    def walk_actions(self) -> list[str]:
        found = []
        for path, entry in self._listing().items():
            parts = path.split("/")
            if entry.type == "blob" and parts[-1] in ACTION_NAMES and not SKIP_DIRS & set(parts):
                found.append(path)
        return sorted(found)

    def files(self) -> list[str]:
        """Every file path at the revision (under the prefix), sorted."""
        return sorted(p for p, e in self._listing().items() if e.type == "blob")

    def _object(self, oid: str) -> bytes | None:
        """The bytes of ``oid``; None when this clone does not hold it (it is never fetched).

        In a partial clone the objects the revision lacks are listed once, without
        fetching (``rev-list --missing=print``), and never asked of ``cat-file``."""
        self._listing()
        if oid in self._absent:
            return None
        try:
            return self._cat_file().read(oid)
        except _CatFileDied:
            self.close()  # the next read starts a new process
            self._absent.add(oid)
            return None

    def missing_objects(self, paths: Iterable[str]) -> dict[str, str]:
        """{path: object id} of those of ``paths`` that are files at the revision whose
        object this (partial) clone does not hold."""
        entries = self._listing()
        out: dict[str, str] = {}
        for path in paths:
            entry = entries.get(path)
            if entry is not None and entry.type == "blob" and entry.oid in self._absent:
                out[path] = entry.oid
        return out

    def _list_absent(self) -> set[str]:
        proc = run_git(self.repo_path, "rev-list", "--objects", "--no-walk", "--missing=print",
                       self.commit, check=False)  # fmt: skip
        return {
            line[1:].split()[0].decode("ascii")
            for line in proc.stdout.splitlines()
            if line.startswith(b"?") and len(line) > 1
        }

    # -- process lifetime -------------------------------------------------------

    def _cat_file(self) -> _CatFile:
        if self._cat is None:
            self._cat = _CatFile(self.git_dir)
            self._finalizer = weakref.finalize(self, _close_process, self._cat.proc)
        return self._cat

    def close(self) -> None:
        if self._finalizer is not None:
            self._finalizer()
        self._cat = None
        self._finalizer = None

    def __enter__(self) -> GitSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getstate__(self) -> dict[str, Any]:
        """Picklable for process pools: the git process stays behind, the listing travels."""
        state = {k: getattr(self, k) for k in _STATE}
        state["_cat"] = None
        state["_finalizer"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for key, value in state.items():
            setattr(self, key, value)

    def __repr__(self) -> str:
        return f"GitSource({str(self.repo_path)!r}, {self.rev!r}, commit={self.commit[:12]})"


_STATE = ("repo_path", "rev", "git_dir", "name", "prefix", "commit", "_entries", "_dirs",
          "_partial", "_absent")
