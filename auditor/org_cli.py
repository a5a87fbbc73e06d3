"""``auditor org`` and ``auditor merge``: options in, reports out (the logic is auditor.org).

Progress goes to standard error: a rich progress bar when it is a terminal,
a few plain lines otherwise (CI logs), nothing with ``--quiet``. Reports are
written through ``auditor.outputs`` like ``auditor check``'s, so ``--report
html:org.html --report json:org.json`` and ``--format`` work the same way.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click

from auditor import __version__

if TYPE_CHECKING:
    from auditor.orgdata import OrgResult

Fail = Callable[[str], Any]


class _Progress:
    """A rich bar on a TTY, plain lines (every 10 %) elsewhere, or nothing."""

    def __init__(self, quiet: bool, stream: TextIO) -> None:
        self.quiet = quiet
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("CI")
        self.bar: Any = None
        self.task: Any = None
        self.last_step = -1

    def say(self, message: str) -> None:
        """One line of progress; it may quote a URL or a path from ``--repos``, so it is
        escaped like every other line auditor prints (``errors.message_line``)."""
        if not self.quiet:
            from auditor.errors import message_line

            if self.bar is not None:
                self.bar.console.print(message_line(message), markup=False, highlight=False)
            else:
                click.echo(f"auditor: {message_line(message)}", err=True)

    def __call__(self, done: int, total: int) -> None:
        if self.quiet or total <= 0:
            return
        if self.tty:
            if self.bar is None:
                from auditor.check_progress import file_bar

                self.bar, self.task = file_bar("scanning files", self.stream, total)
            self.bar.update(self.task, completed=done, total=total)
            return
        step = done * 10 // total
        if step != self.last_step:
            self.last_step = step
            click.echo(f"auditor: scanned {done}/{total} files ({done * 100 // total}%)", err=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


def run_org(
    paths: tuple[str, ...], *, root: str | None, repos_file: str | None, ref: str | None,
    shard: str | None, jobs: int | None, no_cache: bool, quiet: bool, policy_file: str | None,
    no_policy: bool, select: frozenset[str], ignore: frozenset[str], fail_on: str, fmt: str,
    output: str | None, report_specs: tuple[str, ...], mirror_dir: str | None, fail: Fail,
    trust_repo_policy: bool = False, compare: str | None = None,
) -> int:  # fmt: skip
    """Scan the org; write the reports; the exit code."""
    from auditor import org, outputs
    from auditor.errors import InternalError, PolicyError, messages_of
    from auditor.findings import exit_code

    if policy_file and no_policy:
        fail("--policy and --no-policy exclude each other")
    if not paths and not root and not repos_file:
        fail("name repositories (paths or a glob), --root DIR, or --repos FILE")
    try:
        extra_outputs = outputs.parse_specs(report_specs)
        k, n = org.parse_shard(shard) if shard else (1, 1)
        previous = org.load_report(compare) if compare else None
    except (outputs.OutputError, org.OrgError) as exc:
        fail(str(exc))
    progress = _Progress(quiet, sys.stderr)
    started = time.monotonic()
    try:
        all_specs = org.collect(
            paths, root=root, repos_file=repos_file, ref=ref,
            mirror_dir=Path(mirror_dir) if mirror_dir else None,
            jobs=jobs or 4, log=progress.say,
        )  # fmt: skip
        if not all_specs:
            fail("no repositories to scan")
        specs = org.select_shard(all_specs, k, n) if n > 1 else all_specs
        if n > 1:
            progress.say(f"shard {k}/{n}: {len(specs)} of {len(all_specs)} repositories")
        settings = org.ScanSettings(
            policy_file, no_policy, select, ignore, not no_cache, trust_repo_policy
        )
        result = org.scan_org(all_specs, specs, settings, jobs=jobs, progress=progress)
    except (org.OrgError, PolicyError, InternalError) as exc:
        progress.close()
        fail(*messages_of(exc))
    finally:
        progress.close()
    unknown = (select | ignore) - set(result.org.checked_rules)
    if unknown:  # a rule no repository ran may still exist (custom rules of --policy too)
        from auditor.rules_loader import load_rules

        unknown -= {r.id for r in load_rules(org.org_policy(settings))}
    if unknown:
        fail(f"unknown rule id(s): {', '.join(sorted(unknown))} (see `auditor rules`)")
    from auditor.errors import message_line

    for error in result.errors:  # not progress: shown even with --quiet
        click.echo(f"auditor: error: {message_line(error)} (not scanned)", err=True)
    took = time.monotonic() - started
    if result.reused:
        progress.say(
            f"{len(specs)} repositories, {result.files} files, unchanged since the last scan "
            f"(nothing read or analysed) in {took:.1f} s"
        )
    else:
        progress.say(
            f"{len(specs)} repositories, {result.files} files ({result.files_analysed} "
            f"analysed, {result.files_cached} from the cache) in {took:.1f} s"
        )
    memo = None
    if result.state is not None and not no_cache and previous is None:
        from auditor.snapshot import RenderMemo

        memo = RenderMemo(org.org_cache(), result.state, fail_on)
    _emit(result, fmt, output, extra_outputs, fail_on, fail, memo, _trends(result, previous, compare))
    if memo is not None:
        memo.close()
    if result.errors:
        return 2
    # with shared files to compare (shared-file-drift), a repository without workflows is
    # still checked: its copies are
    empty = None if org.org_policy(settings).shared_files else _no_workflows(result, root)
    if empty is not None:
        click.echo(f"auditor: {message_line(empty)}", err=True)
        if empty.startswith("no inputs collected") and not result.findings:
            from auditor.no_inputs import EXIT_NOTHING_CHECKED

            return EXIT_NOTHING_CHECKED
    return exit_code(result.findings, fail_on)


def _no_workflows(result: OrgResult, root: str | None) -> str | None:
    """What to say of repositories that hold no workflow (None: every one holds some).

    Nothing to check is not a pass: an org scan whose repositories hold no workflow
    at all (a ``--root`` one level above the repositories) ends like ``check`` does
    (exit 3, unless findings elsewhere make it 1); some such repositories are named."""
    scanned = [r for r in result.repos if not r.error]
    bare = [r.name for r in scanned if not r.jobs]
    if not bare:
        return None
    if len(bare) < len(scanned):
        shown = ", ".join(bare[:5]) + (f" and {len(bare) - 5} more" if len(bare) > 5 else "")
        return f"{len(bare)} of {len(scanned)} repositories hold no workflow: {shown}"
    line = (f"no inputs collected: none of the {len(scanned)} repositories holds a workflow under "
            ".github/workflows, .gitea/workflows or .forgejo/workflows")  # fmt: skip
    if root is not None:
        from auditor.no_inputs import one_level_down

        deeper = one_level_down(root, root)
        if deeper:
            line += f"; {root.rstrip('/') or '/'} holds {deeper}"
    return line


def _trends(result: OrgResult, previous: dict[str, Any] | None, name: str | None) -> Any:
    """The comparison with ``--compare``'s report (None without one): repositories that
    were scanned (not those in error) are compared."""
    if previous is None or name is None:
        return None
    from auditor.trends import compare

    scanned = [r.name for r in result.repos if not r.error]
    return compare(result.findings, scanned, previous, name)


def run_merge(
    files: tuple[str, ...], *, fail_on: str, fmt: str, output: str | None,
    report_specs: tuple[str, ...], fail: Fail, policy_file: str | None = None,
    compare: str | None = None,
) -> int:  # fmt: skip
    from auditor import org, outputs
    from auditor.errors import PolicyError, messages_of
    from auditor.findings import exit_code

    try:
        extra_outputs = outputs.parse_specs(report_specs)
        policy = org.org_policy(org.ScanSettings(policy_file)) if policy_file else None
        previous = org.load_report(compare) if compare else None
        result = org.merge([org.load_report(path) for path in files], policy)
    except (outputs.OutputError, org.OrgError, PolicyError) as exc:
        fail(*messages_of(exc))
    _emit(result, fmt, output, extra_outputs, fail_on, fail, trends=_trends(result, previous, compare))
    errors = [r for r in result.repos if r.error]
    if errors:
        return 2
    return exit_code(result.findings, fail_on)


def _emit(
    result: OrgResult, fmt: str, output: str | None, extra: list[Any], fail_on: str, fail: Fail,
    memo: Any = None, trends: Any = None,
) -> None:
    from auditor import org, outputs

    stream = sys.stdout if not output or output == "-" else None
    colour = fmt == "text" and stream is not None and bool(
        getattr(stream, "isatty", lambda: False)()) and not os.environ.get("NO_COLOR")
    try:
        outputs.emit(
            lambda: org.make_report(result, fail_on, __version__, trends),
            outputs.Output(fmt, output or "-"), extra,
            outputs.write_stdout, stdout_colour=colour,
            memo=memo,
        )  # fmt: skip
    except outputs.OutputError as exc:
        fail(*exc.reasons)  # every output was attempted: one line per failure
