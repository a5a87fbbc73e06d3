"""Org scans: many repositories in one run, into one compliance report.

Inputs are repository paths (working trees, or bare git mirrors ``*.git``),
the subfolders of ``--root DIR``, and ``--repos FILE`` (one path or git URL a
line). URLs are mirrored with the real ``git`` (``clone --mirror
--filter=blob:none``, then ``fetch`` on later runs) into a cache folder. Bare
repositories, and every git repository when ``--ref`` is given, are read at
that revision straight from the object store (``auditor.gitsource``); the
default revision of a bare mirror is its ``HEAD`` (the default branch), and a
working tree without ``--ref`` is scanned as it is on disk.

Each repository is scanned by the ordinary engine (``auditor.parallel``: the
result cache, then a process pool) and summarised (``auditor.summary.RepoSummary``).
The org-level pass (``auditor.orgpass.finish``) then adds what only the whole set
can tell: it runs every org rule (``auditor.rule.OrgRule``: ``shared-file-drift``
over the policy's ``shared_files``, and any org rule an installed plugin or the
``custom_rules`` of ``--policy`` define) once over the typed summaries, and keeps
one ``reusable-workflow-unresolved`` note per callee. Org rules come from the
org's policy only: a repository's own ``.auditor.yml`` judges that repository,
never the others.

Cross-repository reusable workflows (``owner/repo/path.yml@ref``) resolve
against the whole input set, before sharding, so every shard sees the same
callees. Everything the report needs is kept in the JSON report's ``summary``
(per repository: job graphs with roles, the source lines findings point at,
the shared files' hashes; for the org: the shared-file definitions and texts,
the severity of each org rule that ran), so ``auditor merge`` of shard JSONs
rebuilds exactly the report of one unsharded run: it drops the shards'
org-level findings and runs ``finish`` again over the union (with ``--policy``
when the shards ran custom org rules).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor import orgpass
from auditor.budget import INCOMPLETE_RULE
from auditor.errors import PolicyError
from auditor.findings import Finding, printable
from auditor.orgdata import OrgError as OrgError
from auditor.orgdata import OrgResult as OrgResult
from auditor.orgdata import RepoSpec as RepoSpec
from auditor.orgdata import ScanSettings as ScanSettings
from auditor.orgsource import OrgResolver as OrgResolver
from auditor.orgsource import open_source, strip_git
from auditor.repo import RepoSource
from auditor.summary import OrgSummary, RepoOrigin, RepoSummary, SharedCopy

if TYPE_CHECKING:
    from auditor.parallel import RepoResult
    from auditor.policy import Policy
    from auditor.rule import Rule

MAX_SOURCE_LINE = 300

_HEX = re.compile(r"^[0-9a-f]{7,40}$")
_URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|[^/\s@]+@[^/\s:]+:)", re.IGNORECASE)


# --- inputs ------------------------------------------------------------------------


def is_url(text: str) -> bool:
    return bool(_URL.match(text))


def is_bare_repo(path: Path) -> bool:
    return (path / "HEAD").is_file() and (path / "objects").is_dir() and (path / "refs").is_dir()


def _path_names(path: Path) -> tuple[str, tuple[str, ...]]:
    """(name, slugs) of a local repository: ``owner__repo/<commit>`` (the corpus layout)
    is ``owner__repo`` with slug ``owner/repo``; ``org/repo(.git)`` is ``repo``, slug
    ``org/repo``."""
    absolute = Path(os.path.abspath(path))
    if absolute.name == ".git":
        absolute = absolute.parent
    base = strip_git(absolute.name)
    parent = absolute.parent.name
    name = parent if _HEX.match(base) and parent else base
    slugs: list[str] = []
    if "__" in name:
        owner, _, repo = name.partition("__")
        slugs.append(f"{owner}/{repo}")
    elif name == base and parent:
        slugs.append(f"{parent}/{base}")
    return name, tuple(slugs)


def _url_names(url: str) -> tuple[str, tuple[str, ...]]:
    tail = re.split(r"[/:]", url.rstrip("/"))
    parts = [p for p in tail if p]
    name = strip_git(parts[-1]) if parts else "repo"
    slugs = (f"{parts[-2]}/{name}",) if len(parts) >= 2 else ()
    return name, slugs


def default_mirror_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "auditor" / "mirrors"


# For the git commands that talk to the network (mirroring a URL the user listed): no hook,
# no fsmonitor. What a repository's own config names is never run: a mirror's config is
# auditor's (``clone --mirror`` into a new folder), and one changed since is refused.
MIRROR_CONFIG = ("-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null")


def _git(
    *args: str, cwd: Path | None = None, network: bool = False
) -> subprocess.CompletedProcess[bytes]:
    """A git command: reading (``gitsource.git_command``: no transport, no lazy fetch, no
    configured program) unless ``network`` (mirroring: ``MIRROR_CONFIG``)."""
    from auditor.gitsource import GitError, git_command, git_env

    if not network:
        try:
            return git_command(*args, cwd=cwd)
        except GitError:
            raise OrgError("git is not installed (it is needed to mirror URLs)") from None
    try:
        return subprocess.run(
            ["git", *MIRROR_CONFIG, *args], cwd=cwd, capture_output=True, env=git_env(),
            stdin=subprocess.DEVNULL, check=False,
        )  # fmt: skip
    except FileNotFoundError:
        raise OrgError("git is not installed (it is needed to mirror URLs)") from None


# Keys of a git config that make git run a program, send credentials or go elsewhere. A
# mirror auditor made has none; one that has them was changed by someone else.
_PROGRAM_KEYS = re.compile(
    r"^(include\.|includeif\.|url\.|credential|http\.|protocol\.|filter\.|diff\.|merge\.|gpg\."
    r"|core\.(sshcommand|fsmonitor|hookspath|gitproxy|askpass|alternaterefscommand|editor|pager)"
    r"|remote\.[^=]*\.(uploadpack|receivepack|proxy|vcs)|uploadpack\.|sequence\.)",
    re.IGNORECASE,
)


def _changed_config(mirror_path: Path) -> str | None:
    """The first program-running key of a mirror's config, if it has one (the file alone is
    read: ``--file`` does not follow includes)."""
    proc = _git("config", "--file", str(mirror_path / "config"), "--name-only", "--list")
    for name in proc.stdout.decode("utf-8", "replace").splitlines():
        if _PROGRAM_KEYS.match(name.strip()):
            return name.strip()
    return None


def _trusted_mirror(url: str, target: Path) -> None:
    changed = _changed_config(target)
    if changed is not None:
        raise OrgError(
            f"{url}: the mirror {target} has a git config auditor did not write ({changed}); "
            "it is not fetched or read — delete the mirror folder to clone it again"
        )


def _git_reason(proc: subprocess.CompletedProcess[bytes]) -> str:
    """git's reason, on one line: its ``fatal:``/``error:`` lines joined (the lines around
    them, such as "and the repository exists.", only continue a hint), else its last line."""
    lines = [ln.strip() for ln in proc.stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    reasons = [ln for ln in lines if ln.lower().startswith(("fatal:", "error:"))]
    if reasons:
        return "; ".join(reasons)[:400]
    return lines[-1] if lines else f"exit status {proc.returncode}"


def mirror_path(url: str, mirror_dir: Path) -> Path:
    """Where the mirror of ``url`` lives in ``mirror_dir``."""
    name, _ = _url_names(url)
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name)[:60]
    return mirror_dir / f"{safe}-{hashlib.sha256(url.encode()).hexdigest()[:12]}.git"


def mirror(url: str, mirror_dir: Path) -> Path:
    """A local mirror of ``url``: cloned (``--mirror --filter=blob:none``) on first use,
    fetched on later runs. The clone goes to a temporary folder renamed into place, so
    an interrupted or concurrent run never leaves half a mirror behind. Only commits and
    trees come with it; the file contents a scan needs are fetched between scans
    (``fetch_objects``), never by git while auditor reads."""
    target = mirror_path(url, mirror_dir)
    if is_bare_repo(target):
        _trusted_mirror(url, target)
        proc = _git("--git-dir", str(target), "fetch", "--prune", "--quiet", "origin", network=True)
        if proc.returncode != 0:
            raise OrgError(f"{url}: git fetch failed: {_git_reason(proc)}")
        return target
    try:
        mirror_dir.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".clone-", dir=mirror_dir))
    except OSError as exc:
        raise OrgError(f"{url}: cannot make a mirror in {mirror_dir}: {exc.strerror or exc}") from None
    try:
        proc = _git("clone", "--mirror", "--filter=blob:none", "--quiet", "--", url,
                    str(tmp / "m.git"), network=True)  # fmt: skip
        if proc.returncode != 0:
            raise OrgError(f"{url}: git clone failed: {_git_reason(proc)}")
        try:
            os.rename(tmp / "m.git", target)
        except OSError as exc:
            if not is_bare_repo(target):  # another run won the race: use theirs
                raise OrgError(f"{url}: cannot move the mirror into place: {exc.strerror}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def fetch_objects(spec: RepoSpec, oids: Sequence[str]) -> None:
    """Fetch ``oids`` (blobs the scan lacked) into the mirror of ``spec``, from the URL the
    user listed, as git's own lazy fetch would but explicitly, between scans."""
    target = Path(spec.path)
    _trusted_mirror(spec.label, target)
    try:
        proc = subprocess.run(
            ["git", *MIRROR_CONFIG, "-c", "fetch.negotiationAlgorithm=noop", "--git-dir",
             str(target), "fetch", "--quiet", "--no-tags", "--no-write-fetch-head",
             "--recurse-submodules=no", "--filter=blob:none", "--stdin", "origin"],
            input="".join(f"{oid}\n" for oid in oids).encode("ascii"), capture_output=True,
            env=_network_env(), check=False,
        )  # fmt: skip
    except FileNotFoundError:
        raise OrgError("git is not installed (it is needed to mirror URLs)") from None
    if proc.returncode != 0:
        raise OrgError(f"{spec.label}: git fetch of {len(oids)} file(s) failed: {_git_reason(proc)}")


