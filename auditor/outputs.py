"""Writing one run's results in several formats: ``--format`` plus ``--report FORMAT:PATH``.

The CLI only wires options; this module parses ``FORMAT:PATH`` specs, decides
what each renderer needs (job graphs only for the formats that draw them,
colour only for text on a terminal, links from the CI environment) and
writes every output, so ``auditor check --report sarif:out.sarif --report
junit:out.xml`` prints the terminal text and writes two files in one scan.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from auditor.findings import Finding
from auditor.repo import WORKFLOW_DIRS

if TYPE_CHECKING:
    from auditor.facts import PipelineGraph
    from reports.model import Report

GRAPH_FORMATS = frozenset({"markdown", "html"})


class OutputError(Exception):
    """A bad ``--report`` spec or an output that cannot be written (one-line reason)."""


@dataclass(frozen=True)
class Output:
    format: str
    path: str  # "-" is standard output

    @property
    def to_stdout(self) -> bool:
        return self.path in ("", "-")


def format_names() -> tuple[str, ...]:
    from reports import FORMATS

    return tuple(FORMATS)


def parse_spec(spec: str) -> Output:
    """``FORMAT:PATH`` → Output; ``FORMAT`` must be a known format and PATH non-empty."""
    fmt, sep, path = spec.partition(":")
    names = format_names()
    if not sep or not path:
        raise OutputError(f"--report {spec!r}: expected FORMAT:PATH, e.g. sarif:auditor.sarif")
    if fmt not in names:
        raise OutputError(
            f"--report {spec!r}: unknown format {fmt!r} (one of: {', '.join(names)})"
        )
    return Output(fmt, path)


def parse_specs(specs: Iterable[str]) -> list[Output]:
    outputs = [parse_spec(spec) for spec in specs]
    seen: dict[str, str] = {}
    for out in outputs:
        if out.to_stdout:
            continue
        key = os.path.abspath(out.path)
        if key in seen:
            raise OutputError(f"--report: {out.path} is named twice ({seen[key]} and {out.format})")
        seen[key] = out.format
    return outputs


def link_base(env: Mapping[str, str]) -> str | None:
    """Where a finding's file is read at the scanned commit, from the CI environment.

    ``AUDITOR_LINK_BASE`` wins; else GitHub Actions (``blob/<sha>/``) or
    Gitea/Forgejo Actions (``src/commit/<sha>/``) from the variables their
    runners set; else None (relative links).
    """
    explicit = env.get("AUDITOR_LINK_BASE")
    if explicit:
        return explicit if explicit.endswith("/") else explicit + "/"
    server = env.get("GITHUB_SERVER_URL", "").rstrip("/")
    repo = env.get("GITHUB_REPOSITORY", "")
    sha = env.get("GITHUB_SHA", "")
    if not (server and repo and sha):
        return None
    if env.get("GITEA_ACTIONS") or env.get("FORGEJO_ACTIONS"):
        return f"{server}/{repo}/src/commit/{sha}/"
    return f"{server}/{repo}/blob/{sha}/"


def affected_graphs(
    findings: Iterable[Finding],
    display_path: Callable[[Finding], str],
    job_graph: Callable[[Finding], PipelineGraph | None],
) -> dict[str, PipelineGraph]:
    """Job graphs of the workflows with findings, keyed by display path, in finding order."""
    graphs: dict[str, PipelineGraph] = {}
    tried: set[str] = set()
    for f in findings:
        shown = display_path(f)
        if shown in tried or not f.path.startswith(WORKFLOW_DIRS):
            continue
        tried.add(shown)
        graph = job_graph(f)
        if graph is not None and graph.jobs:
            graphs[shown] = graph
    return graphs


def render(report: Report, fmt: str) -> str:
    from reports import FORMATS, renderer

    if fmt not in FORMATS:
        raise OutputError(f"unknown format {fmt!r}")
    try:
        render_fn = renderer(fmt)
    except ImportError:
        raise OutputError(f"the {fmt} format is not available in this version") from None
    return render_fn(report)


def write(text: str, path: str, stdout: Callable[[str], None]) -> None:
    if path in ("", "-"):
        stdout(text)
        return
    try:
        target = Path(path)
        if target.parent != Path(""):
            target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None


class RenderMemo(Protocol):
    """Reports rendered before for the same results (``auditor.snapshot.RenderMemo``)."""

    def get(self, fmt: str, colour: bool) -> str | None: ...

    def put(self, fmt: str, colour: bool, text: str) -> None: ...


def emit(
    report: Report | Callable[[], Report],
    primary: Output,
    extra: Iterable[Output],
    stdout: Callable[[str], None],
    *,
    stdout_colour: bool = False,
    job_graph: Callable[[Finding], PipelineGraph | None] | None = None,
    memo: RenderMemo | None = None,
) -> None:
    """Render the report once per output and write each (colour only for text on stdout).

    ``report`` may be a function that builds it: with a ``memo`` that has every
    output already, it is never built.
    """
    outputs = [primary, *extra]
    built: list[Report] = []

    def the_report() -> Report:
        if not built:
            made = report() if callable(report) else report
            if job_graph is not None and any(o.format in GRAPH_FORMATS for o in outputs):
                made.graphs = affected_graphs(made.findings, made.display_path, job_graph)
            built.append(made)
        return built[0]

    rendered: dict[tuple[str, bool], str] = {}
    for out in outputs:
        colour = out.format == "text" and out.to_stdout and stdout_colour
        key = (out.format, colour)
        if key not in rendered:
            text = memo.get(out.format, colour) if memo is not None else None
            if text is None:
                text = render(dataclasses.replace(the_report(), color=colour), out.format)
                if memo is not None:
                    memo.put(out.format, colour, text)
            rendered[key] = text
        write(rendered[key], out.path, stdout)
