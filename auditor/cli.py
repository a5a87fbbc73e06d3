"""The command line: ``auditor check | graph | rules | explain``.

Exit codes are part of the interface: 0 nothing at or above ``--fail-on``,
1 findings, 2 usage, policy or internal error with a one-line reason on
stderr, 3 nothing to check (``auditor.no_inputs``), 130 interrupted, 141 a
closed standard output (``auditor.exits``). No traceback ever reaches the user.
"""

from __future__ import annotations

import gc
import os
import sys
from typing import Any, NoReturn

import click

from auditor import __version__

# Every run pays for what this module imports at its top, so that is only click:
# the rest (pathlib, the model, YAML, rules, reports) is imported inside the
# command that needs it, and `auditor --version` / `--help` load none of the
# auditor modules (a test in tests/engine/test_cli.py keeps it so).

# The one list is reports.FORMATS (a test keeps the two equal); not imported here
# so that `auditor --help` stays fast.
FORMAT_NAMES = ("text", "json", "sarif", "junit", "github", "markdown", "html", "csv")
# The one list is auditor.findings.SEVERITIES (a test keeps the two equal); not
# imported here because auditor.findings pulls in the model and ruamel.yaml.
SEVERITIES = ("error", "warning", "note")


class _PathArg(click.Path):
    """A path argument: click.Path for shell completion (files, or folders with
    ``file_okay=False``), kept as str and checked by nothing here. Each command says in its
    own one-line error that a path is missing, unreadable or of the wrong kind; click's
    checks are multi-line usage errors, and they cost a ``stat`` and an ``access`` per path
    (2,567 of each for a corpus-sized ``check``)."""

    def __init__(self, *, file_okay: bool = True, allow_dash: bool = False) -> None:
        super().__init__(file_okay=file_okay, allow_dash=allow_dash, path_type=str)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        return value if isinstance(value, str) else super().convert(value, param, ctx)


_FILE = _PathArg()
_FILE_OR_DASH = _PathArg(allow_dash=True)  # `-`: standard input or output
_DIR = _PathArg(file_okay=False)


def _fail(*messages: str) -> NoReturn:
    """Exit 2 with one escaped line per message on stderr (``auditor.exits.fail``)."""
    from auditor.exits import fail

    fail(*messages)


def _csv(value: str | None) -> frozenset[str]:
    if not value:
        return frozenset()
    return frozenset(v.strip() for v in value.split(",") if v.strip())