def _network_env() -> dict[str, str]:
    from auditor.gitsource import git_env

    return git_env()


def _spec_for_path(raw: str, ref: str | None, label: str | None = None) -> RepoSpec:
    path = Path(raw)
    if not path.is_dir():
        raise OrgError(f"{printable(raw)}: no such directory")
    name, slugs = _path_names(path)
    worktree = os.path.lexists(f"{raw}/.git")
    bare = not worktree and is_bare_repo(path)
    rev: str | None = None
    if bare:
        rev = ref or "HEAD"
    elif worktree and ref:
        rev = ref
    return RepoSpec(name, label or raw, str(path), bare or worktree, rev, slugs)


def _identity(path: str) -> str:
    """The same folder named twice (a symlink, ``a/../b``) has one identity: its device
    and inode, one ``stat`` where ``realpath`` costs one per path component."""
    try:
        st = os.stat(path)
    except OSError:
        return os.path.realpath(path)
    return f"{st.st_dev}:{st.st_ino}"


def _read_list(repos_file: Path) -> list[str]:
    try:
        text = repos_file.read_text(encoding="utf-8")
    except OSError as exc:
        raise OrgError(f"{repos_file}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise OrgError(f"{repos_file}: not UTF-8 text (one repository path or URL a line)") from None
    out = []
    for line in text.splitlines():
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        if not is_url(entry) and not os.path.isabs(entry):
            entry = str(repos_file.parent / entry)
        out.append(entry)
    return out


def collect(
    paths: Sequence[str],
    *,
    root: str | None = None,
    repos_file: str | None = None,
    ref: str | None = None,
    mirror_dir: Path | None = None,
    jobs: int = 4,
    log: Callable[[str], None] = lambda message: None,
) -> list[RepoSpec]:
    """Every repository the inputs name, sorted by name, names made unique."""
    entries: list[str] = list(paths)
    if root is not None:
        root_path = Path(root)
        if not root_path.is_dir():
            raise OrgError(f"--root {printable(root)}: no such directory")
        entries.extend(
            str(child) for child in sorted(root_path.iterdir())
            if child.is_dir() and not child.name.startswith(".")
        )  # fmt: skip
    if repos_file is not None:
        entries.extend(_read_list(Path(repos_file)))
    urls = sorted({e for e in entries if is_url(e)})
    mirrors: dict[str, Path | OrgError] = {}
    where = mirror_dir or default_mirror_dir()
    if urls:

        def attempt(url: str) -> Path | OrgError:
            try:
                return mirror(url, where)
            except OrgError as exc:  # that repository is "not scanned"; the others go on
                return exc
            except OSError as exc:
                return OrgError(f"{url}: cannot mirror: {exc.strerror or exc}")

        with ThreadPoolExecutor(max_workers=max(1, min(jobs, 8))) as pool:
            for url, local in zip(urls, pool.map(attempt, urls), strict=True):
                mirrors[url] = local
                if isinstance(local, Path):
                    log(f"mirrored {url}")
    specs: list[RepoSpec] = []
    seen_paths: set[str] = set()
    for entry in entries:
        if is_url(entry):
            local = mirrors[entry]
            name, slugs = _url_names(entry)
            if isinstance(local, OrgError):
                spec = RepoSpec(name, entry, str(mirror_path(entry, where)), True, ref or "HEAD",
                                slugs, error=printable(str(local)))  # fmt: skip
                key = f"url:{entry}"
            else:
                spec = RepoSpec(name, entry, str(local), True, ref or "HEAD", slugs)
                key = _identity(str(local))
        else:
            spec = _spec_for_path(entry, ref)
            key = _identity(entry)
            if not spec.git and ref:
                log(f"{entry}: not a git repository; --ref ignored, the folder is scanned")
        if key in seen_paths:
            continue
        seen_paths.add(key)
        specs.append(spec)
    return _unique_names(specs)


def _unique_names(specs: list[RepoSpec]) -> list[RepoSpec]:
    taken: dict[str, int] = {}
    out = []
    for spec in sorted(specs, key=lambda s: (s.name, s.label)):
        count = taken.get(spec.name, 0)
        taken[spec.name] = count + 1
        if count:
            spec = RepoSpec(f"{spec.name}-{count + 1}", spec.label, spec.path, spec.git,
                            spec.rev, spec.slugs, spec.error)  # fmt: skip
        out.append(spec)
    return sorted(out, key=lambda s: s.name)


# --- sharding ----------------------------------------------------------------------


def parse_shard(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match:
        raise OrgError(f"--shard {text}: expected K/N, e.g. 2/4")
    k, n = int(match[1]), int(match[2])
    if n < 1 or not 1 <= k <= n:
        raise OrgError(f"--shard {text}: K must be between 1 and N")
    return k, n


def shard_of(name: str, n: int) -> int:
    """The shard (1..n) of a repository: a hash of its name, stable across runs and machines."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big") % n + 1


def select_shard(specs: Iterable[RepoSpec], k: int, n: int) -> list[RepoSpec]:
    return [s for s in specs if shard_of(s.name, n) == k]


# --- scanning ------------------------------------------------------------------------


def org_policy(settings: ScanSettings) -> Policy:
    """The policy given with ``--policy`` (or the defaults): where ``shared_files`` come from."""
    if settings.no_policy or not settings.policy_file:
        from auditor.policy import Policy

        return Policy()
    from auditor.policy_file import load_policy_file

    return load_policy_file(Path(settings.policy_file))


def _repo_policy(
    source: RepoSource, spec: RepoSpec, settings: ScanSettings, fixed: Policy
) -> Policy:
    """``--policy`` for every repository, else each repository's own ``.auditor.yml``.

    A repository's own policy is read through its source (never through a
    symlink out of it) and is untrusted: if it names ``custom_rules`` and the
    user did not pass ``--trust-repo-policy``, the repository is not scanned
    (``PolicyError`` saying which modules were not loaded) and nothing of it is
    imported; the other repositories are scanned as usual. Trusted, its modules
    are read from the repository (at the scanned revision) and imported here,
    so a module that fails to import is this repository's error, not the run's.
    """
    if settings.no_policy or settings.policy_file:
        return fixed
    from auditor.policy_file import find_repository_policy
    from auditor.rules_loader import custom_rules, not_loaded_message

    commit = getattr(source, "commit", None)
    found = find_repository_policy(
        source, spec.label, trusted=settings.trust_repo_policy,
        base_dir=spec.path if spec.rev is None else ".",
        rules_origin=f"{spec.label}@{commit[:12]}" if commit else "",
    )  # fmt: skip
    if found is None:
        return fixed
    _, policy = found
    if policy.custom_rules:
        if not policy.trusted:
            raise PolicyError(not_loaded_message(policy))
        custom_rules(policy)
    return policy


def _commit_time(spec: RepoSpec, source: RepoSource, path: str) -> int | None:
    """Commit time of the last change to ``path`` at the scanned revision (git only)."""
    if not spec.git:
        return None
    rev = getattr(source, "commit", None) or "HEAD"
    git_dir = Path(spec.path) / ".git" if (Path(spec.path) / ".git").exists() else Path(spec.path)
    proc = _git("--git-dir", str(git_dir), "log", "-1", "--format=%ct", rev, "--", path)
    text = proc.stdout.decode("ascii", "replace").strip()
    return int(text) if proc.returncode == 0 and text.isdigit() else None


def _source_lines(source: RepoSource, findings: Iterable[Finding]) -> dict[str, dict[int, str]]:
    """The lines findings point at, so reports rebuilt from JSON can still show them."""
    out: dict[str, dict[int, str]] = {}
    lines_of: dict[str, list[str]] = {}
    for f in findings:
        if f.path not in lines_of:
            try:
                lines_of[f.path] = source.read(f.path).decode("utf-8", "replace").splitlines()
            except OSError:
                lines_of[f.path] = []
        lines = lines_of[f.path]
        if 0 < f.line <= len(lines):
            out.setdefault(f.path, {})[f.line] = lines[f.line - 1][:MAX_SOURCE_LINE]
    return {path: dict(sorted(v.items())) for path, v in sorted(out.items())}


def _pipeline_needs(
    source: RepoSource, res: RepoResult, policy: Policy
) -> dict[str, dict[str, list[str]]]:
    """``{workflow: {job: [needs]}}`` of the release pipelines: workflows where a job has a
    role. The engine records them with the roles (and the cache keeps them), so this
    parses a workflow only when they are missing."""
    out: dict[str, dict[str, list[str]]] = {}
    for path, roles in res.summary.jobs.items():
        if not any(roles.values()):
            continue
        needs = res.needs.get(path)
        if needs is None:
            try:
                needs = _needs_of(path, source.read(path), policy)
            except OSError:
                needs = None
        if needs is not None:
            out[path] = needs
    return out


def _needs_of(path: str, data: bytes, policy: Policy) -> dict[str, list[str]] | None:
    from auditor.build import build_workflow
    from auditor.graph import build_graph
    from auditor.parse import parse_bytes

    if len(data) > policy.max_file_bytes:
        return None
    parsed = parse_bytes(data, path)
    if parsed.root is None:
        return None
    workflow = build_workflow(path, parsed.root, [])
    if workflow is None:
        return None
    graph = build_graph(workflow)
    return {job: list(graph.needs(job)) for job in graph.jobs}


# --- running the scan --------------------------------------------------------------------

Progress = Callable[[int, int], None]


def org_cache(cache_dir: Path | None = None) -> Any:
    """The org scans' result cache (``auditor.cache.ResultCache``).

    A folder of its own: an org scan resolves other repositories (a dependency
    the cache key of a plain ``check`` cannot see), so the two never share entries.
    """
    from auditor.cache import ResultCache, default_cache_dir

    return ResultCache((cache_dir or default_cache_dir()) / "org")


def org_facts(
    policy: Policy, settings: ScanSettings, rules: Sequence[Rule], checked: Sequence[str],
    texts: Mapping[str, str] | None = None,
) -> OrgSummary:  # fmt: skip
    """The org-level facts ``finish`` needs (kept in the JSON summary for ``merge``): the
    shared files, the severity of each org rule that runs, the rules checked (``checked``
    plus the org rules that apply), the shared files' texts."""
    from auditor.exemptions import policy_identity

    policy_path, policy_sha256 = policy_identity(None if settings.no_policy else settings.policy_file)
    severities = orgpass.enabled(rules, policy, settings.select, settings.ignore)
    ran = orgpass.applying(rules, severities, policy)
    drift = severities.pop(orgpass.DRIFT_RULE, None)
    return OrgSummary(
        shared_files=tuple(policy.shared_files),
        drift_severity=drift,
        checked_rules=tuple(sorted({*checked, *ran})),
        texts=dict(sorted((texts or {}).items())),
        org_rules=severities,
        scanned_at=_now_utc(),
        policy_path=policy_path,
        policy_sha256=policy_sha256,
    )


def _now_utc() -> str:
    """The scan time, UTC to the second; ``SOURCE_DATE_EPOCH`` (the reproducible-builds
    convention) fixes it, so two runs over the same inputs can give byte-identical reports."""
    import datetime as dt

    fixed = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    when = (dt.datetime.fromtimestamp(int(fixed), dt.UTC) if fixed.isdigit()
            else dt.datetime.now(dt.UTC))  # fmt: skip
    return when.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def scan_org(
    all_specs: Sequence[RepoSpec],
    specs: Sequence[RepoSpec],
    settings: ScanSettings,
    *,
    jobs: int | None = None,
    progress: Progress | None = None,
    cache_dir: Path | None = None,
) -> OrgResult:
    """Scan ``specs`` (resolving cross-repository calls against ``all_specs``).

    The engine, the result cache and the process pool are the ones ``auditor
    check`` uses (``auditor.parallel.scan_targets``); this adds the org data.
    Raises ``PolicyError`` for a bad ``--policy``; a repository that cannot be
    read (or whose own policy is invalid) is kept with an ``error`` instead.

    With the cache on, an org snapshot (``auditor.snapshot``) answers an
    unchanged organisation without reading its files (``reused``), and every
    trustworthy scan stores one.
    """
    import time

    from auditor import snapshot

    started = time.time_ns()
    resolver = OrgResolver(all_specs)
    cache = org_cache(cache_dir) if settings.use_cache else None
    snapshot_key = None
    if cache is not None and not any(spec.error for spec in specs):
        snapshot_key = snapshot.inputs_key(all_specs, specs, settings)
        reused = snapshot.restore(cache, snapshot_key, specs, resolver)
        if reused is not None:
            cache.flush()
            return reused
    from auditor.engine import Engine, Selection
    from auditor.parallel import scan_targets
    from auditor.targets import Target

    fixed = org_policy(settings)
    selection = Selection(settings.select, settings.ignore)
    org_engine = Engine(fixed, selection)  # --policy's rules must load: a usage error, not a repo's
    shared_paths = sorted({s.path for s in fixed.shared_files})
    before = snapshot.before_scan(specs, shared_paths) if cache is not None else {}
    result = OrgResult([], [])
    repos: dict[str, RepoSummary] = {}

    def not_scanned(spec: RepoSpec, why: str) -> None:
        repos[spec.name] = _error_summary(spec, why)
        result.errors.append(f"{spec.name}: {why}")

    pending: list[RepoSpec] = []
    for spec in specs:
        if spec.error is not None:
            not_scanned(spec, spec.error)
        else:
            pending.append(spec)
    pending = _prefetch(pending, shared_paths, not_scanned)
    final: dict[str, tuple[RepoSpec, RepoSource, Policy, RepoResult]] = {}
    engines: list[Engine] = []
    for round_number in range(1, MAX_FETCH_ROUNDS + 2):
        resolver = OrgResolver(all_specs)  # anew each round: what a fetch brought is seen
        scanned: list[tuple[RepoSpec, RepoSource, Policy]] = []
        targets: list[Target] = []
        for spec in pending:
            try:
                source = open_source(spec)
                policy = _repo_policy(source, spec, settings, fixed)
            except (OrgError, PolicyError) as exc:
                not_scanned(spec, str(exc))
                continue
            except Exception as exc:  # git failing on a hostile repository, say: that one only
                not_scanned(spec, _one_line(exc))
                continue
            source.remote_resolver = resolver  # type: ignore[attr-defined]
            root = Path(spec.path) if spec.rev is None else None
            targets.append(Target(source, root, spec.label))
            scanned.append((spec, source, policy))
        policies = {id(t): p for t, (_, _, p) in zip(targets, scanned, strict=True)}
        batch = scan_targets(
            targets, policies_by_target(policies), selection=selection, jobs=jobs,
            cache=cache, progress=progress, names=[spec.name for spec, _, _ in scanned], isolate=True,
        )  # fmt: skip
        engines.extend(e for e in batch.engines if e not in engines)
        for (spec, source, policy), res in zip(scanned, batch.results, strict=True):
            final[spec.name] = (spec, source, policy, res)
        if round_number > MAX_FETCH_ROUNDS:
            break
        pending = _fetch_missing(list(final.values()), [spec for spec, _, _ in scanned],
                                 shared_paths, resolver, not_scanned)  # fmt: skip
        for spec in pending:
            _close(final.pop(spec.name)[1])
        if not pending:
            break
    texts: dict[str, str] = {}
    findings: list[Finding] = []
    captured: list[tuple[RepoSpec, RepoSource, RepoResult]] = []
    for name in sorted(final):
        spec, source, policy, res = final[name]
        if name in repos:  # not scanned after all (a fetch failed)
            _close(source)
            continue
        if res.error is not None:
            not_scanned(spec, res.error)
            _close(source)
            continue
        try:
            summary = _repo_summary(spec, source, policy, res, shared_paths, texts)
        except Exception as exc:  # a hostile repository: that one is not scanned, the run goes on
            not_scanned(spec, _one_line(exc))
            _close(source)
            continue
        captured.append((spec, source, res))
        repos[spec.name] = summary
        findings.extend(res.findings)
        result.suppressed += res.suppressed
        result.files_analysed += res.analysed
        result.files_cached += res.cached
        _close(source)
    engine = engines[0] if engines else Engine(fixed, selection)
    checked = [r.id for r in engine.rules if r.scope != "org"]
    org = org_facts(fixed, settings, org_engine.all_rules, checked, texts)
    result.repos = [repos[name] for name in sorted(repos)]
    result.findings = orgpass.finish(findings, result.repos, org, org_engine.all_rules, fixed)
    result.org = _prune_texts(org, result.repos)
    stopped = any(f.rule == INCOMPLETE_RULE and f.subject.startswith("budget:") for f in findings)
    if cache is not None and snapshot_key is not None and not result.errors and not stopped:
        # (nor when the budget stopped a file: whether it finishes depends on the machine)
        state = snapshot.capture(captured, engines, shared_paths, started, before)
        if state is not None:
            result.state = snapshot.store(cache, snapshot_key, state, result)
            cache.flush()
    return result


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())[:300]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def policies_by_target(policies: dict[int, Policy]) -> Callable[[Any], Policy]:
    return lambda target: policies[id(target)]


