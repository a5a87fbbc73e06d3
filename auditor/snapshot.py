"""Org snapshots: an unchanged organisation is answered without reading its files again.

The per-file result cache (``auditor.cache``) makes a warm ``auditor org``
analyse nothing, but it still reads and hashes every workflow, looks each one
up and renders every report: on the 241-repository corpus that is a quarter of
the cold run. Like git's index, a snapshot trusts file metadata instead: when
nothing the last scan depended on has a different ``stat`` (or, in a git
repository, a different commit), its result and its rendered reports are
reused as they are.

What a snapshot records, and re-checks before it is used:

* the *inputs key* (the cache key): tool version, the code fingerprint (size,
  mtime and inode of every file of the ``auditor``, ``rules`` and ``reports``
  packages), installed rule plugins, today's date (waivers expire), every
  repository spec (so ``--shard`` and ``--ref`` and the resolver's view of the
  org are in), ``--select``/``--ignore``/``--no-policy`` and the bytes of
  ``--policy``;
* per folder repository: the ``stat`` (size, mtime, ctime, inode, mode; or
  "absent") of every folder discovery listed or looked for, and of every file
  the scan read or looked for: workflows, actions, scripts steps run,
  ``.auditor.yml``, the shared files. A folder's mtime and ctime change
  whenever an entry is created, removed or renamed in it (git's untracked
  cache relies on the same), so a new or deleted workflow is seen without
  listing anything. A git working tree with shared files also records its
  ``HEAD`` (commit times break drift ties);
* per git repository read from the object store: the object its revision
  names, read from the ref files (``auditor.gitrefs``; ``git rev-parse`` where
  those cannot tell), taken before the scan reads anything;
* the sha256 of every other repository's reusable workflow a job called
  (resolved again: its ref may have moved), the ``stat`` of every rule
  module the engines ran (custom rules included), of every file their
  policies read (a secrets inventory) and of their ``custom_rules`` entries
  (a folder's stat changes when a rule file is added to it).

A file changed in the same moment the scan read it could keep its mtime; as
git does with its "racy" entries, a snapshot is not stored when some file's
mtime is less than ``RACY_NS`` before the scan started (or its ctime after
it). The next run then goes through the per-file cache, which hashes bytes.

Rendered reports are memoised under the snapshot's state hash, the format,
colour and ``--fail-on`` (``RenderMemo``); JUnit is not, as it carries the
time it was written. Scans with an unreadable repository are not stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor import __version__
from auditor.orgdata import OrgResult, RepoSpec, ScanSettings

if TYPE_CHECKING:
    from auditor.cache import ResultCache
    from auditor.engine import Engine
    from auditor.orgsource import OrgResolver
    from auditor.parallel import RepoResult
    from auditor.repo import RepoSource

SNAPSHOT_FORMAT = 1
RACY_NS = 2_000_000_000  # timestamps coarser than this (FAT: 2 s) could hide a change
NOT_MEMOISED = frozenset({"junit"})  # renders the time it was written
_PACKAGES = ("auditor",)  # auditor/rules and auditor/reports are inside it (symlinks in a checkout)

Sig = list[int] | str | None  # [size, mtime_ns, ctime_ns, ino, mode]; None: absent


def stat_sig(path: str) -> Sig:
    """What a snapshot compares for one file (following symlinks, like the reads did)."""
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        return f"error {exc.errno}"
    except ValueError:  # a NUL byte: no file has that name
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_mode]


def _sha(parts: object) -> str:
    return hashlib.sha256(repr(parts).encode("utf-8", "surrogatepass")).hexdigest()


def code_sigs() -> list[tuple[str, Sig]]:
    """Every file of the packages that compute findings and render reports."""
    out: list[tuple[str, Sig]] = []
    for name in _PACKAGES:
        module = sys.modules.get(name)
        if module is None:
            import importlib

            module = importlib.import_module(name)
        top = os.path.dirname(getattr(module, "__file__", None) or "")
        # subpackages too (auditor/roles/catalogue, auditor/scripts/shell): a folder's
        # stat does not change when a file inside it is edited
        for folder, dirs, names in sorted(os.walk(top, followlinks=True)):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for entry in sorted(names):
                path = os.path.join(folder, entry)
                out.append((path, stat_sig(path)))
    return out


def _plugins() -> list[tuple[str, str, str]]:
    """Installed ``auditor.rules`` entry points (a new plugin changes findings)."""
    from auditor.rules_loader import ENTRY_POINT_GROUP, _may_have_entry_points

    if not _may_have_entry_points():
        return []
    from importlib.metadata import entry_points

    return sorted(
        (ep.name, ep.value, ep.dist.version if ep.dist is not None else "")
        for ep in entry_points(group=ENTRY_POINT_GROUP)
    )


def inputs_key(
    all_specs: Sequence[RepoSpec], specs: Sequence[RepoSpec], settings: ScanSettings
) -> str:
    """The cache key of an org snapshot: everything but the repositories' contents."""
    policy: tuple[str, str | None] | None = None
    if settings.policy_file and not settings.no_policy:
        path = os.path.abspath(settings.policy_file)
        try:
            policy = (path, hashlib.sha256(Path(path).read_bytes()).hexdigest())
        except OSError:
            policy = (path, None)
    parts = (
        "auditor-org-snapshot", SNAPSHOT_FORMAT, __version__, sys.version_info[:2],
        dt.date.today().isoformat(), code_sigs(), _plugins(),
        [(s.name, s.label, os.path.abspath(s.path), s.git, s.rev, s.slugs) for s in all_specs],
        [s.name for s in specs],
        (sorted(settings.select), sorted(settings.ignore), settings.no_policy, policy,
         settings.trust_repo_policy),
    )  # fmt: skip
    return _sha(parts)


