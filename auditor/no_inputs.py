"""Nothing to check is not a pass: the paths of ``auditor check`` that held no workflow.

An empty folder, a typo'd path's parent, or a folder of repositories given to
``check`` (which reads ``.github/workflows``, ``.gitea/workflows`` and
``.forgejo/workflows`` at the path's root) used to end "0 files checked, no
findings", exit 0: a gate that checked nothing and said green. Each such path
is named on one line (like zizmor's "no inputs collected"), and the check ends
with ``EXIT_NOTHING_CHECKED`` unless findings already make it exit 1. A
folder of repositories gets the command that scans them: ``auditor org``.

A path counts as checked when a workflow folder at its root holds a workflow
file or cannot be read (that is a finding), when it is a published action
(``action.yml`` at its root), when it is a repository of its own (``.git``
or a forge folder at its root) whose local actions were checked, or when the
user named files. Standard input is
always checked.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Sequence

from auditor.repo import ACTION_NAMES, RECURSIVE_DIRS, WORKFLOW_DIRS, workflow_files
from auditor.targets import Target

EXIT_NOTHING_CHECKED = 3


def _has_workflows(target: Target) -> bool:
    if target.only is not None:
        return bool(target.only)  # files named, or the files of a workflow folder named
    source = target.source
    dir_error = getattr(source, "dir_error", None)
    for folder in WORKFLOW_DIRS:
        if not source.is_dir(folder):
            if dir_error is not None and dir_error(folder) is not None:
                return True  # there, but unreadable (linked out of the tree): a finding
            continue
        unread: list[str] = []
        if workflow_files(source, folder, folder in RECURSIVE_DIRS, unread) or unread:
            return True
    if any(_is_file(target, name) for name in ACTION_NAMES):
        return True
    # A repository of its own (``.git`` or a forge folder at the root) whose local actions
    # were checked: an actions repository, not a folder of repositories.
    return _is_own_repository(target) and next(iter(source.walk_actions()), None) is not None


def _is_own_repository(target: Target) -> bool:
    root = target.root
    return root is not None and (
        (root / ".git").exists() or any((root / d).is_dir() for d in (".github", ".gitea", ".forgejo"))
    )


def _is_file(target: Target, name: str) -> bool:
    return target.root is not None and (target.root / name).is_file()


def subfolders(folder: str) -> list[str]:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    out = []
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False) and not entry.name.startswith("."):
                out.append(entry.path)
        except OSError:
            continue
    return out


def is_repository(folder: str) -> bool:
    """A ``.git`` or a workflow folder of its own."""
    return os.path.exists(os.path.join(folder, ".git")) or any(
        os.path.isdir(os.path.join(folder, d)) for d in WORKFLOW_DIRS
    )


def _org_hint(target: Target) -> str | None:
    """The ``auditor org`` command for a folder of repositories: ``--root`` when they are
    its subfolders, a glob when they are one level deeper (``owner/repo``)."""
    if target.root is None or target.only is not None:
        return None
    label = target.label.rstrip("/") or "/"
    children = subfolders(str(target.root))
    repos = sum(is_repository(c) for c in children)
    if repos:
        return (f"it holds {repos} repositories: scan them with "
                f"`auditor org --root {shlex.quote(label)}`")  # fmt: skip
    deeper = one_level_down(str(target.root), label, children)
    return f"it holds {deeper}" if deeper else None


def one_level_down(folder: str, label: str, children: list[str] | None = None) -> str | None:
    """``owner/repo`` folders: the glob that scans the repositories one level below
    ``folder`` (``label``, as the user wrote it), or None when there are none."""
    children = subfolders(folder) if children is None else children
    repos = sum(is_repository(g) for c in children for g in subfolders(c))
    if not repos:
        return None
    return (f"{repos} repositories one level down: scan them with "
            f"`auditor org {shlex.quote(label.rstrip('/') or '/')}/*/*`")  # fmt: skip


def nothing_checked(targets: Sequence[Target]) -> list[str]:
    """One line per path that held no workflow (empty: every path had something)."""
    lines = []
    for target in targets:
        if target.root is None or _has_workflows(target):
            continue
        line = f"{target.label}: no inputs collected: no workflow file under {', '.join(WORKFLOW_DIRS)}"
        hint = _org_hint(target)
        if hint:
            line += f"; {hint}"
        lines.append(line)
    return lines
