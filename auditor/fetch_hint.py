"""What to run when ``--new-since REV`` names a revision a shallow clone lacks.

CI checkouts are shallow (``actions/checkout`` fetches one commit), so the gate's
revision is often missing. The hint must be a command that works as printed:
``git fetch --depth=1 origin origin/main`` does not (the remote has no branch
called ``origin/main``), so each shape of revision gets the refspec that makes
that same REV resolve afterwards:

* ``R/B`` with ``R`` a configured remote (``origin/main``), or ``refs/remotes/R/B``:
  ``git fetch --depth=1 R B:refs/remotes/R/B``;
* ``refs/heads/B`` / ``refs/tags/T``: the same ref fetched into itself;
* a full commit id: ``git fetch --depth=1 origin SHA`` (forges serve reachable
  commits by id); an abbreviated one cannot be fetched, so the hint says so;
* a bare name (a branch or a tag, which only the remote knows): both forms;
* anything else (``HEAD~3``, ``main@{1}``): ``git fetch --unshallow``.

Each form is tested by running it in a real shallow clone
(tests/reports/test_fetch_hint.py).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence

_FULL_ID = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?")
_SHORT_ID = re.compile(r"[0-9a-f]{4,39}")
_EXPRESSION = re.compile(r"[~^@:{}\s]")


def _cmd(*args: str) -> str:
    return "`" + " ".join(shlex.quote(a) for a in ("git", "fetch", *args)) + "`"


def fetch_hint(rev: str, remotes: Sequence[str]) -> str:
    """The part of the error that says how to fetch ``rev`` (``remotes``: ``git remote``)."""
    default = "origin" if "origin" in remotes or not remotes else remotes[0]
    depth = "--depth=1"
    name = rev.removeprefix("refs/remotes/")
    head, _, branch = name.partition("/")
    if branch and (head in remotes or rev.startswith("refs/remotes/")):
        return f"fetch it first: {_cmd(depth, head, f'{branch}:refs/remotes/{head}/{branch}')}"
    if rev.startswith(("refs/heads/", "refs/tags/")):
        return f"fetch it first: {_cmd(depth, default, f'{rev}:{rev}')}"
    if _FULL_ID.fullmatch(rev):
        return f"fetch it first: {_cmd(depth, default, rev)}"
    if _SHORT_ID.fullmatch(rev):
        return (f"an abbreviated commit id cannot be fetched: give the full id and fetch "
                f"it first: {_cmd(depth, default, '<full commit id>')}")  # fmt: skip
    if _EXPRESSION.search(rev) or rev.startswith("-"):
        return f"fetch its history first: {_cmd('--unshallow', default)}"
    return (f"fetch it first: {_cmd(depth, default, f'refs/heads/{rev}:refs/heads/{rev}')} "
            f"for a branch, {_cmd(depth, default, f'refs/tags/{rev}:refs/tags/{rev}')} "
            f"for a tag")  # fmt: skip
