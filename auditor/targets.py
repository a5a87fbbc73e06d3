"""Command-line paths → what to scan: a repository root, some of its files, or stdin.

A path may be a repository root, a workflow folder, a single workflow or
action file (its repository root is found upwards, so reported paths stay
repository-relative and local reusable workflows still resolve), or ``-``
for one workflow on standard input.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from auditor.repo import (
    ACTION_NAMES,
    FOLDER_KIND,
    RECURSIVE_DIRS,
    WORKFLOW_DIRS,
    DirectorySource,
    RepoSource,
    workflow_files,
)

STDIN_PATH = "<stdin>"


class TargetError(Exception):
    """A command-line path that cannot be scanned (one-line reason)."""


@dataclass
class MemorySource:
    """Files held in memory: standard input, and tests."""

    files: dict[str, bytes]
    name: str = "memory"

    def read(self, path: str) -> bytes:
        try:
            return self.files[path]
        except KeyError:
            raise FileNotFoundError(2, "No such file", path) from None

    def size(self, path: str) -> int | None:
        data = self.files.get(path)
        return None if data is None else len(data)

    def is_dir(self, path: str) -> bool:
        prefix = path.rstrip("/") + "/"
        return any(p.startswith(prefix) for p in self.files)

    def list_dir(self, path: str) -> list[tuple[str, bool]]:
        prefix = path.rstrip("/") + "/" if path else ""
        entries: dict[str, bool] = {}
        for p in self.files:
            if p.startswith(prefix):
                rest = p[len(prefix) :]
                head, sep, _ = rest.partition("/")
                entries[head] = entries.get(head, False) or bool(sep)
        return sorted(entries.items())

    def walk_actions(self) -> list[str]:
        return sorted(p for p in self.files if p.rsplit("/", 1)[-1] in ACTION_NAMES)


@dataclass
class Target:
    """One repository to scan; ``only`` limits it to some files."""

    source: RepoSource
    root: Path | None  # where the policy file is looked for; None for stdin
    label: str  # the root as the user named it, for display
    only: list[tuple[str, str]] | None = None
    files: list[str] = field(default_factory=list)


def _kind(path: str) -> str:
    return "action" if path.rsplit("/", 1)[-1] in ACTION_NAMES else "workflow"


def _resolve_file(file: Path, parents: dict[str, Path]) -> Path:
    """``file.resolve()``, resolving each parent folder once (a file list names thousands)."""
    if file.is_symlink():
        return file.resolve()
    key = str(file.parent)
    parent = parents.get(key)
    if parent is None:
        parent = parents[key] = file.parent.resolve()
    return parent / file.name


def _plain_file(raw: str, folders: dict[str, tuple[Path, str] | None]) -> tuple[Path, str] | None:
    """(repository root, folder relative to it) of a regular file that is no symlink,
    worked out once per folder; None for anything else (the general path handles it).

    The same as ``_find_root`` and ``relative_to`` on the resolved file: a file's
    resolved path is its resolved folder plus its name when it is no symlink.
    """
    try:
        st = os.lstat(raw)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    folder = os.path.dirname(raw) or "."
    if folder not in folders:
        resolved = Path(folder).resolve()
        probe = resolved / "_"
        root = _find_root(probe, probe)
        try:
            rel = resolved.relative_to(root).as_posix()
        except ValueError:
            folders[folder] = None
            return None
        folders[folder] = (root, "" if rel == "." else rel)
    return folders[folder]


def _find_root(file: Path, resolved: Path | None = None) -> Path:
    """The repository root of a file: above a forge workflow folder, else the git root."""
    resolved = resolved if resolved is not None else file.resolve()
    posix = resolved.as_posix()
    for folder in WORKFLOW_DIRS:
        marker = f"/{folder}/"
        index = posix.rfind(marker)
        if index >= 0:
            return Path(posix[:index] or "/")
    for parent in resolved.parents:
        if (parent / ".git").exists():
            return parent
    return resolved.parent


def repository_root(file: Path) -> Path:
    """The repository root of ``file`` (which need not exist yet: an editor's new buffer),
    found as a command-line path's is."""
    return _find_root(file)


def resolve_targets(paths: list[str], stdin_data: bytes | None = None) -> list[Target]:
    """Group command-line paths by repository root, keeping the user's order."""
    targets: dict[str, Target] = {}
    order: list[str] = []
    parents: dict[str, Path] = {}
    folders: dict[str, tuple[Path, str] | None] = {}
    for raw in paths:
        if raw == "-":
            data = stdin_data if stdin_data is not None else b""
            key = f"stdin:{len(order)}"
            targets[key] = Target(
                MemorySource({STDIN_PATH: data}, name="stdin"), None, "-",
                only=[(STDIN_PATH, "workflow")],
            )  # fmt: skip
            order.append(key)
            continue
        fast = _plain_file(raw, folders)
        if fast is not None:  # the common case of a long file list: no pathlib per file
            root, rel_dir = fast
            name = os.path.basename(raw)
            rel = f"{rel_dir}/{name}" if rel_dir else name
            _add_files(targets, order, root, _root_label(raw, rel), [rel])
            continue
        path = Path(raw)
        if not path.exists() and not path.is_symlink():
            raise TargetError(f"{raw}: no such file or directory")
        if path.is_dir():
            resolved = path.resolve()
            posix = resolved.as_posix()
            folder = next((d for d in WORKFLOW_DIRS if posix.endswith("/" + d)), None)
            if folder is None:
                key = str(resolved)
                if key not in targets:
                    targets[key] = Target(DirectorySource(resolved), resolved, raw)
                    order.append(key)
                targets[key].only = None
                continue
            root = Path(posix[: -len(folder) - 1] or "/")
            source = DirectorySource(root)
            # what discovery reads of this folder: its subfolders too where Gitea and
            # Forgejo run them, and a finding for each subfolder it cannot list
            unread: list[str] = []
            files = workflow_files(source, folder, folder in RECURSIVE_DIRS, unread)
            label = raw.rstrip("/")[: -len(folder)].rstrip("/") or "."
            _add_files(targets, order, root, label, sorted(files))
            only = targets[str(root)].only
            if only is not None:
                only.extend((p, FOLDER_KIND) for p in unread if (p, FOLDER_KIND) not in only)
            continue
        resolved = _resolve_file(path, parents)
        root = _find_root(path, resolved)
        try:
            rel = resolved.relative_to(root).as_posix()
        except ValueError:
            rel = path.name
        _add_files(targets, order, root, _root_label(raw, rel), [rel])
    return [targets[key] for key in order]


def _add_files(
    targets: dict[str, Target], order: list[str], root: Path, label: str, files: list[str]
) -> None:
    key = str(root)
    if key not in targets:
        targets[key] = Target(DirectorySource(root), root, label, only=[])
        order.append(key)
    target = targets[key]
    if target.only is None:
        return  # the whole repository is already being scanned
    for rel in files:
        if (rel, _kind(rel)) not in target.only:
            target.only.append((rel, _kind(rel)))


def _root_label(raw: str, rel: str) -> str:
    """How to show the root to the user: the prefix of what they typed, if it matches."""
    normalised = raw.rstrip("/")
    if normalised.endswith(rel):
        return normalised[: -len(rel)].rstrip("/") or "."
    return str(Path(raw).parent)
