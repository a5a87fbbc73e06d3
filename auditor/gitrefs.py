"""Reading what a git ref points at from the files of the git directory, without ``git``.

An org snapshot must tell, for every git repository, whether the revision it
scanned still names the same object. ``git rev-parse`` answers that in a
process of its own (about 3 ms); over hundreds of mirrors that is most of a
warm run. Loose refs and ``packed-refs`` are plain files, so the common cases
are read here. Anything this module does not fully understand (revision
expressions such as ``HEAD~1`` or abbreviated ids, a linked worktree, the
reftable format, an unreadable file) returns None, and the caller asks git.

The value returned is the object id the ref names: the commit for a branch,
the tag object for an annotated tag. Only identity matters to a snapshot, so
an annotated tag is not peeled.
"""

from __future__ import annotations

import os
import re

_OID = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
_PSEUDO = re.compile(r"^[A-Z_]+$")  # HEAD, FETCH_HEAD, ORIG_HEAD: looked up in the git dir
_MAX_HOPS = 5
_ABSENT = ""  # no such ref (distinct from None: cannot tell)


def git_dir_of(path: str) -> str | None:
    """The git directory of a bare repository or of a plain (non-linked) working tree."""
    dot_git = os.path.join(path, ".git")
    if os.path.isdir(dot_git):
        return dot_git
    if os.path.exists(dot_git):  # a `gitdir:` file: linked worktree or submodule
        return None
    if os.path.isfile(os.path.join(path, "HEAD")) and os.path.isdir(os.path.join(path, "refs")):
        return path
    return None


def read_ref(git_dir: str, rev: str) -> str | None:
    """The object id ``rev`` names in ``git_dir``, or None when git must be asked."""
    if _OID.match(rev):
        return rev
    if not _NAME.match(rev) or ".." in rev or rev.endswith((".lock", "/", ".")):
        return None
    if os.path.exists(os.path.join(git_dir, "commondir")) or os.path.isdir(
        os.path.join(git_dir, "reftable")
    ):
        return None
    # git's order for a short name (gitrevisions(7)): refs/<rev>, tags, heads, remotes
    candidates = [rev] if _PSEUDO.match(rev) or rev.startswith("refs/") else []
    candidates += [f"refs/{rev}", f"refs/tags/{rev}", f"refs/heads/{rev}",
                   f"refs/remotes/{rev}", f"refs/remotes/{rev}/HEAD"]  # fmt: skip
    packed = _packed_refs(git_dir)
    if packed is None:
        return None
    for name in candidates:
        found = _resolve(git_dir, name, packed, 0)
        if found != _ABSENT:
            return found
    return None


def _resolve(git_dir: str, name: str, packed: dict[str, str], hops: int) -> str | None:
    """The id ``name`` points at; ``_ABSENT`` when no such ref exists; None when unsure."""
    path = os.path.join(git_dir, *name.split("/"))
    try:
        with open(path, encoding="ascii") as handle:
            text = handle.read().strip()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return packed.get(name, _ABSENT)
    except (OSError, UnicodeDecodeError):
        return None
    if text.startswith("ref: "):
        if hops >= _MAX_HOPS:
            return None
        target = _resolve(git_dir, text[5:].strip(), packed, hops + 1)
        return None if target == _ABSENT else target
    return text if _OID.match(text) else None


def _packed_refs(git_dir: str) -> dict[str, str] | None:
    """``packed-refs`` as {name: id} ({} when absent; None when unreadable)."""
    try:
        with open(os.path.join(git_dir, "packed-refs"), encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError):
        return None
    out: dict[str, str] = {}
    for line in lines:
        if not line or line[0] in "#^":
            continue
        oid, _, name = line.partition(" ")
        if _OID.match(oid) and name:
            out[name] = oid
    return out
