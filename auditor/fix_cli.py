"""``auditor fix``: apply the rules' fixes to workflow files, in place or as a diff.

The command body lives here so ``auditor.cli`` only registers it. Exit codes:
in place, 0 (what is fixed is written; what is left is listed on stderr);
with ``--diff``, 1 when a fix would change a file (a CI check), else 0;
2 with one line for a usage, policy or path error.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from auditor.fixer import FileFix, Fixer

if TYPE_CHECKING:
    from auditor.targets import Target


def unified_diff(fix: FileFix) -> str:
    """The change to one file as a unified diff with ``a/``/``b/`` paths (``git apply``)."""
    lines = difflib.unified_diff(
        fix.before.splitlines(keepends=True), fix.after.splitlines(keepends=True),
        f"a/{fix.path}", f"b/{fix.path}",
    )  # fmt: skip
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def fix_targets(
    targets: Sequence[Target], *, unsafe: bool, policy_file: str | None, no_policy: bool,
    select: frozenset[str], ignore: frozenset[str],
) -> list[list[FileFix]]:  # fmt: skip
    """Every workflow file of each target fixed (nothing written), one list per target.
    Raises ``CheckError`` (one line) when the policy or a rule id is bad."""
    from auditor.check import CheckError, CheckOptions, target_policies
    from auditor.engine import Engine, Selection

    options = CheckOptions(policy_file=policy_file, no_policy=no_policy, select=select, ignore=ignore)
    out: list[list[FileFix]] = []
    for target, policy in zip(targets, target_policies(targets, options), strict=True):
        engine = Engine(policy, Selection(select, ignore))
        unknown = (select | ignore) - {r.id for r in engine.all_rules}
        if unknown:
            raise CheckError(f"unknown rule id(s): {', '.join(sorted(unknown))} (see `auditor rules`)")
        fixer = Fixer(engine, target, policy, unsafe)
        out.append([fixer.fix_file(path) for path in fixer.files()])
        from auditor.errors import message_line

        for line in dict.fromkeys(fixer.failures):
            click.echo(f"auditor: {message_line(line)}", err=True)
    return out


def fix_paths(
    paths: Sequence[str], *, unsafe: bool, policy_file: str | None, no_policy: bool,
    select: frozenset[str], ignore: frozenset[str],
) -> list[tuple[Path | None, str, FileFix]]:  # fmt: skip
    """Every file of ``paths`` fixed (nothing written): (repository root, the path as the
    user knows it, result) for each.
    Raises ``CheckError``/``TargetError`` (one line) when the paths or policy are bad."""
    from auditor.check import CheckError
    from auditor.targets import resolve_targets

    targets = resolve_targets(list(paths))
    if any(target.root is None for target in targets):
        raise CheckError("auditor fix edits files: give paths, not standard input")
    fixed = fix_targets(targets, unsafe=unsafe, policy_file=policy_file, no_policy=no_policy,
                        select=select, ignore=ignore)  # fmt: skip
    from auditor.check import shown_path

    return [(target.root, shown_path(target.label, fix.path), fix)
            for target, fixes in zip(targets, fixed, strict=True) for fix in fixes]  # fmt: skip


def run_fix(
    paths: Sequence[str], *, unsafe: bool, diff: bool, policy_file: str | None, no_policy: bool,
    select: frozenset[str], ignore: frozenset[str], fail: Callable[[str], NoReturn],
) -> int:  # fmt: skip
    """The command: fix, write (or print the diff), report on stderr; the exit code."""
    from auditor.check import CheckError
    from auditor.errors import InternalError, PolicyError, message_line, messages_of
    from auditor.targets import TargetError

    if policy_file and no_policy:
        fail("--policy and --no-policy exclude each other")
    try:
        results = fix_paths(paths, unsafe=unsafe, policy_file=policy_file, no_policy=no_policy,
                            select=select, ignore=ignore)  # fmt: skip
    except (CheckError, TargetError, PolicyError, InternalError) as exc:
        fail(*messages_of(exc))
    changed = 0
    fixes = 0
    for root, shown, fix in results:
        name = message_line(shown)
        if fix.skipped:
            if fix.remaining:
                click.echo(f"auditor: {name}: {fix.skipped}", err=True)
            continue
        for item in fix.rolled_back:
            click.echo(f"auditor: {name}:{item.line}: rolled back the {item.rule} fix: {item.reason}",
                       err=True)  # fmt: skip
        if not fix.changed:
            continue
        changed += 1
        fixes += len(fix.applied)
        verb = "would fix" if diff else "fixed"
        for item in fix.applied:
            click.echo(f"auditor: {name}:{item.line}: {verb} {item.rule}", err=True)
        if diff:
            click.echo(unified_diff(fix), nl=False)
        else:
            assert root is not None
            try:
                (root / fix.path).write_bytes(fix.after.encode("utf-8"))
            except OSError as exc:
                fail(f"{name}: cannot write the fixed file: {exc.strerror or exc}")
    left = sum(len(fix.remaining) for _root, _shown, fix in results)
    verb = "would change" if diff else "changed"
    click.echo(f"auditor: {fixes} fix(es) {verb} {changed} file(s); {left} finding(s) left "
               "(run `auditor check` to see them)", err=True)  # fmt: skip
    sys.stdout.flush()
    return 1 if diff and changed else 0
