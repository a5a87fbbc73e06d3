"""What a repository is to the scan: read access to its files by path.

A working tree, a git revision and a bare mirror all satisfy it. It lives
apart from discovery (``auditor.repo``) so that the policy, which is read
through a repository too, depends on this protocol and not on discovery.
"""

from __future__ import annotations

from typing import Protocol


class RepoSource(Protocol):
    """Read access to one repository's files by repository-relative POSIX path."""

    name: str

    def read(self, path: str) -> bytes: ...

    def size(self, path: str) -> int | None: ...

    def is_dir(self, path: str) -> bool: ...

    def list_dir(self, path: str) -> list[tuple[str, bool]]: ...

    def walk_actions(self) -> list[str]: ...
