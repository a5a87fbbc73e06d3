"""Script analysis of a workflow's steps, computed once per file and shared by three rules.

``swallowed-failure``, ``script-not-found`` and ``script-parse-error`` all ask
the same question — what do the steps of job J run, and where can that code
fail without failing the step — so the answer is computed here, once per job
and per file, and shared through ``RuleContext.memo`` (like
:mod:`auditor.refindex`).

For every step of a job:

* a ``run:`` body is analysed with its **effective shell**: the step's
  ``shell``, else the job's then the workflow's ``defaults.run.shell``, else
  the runner default (``bash -e {0}``: errexit, no pipefail; ``pwsh`` on a
  ``runs-on`` that names Windows), interpreted by
  :func:`auditor.scripts.shells.resolve_shell`. Bash and sh bodies go to
  :func:`auditor.scripts.shell.analyse_shell`; ``shell: python`` bodies and
  the Python a shell body embeds (``python - <<EOF``, ``python3 -c '…'``) go
  to :func:`auditor.scripts.python.analyse_python`. Offsets are mapped to the
  file with ``YScalar.position_of``, so columns are exact.
* repository scripts the code runs (``./x.sh``, ``bash x``, ``source x``,
  ``python3 x.py``) are resolved against the repository root and the step's
  working directory, read **only** through ``ctx.repo.read`` (which records
  the dependency for the result cache), and analysed with the same detectors
  — the shebang decides for ``./x`` — with findings located in the script
  file. Scripts calling scripts are followed to :data:`MAX_DEPTH`, cycle-safe.
* a local composite action (``uses: ./path``) is analysed as part of the step
  that uses it: its ``runs.steps`` go through the same analysis (nested
  local actions included, bounded), with findings located in its
  ``action.yml``.

What counts as a missing script is deliberately narrow (a note that is wrong
is noise): only a relative path inside the repository, in a job that checked
out this repository, that the step did not create or download itself, with
a working directory that is known.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from auditor.findings import Hit, StepRef, hit_in
from auditor.model import Job, Map, RunStep, Seq, Step, Text, UsesStep, Workflow, plain
from auditor.repo import normalise
from auditor.scripts.issues import ScriptCall, ScriptIssue
from auditor.scripts.shells import ShellSpec, resolve_shebang, resolve_shell
from auditor.span import Span

if TYPE_CHECKING:
    from auditor.repo import RepoContext
    from auditor.rule import RuleContext

__all__ = [
    "MAX_DEPTH",
    "NOT_FOUND",
    "PARSE_ERROR",
    "SWALLOWED",
    "effective_shell",
    "hits",
]

SWALLOWED = "swallowed-failure"
NOT_FOUND = "script-not-found"
PARSE_ERROR = "script-parse-error"

#: How deep scripts calling scripts (and local actions using local actions) are followed.
MAX_DEPTH = 4
_PWSH = ShellSpec("pwsh", True, True)
# A script run as `bash x.sh` / `sh x` starts a fresh shell: no -e, no pipefail
# (the step's flags do not carry over; the script must `set -e` itself).
_BASH_SCRIPT = ShellSpec("bash", False, False)
_SH_SCRIPT = ShellSpec("sh", False, False)
_PYTHON = ShellSpec("python", True, True)

# `${{ github.action_path }}/x.sh` in a composite action: the library sees an
# expression, not a path; the action's own folder is known here.
_ACTION_PATH_CALL = re.compile(
    r"(?:\b(?P<interp>bash|sh|python3?|source)\s+|(?<![\w$])\.\s+)?[\"']?"
    r"\$\{\{\s*github\.action_path\s*\}\}[\"']?/(?P<path>[\w.][\w./-]*)"
)
_CD = re.compile(r"(?:^|[;&|(\s])(?:cd|pushd)\s+(?P<dir>[^\s;&|)]+)")
_CHECKOUT = re.compile(r"^actions/checkout@|/checkout@", re.IGNORECASE)
# `v=$(curl … | jq …)` / `v=$(curl -s …)`: the substitution whose status is lost.
_CAPTURE = re.compile(r"(?:^|[\s;&|(])(?P<name>[A-Za-z_]\w*)=\"?\$\((?:\s|\\\n)*$")
# Detectors whose lost status is recovered when the captured value is tested for emptiness.
_VALUE_CHECKED = frozenset({"pipeline-masks-failure", "curl-without-fail"})


@dataclass(frozen=True, slots=True)
class _Where:
    """Where a piece of code runs: the workflow job and step that cause it to run."""

    job: str
    step: StepRef
    step_label: str
    place: str  # " on the promote path a → b" or " (policy scope: all jobs)"
    cwd: str | None  # repository-relative working directory; None when unknown
    checked_out: bool  # this repository is checked out before the step runs
    foreign: tuple[str, ...] = ()  # folders another repository was checked out into


@dataclass(slots=True)
class _ScriptResult:
    issues: tuple[ScriptIssue, ...] = ()
    calls: tuple[ScriptCall, ...] = ()
    parse_error: ScriptIssue | None = None


@dataclass(slots=True)
class StepScripts:
    """The script analysis of one workflow's jobs, part of its ``Facts``.

    Each job is analysed the first time a rule asks (most jobs are never on
    a promote path, and tree-sitter is the costliest step of a scan) and the
    result is kept; the answer is a pure function of the workflow and the
    repository's files, so asking twice cannot give two answers. No reference
    back to the ``Facts`` or the rule context: that would make every file's
    model a garbage cycle (measured: +40 % CPU on the corpus, all of it in the
    cyclic collector).
    """

    repo: RepoContext
    max_bytes: int
    workflow: Workflow
    promote_path: frozenset[str]
    describe: Callable[[str], str]
    jobs: dict[str, list[tuple[str, Hit]]] = field(default_factory=dict)
    _texts: dict[str, str | None] = field(default_factory=dict)
    _scripts: dict[tuple[str, ShellSpec], _ScriptResult] = field(default_factory=dict)
    _actions: dict[str, tuple[str, Workflow] | None] = field(default_factory=dict)

    # -- jobs and steps -------------------------------------------------------------

    def job(self, job: Job) -> list[tuple[str, Hit]]:
        found = self.jobs.get(job.id)
        if found is None:
            found = []
            self.jobs[job.id] = found
            self._job(job, found)
        return found

    def _job(self, job: Job, out: list[tuple[str, Hit]]) -> None:
        if job.id in self.promote_path:
            place = f" on the promote path {self.describe(job.id)}"
        else:
            place = " (policy scope: all jobs)"
        default_cwd = _defaults_value(job, self.workflow, "working-directory")
        checked_out = False
        foreign: list[str] = []
        earlier: list[str] = []  # text of earlier steps (scripts they may create)
        for step in job.action_steps():
            uses = step.uses.raw.strip() if isinstance(step, UsesStep) and step.uses is not None else ""
            if isinstance(step, UsesStep) and uses and _CHECKOUT.search(uses):
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
            cwd = _cwd(step.working_directory if isinstance(step, RunStep) else None, default_cwd)
            where = _Where(job.id, StepRef.of(step), step.label, place, cwd, checked_out,
                           tuple(foreign))  # fmt: skip
            if isinstance(step, RunStep) and step.run is not None:
                spec = effective_shell(job, self.workflow, step)
                self._run(step.run, spec, where, self.workflow.path, "", earlier, out, 0,
                          frozenset())  # fmt: skip
                earlier.append(step.run.value)
            elif uses.startswith("./"):
                self._action(uses, where, out, 0, frozenset())
            if isinstance(step, UsesStep) and step.with_ is not None:
                earlier.extend(v.value for _k, v in step.with_.items() if isinstance(v, Text))

    # -- run bodies -------------------------------------------------------------------

    def _run(
        self, run: Text, spec: ShellSpec, where: _Where, file: str, action_dir: str | None,
        earlier: list[str], out: list[tuple[str, Hit]], depth: int, stack: frozenset[str],
    ) -> None:  # fmt: skip
        body = run.value
        if not body.strip():
            return
        in_action = file != self.workflow.path
        what = (f"step '{where.step_label}' of job '{where.job}'{where.place}" if not in_action
                else f"the composite action {file} used by step '{where.step_label}' of job "
                f"'{where.job}'{where.place}")  # fmt: skip

        def emit(rule: str, issue: ScriptIssue, shift: int = 0) -> None:
            if shift == 0 and _dismissed(body, issue):
                return
            h = hit_in(run, issue.start + shift, issue.end + shift, f"{what}: {issue.message}",
                       f"{issue.detector}:{issue.subject}", job=where.job, step=where.step)  # fmt: skip
            out.append((rule, replace(h, path=file) if in_action else h))

        if spec.language == "python":
            from auditor.scripts.shell import blank_expressions

            issues, error = _python(blank_expressions(body))
            for issue in issues:
                emit(SWALLOWED, issue)
            if error is not None:
                emit(PARSE_ERROR, error)
            return
        if spec.language not in ("bash", "sh"):
            return
        from auditor.scripts.shell import analyse_shell

        report = analyse_shell(body, spec)
        for issue in report.issues:
            emit(SWALLOWED, issue)
        if report.parse_error is not None:
            emit(PARSE_ERROR, report.parse_error)
        for inline in report.inline_python:
            issues, error = _python(inline.code)
            for issue in issues:
                emit(SWALLOWED, issue, inline.start)
            if error is not None:
                emit(PARSE_ERROR, error, inline.start)
        calls = list(report.calls)
        if action_dir is not None and "action_path" in body:
            calls.extend(_action_path_calls(body, action_dir))
        for call in calls:
            resolved = self._resolve(call, where, body)
            if resolved is None:
                continue
            path, exists = resolved
            if exists:
                self._script(path, call.interpreter, spec, where, out, depth + 1, stack)
            elif self._reportable_missing(call, path, where, body, earlier):
                message = (
                    f"{what} runs `{call.path}`, but {path} is not in the repository, so the "
                    "step fails when it gets there (and the script could not be checked for "
                    "swallowed failures); commit the script, or fix its path or the step's "
                    "working-directory"
                )
                h = hit_in(run, call.start, call.end, message, f"missing:{path}", job=where.job,
                           step=where.step)  # fmt: skip
                out.append((NOT_FOUND, replace(h, path=file) if in_action else h))

    def _resolve(self, call: ScriptCall, where: _Where, body: str) -> tuple[str, bool] | None:
        """(repository path, exists) of a script call, or None when it cannot be placed."""
        if call.path.startswith("//"):  # an action-path call resolved by _action_path_calls
            marked = call.path[2:]
            return marked, self._text(marked) is not None
        if where.cwd is None:
            return None
        path = normalise(call.path, where.cwd)
        if not path:
            return None
        if self._text(path) is not None:
            return path, True
        # `cd app && ./deploy.sh`: try the folders the body changes into before the call.
        for match in _CD.finditer(body, 0, call.start):
            target = match.group("dir").strip("\"'")
            if not target or target.startswith(("$", "~", "/", "-", "`")) or "${{" in target:
                return None  # a folder we cannot know: do not guess
            folder = normalise(target, where.cwd)
            if folder is None:
                return None
            candidate = normalise(call.path, folder)
            if candidate and self._text(candidate) is not None:
                return candidate, True
        return path, False

    def _reportable_missing(self, call: ScriptCall, path: str, where: _Where, body: str,
                            earlier: list[str]) -> bool:  # fmt: skip
        if not where.checked_out or call.path.startswith("//"):
            return False
        if any(path == f or path.startswith(f + "/") for f in where.foreign):
            return False
        name = path.rsplit("/", 1)[-1]
        before = body[: call.start]
        # Created, downloaded or unpacked by the step itself or an earlier one.
        if name in before or any(name in text for text in earlier):
            return False
        if _CD.search(before) is not None:
            return False  # the working directory changed in a way _resolve could not follow
        return not (call.interpreter == "source" and "/" not in call.path and "." not in name[1:])

    # -- scripts ----------------------------------------------------------------------

    def _text(self, path: str) -> str | None:
        if path not in self._texts:
            data = self.repo.read(path)
            self._texts[path] = data.decode("utf-8", "replace") if data is not None else None
        return self._texts[path]

    def _script(
        self, path: str, interpreter: str, caller: ShellSpec, where: _Where,
        out: list[tuple[str, Hit]], depth: int, stack: frozenset[str],
    ) -> None:  # fmt: skip
        if depth > MAX_DEPTH or path in stack:
            return
        text = self._text(path)
        if text is None:
            return
        spec = _script_spec(path, interpreter, caller, text)
        if spec is None:
            return
        result = self._analyse_script(path, spec, text)
        what = (f"{path}, run by step '{where.step_label}' of job '{where.job}'{where.place}")
        for rule, issue in [(SWALLOWED, i) for i in result.issues] + (
            [(PARSE_ERROR, result.parse_error)] if result.parse_error is not None else []
        ):
            out.append((rule, Hit(f"{what}: {issue.message}", _text_span(text, issue.start, issue.end),
                                  f"{issue.detector}:{issue.subject}", where.job, where.step,
                                  path)))  # fmt: skip
        inner = replace(where, checked_out=False)  # nested calls: the cwd may have moved
        for call in result.calls:
            candidates = []
            if where.cwd is not None:
                candidates.append(normalise(call.path, where.cwd))
            folder = path.rsplit("/", 1)[0] if "/" in path else ""
            candidates.append(normalise(call.path, folder))
            for candidate in candidates:
                if candidate and self._text(candidate) is not None:
                    self._script(candidate, call.interpreter, spec, inner, out, depth + 1,
                                 stack | {path})  # fmt: skip
                    break

    def _analyse_script(self, path: str, spec: ShellSpec, text: str) -> _ScriptResult:
        key = (path, spec)
        cached = self._scripts.get(key)
        if cached is not None:
            return cached
        if spec.language == "python":
            issues, error = _python(text)
            result = _ScriptResult(issues, (), error)
        else:
            from auditor.scripts.shell import analyse_shell

            report = analyse_shell(text, spec)
            found = [i for i in report.issues if not _dismissed(text, i)]
            for inline in report.inline_python:
                py_issues, _error = _python(inline.code)
                found.extend(i.shifted(inline.start) for i in py_issues)
            result = _ScriptResult(tuple(found), report.calls, report.parse_error)
        self._scripts[key] = result
        return result

    # -- local composite actions ----------------------------------------------------------

    def _action(self, uses: str, where: _Where, out: list[tuple[str, Hit]], depth: int,
                stack: frozenset[str]) -> None:  # fmt: skip
        folder = normalise(uses.split("@", 1)[0])
        if folder is None or folder.endswith((".yml", ".yaml")) or depth >= MAX_DEPTH:
            return
        loaded = self._load_action(folder)
        if loaded is None or loaded[0] in stack:
            return
        path, action = loaded
        for job in action.jobs:
            for step in job.action_steps():
                if isinstance(step, RunStep):
                    inner = replace(where, cwd=_cwd(step.working_directory, None), checked_out=True,
                                    foreign=())  # fmt: skip
                    if step.run is not None:
                        shell = step.shell.value if step.shell is not None else None
                        self._run(step.run, resolve_shell(shell), inner, path, folder, [], out,
                                  depth + 1, stack | {path})  # fmt: skip
                elif step.uses is not None and step.uses.kind == "local":
                    inner = replace(where, cwd=_cwd(None, None), checked_out=True, foreign=())
                    self._action(step.uses.raw.strip(), inner, out, depth + 1, stack | {path})

    def _load_action(self, folder: str) -> tuple[str, Workflow] | None:
        if folder in self._actions:
            return self._actions[folder]
        from auditor.build import build_action
        from auditor.parse import parse_bytes

        loaded: tuple[str, Workflow] | None = None
        for name in ("action.yml", "action.yaml"):
            path = f"{folder}/{name}" if folder else name
            data = self.repo.read(path)
            if data is None or len(data) > self.max_bytes:
                continue
            parsed = parse_bytes(data, path)
            if parsed.root is not None:
                action = build_action(path, parsed.root, [])
                if action is not None:
                    loaded = (path, action)
            break
        self._actions[folder] = loaded
        return loaded


# --- helpers -------------------------------------------------------------------------------


def _python(code: str) -> tuple[tuple[ScriptIssue, ...], ScriptIssue | None]:
    from auditor.scripts.python import analyse_python

    return analyse_python(code)


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
    workspace = re.match(r"^\$\{\{\s*github\.workspace\s*\}\}/?|^\$GITHUB_WORKSPACE/?", text)
    if workspace is not None:
        text = text[workspace.end() :]
    if "$" in text or text.startswith(("/", "~")):
        return None
    return normalise(text)


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


def _with_text(step: UsesStep, key: str) -> str | None:
    value = step.with_text(key)
    return value.value.strip() if value is not None and value.kind != "null" else None


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


def _action_path_calls(body: str, action_dir: str) -> Iterator[ScriptCall]:
    """Calls of ``${{ github.action_path }}/x``; the path is marked ``//`` as already resolved."""
    for match in _ACTION_PATH_CALL.finditer(body):
        path = normalise(match.group("path"), action_dir)
        if not path:
            continue
        interp = match.group("interp") or ("source" if match.group(0).startswith(".") else "exec")
        interp = "python" if interp.startswith("python") else interp
        yield ScriptCall("//" + path, interp, match.start("path") - 1, match.end("path"))


