"""Where a person reads a repository's file on its forge: web URLs from git remotes.

A compliance report links every finding to the file and line it points at,
pinned to the scanned revision, so the lead reads exactly what was judged
(not what the branch holds by the time they click). Only forges whose URL
scheme is known get links: GitHub (``/blob/<rev>/<path>#L<n>``) and the
Gitea family, Gitea, Forgejo and Codeberg (``/src/commit/<rev>/<path>#L<n>``).
Any other remote gives None, so a report never shows a link that 404s.

The remote is what ``git remote get-url origin`` prints, in any of git's forms:
``https://host/owner/repo(.git)``, ``ssh://git@host(:port)/owner/repo.git`` or
the scp-like ``git@host:owner/repo.git``. Credentials in an https remote are
never copied into the web URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

from auditor.gitsource import GitError, git_command

GITHUB = "github"
GITEA = "gitea"  # Gitea, Forgejo, Codeberg: the same URL scheme

_KNOWN_HOSTS = {"github.com": GITHUB, "www.github.com": GITHUB, "codeberg.org": GITEA}
_SCP = re.compile(r"^(?:[^@/\s]+@)?(?P<host>[^/:\s]+):(?P<path>[^/\s].*)$")
_SEGMENT = re.compile(r"^[A-Za-z0-9._-]+$")
_HOST = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")


@dataclass(frozen=True)
class ForgeRepo:
    """A repository on a known forge: its kind and web URL (``https://host/owner/repo``)."""

    kind: str
    url: str


def forge_kind(host: str) -> str | None:
    """The forge a host runs, when its name says so (a self-hosted ``gitea.…`` or
    ``forgejo.…`` host counts; an arbitrary host does not)."""
    host = host.lower()
    if host in _KNOWN_HOSTS:
        return _KNOWN_HOSTS[host]
    labels = host.split(".")
    if any(label in ("gitea", "forgejo", "codeberg") for label in labels):
        return GITEA
    return None


def web_repo(remote: str) -> ForgeRepo | None:
    """The web page of the repository behind ``remote`` (a git remote URL), or None
    when the forge is unknown or the URL is not a repository's."""
    remote = remote.strip()
    host, path = "", ""
    if "://" in remote:
        parts = urlsplit(remote)
        if parts.scheme not in ("https", "http", "ssh", "git"):
            return None
        host, path = parts.hostname or "", parts.path
    else:
        match = _SCP.match(remote)
        if match is None:
            return None
        host, path = match["host"], match["path"]
    kind = forge_kind(host) if _HOST.match(host) else None
    if kind is None:
        return None
    segments = [s for s in path.strip("/").split("/") if s]
    if len(segments) != 2:
        return None
    owner, name = segments[0], segments[1]
    if name.endswith(".git"):
        name = name[:-4]
    if not (_SEGMENT.match(owner) and _SEGMENT.match(name)):
        return None
    return ForgeRepo(kind, f"https://{host.lower()}/{owner}/{name}")


def file_url(repo_url: str | None, rev: str | None, path: str, line: int | None = None) -> str | None:
    """The forge page of ``path`` at revision ``rev`` (line ``line`` highlighted).

    ``repo_url`` is a git remote in any form or a web URL from ``web_repo``; None
    when it is not on a known forge or there is no revision to pin the link to."""
    if not repo_url or not rev:
        return None
    repo = web_repo(repo_url)
    if repo is None:
        return None
    quoted = quote(path, safe="/")
    where = "blob" if repo.kind == GITHUB else "src/commit"
    anchor = f"#L{line}" if line and line > 0 else ""
    return f"{repo.url}/{where}/{rev}/{quoted}{anchor}"


def origin_url(folder: Path) -> str | None:
    """``git remote get-url origin`` of the repository at ``folder`` (None: no origin); run
    like every git command of a scan (``git_command``: the repository's config starts no
    program)."""
    try:
        proc = git_command("-C", str(folder), "remote", "get-url", "origin")
    except GitError:
        return None
    if proc.returncode != 0:
        return None
    text = proc.stdout.decode("utf-8", "replace").strip()
    return text or None


def head_commit(folder: Path) -> str | None:
    """The commit ``HEAD`` names in the repository at ``folder`` (None: not a git repository,
    or one without commits)."""
    try:
        proc = git_command("-C", str(folder), "rev-parse", "--verify", "-q", "HEAD^{commit}")
    except GitError:
        return None
    text = proc.stdout.decode("ascii", "replace").strip()
    return text if proc.returncode == 0 and re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", text) else None


def commit_url(repo_url: str | None, rev: str | None) -> str | None:
    """The forge page of the tree at ``rev`` (None: unknown forge or no revision)."""
    repo = web_repo(repo_url) if repo_url else None
    if repo is None or not rev:
        return None
    return f"{repo.url}/{'tree' if repo.kind == GITHUB else 'src/commit'}/{rev}"
