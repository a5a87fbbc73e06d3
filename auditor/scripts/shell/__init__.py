"""Fail-loud analysis of shell bodies (bash / POSIX sh) on tree-sitter-bash parse trees.

Why a parse tree and not regexes: whether ``|| true`` swallows anything
depends on what sits on its left (a test is control flow, ``curl`` is a lost
403), whether a ``curl`` is guarded depends on where its ``%{http_code}``
goes, and whether a command's failure counts depends on its place in
``if``/``&&``/pipelines. A tree answers those questions; a regex guesses.
Each question is decided once, here, by the detector that owns it.

Entry points
------------
:func:`analyse_shell` runs every detector and also returns the repository
scripts the body runs, the folders it changes into, its ``$GITHUB_OUTPUT``
writes and its embedded Python. :func:`github_output_writes` returns only
the output writes, and is cheap when the body does not mention
``GITHUB_OUTPUT``/``set-output``. Both are pure functions of their
arguments; a small cache shares one parse between them.

Modules
-------
:mod:`.source`
    the text: ``${{ }}`` blanking (same-length ``_`` runs, so every column
    stays exact) and byte ↔ character offsets.
:mod:`.tree`
    the parse, indexed once: nodes by kind with their substitution depth, a
    parent map, statement contexts. Every later question is O(1) or a binary
    search, so the analysis is linear in the body.
:mod:`.words`, :mod:`.commands`
    the command model: static word values, wrappers looked through, and
    *which commands can fail meaningfully* (the noise decision).
:mod:`.options`, :mod:`.values`, :mod:`.consumers`, :mod:`.downloads`
    what several detectors share: ``set -e``/``pipefail`` state and quiet
    regions, which values are tested and how, which commands fail on empty
    or wrong input, what curl writes and who reads it.
:mod:`.body`
    one body under analysis (the facts above, computed on first use).
:mod:`.detectors`
    one module per detector, each documented like a rule (what it reports,
    why that is bad, an example, what to write instead).
:mod:`.calls`, :mod:`.outputs`
    script calls, folder changes and inline Python; ``$GITHUB_OUTPUT`` writes.

Offsets are 0-based *character* offsets into the text passed in.
A syntax error gives ``ShellReport.parse_error``; the top-level statements
that contain it are skipped, the others are still analysed, and
``no-errexit`` (which needs the whole body) is not claimed.
"""

from __future__ import annotations

from collections.abc import Iterable

from auditor.scripts.collector import PAUSE_COLLECTOR_AT, collector_paused
from auditor.scripts.issues import OutputWrite, ScriptIssue, ShellReport
from auditor.scripts.shell.body import Body
from auditor.scripts.shell.calls import calls_and_inline, dir_changes
from auditor.scripts.shell.detectors import DETECTORS, Detector
from auditor.scripts.shell.outputs import output_writes
from auditor.scripts.shell.source import blank_expressions, norm
from auditor.scripts.shell.tree import Tree, parse
from auditor.scripts.shells import ShellSpec

__all__ = [
    "DETECTORS",
    "Detector",
    "analyse_shell",
    "blank_expressions",
    "github_output_writes",
]


def analyse_shell(text: str, spec: ShellSpec) -> ShellReport:
    """Run every shell detector on ``text`` (a ``run:`` body or a script file).

    ``spec`` is the effective shell (:func:`auditor.scripts.shells.resolve_shell`).
    Bodies of other languages (``python``, ``pwsh``, ``other``) return an
    empty report: Python goes to :func:`auditor.scripts.python.analyse_python`;
    anything else is not understood, and guessing would only make noise.
    Never raises: a syntax error becomes ``parse_error``.
    """
    if spec.language not in ("bash", "sh") or not text.strip():
        return ShellReport()
    try:
        with collector_paused(len(text)):
            t = parse(text)
            body = Body(t, spec)
            found: list[ScriptIssue] = []
            for detector in DETECTORS:
                found.extend(detector.find(body))
            calls, inline = calls_and_inline(t)
            dirs = dir_changes(t)
            outputs = output_writes(t)
    except RecursionError:  # pragma: no cover - every walk is iterative; a safety net only
        return ShellReport(parse_error=_internal_error(text))
    issues = sorted(_dedupe(found), key=lambda i: (i.start, i.detector))
    return ShellReport(tuple(issues), tuple(calls), outputs, tuple(inline), _parse_error(t), tuple(dirs))


def github_output_writes(text: str) -> tuple[OutputWrite, ...]:
    """The ``$GITHUB_OUTPUT`` writes (and deprecated ``::set-output`` commands) of a shell body.

    Cheap entry for the output-wiring rule: a body that mentions neither
    ``GITHUB_OUTPUT`` nor ``set-output`` returns ``()`` without parsing, and
    otherwise only the parse (shared with :func:`analyse_shell` through a
    small cache) and the output extraction run, not the detectors.
    """
    if "GITHUB_OUTPUT" not in text and "set-output" not in text:
        return ()
    try:
        if len(text) < PAUSE_COLLECTOR_AT:  # the usual case: no context manager per call
            return output_writes(parse(text))
        with collector_paused(len(text)):
            return output_writes(parse(text))
    except RecursionError:  # pragma: no cover - safety net
        return ()


def _parse_error(t: Tree) -> ScriptIssue | None:
    node = t.error
    if node is None:
        return None
    src = t.src
    size = len(src.original)
    start = min(src.char(node.start_byte), size)
    end = min(max(src.char(node.end_byte), start + 1), size)
    if start == size and start > 0:
        start -= 1  # "missing token at the very end": point at the last character
    snippet = norm(src.original[start : min(end, start + 40)], 30)
    if node.is_missing:
        what = f"something is missing before `{snippet}`" if snippet else "the code ends too early"
    else:
        what = f"unexpected `{snippet}`"
    return ScriptIssue(
        "parse-error",
        f"the shell code could not be parsed ({what}), so the statements around it were not analysed; fix "
        "the syntax or move the logic into a script file.",
        start,
        max(end, start),
        "parse-error:" + snippet,
    )


def _internal_error(text: str) -> ScriptIssue:
    return ScriptIssue(
        "parse-error",
        "the shell code is too deeply nested to analyse; it was skipped.",
        0,
        min(len(text), 1),
        "parse-error:nesting",
    )


def _dedupe(issues: Iterable[ScriptIssue]) -> list[ScriptIssue]:
    seen: set[tuple[str, int, int]] = set()
    out: list[ScriptIssue] = []
    for issue in issues:
        key = (issue.detector, issue.start, issue.end)
        if key not in seen:
            seen.add(key)
            out.append(issue)
    return out
