"""The command line: ``auditor check | graph | rules | explain``.

Exit codes are part of the interface: 0 nothing at or above ``--fail-on``,
1 findings, 2 usage, policy or internal error with a one-line reason on
stderr. No traceback ever reaches the user.
"""

from __future__ import annotations

import gc
import os
import sys
from typing import TYPE_CHECKING, Any, NoReturn

import click

from auditor import __version__

if TYPE_CHECKING:
    from collections.abc import Callable

    from auditor.findings import Finding

# Every run pays for what this module imports at its top, so that is only click:
# the rest (pathlib, the model, YAML, rules, reports) is imported inside the
# command that needs it, and `auditor --version` / `--help` load none of the
# auditor modules (a test in tests/engine/test_cli.py keeps it so).

# The one list is reports.FORMATS (a test keeps the two equal); not imported here
# so that `auditor --help` stays fast.
FORMAT_NAMES = ("text", "json", "sarif", "junit", "github", "markdown", "html")
# The one list is auditor.findings.SEVERITIES (a test keeps the two equal); not
# imported here because auditor.findings pulls in the model and ruamel.yaml.
SEVERITIES = ("error", "warning", "note")


def _fail(*messages: str) -> NoReturn:
    """Exit 2 with one escaped line per message on stderr (``auditor.exits.fail``)."""
    from auditor.exits import fail

    fail(*messages)


def _csv(value: str | None) -> frozenset[str]:
    if not value:
        return frozenset()
    return frozenset(v.strip() for v in value.split(",") if v.strip())


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

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except (KeyboardInterrupt, Exception) as exc:  # last line of defence
            from auditor.exits import unexpected

            unexpected(exc)  # Ctrl-C: exit 130; a broken stdout: exit 2; else internal error


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="auditor")
def main() -> None:
    """Policy-as-code audit checker for CI release pipelines (GitHub, Gitea, Forgejo)."""
    # A scan allocates hundreds of thousands of long-lived YAML nodes; the
    # default collector thresholds re-walk them over and over for nothing
    # (measured: a third of the run time on the corpus).
    gc.set_threshold(200_000, 50, 100)