def _close(source: RepoSource) -> None:
    close = getattr(source, "close", None)
    if callable(close):
        close()


def _repo_summary(
    spec: RepoSpec, source: RepoSource, policy: Policy, res: RepoResult,
    shared_paths: Sequence[str], texts: dict[str, str],
) -> RepoSummary:  # fmt: skip
    """One scanned repository's entry of the report's summary (``texts`` gains the shared
    files' contents by hash)."""
    shared: dict[str, SharedCopy] = {}
    for path in shared_paths:
        try:
            data: bytes | None = source.read(path)
        except OSError:
            data = None
        if data is None:
            shared[path] = SharedCopy(None, None)
            continue
        digest = hashlib.sha256(data).hexdigest()
        texts[digest] = data.decode("utf-8", "replace")
        shared[path] = SharedCopy(digest, _commit_time(spec, source, path))
    origin = RepoOrigin("git" if spec.rev is not None else "folder", spec.rev,
                        getattr(source, "commit", None))  # fmt: skip
    from auditor.exemptions import repo_exemptions

    revision, forge_url = _where(spec, origin.commit)
    return replace(
        res.summary, slugs=spec.slugs, source=origin, needs=_pipeline_needs(source, res, policy),
        source_lines=_source_lines(source, res.findings), shared_files=shared, error=None,
        revision=revision, forge_url=forge_url,
        exemptions=repo_exemptions(source, (p for p, _ in res.files), policy),
    )  # fmt: skip


