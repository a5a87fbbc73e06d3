"""shared-file-drift: a policy-listed shared file differs, or is missing, across repositories.

This rule compares repositories, so it is an org rule (``auditor.rule.OrgRule``):
the engine, which sees one repository at a time, skips it, and ``auditor org``
runs ``check_org`` once over every repository of the scan — and ``auditor
merge`` again over the union of the shards, so both give the same answer. It
reads each repository's ``shared_files`` (the sha256 and commit time of its
copy, which the org scan records for every path the policy lists) and the
texts of the versions (for the diff).
"""

from __future__ import annotations

import difflib
import fnmatch
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from auditor.policy import Policy
from auditor.rule import OrgCheck, OrgContext, OrgHit, Rule
from auditor.summary import RepoSummary

MAX_DIFF_LINES = 14


@dataclass(frozen=True, slots=True)
class Copy:
    """One repository's copy of a shared file (``sha256`` None: the file is absent)."""

    repo: str
    sha256: str | None
    time: int | None = None  # commit time of the last change to it, where the repo is git


def canonical(copies: Iterable[Copy]) -> str | None:
    """The canonical hash: the majority; a tie goes to the newest commit where every tied
    version has a git commit time, else to the version held by the first repository name."""
    present = [c for c in copies if c.sha256 is not None]
    if not present:
        return None
    counts = Counter(c.sha256 for c in present)
    top = max(counts.values())
    tied = sorted(h for h, n in counts.items() if n == top and h is not None)
    if len(tied) == 1:
        return tied[0]
    holders = {h: [c for c in present if c.sha256 == h] for h in tied}
    newest = {h: max((c.time for c in cs if c.time is not None), default=None)
              for h, cs in holders.items()}  # fmt: skip
    if all(t is not None for t in newest.values()):
        first_name = {h: min(c.repo for c in cs) for h, cs in holders.items()}
        return max(tied, key=lambda h: (newest[h] or 0, _reverse(first_name[h])))
    return min(tied, key=lambda h: min(c.repo for c in holders[h]))


def _reverse(name: str) -> tuple[int, ...]:
    """A key that sorts names backwards, so ``max`` prefers the first name on equal times."""
    return tuple(-ord(ch) for ch in name)


def short_diff(path: str, old: str, new: str, old_label: str, new_label: str) -> str:
    lines = list(
        difflib.unified_diff(
            old.splitlines(), new.splitlines(),
            fromfile=f"{path} ({old_label})", tofile=f"{path} ({new_label})",
            n=1, lineterm="",
        )
    )  # fmt: skip
    if len(lines) > MAX_DIFF_LINES:
        more = len(lines) - MAX_DIFF_LINES
        lines = [*lines[:MAX_DIFF_LINES], f"... ({more} more diff line{'s' if more != 1 else ''})"]
    return "\n".join(lines)


def drift_hits(path: str, copies: list[Copy], texts: dict[str, str]) -> Iterator[OrgHit]:
    """Every repository of the group whose copy of ``path`` is missing or not canonical.

    ``texts`` maps a hash to the file's text (for the diff). Repositories are
    reported in name order; the message names the canonical version and how
    many repositories hold it, then a short unified diff (canonical → this
    repository).
    """
    canon = canonical(copies)
    total = len(copies)
    holders = sorted(c.repo for c in copies if c.sha256 == canon)
    where = (
        f"sha256 {canon[:12]}, held by {len(holders)} of {total} repositories"
        f" (e.g. {holders[0]})" if canon is not None and holders else ""
    )  # fmt: skip
    for c in sorted(copies, key=lambda c: c.repo):
        if c.sha256 is None:
            detail = f"; the canonical version is {where}" if where else \
                "; no repository of the group has it"
            yield OrgHit(
                c.repo, path,
                f"shared file {path} is missing from this repository{detail} — add it, "
                "byte-identical",
                "missing",
            )  # fmt: skip
        elif c.sha256 != canon and canon is not None:
            diff = short_diff(
                path, texts.get(canon, ""), texts.get(c.sha256, ""), f"canonical, {holders[0]}",
                c.repo,
            )  # fmt: skip
            yield OrgHit(
                c.repo, path,
                f"shared file {path} differs from the canonical version ({where}); this copy "
                f"is sha256 {c.sha256[:12]} — replace it with the canonical bytes\n{diff}",
                f"differs:{c.sha256}",
            )  # fmt: skip