def run_check(
    paths: tuple[str, ...],
    *,
    policy_file: str | None,
    no_policy: bool,
    select: frozenset[str],
    ignore: frozenset[str],
    new_since: str | None = None,
    jobs: int | None = None,
    use_cache: bool = True,
) -> tuple[
    Any, Callable[[Finding], str | None], Callable[[Finding], str], Callable[[Finding], Any]
]:
    """Scan ``paths``; returns the result and the display and job-graph callbacks for reports.

    With ``new_since``, only findings whose fingerprint the same files lack at
    that git revision are kept (the others count as baselined).
    """
    from pathlib import Path

    from auditor.baseline import only_new
    from auditor.cache import ResultCache
    from auditor.engine import ScanResult, Selection, sort_findings
    from auditor.errors import InternalError, PolicyError
    from auditor.gitsource import GitError
    from auditor.parallel import scan_targets
    from auditor.policy import Policy, find_policy, load_policy_file
    from auditor.targets import TargetError, resolve_targets

    stdin_data = sys.stdin.buffer.read() if "-" in paths else None
    try:
        targets = resolve_targets(list(paths), stdin_data)
    except TargetError as exc:
        _fail(str(exc))
    selection = Selection(select, ignore)
    findings: list[Finding] = []
    repos = []
    suppressed = 0
    labels: dict[int, str] = {}
    sources: dict[int, Any] = {}
    engine_of: dict[int, Any] = {}
    baselined = 0
    rules: list[Any] = []
    try:
        fixed_policy = load_policy_file(Path(policy_file)) if policy_file else None

        def policy_for(target: Any) -> Policy:
            if no_policy:
                return Policy()
            if fixed_policy is not None:
                return fixed_policy
            found = find_policy(target.root) if target.root is not None else None
            return load_policy_file(found) if found else Policy()

        batch = scan_targets(
            targets, policy_for, selection=selection, jobs=jobs,
            cache=ResultCache() if use_cache and stdin_data is None else None,
        )  # fmt: skip
        for target, scanned in zip(targets, batch.results, strict=True):
            engine = scanned.engine
            rules = engine.all_rules
            target_findings, summary = scanned.findings, scanned.summary
            if new_since is not None:
                target_findings, old = only_new(engine, target, new_since, target_findings)
                baselined += old
            for f in target_findings:
                labels[id(f)] = target.label
                sources[id(f)] = target.source
                engine_of[id(f)] = engine
            findings.extend(target_findings)
            repos.append(summary)
            suppressed += scanned.suppressed
    except PolicyError as exc:
        _fail(str(exc))
    except InternalError as exc:
        _fail(str(exc))
    except GitError as exc:
        _fail(str(exc))
    unknown = (select | ignore) - {rule.id for rule in rules}
    if unknown and rules:
        _fail(f"unknown rule id(s): {', '.join(sorted(unknown))} (see `auditor rules`)")
    result = ScanResult(
        sort_findings(findings), repos, suppressed=suppressed, baselined=baselined, rules=rules
    )
    lines_cache: dict[tuple[int, str], list[str]] = {}

    def source_line(f: Finding) -> str | None:
        source = sources.get(id(f))
        if source is None:
            return None
        key = (id(source), f.path)
        if key not in lines_cache:
            try:
                lines_cache[key] = source.read(f.path).decode("utf-8", "replace").splitlines()
            except OSError:
                lines_cache[key] = []
        lines = lines_cache[key]
        return lines[f.line - 1] if 0 < f.line <= len(lines) else None

    def display_path(f: Finding) -> str:
        label = labels.get(id(f), ".")
        if label in (".", "", "-"):
            return f.path
        return f"{label.rstrip('/')}/{f.path}"

    repo_contexts: dict[tuple[int, int], Any] = {}

    def job_graph(f: Finding) -> Any:
        """The roles-annotated job graph of the workflow ``f`` is in (markdown, html).

        One repository context per (source, engine), so a workflow with many
        findings is read and parsed once, not once per finding.
        """
        from auditor.repo import RepoContext

        source, engine = sources.get(id(f)), engine_of.get(id(f))
        if source is None or engine is None:
            return None
        key = (id(source), id(engine))
        if key not in repo_contexts:
            repo_contexts[key] = RepoContext(source, engine.policy)
        facts = engine.workflow_facts(repo_contexts[key], f.path)
        return facts.pipeline() if facts is not None else None

    return result, source_line, display_path, job_graph


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(FORMAT_NAMES), default="text",
              show_default=True, help="Output format.")
@click.option("--output", "-o", type=str, default=None, help="Write the output to FILE.")
@click.option("--policy", "policy_file", type=str, default=None,
              help="Policy file (default: .auditor.yml at each repository root).")
@click.option("--no-policy", is_flag=True, help="Ignore policy files; use the defaults.")
@click.option("--select", type=str, default=None, help="Only these rule ids (comma-separated).")
@click.option("--ignore", type=str, default=None, help="Skip these rule ids (comma-separated).")
@click.option("--fail-on", type=click.Choice(SEVERITIES), default="error", show_default=True,
              help="Exit 1 when a finding is at or above this severity.")
@click.option("--report", "report_specs", multiple=True, metavar="FORMAT:PATH",
              help="Also write a report, e.g. sarif:auditor.sarif (repeatable).")
@click.option("--baseline", "baseline_file", type=str, default=None, metavar="FILE",
              help="Report only findings not recorded in FILE (see `auditor baseline`).")
@click.option("--new-since", type=str, default=None, metavar="REV",
              help="Report only findings not present at git revision REV (pre-merge gate).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, metavar="N",
              help="Worker processes for large scans (default: the core count).")
@click.option("--no-cache", is_flag=True,
              help="Neither read nor write the result cache ($XDG_CACHE_HOME/auditor).")
