"""Step-script analysis: what a step's code runs, and where it can fail without failing the step.

The analysis of one step is a **pure function** returning an immutable,
typed :class:`StepResult`: the issues found (detector names, spans, the
file each lies in), the repository scripts the step runs (followed and
analysed in turn), the missing ones, parse errors, and the ``run:`` body's
``$GITHUB_OUTPUT`` writes. Its inputs are narrow: the step's code (a
located string), its effective shell, a repository reader for the scripts
it follows, where it runs (:class:`StepPlace`), and the one policy knob it
needs (the size limit for action metadata). It keeps no state between
calls and reads nothing but through the reader; the text analyses it calls
are pure functions of their text, memoised by text, so asking again for the
same step (three rules do) costs little.

* a ``run:`` body goes with its effective shell (:func:`effective_shell`)
  to :func:`auditor.scripts.shell.analyse_shell` (bash, sh) or
  :func:`auditor.scripts.python.analyse_python` (``shell: python``, and the
  Python a shell body embeds: ``python - <<EOF``, ``python3 -c '…'``);
  offsets become file positions through the string's own locator, so
  columns are exact;
* repository scripts the code runs (``./x.sh``, ``bash x``, ``source x``,
  ``python3 x.py``, ``"$GITHUB_WORKSPACE/x.sh"``,
  ``${{ github.action_path }}/x.sh``) are resolved against the working
  directory (and the folders the body ``cd``-s into), the repository root or
  the action's folder, read only through the reader, and analysed with the
  same detectors — the shebang decides for ``./x`` — with findings located in
  the script file. Scripts calling scripts are followed to
  :data:`MAX_DEPTH`, cycle-safe;
* a local composite action (``uses: ./path``, :func:`analyse_uses`) is
  analysed as part of the step that uses it, with findings located in its
  ``action.yml``.

What counts as a missing script is deliberately narrow (a note that is wrong
is noise): only a relative path inside the repository, in a job that checked
out this repository, that the step did not create or download itself, with
a working directory that is known.

Model access lives in three functions — :func:`step_places` (which steps
run where, after which checkouts, with which shell), :func:`effective_shell`
and ``_action`` / ``_load_action`` — and in :class:`StepScripts`, the
workflow's entry in ``Facts``; the analysis itself sees strings, specs and
spans only.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Literal, Protocol

from auditor.model import Job, Map, RunStep, Seq, Step, Text, UsesStep, Workflow, plain
from auditor.repo import normalise
from auditor.script_rules import KINDS, NOT_FOUND, PARSE_ERROR, SWALLOWED, Kind
from auditor.scripts.issues import DirChange, OutputWrite, ScriptCall, ScriptIssue
from auditor.scripts.shells import ShellSpec, resolve_shebang, resolve_shell
from auditor.span import Span

if TYPE_CHECKING:
    from auditor.repo import RepoContext

__all__ = [
    "KINDS",
    "MAX_DEPTH",
    "NOT_FOUND",
    "PARSE_ERROR",
    "SWALLOWED",
    "FollowedScript",
    "Located",
    "Reader",
    "ScriptFinding",
    "StepPlace",
    "StepResult",
    "StepScripts",
    "analyse_run",
    "analyse_step",
    "analyse_uses",
    "effective_shell",
    "step_places",
]

#: How deep scripts calling scripts (and local actions using local actions) are followed.
MAX_DEPTH = 4
_PWSH = ShellSpec("pwsh", True, True)
# A script run as `bash x.sh` / `sh x` starts a fresh shell: no -e, no pipefail
# (the step's flags do not carry over; the script must `set -e` itself).
_BASH_SCRIPT = ShellSpec("bash", False, False)
_SH_SCRIPT = ShellSpec("sh", False, False)
_PYTHON = ShellSpec("python", True, True)
_CHECKOUT = re.compile(r"^actions/checkout@|/checkout@", re.IGNORECASE)

Reader = Callable[[str], bytes | None]
Origin = Literal["run", "action", "script"]


class Located(Protocol):
    """A string value that knows where each of its characters sits in its file (a YAML scalar)."""

    @property
    def value(self) -> str: ...

    @property
    def style(self) -> str | None: ...

    def position_of(self, offset: int) -> tuple[int, int]: ...


@dataclass(frozen=True, slots=True)
class StepPlace:
    """Where a step's code runs, as far as finding the scripts it calls goes.

    ``cwd`` is the repository-relative working directory (None when it cannot
    be known statically); ``checked_out`` whether this repository was checked
    out before the step; ``foreign`` the folders other repositories were
    checked out into; ``earlier`` the text of the job's earlier steps (which
    may create the scripts this one runs).
    """

    cwd: str | None
    checked_out: bool
    foreign: tuple[str, ...] = ()
    earlier: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ScriptFinding:
    """One thing the step's code does wrong, located in the file it is in.

    ``kind`` says which rule reports it: ``swallowed`` (``swallowed-failure``),
    ``parse-error`` (``script-parse-error``) or ``missing``
    (``script-not-found``). ``path`` is None for the step's own ``run:`` body
    (the workflow file), else the script or ``action.yml`` it is in; ``origin``
    says which of the three (for wording: "step …", "the composite action X
    used by step …", "X, run by step …"). ``message`` is what is wrong and how
    to fix it; ``subject`` feeds the fingerprint (never a line number).
    """

    kind: Kind
    detector: str
    message: str
    subject: str
    span: Span
    path: str | None
    origin: Origin

    def text(self, where: str) -> str:
        """The full message, with ``where`` (how a person names the step) in front."""
        return f"{where} {self.message}" if self.kind == "missing" else f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class FollowedScript:
    """A repository script the step runs (directly, or through other scripts), resolved."""

    path: str
    interpreter: str
    depth: int  # 1: called by the step's own code


@dataclass(frozen=True, slots=True)
class StepResult:
    """Everything the analysis of one step found (see the module docs). Immutable."""

    findings: tuple[ScriptFinding, ...] = ()
    scripts: tuple[FollowedScript, ...] = ()
    outputs: tuple[OutputWrite, ...] = ()

    def of(self, kind: Kind) -> tuple[ScriptFinding, ...]:
        return tuple(f for f in self.findings if f.kind == kind)


# --- text analyses (pure, memoised by text) -------------------------------------------


@dataclass(frozen=True, slots=True)
class _TextResult:
    issues: tuple[ScriptIssue, ...] = ()
    calls: tuple[ScriptCall, ...] = ()
    dirs: tuple[DirChange, ...] = ()
    parse_errors: tuple[ScriptIssue, ...] = ()
    outputs: tuple[OutputWrite, ...] = ()


@lru_cache(maxsize=512)
def _analyse_text(text: str, spec: ShellSpec) -> _TextResult:
    """Issues, calls, folder changes, parse errors and outputs of one body or script, by its shell."""
    if spec.language == "python":
        from auditor.scripts.python import analyse_python
        from auditor.scripts.shell import blank_expressions

        issues, error = analyse_python(blank_expressions(text))
        return _TextResult(issues, parse_errors=(error,) if error is not None else ())
    if spec.language not in ("bash", "sh"):
        return _TextResult()
    from auditor.scripts.python import analyse_python
    from auditor.scripts.shell import analyse_shell

    report = analyse_shell(text, spec)
    found = list(report.issues)
    errors = [report.parse_error] if report.parse_error is not None else []
    for inline in report.inline_python:
        py_issues, py_error = analyse_python(inline.code)
        found.extend(i.shifted(inline.start) for i in py_issues)
        if py_error is not None:
            errors.append(py_error.shifted(inline.start))
    return _TextResult(tuple(found), report.calls, report.dirs, tuple(errors), report.outputs)


class _Lines:
    """Offsets to (line, column) in a script file: a line table, one binary search per lookup."""

    def __init__(self, text: str) -> None:
        self.size = len(text)
        self.starts = [0]
        pos = text.find("\n")
        while pos != -1:
            self.starts.append(pos + 1)
            pos = text.find("\n", pos + 1)

    def position(self, offset: int) -> tuple[int, int]:
        offset = max(0, min(offset, self.size))
        k = bisect.bisect_right(self.starts, offset) - 1
        return k + 1, offset - self.starts[k] + 1


@lru_cache(maxsize=64)
def _lines(text: str) -> _Lines:
    return _Lines(text)


class _Locator:
    """Offsets to file positions for a ``run:`` value.

    A literal block (``|``) maps linearly: line = first line + lines before,
    column = indentation + column in the value (what ``position_of`` computes,
    but without counting newlines from the start for every issue, which made
    8,000 findings in one body quadratic). Other styles ask the value.
    """

    def __init__(self, run: Located) -> None:
        self.run = run
        self.lines: _Lines | None = None
        if run.style == "|":
            self.lines = _lines(run.value)
            self.base = run.position_of(0)

    def position(self, offset: int) -> tuple[int, int]:
        if self.lines is None:
            return self.run.position_of(offset)
        line, column = self.lines.position(offset)
        return self.base[0] + line - 1, self.base[1] + column - 1


def _span(position: Callable[[int], tuple[int, int]], start: int, end: int, *, empty_ok: bool = False) -> Span:
    """The span of characters ``start:end``; never empty unless the end maps onto the start (``empty_ok``)."""
    line, column = position(start)
    end_line, end_column = position(end) if end > start else (line, column + 1)
    before = (end_line, end_column) < (line, column) if empty_ok else (end_line, end_column) <= (line, column)
    if before:
        end_line, end_column = line, column + 1
    return Span(line, column, end_line, end_column)


def _kinds(result: _TextResult) -> tuple[tuple[Kind, tuple[ScriptIssue, ...]], ...]:
    return (("swallowed", result.issues), ("parse-error", result.parse_errors))


# --- one step ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Scope:
    """What the recursive analysis carries: the reader, limits, and where the code is."""

    read: Reader
    max_bytes: int
    place: StepPlace
    file: str | None  # None: the workflow; else the action.yml the code is in
    action_dir: str | None  # the folder of the composite action the code belongs to
    depth: int = 0
    stack: frozenset[str] = frozenset()


def analyse_run(
    run: Located, shell: ShellSpec, read: Reader, place: StepPlace, *, max_bytes: int,
) -> StepResult:  # fmt: skip
    """Analyse the ``run:`` body of a step (see the module docs). Pure; never raises on bad input."""
    found: list[ScriptFinding] = []
    scripts: list[FollowedScript] = []
    outputs = _run(run, shell, _Scope(read, max_bytes, place, None, None), found, scripts)
    return StepResult(tuple(found), tuple(scripts), outputs)


def analyse_uses(uses: str, read: Reader, place: StepPlace, *, max_bytes: int) -> StepResult:
    """Analyse the local composite action a ``uses: ./path`` step runs, as part of that step."""
    found: list[ScriptFinding] = []
    scripts: list[FollowedScript] = []
    _action(uses, _Scope(read, max_bytes, place, None, None), found, scripts)
    return StepResult(tuple(found), tuple(scripts))


def _run(
    run: Located, spec: ShellSpec, scope: _Scope, found: list[ScriptFinding], scripts: list[FollowedScript],
) -> tuple[OutputWrite, ...]:  # fmt: skip
    body = run.value
    if not body.strip():
        return ()
    result = _analyse_text(body, spec)
    locator = _Locator(run)
    origin: Origin = "run" if scope.file is None else "action"
    for kind, issues in _kinds(result):
        for issue in issues:
            span = _span(locator.position, issue.start, issue.end, empty_ok=True)
            found.append(ScriptFinding(kind, issue.detector, issue.message, f"{issue.detector}:{issue.subject}",
                                       span, scope.file, origin))  # fmt: skip
    for call in result.calls:
        resolved = _resolve(call, result.dirs, scope)
        if resolved is None:
            continue
        path, exists = resolved
        if exists:
            _script(path, call.interpreter, spec, scope, found, scripts)
        elif _reportable_missing(call, path, result.dirs, body, scope):
            message = (
                f"runs `{call.path}`, but {path} is not in the repository, so the step fails when it gets "
                "there (and the script could not be checked for swallowed failures); commit the script, or "
                "fix its path or the step's working-directory"
            )
            found.append(ScriptFinding("missing", "missing", message, f"missing:{path}",
                                       _span(locator.position, call.start, call.end, empty_ok=True), scope.file,
                                       origin))  # fmt: skip
    return result.outputs


def _text(scope: _Scope, path: str) -> str | None:
    data = scope.read(path)
    return data.decode("utf-8", "replace") if data is not None else None


def _resolve(call: ScriptCall, dirs: tuple[DirChange, ...], scope: _Scope) -> tuple[str, bool] | None:
    """(repository path, exists) of a script call, or None when it cannot be placed."""
    if call.anchor == "action":
        if scope.action_dir is None:
            return None
        path = normalise(call.path, scope.action_dir)
        return (path, _text(scope, path) is not None) if path else None
    if call.anchor == "workspace":
        path = normalise(call.path)
        return (path, _text(scope, path) is not None) if path else None
    cwd = scope.place.cwd
    if cwd is None:
        return None
    path = normalise(call.path, cwd)
    if not path:
        return None
    if _text(scope, path) is not None:
        return path, True
    # `cd app && ./deploy.sh`: try the folders the body changes into before the call.
    for change in dirs:
        if change.start >= call.start:
            break
        if change.path is None:
            return None  # a folder we cannot know: do not guess
        base = scope.action_dir if change.anchor == "action" else "" if change.anchor == "workspace" else cwd
        if base is None:
            return None
        folder = normalise(change.path, base)
        if folder is None:
            return None
        candidate = normalise(call.path, folder)
        if candidate and _text(scope, candidate) is not None:
            return candidate, True
    return path, False


def _reportable_missing(call: ScriptCall, path: str, dirs: tuple[DirChange, ...], body: str,
                        scope: _Scope) -> bool:  # fmt: skip
    place = scope.place
    if not place.checked_out or call.anchor == "action":
        return False
    if any(path == f or path.startswith(f + "/") for f in place.foreign):
        return False
    name = path.rsplit("/", 1)[-1]
    before = body[: call.start]
    # Created, downloaded or unpacked by the step itself or an earlier one.
    if name in before or any(name in text for text in place.earlier):
        return False
    if call.anchor == "cwd" and any(change.start < call.start for change in dirs):
        return False  # the working directory changed in a way _resolve could not follow
    return not (call.interpreter == "source" and "/" not in call.path and "." not in name[1:])


def _script(
    path: str, interpreter: str, caller: ShellSpec, scope: _Scope,
    found: list[ScriptFinding], scripts: list[FollowedScript],
) -> None:  # fmt: skip
    depth = scope.depth + 1
    if depth > MAX_DEPTH or path in scope.stack:
        return
    text = _text(scope, path)
    if text is None:
        return
    spec = _script_spec(path, interpreter, caller, text)
    scripts.append(FollowedScript(path, interpreter, depth))
    if spec is None:
        return
    result = _analyse_text(text, spec)
    lines = _lines(text)
    for kind, issues in _kinds(result):
        for issue in issues:
            found.append(ScriptFinding(kind, issue.detector, issue.message, f"{issue.detector}:{issue.subject}",
                                       _span(lines.position, issue.start, issue.end), path,
                                       "script"))  # fmt: skip
    # Nested calls: not reported missing (the cwd may have moved).
    inner = replace(scope, place=replace(scope.place, checked_out=False), depth=depth,
                    stack=scope.stack | {path})  # fmt: skip
    folder = path.rsplit("/", 1)[0] if "/" in path else ""
    for call in result.calls:
        if call.anchor != "cwd":
            resolved = _resolve(call, (), inner)
            if resolved is not None and resolved[1]:
                _script(resolved[0], call.interpreter, spec, inner, found, scripts)
            continue
        candidates = []
        if scope.place.cwd is not None:
            candidates.append(normalise(call.path, scope.place.cwd))
        candidates.append(normalise(call.path, folder))
        for candidate in candidates:
            if candidate and _text(scope, candidate) is not None:
                _script(candidate, call.interpreter, spec, inner, found, scripts)
                break


def _script_spec(path: str, interpreter: str, caller: ShellSpec, text: str) -> ShellSpec | None:
    """The shell (or Python) a repository script runs with, None for languages not analysed."""
    if interpreter == "python":
        return _PYTHON
    if interpreter == "bash":
        return _BASH_SCRIPT
    if interpreter == "sh":
        return _SH_SCRIPT
    if interpreter == "source":
        return caller if caller.language in ("bash", "sh") else None
    spec = resolve_shebang(text)
    if spec is None:
        return _PYTHON if path.endswith(".py") else _SH_SCRIPT
    return spec if spec.language in ("bash", "sh", "python") else None


# --- local composite actions ---------------------------------------------------------------


def _action(uses: str, scope: _Scope, found: list[ScriptFinding], scripts: list[FollowedScript]) -> None:
    folder = normalise(uses.split("@", 1)[0])
    if folder is None or folder.endswith((".yml", ".yaml")) or scope.depth >= MAX_DEPTH:
        return
    loaded = _load_action(scope.read, scope.max_bytes, folder)
    if loaded is None or loaded[0] in scope.stack:
        return
    path, action = loaded
    for job in action.jobs:
        for step in job.action_steps():
            working_directory = step.working_directory if isinstance(step, RunStep) else None
            place = StepPlace(_cwd(working_directory, None), True)
            inner = replace(scope, place=place, file=path, action_dir=folder, depth=scope.depth + 1,
                            stack=scope.stack | {path})  # fmt: skip
            if isinstance(step, RunStep):
                if step.run is not None:
                    shell = step.shell.value if step.shell is not None else None
                    _run(step.run, resolve_shell(shell), inner, found, scripts)
            elif step.uses is not None and step.uses.kind == "local":
                _action(step.uses.raw.strip(), inner, found, scripts)


def _load_action(read: Reader, max_bytes: int, folder: str) -> tuple[str, Workflow] | None:
    """The ``action.yml`` (or ``.yaml``) of a local action folder, modelled; None if absent or not an action."""
    for name in ("action.yml", "action.yaml"):
        path = f"{folder}/{name}" if folder else name
        data = read(path)
        if data is None or len(data) > max_bytes:
            continue
        action = _model_action(path, data)
        return (path, action) if action is not None else None
    return None


@lru_cache(maxsize=64)
def _model_action(path: str, data: bytes) -> Workflow | None:
    """``action.yml`` bytes → the model (a pure function of the bytes; memoised: three rules ask in turn)."""
    from auditor.build import build_action
    from auditor.parse import parse_bytes

    parsed = parse_bytes(data, path)
    return build_action(path, parsed.root, []) if parsed.root is not None else None


# --- model access: where each step runs ----------------------------------------------------


def _defaults_value(job: Job, workflow: Workflow, key: str) -> str | None:
    """``defaults.run.<key>`` of the job, else of the workflow."""
    for defaults in (job.defaults, workflow.defaults):
        run = defaults.get("run") if defaults is not None else None
        value = run.text(key) if isinstance(run, Map) else None
        if value is not None and value.kind != "null":
            return value.value
    return None


def _cwd(step_dir: Text | None, default: str | None) -> str | None:
    """Repository-relative working directory, or None when it cannot be known statically."""
    text = step_dir.value if step_dir is not None and step_dir.kind != "null" else default
    if text is None or not text.strip():
        return ""
    text = text.strip()
    workspace = re.match(r"^\$\{\{\s*github\.workspace\s*\}\}/?|^\$\{?GITHUB_WORKSPACE\}?/?", text)
    if workspace is not None:
        text = text[workspace.end() :]
    if "$" in text or text.startswith(("/", "~")):
        return None
    return normalise(text)


def _with_text(step: UsesStep, key: str) -> str | None:
    value = step.with_text(key)
    return value.value.strip() if value is not None and value.kind != "null" else None


def step_places(job: Job, workflow: Workflow) -> Iterator[tuple[RunStep | UsesStep, StepPlace, ShellSpec]]:
    """Each code-running step of ``job`` (``run:`` or a local ``uses: ./…``), where it runs, and its shell.

    Follows the job's checkouts in run order (``parallel:`` members included):
    ``actions/checkout`` of this repository makes its scripts available; one
    of another repository into a ``path:`` makes that folder foreign, and into
    the workspace replaces it. The job-level parts of the effective shell are
    worked out once per job.
    """
    default_cwd = _defaults_value(job, workflow, "working-directory")
    default_shell = _defaults_value(job, workflow, "shell")
    windows = default_shell is None and _runs_on_windows(job)
    checked_out = False
    foreign: list[str] = []
    earlier: list[str] = []  # text of earlier steps (scripts they may create)
    for step in job.action_steps():
        if isinstance(step, UsesStep):
            uses = step.uses.raw.strip() if step.uses is not None else ""
            if uses and _CHECKOUT.search(uses):
                repository = _with_text(step, "repository")
                target = _with_text(step, "path")
                if repository is None or "github.repository" in repository:
                    checked_out = True
                elif target is not None and "${{" not in target:
                    folder = normalise(target)
                    if folder:
                        foreign.append(folder)
                else:
                    checked_out = False  # the workspace now holds another repository
                continue
            if step.uses is not None and step.uses.kind == "local":
                yield (
                    step,
                    StepPlace(_cwd(None, default_cwd), checked_out, tuple(foreign), tuple(earlier)),
                    (_shell_of(None, step, default_shell, windows)),
                )
            values: tuple[Map | None, ...] = (step.with_, step.env)
        else:
            place = StepPlace(_cwd(step.working_directory, default_cwd), checked_out, tuple(foreign),
                              tuple(earlier))  # fmt: skip
            if step.run is not None:
                yield step, place, _shell_of(step.shell, step, default_shell, windows)
                earlier.append(step.run.value)
            values = (step.env,)
        for found in values:  # inputs and env may name files a step creates
            if found is not None:
                earlier.extend(v.value for _k, v in found.items() if isinstance(v, Text))


def analyse_step(step: RunStep | UsesStep, place: StepPlace, shell: ShellSpec, read: Reader,
                 max_bytes: int) -> StepResult:  # fmt: skip
    """:func:`analyse_run` or :func:`analyse_uses` for a step of the model (``shell``: its effective shell)."""
    if isinstance(step, RunStep):
        if step.run is None:
            return StepResult()
        return analyse_run(step.run, shell, read, place, max_bytes=max_bytes)
    if step.uses is not None and step.uses.kind == "local":
        return analyse_uses(step.uses.raw.strip(), read, place, max_bytes=max_bytes)
    return StepResult()


def _runs_on_windows(job: Job) -> bool:
    """``runs-on`` names Windows — literally, or through a matrix key whose values all do.

    A Windows runner's default shell is pwsh, which is not analysed.
    """
    node = job.runs_on
    values: list[str] = []
    if isinstance(node, Text):
        values = [node.value]
    elif isinstance(node, Seq):
        values = [n.value for n in node if isinstance(n, Text)]
    for value in values:
        if "${{" not in value:
            if "windows" in value.lower():
                return True
            continue
        if "windows" not in value.lower() + _matrix_text(job):
            continue
        for key in re.findall(r"\bmatrix\.([\w-]+)", value):  # `${{ matrix.os }}`, format(...)
            legs = _matrix_values(job, key)
            if legs and all("windows" in leg.lower() for leg in legs):
                return True
    return False


def _matrix_text(job: Job) -> str:
    matrix = job.matrix.value
    return str(plain(matrix)).lower() if matrix is not None else ""


def _matrix_values(job: Job, key: str) -> list[str]:
    data = plain(job.matrix.value)
    if not isinstance(data, dict):
        return []
    out: list[str] = []
    listed = data.get(key)
    if isinstance(listed, list):
        out.extend(str(v) for v in listed)
    elif listed is not None:
        out.append(str(listed))
    for entry in data.get("include") or []:
        if isinstance(entry, dict) and key in entry:
            out.append(str(entry[key]))
    return out


def _windows_only_step(step: Step) -> bool:
    """``if: runner.os == 'Windows'`` (or ``matrix.os == 'windows-…'``): the step runs on pwsh."""
    cond = step.if_.value.lower() if step.if_ is not None else ""
    return "windows" in cond and "!=" not in cond and "!" not in cond.replace("!=", "")


def effective_shell(job: Job, workflow: Workflow, step: RunStep) -> ShellSpec:
    """The effective shell of ``step`` of ``job`` (step, then job and workflow defaults)."""
    default = _defaults_value(job, workflow, "shell")
    return _shell_of(step.shell, step, default, default is None and _runs_on_windows(job))


def _shell_of(own: Text | None, step: Step, default: str | None, windows_job: bool) -> ShellSpec:
    shell = own.value if own is not None else default
    if shell is None and (windows_job or _windows_only_step(step)):
        return _PWSH
    return resolve_shell(shell)


# --- the workflow's entry in Facts, and the rule adapter -------------------------------------

@dataclass(frozen=True, slots=True)
class StepScripts:
    """The step-script analysis of one workflow, as ``Facts`` holds it.

    Immutable and stateless: :meth:`job` computes a job's per-step
    :class:`StepResult` values from the pure functions above when a rule asks
    (most jobs are never on a promote path, and parsing is the costliest part
    of a scan); the text analyses underneath are memoised by text, so three
    rules asking in turn do not analyse a body three times. It keeps no
    reference to the ``Facts`` or the rule context.
    """

    repo: RepoContext
    max_bytes: int
    workflow: Workflow
    promote_path: frozenset[str]
    describe: Callable[[str], str]

    def job(self, job: Job) -> tuple[tuple[RunStep | UsesStep, StepResult], ...]:
        """Each code-running step of ``job`` with its result, in run order."""
        read = self.repo.read
        return tuple((step, analyse_step(step, place, shell, read, self.max_bytes))
                     for step, place, shell in step_places(job, self.workflow))  # fmt: skip

    def place_words(self, job: Job) -> str:
        if job.id in self.promote_path:
            return f" on the promote path {self.describe(job.id)}"
        return " (policy scope: all jobs)"