def member(repo: RepoSummary, patterns: Sequence[str]) -> bool:
    """Whether ``repo`` is in a group: its name or one of its ``owner/repo`` slugs matches."""
    names = [repo.name, *repo.slugs]
    return any(fnmatch.fnmatchcase(n, p) for n in names for p in patterns)


def check_org(ctx: OrgContext) -> Iterator[OrgHit]:
    """Every shared file of the policy, compared across the repositories of its group."""
    for entry in ctx.policy.shared_files:
        copies = []
        for repo in ctx.repos:
            if not member(repo, entry.repos or ("*",)):
                continue
            info = repo.shared_files.get(entry.path)
            copies.append(Copy(repo.name, info.sha256 if info else None, info.time if info else None))
        if copies:
            yield from drift_hits(entry.path, copies, dict(ctx.texts))


def has_shared_files(policy: Policy) -> bool:
    return bool(policy.shared_files)


RULE = Rule(
    id="shared-file-drift",
    severity="error",
    summary="Org scans: a policy-listed shared file is missing or differs between repositories.",
    what="""
For each entry of the policy's `shared_files` (a path and repository-name
globs), `auditor org` compares that file across every scanned repository of the
group. The canonical version is the one most repositories hold; a tie goes to
the version changed by the newest commit where the repositories are git, else
to the version of the first repository by name. Each repository whose copy
differs gets a finding with a short unified diff (canonical → its copy), and
each repository without the file gets one too. `auditor check` does not run
this rule: it needs more than one repository.
""",
    why="""
A verify script such as `verify-runtime-pin.sh` is only trustworthy if it is
the same everywhere: a template repository whose copy drifted (an old version
that still exits 0 on a mismatch, or a local "fix") silently stops verifying,
and nobody reviews the copies one by one.
""",
    example="""
#!/bin/sh
# verify-runtime-pin.sh: fail unless the control plane pins the digest just pushed
set -eu
pin=$(curl --fail-with-body -sS -H "Authorization: Bearer $CP_TOKEN" "$CP_URL/pin/$TEMPLATE")
if [ "$pin" != "$EXPECTED_DIGEST" ]; then
  echo "::warning::the pin is $pin, not $EXPECTED_DIGEST"
fi
""",
    use_instead="""
#!/bin/sh
# verify-runtime-pin.sh: fail unless the control plane pins the digest just pushed
set -eu
pin=$(curl --fail-with-body -sS -H "Authorization: Bearer $CP_TOKEN" "$CP_URL/pin/$TEMPLATE")
if [ "$pin" != "$EXPECTED_DIGEST" ]; then
  echo "::error::the pin is $pin, not $EXPECTED_DIGEST"
  exit 1
fi
""",
    example_line=1,
    example_path='service-template-b/.gitea/scripts/verify-runtime-pin.sh',
    example_files=(
        ('service-template-a/.gitea/scripts/verify-runtime-pin.sh', """
#!/bin/sh
# verify-runtime-pin.sh: fail unless the control plane pins the digest just pushed
set -eu
pin=$(curl --fail-with-body -sS -H "Authorization: Bearer $CP_TOKEN" "$CP_URL/pin/$TEMPLATE")
if [ "$pin" != "$EXPECTED_DIGEST" ]; then
  echo "::error::the pin is $pin, not $EXPECTED_DIGEST"
  exit 1
fi
"""),
        ('service-template-c/.gitea/scripts/verify-runtime-pin.sh', """
#!/bin/sh
# verify-runtime-pin.sh: fail unless the control plane pins the digest just pushed
set -eu
pin=$(curl --fail-with-body -sS -H "Authorization: Bearer $CP_TOKEN" "$CP_URL/pin/$TEMPLATE")
if [ "$pin" != "$EXPECTED_DIGEST" ]; then
  echo "::error::the pin is $pin, not $EXPECTED_DIGEST"
  exit 1
fi
"""),
    ),
    example_policy="""
version: 1
shared_files:
  - path: .gitea/scripts/verify-runtime-pin.sh
    repos: ['service-template-*']
""",
    org=OrgCheck(check_org, has_shared_files),
    scope="org",
    kinds=frozenset(),
    tags=("org", "supply-chain"),
)