# --- capturing -------------------------------------------------------------------------


def _ref_id(spec: RepoSpec, rev: str) -> str | None:
    """The object ``rev`` names in the spec's repository, read from the git directory's
    files (``auditor.gitrefs``), or None when only git can tell."""
    from auditor.gitrefs import git_dir_of, read_ref

    git_dir = git_dir_of(spec.path)
    return read_ref(git_dir, rev) if git_dir is not None else None


def _head(spec: RepoSpec) -> str | None:
    """The commit ``HEAD`` of a working tree names (drift ties use its commit times)."""
    found = _ref_id(spec, "HEAD")
    if found is not None:
        return found
    from auditor.gitsource import GitError, git_command

    git_dir = Path(spec.path) / ".git"
    try:
        proc = git_command("--git-dir", str(git_dir), "rev-parse", "--verify", "-q", "HEAD")
    except GitError:
        return None  # no git: no HEAD to compare, so nothing is stored
    return proc.stdout.decode("ascii", "replace").strip() or None


def before_scan(specs: Sequence[RepoSpec], shared_paths: Sequence[str]) -> dict[str, Any]:
    """What git repositories point at, taken *before* the scan reads them.

    Taken after, a ref moved by a concurrent ``git fetch`` would be stored with the
    results of the old commit and then match forever; taken before, such a race
    costs one needless re-scan.
    """
    out: dict[str, dict[str, str]] = {}
    for spec in specs:
        if spec.rev is not None:
            ref = _ref_id(spec, spec.rev)
            if ref is not None:
                out[spec.name] = {"ref": ref}
        elif spec.git and shared_paths:
            head = _head(spec)
            if head is not None:
                out[spec.name] = {"head": head}
    return out


def _repo_state(
    spec: RepoSpec, source: RepoSource, res: RepoResult, shared_paths: Sequence[str],
    before: dict[str, str],
) -> dict[str, Any] | None:
    """One repository's part of the state; None when it cannot be checked later."""
    from auditor.policy import POLICY_FILENAMES

    if spec.rev is not None:
        if "ref" in before:
            return {"name": spec.name, "ref": before["ref"]}
        return {"name": spec.name, "commit": getattr(source, "commit", None)}
    root = str(getattr(source, "root", spec.path))
    paths = {p for p, _ in res.files} | {k for k in res.reads if not k.startswith("remote:")}
    paths.update(POLICY_FILENAMES, shared_paths)
    # the folders discovery looked at; a change to them after the scan started
    # (a workflow added meanwhile) leaves a racy mtime, so nothing is stored
    paths.update(getattr(source, "looked", ()))
    state: dict[str, Any] = {
        "name": spec.name,
        "root": root,
        "stats": {p: stat_sig(f"{root}/{p}" if p else root) for p in sorted(paths)},
    }
    if spec.git and shared_paths:
        if "head" not in before:
            return None  # no HEAD to compare later: not stored
        state["head"] = before["head"]
    return state


def _engine_sigs(engines: Iterable[Engine]) -> list[tuple[str, Sig]]:
    """The rule modules the engines ran, the files their policies read (inventories) and
    the ``custom_rules`` entries (a folder's stat changes when a rule file is added)."""
    files: set[str] = set()
    for engine in engines:
        policy = engine.policy
        files.update(policy.inputs)
        files.update(os.path.abspath(os.path.join(policy.base_dir, p)) for p in policy.custom_rules)
        for rule in engine.all_rules:
            module = sys.modules.get(getattr(rule.check, "__module__", "") or "")
            file = getattr(module, "__file__", None)
            if file:
                files.add(file)
    return [(f, stat_sig(f)) for f in sorted(files)]


def _racy(sig: Sig, started_ns: int) -> bool:
    return isinstance(sig, list) and (sig[1] >= started_ns - RACY_NS or sig[2] >= started_ns)