_CURL_OUTPUT = re.compile(r"\s(?:-[A-Za-z]*o\s*|--output[= ]\s*|>\s*)[\"']?(?P<file>[^\s\"';&|]+)")
_CURL_REMOTE_NAME = re.compile(r"\s-[A-Za-z]*O[A-Za-z]*\s|\s--remote-name\s")
_URL_FILE = re.compile(r"https?://[^\s\"']*/(?P<name>[^/\s\"'?#]+)")
# Commands that fail on an error page instead of the archive or file they expect.
_CONSUMERS = (
    r"(?:tar|unzip|gunzip|gzip|bsdtar|7z|xz|zstd|sha256sum|sha512sum|shasum|gpg|dpkg|rpm|apt|"
    r"apt-get|install|bash|sh|python3?|source)"
)


_RUN_SUBSTITUTION = re.compile(r"(?:\bbash|\bsh|\bsource|\.|\bpython3?)\s+<\(\s*$")
_INTO_CONSUMER = re.compile(
    r"[ \t]*(?:\\\n)?[ \t]*\|[ \t]*(?:\\\n)?[ \t]*(?:sudo\s+)?(?:tar|bsdtar|gunzip|zcat|xz|zstd|gpg|apt-key|"
    r"sha256sum|sha512sum|shasum)\b"
)
# The rest of the line, then the next statement fails the step: `|| true` only kept a
# diagnostic command from stopping the script before its own `exit 1`.
_THEN_FAIL = re.compile(r"[^\n]*\n(?:[ \t]*(?:#[^\n]*)?\n)*[ \t]*(?:exit|return)[ \t]+[1-9]")
_KEY_IMPORT = re.compile(
    r"^\s*(?:sudo\s+)?(?:apt-key\s+add|gpg\b[^|]*--import|tar|bsdtar|gunzip|zcat)\b"
)


