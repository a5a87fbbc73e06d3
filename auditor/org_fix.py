"""``auditor org --fix``: one ``git format-patch`` style file per repository.

A platform team fixes an organisation by opening one pull request per
repository with its own tooling; this writes what each pull request holds:
a mail-style patch (From/Date/Subject naming the rules, the fixes listed in
the message, a diffstat, then a unified diff) that ``git am`` applies. The
repositories themselves are only read, so bare mirrors and URLs work too.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from auditor import __version__
from auditor.fix_cli import unified_diff
from auditor.fixer import FileFix

AUTHOR = "auditor <auditor@localhost>"


def _counts(fix: FileFix) -> tuple[int, int]:
    """(insertions, deletions) of one file's change, as git's diffstat counts them."""
    added = removed = 0
    for line in unified_diff(fix).splitlines():
        if line.startswith("+") and not line.startswith("+++"):
            added += 1
        elif line.startswith("-") and not line.startswith("---"):
            removed += 1
    return added, removed


def _diffstat(fixes: Sequence[FileFix]) -> str:
    width = max(len(f.path) for f in fixes)
    rows, plus, minus = [], 0, 0
    for fix in fixes:
        added, removed = _counts(fix)
        plus, minus = plus + added, minus + removed
        rows.append(f" {fix.path:<{width}} | {added + removed} {'+' * added}{'-' * removed}")
    files = f"{len(fixes)} file{'s' if len(fixes) != 1 else ''} changed"
    rows.append(f" {files}, {plus} insertion{'s' if plus != 1 else ''}(+), "
                f"{minus} deletion{'s' if minus != 1 else ''}(-)")  # fmt: skip
    return "\n".join(rows) + "\n"


def patch_text(fixes: Sequence[FileFix], date: str | None = None) -> str:
    """The patch of one repository's fixed files (only those that changed)."""
    changed = [f for f in fixes if f.changed]
    rules = sorted({rule for f in changed for rule in f.rules})
    body = [f"- {f.path}:{a.line} {a.rule}" for f in changed for a in f.applied]
    diffs = "".join(f"diff --git a/{f.path} b/{f.path}\n{unified_diff(f)}" for f in changed)
    return (
        "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n"
        f"From: {AUTHOR}\n"
        f"Date: {date or email.utils.formatdate(localtime=False)}\n"
        f"Subject: [PATCH] auditor fix: {', '.join(rules)}\n\n"
        f"Mechanical fixes made by `auditor fix` {__version__} for the findings of\n"
        f"{', '.join(rules)}:\n\n" + "\n".join(body) + "\n---\n"
        + _diffstat(changed) + "\n" + diffs + "-- \n" + f"auditor {__version__}\n\n"
    )


def patch_name(index: int, repo: str) -> str:
    """``0001-owner-repo.patch``: numbered like format-patch, named after the repository."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", repo).strip("-.") or "repository"
    return f"{index:04d}-{slug[:80]}.patch"


def write_patches(patches: Sequence[tuple[str, str]], folder: Path) -> list[Path]:
    """Write ``(repository, patch text)`` pairs as numbered files; their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for index, (repo, text) in enumerate(patches, start=1):
        path = folder / patch_name(index, repo)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def run_org_fix(
    paths: Sequence[str], *, root: str | None, repos_file: str | None, ref: str | None,
    unsafe: bool, diff: bool, patch_dir: str | None, policy_file: str | None,
    no_policy: bool, select: frozenset[str], ignore: frozenset[str], quiet: bool,
) -> tuple[int, str]:  # fmt: skip
    """Fix every repository; write the patches; (exit code, patches for stdout).
    Raises ``OrgError``/``CheckError`` with a one-line reason."""
    from auditor.fix_cli import fix_targets
    from auditor.org import collect
    from auditor.orgdata import OrgError
    from auditor.orgsource import open_source
    from auditor.targets import Target

    if not diff and patch_dir is None:
        raise OrgError("auditor org --fix writes patches, never the repositories: add "
                       "--patch-dir DIR and/or --diff")  # fmt: skip
    specs = [s for s in collect(paths, root=root, repos_file=repos_file, ref=ref) if s.error is None]
    patches: list[tuple[str, str]] = []
    for spec in specs:
        source = open_source(spec)
        target = Target(source, Path(spec.path) if spec.rev is None else None, spec.label)
        [fixes] = fix_targets([target], unsafe=unsafe, policy_file=policy_file, no_policy=no_policy,
                              select=select, ignore=ignore)  # fmt: skip
        if any(f.changed for f in fixes):
            patches.append((spec.name, patch_text(fixes)))
    written = write_patches(patches, Path(patch_dir)) if patch_dir is not None else []
    if not quiet:
        import click

        for path in written:
            click.echo(f"auditor: wrote {path}", err=True)
        click.echo(f"auditor: {len(patches)} of {len(specs)} repositories have fixes", err=True)
    return (1 if patches else 0), ("".join(text for _repo, text in patches) if diff else "")


def run_org_fix_cli(
    paths: Sequence[str], *, fix: bool, fail: Callable[[str], NoReturn], **options: Any
) -> int:
    """The command: errors as one line (exit 2), the patches on stdout with ``--diff``."""
    import sys

    from auditor.check import CheckError
    from auditor.errors import InternalError, PolicyError
    from auditor.orgdata import OrgError

    if not fix:
        fail("--unsafe, --diff and --patch-dir go with --fix")
    try:
        code, text = run_org_fix(paths, **options)
    except (OrgError, CheckError, PolicyError, InternalError) as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write the patches: {exc.strerror or exc}")
    sys.stdout.write(text)
    sys.stdout.flush()
    return code