def _complete_rule_id(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    from auditor.rule_ids import complete_rule_id

    return complete_rule_id(ctx, param, incomplete)


def _complete_rule_list(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    from auditor.rule_ids import complete_rule_list

    return complete_rule_list(ctx, param, incomplete)


def _use_colour(stream: Any) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class _Group(click.Group):
    """Turns any unexpected exception into exit 2 with one line, never a traceback."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except KeyboardInterrupt as exc:  # click itself would say "Aborted!" and exit 1
            from auditor.exits import unexpected

            unexpected(exc)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list with each summary whole (wrapped, never cut with "...")."""
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                rows.append((name, cmd.get_short_help_str(limit=10_000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except (KeyboardInterrupt, Exception) as exc:  # last line of defence
            from auditor.exits import unexpected

            unexpected(exc)  # Ctrl-C: exit 130; a broken stdout: exit 2; else internal error


_EPILOG = """\b
Examples:
  auditor check .                              check this repository
  auditor check . --format sarif -o out.sarif  for code scanning
  auditor check . --new-since origin/main      only what a change adds
  auditor org --root repos/ --report html:org.html
  auditor explain needs-cycle                  a rule's page

\b
Exit codes:
  0    nothing at or above --fail-on
  1    findings at or above --fail-on (default: error)
  2    usage, policy or internal error (one line on stderr)
  3    nothing to check: no workflow found under a given path
  130  interrupted (Ctrl-C)
  141  standard output closed by its reader (e.g. `| head`): no message

\b
Shell completion (commands, options, rule ids), e.g. for bash:
  eval "$(_AUDITOR_COMPLETE=bash_source auditor)"
"""


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]}, epilog=_EPILOG)
@click.version_option(__version__, "--version", prog_name="auditor")
def main() -> None:
    """Policy-as-code audit checker for CI release pipelines (GitHub, Gitea, Forgejo)."""
    # A scan allocates hundreds of thousands of long-lived YAML nodes; the
    # default collector thresholds re-walk them over and over for nothing
    # (measured: a third of the run time on the corpus).
    gc.set_threshold(200_000, 50, 100)


_CHECK_EXITS = (
    "Exit status: 0 clean, 1 findings at or above --fail-on, 2 error, 3 nothing to check "
    "(no workflow under a path), 130 interrupted, 141 standard output closed."
)


@main.command(epilog=_CHECK_EXITS)
@click.argument("paths", nargs=-1, required=True, type=_FILE_OR_DASH)
@click.option("--format", "fmt", type=click.Choice(FORMAT_NAMES), default="text",
              show_default=True, help="Output format.")
@click.option("--output", "-o", type=_FILE_OR_DASH, default=None, help="Write the output to FILE.")
@click.option("--policy", "policy_file", type=_FILE, default=None,
              help="Policy file (default: .auditor.yml at each repository root).")
@click.option("--no-policy", is_flag=True, help="Ignore policy files; use the defaults.")
@click.option("--select", type=str, default=None, help="Only these rule ids (comma-separated).",
              shell_complete=_complete_rule_list)
@click.option("--ignore", type=str, default=None, help="Skip these rule ids (comma-separated).",
              shell_complete=_complete_rule_list)
@click.option("--fail-on", type=click.Choice(SEVERITIES), default="error", show_default=True,
              help="Exit 1 when a finding is at or above this severity.")
@click.option("--report", "report_specs", multiple=True, metavar="FORMAT:PATH",
              help="Also write a report, e.g. sarif:auditor.sarif (repeatable).")
@click.option("--baseline", "baseline_file", type=_FILE, default=None, metavar="FILE",
              help="Report only findings not recorded in FILE (see `auditor baseline`).")
@click.option("--new-since", type=str, default=None, metavar="REV",
              help="Report only findings not present at git revision REV (pre-merge gate).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, metavar="N",
              help="Worker processes for large scans (default: the core count).")
@click.option("--no-cache", is_flag=True,
              help="Neither read nor write the result cache ($XDG_CACHE_HOME/auditor).")
@click.option("--trust-repo-policy", is_flag=True,
              help="Import the custom_rules a repository's own policy names (runs its code).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar (shown on a terminal for long scans).")
def check(
    paths: tuple[str, ...], fmt: str, output: str | None, policy_file: str | None,
    no_policy: bool, select: str | None, ignore: str | None, fail_on: str,
    report_specs: tuple[str, ...], baseline_file: str | None, new_since: str | None,
    jobs: int | None, no_cache: bool, trust_repo_policy: bool, quiet: bool,
) -> None:  # fmt: skip
    """Check the workflows of repositories, folders or files (`-` reads stdin)."""
    from pathlib import Path

    from auditor import outputs
    from auditor.baseline import BaselineError, load_baseline
    from auditor.check import CheckError, CheckOptions, run_check
    from auditor.findings import exit_code
    from auditor.reports import Report

    if policy_file and no_policy:
        _fail("--policy and --no-policy exclude each other")
    try:
        extra_outputs = outputs.parse_specs(report_specs)
        baseline = load_baseline(Path(baseline_file)) if baseline_file else None
    except (outputs.OutputError, BaselineError) as exc:
        _fail(str(exc))
    from auditor.check_progress import CheckProgress

    bar = CheckProgress(quiet, sys.stderr)
    options = CheckOptions(
        policy_file=policy_file, no_policy=no_policy, trust_repo_policy=trust_repo_policy,
        select=_csv(select), ignore=_csv(ignore), new_since=new_since, baseline=baseline,
        jobs=jobs, use_cache=not no_cache, progress=bar,
    )  # fmt: skip
    try:
        result = run_check(paths, options, _stdin(paths))
    except CheckError as exc:
        _fail(*exc.messages)
    finally:
        bar.close()
    _notices(result.notices)
    from auditor.no_inputs import EXIT_NOTHING_CHECKED, nothing_checked

    empty = nothing_checked(result.targets)
    if empty and len(empty) == len(result.targets):
        _notices(empty)  # nothing was checked at all: no report that reads as a pass
        sys.exit(EXIT_NOTHING_CHECKED)
    stream = sys.stdout if not output or output == "-" else None
    report = Report(
        findings=result.findings,
        rules=result.rules,
        files=result.files,
        repos=result.repos,
        suppressed=result.suppressed,
        baselined=result.baselined,
        fail_on=fail_on,
        tool_version=__version__,
        source_line=result.source_line,
        display_path=result.display_path,
        checked_rules=result.checked_rules,
        link_base=outputs.link_base(os.environ),
        new_suppressions=result.new_suppressions,
        gate_rev=result.gate_rev,
        terminal=_terminal(stream) if fmt == "text" else None,
    )
    colour = fmt == "text" and stream is not None and _use_colour(stream)
    try:
        outputs.emit(
            report, outputs.Output(fmt, output or "-"), extra_outputs,
            outputs.write_stdout,
            stdout_colour=colour, job_graph=result.job_graph,
        )  # fmt: skip
    except outputs.OutputError as exc:
        _fail(*exc.reasons)
    _notices(empty)
    code = exit_code(result.findings, fail_on)
    sys.exit(code or (EXIT_NOTHING_CHECKED if empty else 0))


def _terminal(stream: Any) -> Any:
    from auditor.terminal import detect

    return detect(stream)


def _stdin(paths: tuple[str, ...]) -> bytes | None:
    return sys.stdin.buffer.read() if "-" in paths else None


def _notices(lines: list[str]) -> None:
    for line in lines:
        click.echo(f"auditor: {line}", err=True)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=_FILE_OR_DASH)
@click.option("--output", "-o", type=_FILE_OR_DASH, default="auditor-baseline.json", show_default=True,
              help="Baseline file to write.")
@click.option("--policy", "policy_file", type=_FILE, default=None,
              help="Policy file (default: .auditor.yml at each repository root).")
@click.option("--no-policy", is_flag=True, help="Ignore policy files; use the defaults.")
@click.option("--select", type=str, default=None, help="Only these rule ids (comma-separated).",
              shell_complete=_complete_rule_list)
@click.option("--ignore", type=str, default=None, help="Skip these rule ids (comma-separated).",
              shell_complete=_complete_rule_list)
@click.option("--trust-repo-policy", is_flag=True,
              help="Import the custom_rules a repository's own policy names (runs its code).")
def baseline(
    paths: tuple[str, ...], output: str, policy_file: str | None, no_policy: bool,
    select: str | None, ignore: str | None, trust_repo_policy: bool,
) -> None:  # fmt: skip
    """Record today's findings so `check --baseline FILE` reports only new ones."""
    from pathlib import Path

    from auditor.baseline import BaselineError, write_baseline
    from auditor.check import CheckError, CheckOptions, baseline_commit, run_check

    if policy_file and no_policy:
        _fail("--policy and --no-policy exclude each other")
    options = CheckOptions(
        policy_file=policy_file, no_policy=no_policy, trust_repo_policy=trust_repo_policy,
        select=_csv(select), ignore=_csv(ignore),
    )  # fmt: skip
    try:
        result = run_check(paths, options, _stdin(paths))
    except CheckError as exc:
        _fail(*exc.messages)
    _notices(result.notices)
    try:
        count = write_baseline(Path(output), result.findings, __version__, baseline_commit(paths))
    except BaselineError as exc:
        _fail(str(exc))
    click.echo(f"auditor: recorded {count} finding(s) in {output}", err=True)


@main.command()
@click.argument("path", type=_FILE_OR_DASH)
@click.option("--format", "fmt", type=click.Choice(("mermaid", "dot", "json")), default="mermaid",
              show_default=True, help="Graph language (json: the graph as data).")
@click.option("--policy", "policy_file", type=_FILE, default=None,
              help="Policy file (default: .auditor.yml at the repository root).")
@click.option("--no-policy", is_flag=True, help="Ignore policy files; use the defaults.")
@click.option("--output-dir", type=_DIR, default=None, metavar="DIR",
              help="Write one file per workflow into DIR (listed on stdout) instead of one document.")
def graph(path: str, fmt: str, policy_file: str | None, no_policy: bool, output_dir: str | None) -> None:
    """Print the job graphs of the workflows as one document (roles coloured)."""
    from auditor.check import CheckError, graph_policy
    from auditor.engine import Engine
    from auditor.repo import RepoContext, discover
    from auditor.reports.graph import render_graphs
    from auditor.targets import TargetError, resolve_targets

    try:
        targets = resolve_targets([path], sys.stdin.buffer.read() if path == "-" else None)
        target = targets[0]
        policy, notice = graph_policy(target, policy_file, no_policy)
    except (TargetError, CheckError) as exc:
        _fail(str(exc))
    if notice is not None:
        _notices([notice])
    engine = Engine(policy)
    repo = RepoContext(target.source, policy)
    files = (
        [p for p, kind in target.only if kind == "workflow"]
        if target.only is not None
        else list(discover(target.source).workflows)
    )
    graphs = []
    for file in files:
        facts = engine.workflow_facts(repo, file)
        if facts is None:
            from auditor.errors import message_line

            click.echo(f"auditor: {message_line(file)}: not a parsable workflow; skipped", err=True)
            continue
        graphs.append(facts.pipeline())
    if output_dir is not None:
        from auditor.graph_files import write_graph_files
        from auditor.outputs import OutputError

        try:
            written = write_graph_files(graphs, fmt, output_dir)
        except OutputError as exc:
            _fail(*exc.reasons)
        click.echo("".join(f"{name}\n" for name in written), nl=False)
        return
    click.echo(render_graphs(graphs, fmt), nl=False)


def _catalogue(policy_file: str | None) -> list[Any]:
    """Built-in and installed rules, plus the custom rules of ``--policy FILE`` (a file the
    user names is theirs, so its modules are imported)."""
    from pathlib import Path

    from auditor.errors import PolicyError
    from auditor.policy_file import load_policy_file
    from auditor.rules_loader import load_rules

    try:
        if policy_file:
            return load_rules(load_policy_file(Path(policy_file)))
        from auditor.policy import Policy

        return load_rules(Policy())
    except PolicyError as exc:
        _fail(*exc.messages)


@main.command(name="rules")
@click.option("--policy", "policy_file", type=_FILE, default=None, metavar="FILE",
              help="Also list the custom rules this policy file names.")
def list_rules(policy_file: str | None) -> None:
    """List every rule with its default severity."""
    all_rules = _catalogue(policy_file)
    width = max(len(r.id) for r in all_rules)
    for rule in all_rules:
        origin = "" if rule.origin == "builtin" else f"  ({rule.origin})"
        click.echo(f"{rule.id:<{width}}  {rule.severity:<7}  {rule.summary}{origin}")


@main.command()
@click.argument("rule_id", shell_complete=_complete_rule_id)
@click.option("--policy", "policy_file", type=_FILE, default=None, metavar="FILE",
              help="Also look among the custom rules this policy file names.")
def explain(rule_id: str, policy_file: str | None) -> None:
    """Show a rule's documentation: what, why, example, use instead."""
    catalogue = _catalogue(policy_file)
    for rule in catalogue:
        if rule.id == rule_id:
            from auditor.rule_pages import explain_text
            from auditor.terminal import print_markdown, shows_markdown

            if shows_markdown(sys.stdout):
                print_markdown(explain_text(rule), sys.stdout)
            else:
                click.echo(explain_text(rule), nl=False)
            return
    from auditor.rule_ids import unknown_rule_message

    _fail(unknown_rule_message(rule_id, [r.id for r in catalogue]))


@main.command(name="docs")
@click.option("--output-dir", required=True, metavar="DIR",
              type=_DIR,
              help="Folder to write one page per built-in rule and index.md into (docs/rules).")
def rule_docs(output_dir: str) -> None:
    """Generate the rule pages (docs/rules/<id>.md and index.md) from the rules."""
    from pathlib import Path

    from auditor.rule_pages import write_pages
    from auditor.rules_loader import builtin_rules

    if Path(output_dir).is_file():
        _fail(f"{output_dir}: is a file, not a folder: give the folder to write the rule pages into")
    try:
        written = write_pages(builtin_rules(), Path(output_dir))
    except OSError as exc:
        _fail(f"{output_dir}: cannot write the rule pages: {exc.strerror or exc}")
    click.echo(f"auditor: wrote {len(written)} page(s) into {output_dir}", err=True)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=_FILE)