def _dismissed(text: str, issue: ScriptIssue) -> bool:
    """Issues the shell analyser reports that the corpus review found to be no failure lost.

    A workaround here, in the checker, rather than a change to the analyser library
    (owned elsewhere): each case is listed in the final review note.
    """
    if _value_checked(text, issue):
        return True
    if issue.detector == "curl-without-fail":
        before = text[max(0, issue.start - 40) : issue.start]
        if _RUN_SUBSTITUTION.search(before):
            return True  # `bash <(curl …)`: an error page is not a script; bash fails on it
        after = text[issue.end : issue.end + 200]
        if _INTO_CONSUMER.match(after):
            return True  # `curl -L …/x.tar.gz | tar xz`: tar fails on an error page (last command)
        return _download_consumed(text, issue)
    if issue.detector == "pipeline-masks-failure":
        last = text[issue.start : issue.end].rsplit("|", 1)[-1]
        # `wget -O - …/gpgkey | apt-key add -`, `curl … | tar xz`: empty input fails the last
        # command (no valid OpenPGP data, not a tar archive), so the step fails anyway.
        return _KEY_IMPORT.search(last) is not None
    if issue.detector == "or-true":
        fallback = text[issue.start : issue.end].rsplit("||", 1)[-1]
        line_end = text.find("\n", issue.end)
        rest = text[issue.end : line_end if line_end >= 0 else len(text)]
        if "GITHUB_OUTPUT" in fallback + rest:
            return True  # `cmd && echo x=true >> $GITHUB_OUTPUT || echo x=false >> …`: recorded
        if _THEN_FAIL.match(text, issue.end):
            return True  # `docker logs x || true` then `exit 1`: diagnostics on the way to failing
    return False