def _where(spec: RepoSpec, commit: str | None) -> tuple[str | None, str | None]:
    """(the commit scanned, the repository's forge page): a working tree's HEAD when it is
    read from disk; the web URL from the URL it was mirrored from, else ``origin``."""
    from auditor import forge

    if not spec.git:
        return None, None
    revision = commit or forge.head_commit(Path(spec.path))
    remote = spec.label if is_url(spec.label) else forge.origin_url(Path(spec.path))
    repo = forge.web_repo(remote) if remote else None
    return revision, repo.url if repo is not None else None


# --- mirrors: objects fetched between scans, never during one ----------------------------

MAX_FETCH_ROUNDS = 3  # workflows, then the scripts they run, then what those read


def _mirrored(spec: RepoSpec) -> bool:
    """A repository auditor mirrors itself (from a URL): the one kind it ever fetches into."""
    return spec.git and spec.rev is not None and is_url(spec.label)


def _prefetch(
    specs: list[RepoSpec], shared_paths: Sequence[str], not_scanned: Callable[[RepoSpec, str], None]
) -> list[RepoSpec]:
    """Fetch, before the first scan, what discovery will read in each mirror that lacks it:
    workflow folders, actions, policy files, shared files. Returns the specs still to scan."""
    from auditor.policy import POLICY_FILENAMES
    from auditor.repo import ACTION_NAMES, WORKFLOW_DIRS, YAML_SUFFIXES

    wanted_names = set(POLICY_FILENAMES) | set(shared_paths)
    out: list[RepoSpec] = []
    for spec in specs:
        if not _mirrored(spec):
            out.append(spec)
            continue
        try:
            source: Any = open_source(spec)
            paths = [
                p for p in source.files()
                if (p.startswith(WORKFLOW_DIRS) and p.endswith(YAML_SUFFIXES))
                or p.rsplit("/", 1)[-1] in ACTION_NAMES or p in wanted_names
            ]  # fmt: skip
            missing = source.missing_objects(paths)
            _close(source)
            if missing:
                fetch_objects(spec, sorted(set(missing.values())))
        except OrgError as exc:
            not_scanned(spec, str(exc))
            continue
        except Exception as exc:
            not_scanned(spec, _one_line(exc))
            continue
        out.append(spec)
    return out


