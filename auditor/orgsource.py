"""Reading the repositories of an org scan: each at its revision, and the reusable
workflows one repository calls from another (``OrgResolver``)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from auditor.gitsource import GitError, GitSource
from auditor.orgdata import OrgError, RepoSpec
from auditor.repo import REMOTE_WORKFLOW, DirectorySource, RepoSource


def strip_git(name: str) -> str:
    """``name`` without a trailing ``.git`` (``repo.git`` is the repository ``repo``)."""
    return name[:-4] if name.endswith(".git") and len(name) > 4 else name


class ForkSafeGitSource(GitSource):
    """GitSource whose ``git cat-file`` process is per process: a pool forks after the
    parent has read files, and a child must not share the parent's pipe."""

    _pid = 0

    def _cat_file(self) -> Any:
        if self._pid != os.getpid():
            self._cat = None
            self._finalizer = None
            self._pid = os.getpid()
        return super()._cat_file()


def open_source(spec: RepoSpec) -> RepoSource:
    """The repository of ``spec`` as it is scanned: the folder on disk, or its revision's
    object store; OrgError when that revision cannot be read."""
    if spec.rev is None:
        return DirectorySource(Path(spec.path), spec.name)
    try:
        source: RepoSource = ForkSafeGitSource(Path(spec.path), spec.rev, spec.name)
    except GitError as exc:
        raise OrgError(str(exc)) from None
    return source


class OrgResolver:
    """Resolves ``owner/repo/path.yml@ref`` against the repositories of the scan.

    A repository matches by ``owner/repo`` (case-insensitive), else by its bare
    name when exactly one repository has it. Git repositories are read at the
    ref of the call (a branch, tag or commit; ``origin/<ref>`` in a clone);
    plain folders as they are. Picklable: open git readers stay behind.
    """

    def __init__(self, specs: Iterable[RepoSpec]) -> None:
        self.specs = tuple(specs)
        self.by_slug: dict[str, RepoSpec] = {}
        names: dict[str, list[RepoSpec]] = {}
        for spec in self.specs:
            for slug in spec.slugs:
                self.by_slug.setdefault(slug.lower(), spec)
            names.setdefault(spec.name.lower(), []).append(spec)
        self.by_name = {k: v[0] for k, v in names.items() if len(v) == 1}
        self._sources: dict[tuple[str, str], RepoSource | None] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {"specs": self.specs, "by_slug": self.by_slug, "by_name": self.by_name}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._sources = {}

    def spec_for(self, uses: str) -> RepoSpec | None:
        match = REMOTE_WORKFLOW.match(uses)
        if not match:
            return None
        slug = f"{match['owner']}/{match['repo']}".lower()
        return self.by_slug.get(slug) or self.by_name.get(strip_git(match["repo"]).lower())

    def __call__(self, uses: str) -> bytes | None:
        match = REMOTE_WORKFLOW.match(uses)
        spec = self.spec_for(uses)
        if match is None or spec is None:
            return None
        source = self._source(spec, match["ref"])
        if source is None:
            return None
        try:
            return source.read(match["path"])
        except OSError:
            return None

    def _source(self, spec: RepoSpec, ref: str) -> RepoSource | None:
        key = (spec.path, ref)
        if key not in self._sources:
            self._sources[key] = open_at(spec, ref)
        return self._sources[key]


def open_at(spec: RepoSpec, ref: str) -> RepoSource | None:
    """The repository of ``spec`` at ``ref`` (or ``origin/<ref>``); a folder as it is; None
    when git has neither."""
    if not spec.git:
        return DirectorySource(Path(spec.path), spec.name)
    for candidate in (ref, f"origin/{ref}"):
        try:
            source: RepoSource = ForkSafeGitSource(Path(spec.path), candidate, spec.name)
            return source
        except GitError:
            continue
    return None