def _download_consumed(text: str, issue: ScriptIssue) -> bool:
    """``curl -sLo x.tar.gz URL`` then ``tar xf x.tar.gz``: an error page fails the consumer."""
    command = text[issue.start : issue.end]
    names: list[str] = []
    output = _CURL_OUTPUT.search(command)
    if output is not None:
        names.append(output.group("file").rsplit("/", 1)[-1])
    if _CURL_REMOTE_NAME.search(command + " "):
        url = _URL_FILE.search(command)
        if url is not None:
            names.append(url.group("name"))
    after = text[issue.end :]
    for name in names:
        if not name or name in ("null", "dev") or name.startswith("$"):
            continue
        consumer = rf"(?m)\b{_CONSUMERS}\b[^\n]*{re.escape(name)}"
        if re.search(consumer, after):
            return True
    return False


def _value_checked(text: str, issue: ScriptIssue) -> bool:
    """``v=$(curl -s … | jq …)`` whose ``v`` (or a value derived from it) is then tested
    for emptiness or against an expected value (``[ -z "$v" ]``, ``[ "$v" != "$want" ]``).

    A failed request then leaves ``v`` empty and the test fails the step, so the
    status the pipeline (or curl without ``--fail``) lost is recovered — the same
    reasoning the shell analyser applies to a tested ``%{http_code}``. A test that
    an empty value passes (``[[ $v == null ]]``) does not count.
    """
    if issue.detector not in _VALUE_CHECKED:
        return False
    match = _CAPTURE.search(text, 0, issue.start)
    if match is None:
        return False
    names = {match.group("name")}
    after = text[issue.end :]
    for _round in range(3):  # values derived from it: w=$(jq … <<< "$v")
        more = {
            m.group(1)
            for name in names
            for m in re.finditer(
                rf"(?m)(?:^|[\s;&|(])([A-Za-z_]\w*)=[^\n]*\$\{{?{re.escape(name)}\b", after
            )
        }
        if more <= names:
            break
        names |= more
    for name in names:
        var = rf"\$\{{?{re.escape(name)}\}}?"
        test = (
            rf"(?:\[\[?|\btest)[^\n\]]*?(?:-[zn]\s+\"?{var}|\"?{var}\"?\s*!=|"
            rf"!=\s*\"?{var})"
        )
        if re.search(test, after):
            return True
    return False