def capture(
    scanned: Sequence[tuple[RepoSpec, RepoSource, RepoResult]],
    engines: Iterable[Engine],
    shared_paths: Sequence[str],
    started_ns: int,
    before: dict[str, Any],
) -> dict[str, Any] | None:
    """The state a scan depended on, or None when it cannot be trusted later (racy).

    ``before`` is what ``before_scan`` returned for these repositories."""
    repos = []
    for spec, source, res in scanned:
        repo = _repo_state(spec, source, res, shared_paths, before.get(spec.name, {}))
        if repo is None:
            return None
        repos.append(repo)
    remote = {
        key: digest for _, _, res in scanned for key, digest in res.reads.items()
        if key.startswith("remote:")
    }  # fmt: skip
    files = _engine_sigs(engines)
    sigs = [sig for repo in repos for sig in repo.get("stats", {}).values()]
    sigs += [sig for _, sig in files]
    if any(_racy(sig, started_ns) for sig in sigs):
        return None
    state = {"repos": repos, "remote": dict(sorted(remote.items())), "files": files}
    back: dict[str, Any] = json.loads(json.dumps(state))  # the form it has when read back
    return back


def store(cache: ResultCache, key: str, state: dict[str, Any], result: OrgResult) -> str:
    """Keep the scan's state and result under ``key``; returns the state hash."""
    state_hash = _sha((key, json.dumps(state, sort_keys=True)))
    body = {"state": state, "state_hash": state_hash, "result": result.to_json()}
    cache.put_blob(key, json.dumps(body, separators=(",", ":")).encode("utf-8", "surrogatepass"))
    return state_hash


# --- re-checking -----------------------------------------------------------------------


def _repo_holds(repo: dict[str, Any], spec: RepoSpec) -> bool:
    from auditor.orgdata import OrgError
    from auditor.orgsource import open_source

    if "ref" in repo:
        return bool(_ref_id(spec, spec.rev or "HEAD") == repo["ref"])
    if "commit" in repo:
        try:
            source = open_source(spec)
        except OrgError:
            return False
        try:
            return bool(getattr(source, "commit", None) == repo["commit"])
        finally:
            close = getattr(source, "close", None)
            if callable(close):
                close()
    root = repo["root"]
    for path, sig in repo["stats"].items():
        if stat_sig(f"{root}/{path}" if path else root) != sig:
            return False
    return "head" not in repo or _head(spec) == repo["head"]


def holds(state: dict[str, Any], specs: Sequence[RepoSpec], resolver: OrgResolver) -> bool:
    """True when nothing the snapshot's scan depended on has changed."""
    by_name = {s.name: s for s in specs}
    repos = state["repos"]
    if [r["name"] for r in repos] != [s.name for s in specs]:
        return False
    for path, sig in state["files"]:
        if stat_sig(path) != sig:
            return False
    for repo in repos:
        if not _repo_holds(repo, by_name[repo["name"]]):
            return False
    for key, digest in state["remote"].items():
        try:
            data = resolver(key[len("remote:") :])
        except (OSError, RuntimeError):
            data = None
        if (hashlib.sha256(data).hexdigest() if data is not None else None) != digest:
            return False
    return True


def restore(
    cache: ResultCache, key: str, specs: Sequence[RepoSpec], resolver: OrgResolver
) -> OrgResult | None:
    """The stored result when its state still holds (every file counted as cached)."""
    raw = cache.get_blob(key)
    if raw is None:
        return None
    try:
        body = json.loads(raw.decode("utf-8", "surrogatepass"))
        if not holds(body["state"], specs, resolver):
            return None
        result = OrgResult.from_json(body["result"])
    except (ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None  # damaged, or the right checksum around another shape: not reused
    result.files_analysed, result.files_cached = 0, result.files
    result.state = str(body["state_hash"])
    result.reused = True
    return result


# --- rendered reports ----------------------------------------------------------------------


class RenderMemo:
    """Rendered reports of one snapshot state (``auditor.outputs.emit`` asks it first)."""

    def __init__(self, cache: ResultCache, state: str, fail_on: str) -> None:
        self.cache = cache
        self.state = state
        self.fail_on = fail_on

    def _key(self, fmt: str, colour: bool) -> str:
        return _sha(("auditor-org-render", self.state, fmt, colour, self.fail_on))

    def get(self, fmt: str, colour: bool) -> str | None:
        if fmt in NOT_MEMOISED:
            return None
        raw = self.cache.get_blob(self._key(fmt, colour))
        return raw.decode("utf-8", "surrogatepass") if raw is not None else None

    def put(self, fmt: str, colour: bool, text: str) -> None:
        if fmt not in NOT_MEMOISED:
            self.cache.put_blob(self._key(fmt, colour), text.encode("utf-8", "surrogatepass"))

    def close(self) -> None:
        """Write what was put, and the refreshed use times of what was read (LRU)."""
        self.cache.flush()