def _fetch_missing(
    results: list[tuple[RepoSpec, RepoSource, Policy, RepoResult]], this_round: list[RepoSpec],
    shared_paths: Sequence[str], resolver: OrgResolver, not_scanned: Callable[[RepoSpec, str], None],
) -> list[RepoSpec]:  # fmt: skip
    """After a scan: fetch into each mirror the objects its scan asked for and lacked (the
    scripts a step runs, say), and return the repositories to scan again — those, and the
    ones whose cross-repository calls went to a repository that just got objects."""
    from auditor.policy import POLICY_FILENAMES

    names = {spec.name for spec in this_round}
    fetched: set[str] = set()
    again: list[RepoSpec] = []
    for spec, source, _policy, res in results:
        if spec.name not in names or res.error is not None or not _mirrored(spec):
            continue
        missing_objects = getattr(source, "missing_objects", None)
        if missing_objects is None:
            continue
        paths = {p for p, _ in res.files} | set(POLICY_FILENAMES) | set(shared_paths)
        paths |= {k for k, digest in res.reads.items() if digest is None and not k.startswith("remote:")}
        missing = missing_objects(sorted(paths))
        if not missing:
            continue
        try:
            fetch_objects(spec, sorted(set(missing.values())))
        except OrgError as exc:
            not_scanned(spec, str(exc))
            continue
        except Exception as exc:
            not_scanned(spec, _one_line(exc))
            continue
        fetched.add(spec.path)
        again.append(spec)
    if fetched:
        for spec, _source, _policy, res in results:
            if spec in again or spec.name not in names or res.error is not None:
                continue
            callees = (resolver.spec_for(k[len("remote:"):]) for k, digest in res.reads.items()
                       if digest is None and k.startswith("remote:"))  # fmt: skip
            if any(c is not None and c.path in fetched for c in callees):
                again.append(spec)
    return again