@click.option("--unsafe", is_flag=True, help="Also apply the fixes that change behaviour.")
@click.option("--diff", is_flag=True, help="Print a unified diff instead; exit 1 if it is not empty.")
@click.option("--policy", "policy_file", type=_FILE, default=None,
              help="Policy file (default: .auditor.yml at each repository root).")
@click.option("--no-policy", is_flag=True, help="Ignore policy files; use the defaults.")
@click.option("--select", type=str, default=None, help="Only these rule ids (comma-separated).")
@click.option("--ignore", type=str, default=None, help="Skip these rule ids (comma-separated).")
def fix(
    paths: tuple[str, ...], unsafe: bool, diff: bool, policy_file: str | None, no_policy: bool,
    select: str | None, ignore: str | None,
) -> None:  # fmt: skip
    """Apply the rules' fixes to workflow files (in place, or --diff)."""
    from auditor.fix_cli import run_fix

    sys.exit(run_fix(paths, unsafe=unsafe, diff=diff, policy_file=policy_file, no_policy=no_policy,
                     select=_csv(select), ignore=_csv(ignore), fail=_fail))  # fmt: skip


@main.command()
def lsp() -> None:
    """Serve diagnostics, hover, fixes and policy completion to an editor (LSP over stdio)."""
    from auditor.lsp import run_lsp

    sys.exit(run_lsp(fail=_fail))