def _text_span(text: str, start: int, end: int) -> Span:
    def position(offset: int) -> tuple[int, int]:
        offset = max(0, min(offset, len(text)))
        line_start = text.rfind("\n", 0, offset) + 1
        return text.count("\n", 0, offset) + 1, offset - line_start + 1

    line, column = position(start)
    end_line, end_column = position(end) if end > start else (line, column + 1)
    if (end_line, end_column) <= (line, column):
        end_line, end_column = line, column + 1
    return Span(line, column, end_line, end_column)


def hits(ctx: RuleContext, rule: str) -> Iterator[Hit]:
    """The ``rule`` hits (one of the three script rules) of the jobs in the rule's scope.

    Scope: jobs on a promote path (publish, promote — name-only ones
    included —, verify), or every job with ``scope: all`` in the rule's policy
    options. Each job is analysed once per file, whichever rule asks first.
    """
    if ctx.facts is None:
        return
    analyser = ctx.facts.scripts
    everywhere = ctx.options.get("scope") == "all"
    seen: set[tuple[str | None, Span, str]] = set()
    for job in analyser.workflow.jobs:
        if not everywhere and job.id not in analyser.promote_path:
            continue
        for found_rule, h in analyser.job(job):
            if found_rule != rule:
                continue
            if h.path is not None:
                # A script (or action) line reached from two steps: report it once. Hits in
                # the workflow's own run bodies are never merged: two identical lines of one
                # body may map to one span in a folded or flow scalar.
                key = (h.path, h.span, h.subject)
                if key in seen:
                    continue
                seen.add(key)
            yield h


def effective_shell(job: Job, workflow: Workflow, step: RunStep) -> ShellSpec:
    """The effective shell of ``step`` of ``job`` (step, then job and workflow defaults)."""
    shell = step.shell.value if step.shell is not None else _defaults_value(job, workflow, "shell")
    if shell is None and (_runs_on_windows(job) or _windows_only_step(step)):
        return _PWSH
    return resolve_shell(shell)