def _error_summary(spec: RepoSpec, error: str) -> RepoSummary:
    origin = RepoOrigin("git" if spec.rev else "folder", spec.rev, None)
    from auditor import forge

    repo = forge.web_repo(spec.label) if is_url(spec.label) else None
    return RepoSummary(spec.name, spec.label, slugs=spec.slugs, source=origin, error=error,
                       forge_url=repo.url if repo is not None else None)  # fmt: skip


# --- the org-level facts ---------------------------------------------------------------


def _prune_texts(org: OrgSummary, repos: Sequence[RepoSummary]) -> OrgSummary:
    """``org`` keeping only the shared-file texts some repository still holds (sorted)."""
    wanted = {copy.sha256 for repo in repos for copy in repo.shared_files.values() if copy.sha256}
    return replace(org, texts={h: t for h, t in sorted(org.texts.items()) if h in wanted})


# --- reports and merge ------------------------------------------------------------------


def source_line_lookup(repos: Sequence[RepoSummary]) -> Callable[[Finding], str | None]:
    by_name = {r.name: r.source_lines for r in repos}

    def lookup(f: Finding) -> str | None:
        lines = by_name.get(f.repo or "")
        return lines.get(f.path, {}).get(f.line) if lines is not None else None

    return lookup


def make_report(result: OrgResult, fail_on: str, tool_version: str, trends: Any = None) -> Any:
    """The ``reports.Report`` every renderer (json, html, markdown) receives; ``trends``:
    the comparison with a previous report (``auditor.trends``), if one was asked for."""
    from auditor.reports import Report
    from auditor.rules_loader import builtin_rules, entry_point_rules

    rules = list(builtin_rules()) + list(entry_point_rules())
    return Report(
        findings=result.findings,
        rules=rules,
        files=result.files,
        repos=result.repos,
        suppressed=result.suppressed,
        fail_on=fail_on,
        tool_version=tool_version,
        source_line=source_line_lookup(result.repos),
        display_path=lambda f: f"{f.repo}/{f.path}" if f.repo else f.path,
        org=result.org,
        trends=trends,
    )