# --- org scans (auditor.org, auditor.org_cli) -------------------------------------------


@main.command()
@click.argument("paths", nargs=-1)
@click.option("--root", type=_DIR, default=None, metavar="DIR",
              help="Scan every subfolder of DIR as a repository.")
@click.option("--repos", "repos_file", type=_FILE, default=None, metavar="FILE",
              help="Repositories to scan: one path or git URL a line (URLs are mirrored).")
@click.option("--ref", type=str, default=None, metavar="REF",
              help="Read git repositories at REF (default: a mirror's HEAD, a working "
                   "tree as it is on disk).")
@click.option("--shard", type=str, default=None, metavar="K/N",
              help="Scan only shard K of N (stable, by a hash of the repository name).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, metavar="N",
              help="Worker processes (default: the core count).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the result cache.")
@click.option("--quiet", "-q", is_flag=True, help="No progress output.")
@click.option("--policy", "policy_file", type=_FILE, default=None,
              help="Policy for every repository (and the org's shared_files); default: "
                   "each repository's own .auditor.yml.")
@click.option("--no-policy", is_flag=True, help="Ignore policy files; use the defaults.")
@click.option("--select", type=str, default=None, help="Only these rule ids (comma-separated).",
              shell_complete=_complete_rule_list)
@click.option("--ignore", type=str, default=None, help="Skip these rule ids (comma-separated).",
              shell_complete=_complete_rule_list)
