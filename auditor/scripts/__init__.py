"""Script analysis: how a step's own code can fail without failing the step.

A promote that ``curl``s without ``--fail``, a ``|| true`` after a push, or a
Python ``except Exception: pass`` swallows a 403 as surely as
``continue-on-error: true``. This package finds those patterns in shell
(tree-sitter-bash) and Python (libcst) code. It is pure: it takes text and
returns frozen records located by character offsets into that text; it knows
nothing of workflows, files, findings or policy. The rule layer
(``swallowed-failure``, ``needs-output-unwired``...) maps the records to
findings.

Typical use for a ``run:`` step::

    from auditor.scripts.python import analyse_python
    from auditor.scripts.shell import analyse_shell
    from auditor.scripts.shells import resolve_shell

    spec = resolve_shell(step_shell or job_default or workflow_default)
    if spec.language == "python":
        issues, parse_error = analyse_python(run_text)
    else:
        report = analyse_shell(run_text, spec)
        issues, parse_error = report.issues, report.parse_error
        for inline in report.inline_python:          # python -c / python - <<EOF
            more, error = analyse_python(inline.code)
            issues += tuple(i.shifted(inline.start) for i in more)
        # report.calls: repository scripts to analyse in turn (resolve each by its
        # anchor: the working directory and report.dirs, the repository root, or
        # the action's folder; use resolve_shebang() for `exec` calls)
        # report.outputs: what the step writes to $GITHUB_OUTPUT

:mod:`auditor.stepscripts` does exactly that for a workflow step, as a pure
function returning an immutable result per step.

Modules: :mod:`.shells` (effective shell), :mod:`.shell` (a package: the
indexed tree, the command model, one module per detector with its docs,
script calls, outputs, inline Python), :mod:`.python` (Python detectors),
:mod:`.issues` (the records and the detector catalogue ``DETECTORS``),
:mod:`.collector` (the garbage-collector pause for large texts).

The package imports none of its modules itself (import the one you use, as
above): a rule that needs one of them, or a run answered from the result
cache, must not pay for tree-sitter and libcst.
"""
