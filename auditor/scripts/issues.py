"""Plain records that the script analysers hand to the rules.

The analysers (:mod:`auditor.scripts.shell`, :mod:`auditor.scripts.python`)
know nothing about workflows, files or findings: they take a piece of text and
return these frozen records, located by *character offsets into that text*.
Keeping the boundary this small is what lets the rule layer map a hit to the
right place (a line of a ``run:`` block inside a workflow, a line of a script
file, a line of Python embedded in a heredoc) without the analysers knowing
which of those it is looking at.

Offsets are 0-based character (not byte) offsets, ``end`` exclusive.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from auditor.record import record

__all__ = [
    "DETECTORS",
    "DirChange",
    "InlinePython",
    "OutputWrite",
    "ScriptCall",
    "ScriptIssue",
    "ShellReport",
]

#: Every detector id an analyser can emit, with a one-line summary. The ids are
#: stable: findings, suppressions and baselines may come to name them.
DETECTORS: dict[str, str] = {
    "or-true": "a command that can fail is followed by `|| true` (`:`, `echo`, `exit 0`...), discarding its failure",
    "set-plus-e": "`set +e` turns errexit off, so failures until the next `set -e` are ignored",
    "set-plus-pipefail": "`set +o pipefail` lets a failing command on the left of `|` go unnoticed",
    "trap-err-ignored": "`trap '' ERR` ignores the ERR condition",
    "curl-without-fail": "curl exits 0 on HTTP 4xx/5xx unless given `--fail` or its `%{http_code}` is tested",
    "pipeline-masks-failure": "without pipefail only the last command of a pipeline sets its status",
    "masked-substitution": '`local/export/declare x=$(cmd)` or `echo "$(cmd)"` discards the status of `cmd`',
    "no-errexit": "the shell runs without `-e`, so a failing command in the middle of the body is ignored",
    "py-broad-except": "a bare or broad `except` whose body only passes, logs or assigns swallows every error",
    "py-exit-zero-in-handler": "`sys.exit(0)` (or `exit()`) inside an `except` handler reports success after a failure",
    "py-http-status-unchecked": "a requests/httpx response whose status is never checked treats a 403 as success",
    "py-subprocess-unchecked": "`subprocess.run/call/Popen` without `check=True` whose return code is never read",
    "py-os-system-ignored": "the exit status returned by `os.system(...)` is thrown away",
    "parse-error": "the code could not be parsed reliably, so it was not (fully) analysed",
}


@dataclass(frozen=True, slots=True)
class ScriptIssue:
    """One way a script can fail without failing the step.

    ``subject`` feeds the finding's fingerprint, which must survive unrelated
    edits above the offending line: it is therefore a short normalised excerpt
    of the offending code (whitespace collapsed, line continuations removed,
    cut to about 60 characters) and never a line number or an offset.
    """

    detector: str
    message: str
    start: int
    end: int
    subject: str

    def shifted(self, delta: int) -> ScriptIssue:
        """This issue moved by ``delta`` characters.

        Python embedded in a shell body (see :class:`InlinePython`) is analysed
        on its own; its issues are re-based onto the shell text with
        ``issue.shifted(inline.start)``.
        """
        return replace(self, start=self.start + delta, end=self.end + delta)


@dataclass(frozen=True, slots=True)
class ScriptCall:
    """A repository script that the code runs.

    ``path`` is as written after its anchor (``./scripts/x.sh``,
    ``tools/p.py``; ``x.sh`` for ``"$GITHUB_WORKSPACE/x.sh"``). ``anchor``
    says what it is relative to: ``cwd`` (the step's working directory, or
    a folder the body changes into with ``cd``), ``workspace`` (``$GITHUB_WORKSPACE``,
    ``${{ github.workspace }}``: the repository root) or ``action``
    (``${{ github.action_path }}``, ``$GITHUB_ACTION_PATH``: the folder of
    the composite action the code belongs to). ``interpreter`` is ``bash``,
    ``sh``, ``python``, ``source`` (``source f`` / ``. f``: runs in the
    *calling* shell, with its errexit state) or ``exec`` (run directly, so the
    file's shebang decides).
    """

    path: str
    interpreter: str
    start: int
    end: int
    anchor: str = "cwd"


@dataclass(frozen=True, slots=True)
class DirChange:
    """A ``cd DIR`` / ``pushd DIR`` of the top shell: later relative script paths are relative to it.

    ``path`` is None when the folder cannot be known statically
    (``cd "$RUNNER_TEMP"``, ``cd`` alone); ``anchor`` as for
    :class:`ScriptCall` (``cd "$GITHUB_WORKSPACE/deploy"`` is ``deploy`` at
    ``workspace``).
    """

    path: str | None
    start: int
    end: int
    anchor: str = "cwd"


@record
class OutputWrite:
    """An output set by a step: ``name=value`` / ``name<<DELIM`` written to ``$GITHUB_OUTPUT``.

    ``deprecated`` is True for the ``::set-output name=x::v`` workflow command,
    which current runners no longer honour. ``name`` is the text as written;
    a name computed at run time keeps its ``$var`` or ``${{ ... }}`` text, so a
    name that is not a plain ``[A-Za-z0-9_.-]+`` word means "possibly any
    output". ``start``/``end`` cover the name when it could be located,
    else the writing command.
    """

    name: str
    start: int
    end: int
    deprecated: bool


@dataclass(frozen=True, slots=True)
class InlinePython:
    """Python embedded in a shell body (``python - <<EOF``, ``python3 -c '...'``).

    ``code`` has exactly the length of the text it was taken from, so an offset
    into ``code`` plus ``start`` is an offset into the analysed shell text.
    To keep that true while making the code parseable, shell-isms are blanked
    with same-length stand-ins: ``${{ }}`` and, in unquoted heredocs and
    double-quoted ``-c`` strings, ``$var``/``$(...)`` expansions become ``_``
    runs and a backslash escape becomes the escaped character plus a space.
    """

    code: str
    start: int


@dataclass(frozen=True, slots=True)
class ShellReport:
    """Everything :func:`auditor.scripts.shell.analyse_shell` learnt about a shell body.

    ``parse_error`` is set when tree-sitter could not parse part of the body;
    the other fields then hold only what came from the parts that did parse
    (see the module documentation of :mod:`auditor.scripts.shell`).
    """

    issues: tuple[ScriptIssue, ...] = ()
    calls: tuple[ScriptCall, ...] = ()
    outputs: tuple[OutputWrite, ...] = ()
    inline_python: tuple[InlinePython, ...] = ()
    parse_error: ScriptIssue | None = None
    dirs: tuple[DirChange, ...] = ()