def load_report(path: str) -> dict[str, Any]:
    import json

    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as exc:
        raise OrgError(f"{path}: cannot read: {exc.strerror}") from None
    except ValueError as exc:
        raise OrgError(f"{path}: not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("schema_version") != 1:
        raise OrgError(f"{path}: not an auditor JSON report (schema_version 1)")
    summary = data.get("summary")
    if not isinstance(summary, dict) or not isinstance(summary.get("org"), dict):
        raise OrgError(f"{path}: not an org report (written by `auditor org --report json:...`)")
    problem = report_problem(data)
    if problem is not None:
        raise OrgError(f"{path}: not a valid auditor report: {problem}")
    return data


def report_problem(data: Any) -> str | None:
    """Where and why ``data`` breaks the JSON report schema (``reports/report.schema.json``),
    or None. Merge trusts every field it reads after this, so a hand-edited or truncated
    shard is a one-line error, not a crash in a renderer."""
    import json
    from importlib.resources import files

    import jsonschema

    schema = json.loads(files("auditor.reports").joinpath("report.schema.json").read_text("utf-8"))
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(data))
    if error is None:
        return None
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    return f"{where.lstrip('.') or 'the document'}: {error.message[:200]}"


def merge(documents: Sequence[dict[str, Any]], policy: Policy | None = None) -> OrgResult:
    """One org result from shard reports (each valid against the schema: ``load_report``):
    equal to the report of an unsharded run.

    The org rules the shards ran run again over the union: built-in and installed ones,
    and the custom rules of ``policy`` (the ``--policy`` the shards were scanned with; its
    shared files must be theirs). Without it, org rules see the policy rebuilt from the
    shards' summary (``orgpass.summary_policy``), and shards that ran a custom org rule
    cannot be merged (a one-line error says so)."""
    findings: list[Finding] = []
    repos: dict[str, RepoSummary] = {}
    org: OrgSummary | None = None
    texts: dict[str, str] = {}
    suppressed = 0
    for doc in documents:
        summary = doc["summary"]
        facts = OrgSummary.from_json(summary["org"])
        if org is None:
            org = facts
        elif facts.shared_files != org.shared_files:
            raise OrgError("the shard reports were made with different shared_files policies")
        texts.update(facts.texts)
        suppressed += int(summary.get("suppressed", 0))
        for repo in summary.get("repositories", []):
            if str(repo["name"]) not in repos:
                repos[str(repo["name"])] = RepoSummary.from_json(repo)
        findings.extend(Finding.from_json(f) for f in doc.get("findings", []))
    if org is None:
        raise OrgError("nothing to merge")
    org = replace(org, texts=dict(sorted(texts.items())))
    rules, policy = _merge_rules(org, policy)
    ordered = [repos[name] for name in sorted(repos)]
    result = OrgResult(orgpass.finish(findings, ordered, org, rules, policy), ordered, org,
                       suppressed=suppressed)  # fmt: skip
    result.org = _prune_texts(org, ordered)
    return result


def _merge_rules(org: OrgSummary, policy: Policy | None) -> tuple[list[Rule], Policy]:
    """The rules a merge runs the shards' org rules with, and the policy they see."""
    from auditor.rules_loader import builtin_rules, entry_point_rules, load_rules

    if policy is not None and tuple(policy.shared_files) != tuple(org.shared_files):
        raise OrgError(f"{policy.source}: its shared_files are not the ones the shards were "
                       "scanned with")  # fmt: skip
    rules = load_rules(policy) if policy is not None else [*builtin_rules(), *entry_point_rules()]
    missing = sorted(set(orgpass.severities(org)) - {r.id for r in orgpass.org_rules(rules)})
    if missing:
        raise OrgError(
            f"the shards ran org rule(s) {', '.join(missing)} that merge cannot load: pass "
            "--policy FILE, the policy whose custom_rules define them"
        )
    return rules, policy if policy is not None else orgpass.summary_policy(org)