def check(
    paths: tuple[str, ...], fmt: str, output: str | None, policy_file: str | None,
    no_policy: bool, select: str | None, ignore: str | None, fail_on: str,
    report_specs: tuple[str, ...], baseline_file: str | None, new_since: str | None,
    jobs: int | None, no_cache: bool,
) -> None:  # fmt: skip
    """Check the workflows of repositories, folders or files (`-` reads stdin)."""
    from pathlib import Path

    from auditor import outputs
    from auditor.baseline import BaselineError, load_baseline
    from auditor.engine import Selection
    from auditor.findings import exit_code
    from reports import Report

    if policy_file and no_policy:
        _fail("--policy and --no-policy exclude each other")
    try:
        extra_outputs = outputs.parse_specs(report_specs)
        baseline = load_baseline(Path(baseline_file)) if baseline_file else None
    except (outputs.OutputError, BaselineError) as exc:
        _fail(str(exc))
    result, source_line, display_path, job_graph = run_check(
        paths, policy_file=policy_file, no_policy=no_policy,
        select=_csv(select), ignore=_csv(ignore), new_since=new_since,
        jobs=jobs, use_cache=not no_cache,
    )  # fmt: skip
    if baseline is not None:
        result.findings, known = baseline.split(result.findings)
        result.baselined += known
    stream = sys.stdout if not output or output == "-" else None
    selection = Selection(_csv(select), _csv(ignore))
    report = Report(
        findings=result.findings,
        rules=result.rules,
        files=result.files,
        repos=[r.to_json() for r in result.repos],
        suppressed=result.suppressed,
        baselined=result.baselined,
        fail_on=fail_on,
        tool_version=__version__,
        source_line=source_line,
        display_path=display_path,
        checked_rules=[r.id for r in result.rules if selection.allows(r.id)],
        link_base=outputs.link_base(os.environ),
    )
    colour = fmt == "text" and stream is not None and _use_colour(stream)
    try:
        outputs.emit(
            report, outputs.Output(fmt, output or "-"), extra_outputs,
            outputs.write_stdout,
            stdout_colour=colour, job_graph=job_graph,
        )  # fmt: skip
    except outputs.OutputError as exc:
        _fail(*exc.reasons)
    sys.exit(exit_code(result.findings, fail_on))


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--output", "-o", type=str, default="auditor-baseline.json", show_default=True,
              help="Baseline file to write.")
@click.option("--policy", "policy_file", type=str, default=None,
              help="Policy file (default: .auditor.yml at each repository root).")
@click.option("--no-policy", is_flag=True, help="Ignore policy files; use the defaults.")
@click.option("--select", type=str, default=None, help="Only these rule ids (comma-separated).")
@click.option("--ignore", type=str, default=None, help="Skip these rule ids (comma-separated).")
def baseline(
    paths: tuple[str, ...], output: str, policy_file: str | None, no_policy: bool,
    select: str | None, ignore: str | None,
) -> None:  # fmt: skip
    """Record today's findings so `check --baseline FILE` reports only new ones."""
    from pathlib import Path

    from auditor.baseline import BaselineError, write_baseline

    if policy_file and no_policy:
        _fail("--policy and --no-policy exclude each other")
    result, _, _, _ = run_check(
        paths, policy_file=policy_file, no_policy=no_policy,
        select=_csv(select), ignore=_csv(ignore),
    )  # fmt: skip
    try:
        count = write_baseline(Path(output), result.findings, __version__)
    except BaselineError as exc:
        _fail(str(exc))
    click.echo(f"auditor: recorded {count} finding(s) in {output}", err=True)


@main.command()
@click.argument("path")
@click.option("--format", "fmt", type=click.Choice(("mermaid", "dot", "json")), default="mermaid",
              show_default=True)
@click.option("--policy", "policy_file", type=str, default=None)
@click.option("--no-policy", is_flag=True)
def graph(path: str, fmt: str, policy_file: str | None, no_policy: bool) -> None:
    """Print the job graph of each workflow (roles coloured)."""
    from pathlib import Path

    from auditor.engine import Engine
    from auditor.errors import PolicyError
    from auditor.policy import Policy, find_policy, load_policy_file
    from auditor.repo import RepoContext, discover
    from auditor.targets import TargetError, resolve_targets
    from reports.graph import render_graphs

    try:
        targets = resolve_targets([path], sys.stdin.buffer.read() if path == "-" else None)
        target = targets[0]
        if no_policy:
            policy = Policy()
        elif policy_file:
            policy = load_policy_file(Path(policy_file))
        else:
            found = find_policy(target.root) if target.root is not None else None
            policy = load_policy_file(found) if found else Policy()
    except (TargetError, PolicyError) as exc:
        _fail(str(exc))
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
    click.echo(render_graphs(graphs, fmt), nl=False)