@click.option("--fail-on", type=click.Choice(SEVERITIES), default="error", show_default=True,
              help="Exit 1 when any repository has a finding at or above this severity.")
@click.option("--format", "fmt", type=click.Choice(FORMAT_NAMES), default="text",
              show_default=True, help="Output format on standard output (or --output).")
@click.option("--output", "-o", type=_FILE_OR_DASH, default=None, help="Write the output to FILE.")
@click.option("--report", "report_specs", multiple=True, metavar="FORMAT:PATH",
              help="Also write a report, e.g. html:org.html, json:org.json (repeatable).")
@click.option("--mirror-dir", type=_DIR, default=None, metavar="DIR",
              help="Where URLs are mirrored (default: $XDG_CACHE_HOME/auditor/mirrors).")
@click.option("--trust-repo-policy", is_flag=True,
              help="Import the custom_rules repositories' own policies name (runs their code).")
@click.option("--compare", type=click.Path(dir_okay=False, path_type=str), default=None, metavar="PREVIOUS.json",
              help="Compare with a previous org JSON report: new, fixed, still open.")
@click.option("--fix", "fix_", is_flag=True, help="Write one patch of fixes per repository instead.")
@click.option("--unsafe", is_flag=True, help="With --fix: also the fixes that change behaviour.")
@click.option("--diff", is_flag=True, help="With --fix: print the patches on standard output.")
@click.option("--patch-dir", type=_DIR, default=None, metavar="DIR",
              help="With --fix: write the patches (git format-patch style) into DIR.")
