"""Writing one run's results in several formats: ``--format`` plus ``--report FORMAT:PATH``.

The CLI only wires options; this module parses ``FORMAT:PATH`` specs, decides
what each renderer needs (job graphs only for the formats that draw them,
colour only for text on a terminal, links from the CI environment) and
writes every output, so ``auditor check --report sarif:out.sarif --report
junit:out.xml`` prints the terminal text and writes two files in one scan.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import os
import select
import stat
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from auditor.findings import Finding
from auditor.repo import WORKFLOW_DIRS

if TYPE_CHECKING:
    from auditor.facts import PipelineGraph
    from auditor.reports.model import Report

GRAPH_FORMATS = frozenset({"markdown", "html"})


class OutputError(Exception):
    """A bad ``--report`` spec or outputs that could not be written: one reason per
    output that failed (``reasons``), each one line; ``str()`` joins them."""

    def __init__(self, *reasons: str) -> None:
        super().__init__("; ".join(reasons))
        self.reasons: tuple[str, ...] = reasons or ("output error",)


class StdoutClosed(BrokenPipeError):
    """Standard output's reader went away (``| head``): not an error to report. It is a
    ``BrokenPipeError`` naming no file, so it ends the command the way
    ``auditor.exits.unexpected`` ends any closed standard output: quietly, exit 141."""

    def __init__(self) -> None:
        super().__init__(errno.EPIPE, os.strerror(errno.EPIPE))


@dataclass(frozen=True)
class Output:
    format: str
    path: str  # "-" is standard output

    @property
    def to_stdout(self) -> bool:
        return self.path in ("", "-")


def format_names() -> tuple[str, ...]:
    from auditor.reports import FORMATS

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
    from auditor.reports import FORMATS, renderer

    if fmt not in FORMATS:
        raise OutputError(f"unknown format {fmt!r}")
    try:
        render_fn = renderer(fmt)
    except ImportError:
        raise OutputError(f"the {fmt} format is not available in this version") from None
    return render_fn(report)


def write(text: str, path: str, stdout: Callable[[str], None]) -> None:
    """Write ``text`` to standard output (``stdout``) or, atomically, to ``path``.

    A file is written beside its target under a temporary name, flushed to
    disk and renamed over it, so a full disk or an interrupt never leaves a
    truncated report where the old one was (or a partial one where there was
    none). A target that is not a regular file (``/dev/null``, a FIFO) is
    written in place: renaming over it would replace the device. Any failure
    is an ``OutputError`` naming the output.
    """
    if path in ("", "-"):
        try:
            stdout(text)
        except OSError as exc:
            abandon_stdout()
            if exc.errno == errno.EPIPE:
                raise StdoutClosed() from None
            raise OutputError(f"cannot write standard output: {_reason(exc)}") from None
        return
    try:
        target = Path(path)
        if target.parent != Path(""):
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
            except FileExistsError:  # a file where the folder should be
                raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR)) from None
        _write_atomically(target, text.encode("utf-8"))
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {_reason(exc)}") from None


def write_stdout(text: str) -> None:
    """Write ``text`` to standard output whole, or raise ``OSError``.

    Through the stream's binary layer, with short writes resumed: under
    ``python -u`` / ``PYTHONUNBUFFERED`` that layer is the raw file, whose
    ``write`` may take only part of the data (a pipe whose reader went away
    takes what fits), and ``print``/``click.echo`` would then drop the rest
    silently: a truncated report and exit status 1.
    """
    stream = sys.stdout
    stream.flush()
    buffer = getattr(stream, "buffer", None)
    if buffer is None:  # a text-only stream (an embedding host's): it writes whole or raises
        stream.write(text)
        stream.flush()
        return
    data = memoryview(text.encode(getattr(stream, "encoding", None) or "utf-8", "replace"))
    while data:
        try:
            written = buffer.write(data)
        except BlockingIOError as exc:  # a non-blocking descriptor: wait until it takes more
            written = exc.characters_written
            select.select([], [stream.fileno()], [])
        data = data[written or 0 :]
    buffer.flush()


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def _write_atomically(target: Path, data: bytes) -> None:
    real = Path(os.path.realpath(target))  # a symlinked report: replace what it points to
    try:
        st = os.stat(real)
    except FileNotFoundError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):
        with open(real, "wb") as out:  # a device or a pipe: no rename, no fsync
            out.write(data)
        return
    mode = stat.S_IMODE(st.st_mode) if st is not None else 0o666  # new files: the umask applies
    temp = real.with_name(f".{real.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), mode)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if st is not None:
            os.chmod(temp, mode)  # the umask narrowed it at creation
        os.replace(temp, real)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _sync_folder(real.parent)


def _sync_folder(folder: Path) -> None:
    """Make the rename durable (best effort: not every file system lets a folder be synced)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def abandon_stdout() -> None:
    """Standard output failed (a full disk, a closed pipe): point it at /dev/null, so
    the interpreter's last flush of what is still buffered does not fail again
    with a second message (and exit status 120)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


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

    rendered: dict[tuple[str, bool, bool], str] = {}
    failures: list[str] = []
    closed: StdoutClosed | None = None
    for out in outputs:  # every output is attempted; each failure is named
        colour = out.format == "text" and out.to_stdout and stdout_colour
        on_terminal = out.format == "text" and out.to_stdout  # width and links: stdout only
        key = (out.format, colour, on_terminal)
        try:
            if key not in rendered:
                text = memo.get(out.format, colour) if memo is not None else None
                if text is None:
                    made = the_report()
                    terminal = made.terminal if on_terminal else None
                    text = render(dataclasses.replace(made, color=colour, terminal=terminal), out.format)
                    if memo is not None:
                        memo.put(out.format, colour, text)
                rendered[key] = text
            write(rendered[key], out.path, stdout)
        except OutputError as exc:
            failures.extend(exc.reasons)
        except StdoutClosed as exc:  # the files are still written; then the quiet exit
            closed = exc
    if failures:
        raise OutputError(*failures)
    if closed is not None:
        raise closed