@main.command(name="rules")
def list_rules() -> None:
    """List every rule with its default severity."""
    from auditor.rules_loader import builtin_rules, entry_point_rules

    all_rules = list(builtin_rules()) + list(entry_point_rules())
    width = max(len(r.id) for r in all_rules)
    for rule in all_rules:
        click.echo(f"{rule.id:<{width}}  {rule.severity:<7}  {rule.summary}")


@main.command()
@click.argument("rule_id")
def explain(rule_id: str) -> None:
    """Show a rule's documentation: what, why, example, use instead."""
    from auditor.rules_loader import builtin_rules, entry_point_rules

    for rule in list(builtin_rules()) + list(entry_point_rules()):
        if rule.id == rule_id:
            click.echo(rule.docs(), nl=False)
            return
    _fail(f"unknown rule '{rule_id}' (see `auditor rules`)")


# --- org scans (auditor.org, auditor.org_cli) -------------------------------------------


@main.command()
@click.argument("paths", nargs=-1)
@click.option("--root", type=str, default=None, metavar="DIR",
              help="Scan every subfolder of DIR as a repository.")
@click.option("--repos", "repos_file", type=str, default=None, metavar="FILE",
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
@click.option("--policy", "policy_file", type=str, default=None,
              help="Policy for every repository (and the org's shared_files); default: "
                   "each repository's own .auditor.yml.")
@click.option("--no-policy", is_flag=True, help="Ignore policy files; use the defaults.")
@click.option("--select", type=str, default=None, help="Only these rule ids (comma-separated).")
@click.option("--ignore", type=str, default=None, help="Skip these rule ids (comma-separated).")
@click.option("--fail-on", type=click.Choice(SEVERITIES), default="error", show_default=True,
              help="Exit 1 when any repository has a finding at or above this severity.")
@click.option("--format", "fmt", type=click.Choice(FORMAT_NAMES), default="text",
              show_default=True, help="Output format on standard output (or --output).")
@click.option("--output", "-o", type=str, default=None, help="Write the output to FILE.")
@click.option("--report", "report_specs", multiple=True, metavar="FORMAT:PATH",
              help="Also write a report, e.g. html:org.html, json:org.json (repeatable).")
@click.option("--mirror-dir", type=str, default=None, metavar="DIR",
              help="Where URLs are mirrored (default: $XDG_CACHE_HOME/auditor/mirrors).")
def org(
    paths: tuple[str, ...], root: str | None, repos_file: str | None, ref: str | None,
    shard: str | None, jobs: int | None, no_cache: bool, quiet: bool, policy_file: str | None,
    no_policy: bool, select: str | None, ignore: str | None, fail_on: str, fmt: str,
    output: str | None, report_specs: tuple[str, ...], mirror_dir: str | None,
) -> None:  # fmt: skip
    """Scan many repositories (working trees, bare mirrors, URLs) into one compliance report."""
    from auditor.org_cli import run_org

    sys.exit(run_org(
        paths, root=root, repos_file=repos_file, ref=ref, shard=shard, jobs=jobs,
        no_cache=no_cache, quiet=quiet, policy_file=policy_file, no_policy=no_policy,
        select=_csv(select), ignore=_csv(ignore), fail_on=fail_on, fmt=fmt, output=output,
        report_specs=report_specs, mirror_dir=mirror_dir, fail=_fail,
    ))  # fmt: skip


@main.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--fail-on", type=click.Choice(SEVERITIES), default="error", show_default=True,
              help="Exit 1 when any repository has a finding at or above this severity.")
@click.option("--format", "fmt", type=click.Choice(FORMAT_NAMES), default="text",
              show_default=True, help="Output format on standard output (or --output).")
@click.option("--output", "-o", type=str, default=None, help="Write the output to FILE.")
@click.option("--report", "report_specs", multiple=True, metavar="FORMAT:PATH",
              help="Also write a report, e.g. html:org.html (repeatable).")
def merge(
    files: tuple[str, ...], fail_on: str, fmt: str, output: str | None,
    report_specs: tuple[str, ...],
) -> None:  # fmt: skip
    """Combine `auditor org --shard K/N --report json:...` reports into one org report."""
    from auditor.org_cli import run_merge

    sys.exit(run_merge(
        files, fail_on=fail_on, fmt=fmt, output=output, report_specs=report_specs, fail=_fail,
    ))  # fmt: skip