def org(
    paths: tuple[str, ...], root: str | None, repos_file: str | None, ref: str | None,
    shard: str | None, jobs: int | None, no_cache: bool, quiet: bool, policy_file: str | None,
    no_policy: bool, select: str | None, ignore: str | None, fail_on: str, fmt: str,
    output: str | None, report_specs: tuple[str, ...], mirror_dir: str | None,
    trust_repo_policy: bool, compare: str | None, fix_: bool, unsafe: bool, diff: bool,
    patch_dir: str | None,
) -> None:  # fmt: skip
    """Scan many repositories (working trees, bare mirrors, URLs) into one compliance report."""
    from auditor.org_cli import run_org

    if fix_ or unsafe or diff or patch_dir:
        from auditor.org_fix import run_org_fix_cli

        sys.exit(run_org_fix_cli(
            paths, fix=fix_, root=root, repos_file=repos_file, ref=ref, unsafe=unsafe, diff=diff,
            patch_dir=patch_dir, policy_file=policy_file, no_policy=no_policy,
            select=_csv(select), ignore=_csv(ignore), quiet=quiet, fail=_fail,
        ))  # fmt: skip

    sys.exit(run_org(
        paths, root=root, repos_file=repos_file, ref=ref, shard=shard, jobs=jobs,
        no_cache=no_cache, quiet=quiet, policy_file=policy_file, no_policy=no_policy,
        select=_csv(select), ignore=_csv(ignore), fail_on=fail_on, fmt=fmt, output=output,
        report_specs=report_specs, mirror_dir=mirror_dir, fail=_fail,
        trust_repo_policy=trust_repo_policy, compare=compare,
    ))  # fmt: skip


@main.command()
@click.argument("files", nargs=-1, required=True, type=_FILE_OR_DASH)
@click.option("--fail-on", type=click.Choice(SEVERITIES), default="error", show_default=True,
              help="Exit 1 when any repository has a finding at or above this severity.")
@click.option("--format", "fmt", type=click.Choice(FORMAT_NAMES), default="text",
              show_default=True, help="Output format on standard output (or --output).")
@click.option("--output", "-o", type=_FILE_OR_DASH, default=None, help="Write the output to FILE.")
@click.option("--report", "report_specs", multiple=True, metavar="FORMAT:PATH",
              help="Also write a report, e.g. html:org.html (repeatable).")
@click.option("--policy", "policy_file", type=_FILE, default=None, metavar="FILE",
              help="The --policy the shards were scanned with: its custom org rules run "
                   "again over the union.")
@click.option("--compare", type=click.Path(dir_okay=False), default=None, metavar="PREVIOUS.json",
              help="Compare with a previous org JSON report: new, fixed, still open.")
def merge(
    files: tuple[str, ...], fail_on: str, fmt: str, output: str | None,
    report_specs: tuple[str, ...], policy_file: str | None, compare: str | None,
) -> None:  # fmt: skip
    """Combine `auditor org --shard K/N --report json:...` reports into one org report."""
    from auditor.org_cli import run_merge

    sys.exit(run_merge(
        files, fail_on=fail_on, fmt=fmt, output=output, report_specs=report_specs, fail=_fail,
        policy_file=policy_file, compare=compare,
    ))  # fmt: skip


@main.command()
@click.argument("name", type=click.Choice(("policy",)))
def schema(name: str) -> None:
    """Print a JSON Schema (policy: for editors completing .auditor.yml)."""
    from auditor.policy_schema import schema_text

    click.echo(schema_text(name), nl=False)
