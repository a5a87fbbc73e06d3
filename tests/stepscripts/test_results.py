"""The step-script analysis as a pure function: typed, immutable results; inputs only through its arguments.

``analyse_run`` takes the step's located ``run:`` text, its effective shell,
a reader and a place, and returns a frozen ``StepResult``; ``Facts.scripts``
(``StepScripts``) hands them out per job, and the rules' adapter only words
and filters them. Real parsing, real files (a dict-backed reader is
the repository here, and every read is recorded to show what was read).
"""

from __future__ import annotations

import dataclasses
import textwrap

import pytest

from auditor.build import build_workflow
from auditor.model import Job, RunStep, UsesStep, Workflow
from auditor.parse import parse_bytes
from auditor.scripts.shells import resolve_shell
from auditor.stepscripts import (
    ScriptFinding,
    StepPlace,
    StepResult,
    analyse_run,
    analyse_uses,
    effective_shell,
    step_places,
)
from auditor.yamltree import Span

WORKFLOW = textwrap.dedent(
    """\
    on: push
    jobs:
      promote:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - id: pin
            run: |
              echo "digest=$(crane digest registry.example.com/app:1)" >> "$GITHUB_OUTPUT"
              curl -sS -X POST https://cp.example.com/promote
              "$GITHUB_WORKSPACE/scripts/verify.sh"
              ./scripts/gone.sh
          - uses: ./.github/actions/notify
    """
)
SCRIPT = "#!/bin/bash\nset -e\ndocker push registry.example.com/app:1 || true\n"
ACTION = "runs:\n  using: composite\n  steps:\n    - shell: bash\n      run: curl -s https://chat.example.com/hook\n"


class Repo:
    """A repository as a reader: ``read(path)`` → bytes or None, recording every path asked for."""

    def __init__(self, files: dict[str, str]) -> None:
        self.files = files
        self.asked: list[str] = []

    def read(self, path: str) -> bytes | None:
        self.asked.append(path)
        text = self.files.get(path)
        return text.encode() if text is not None else None


def _model() -> tuple[Workflow, Job]:
    parsed = parse_bytes(WORKFLOW.encode(), ".github/workflows/release.yml")
    assert parsed.root is not None
    workflow = build_workflow(".github/workflows/release.yml", parsed.root, [])
    assert workflow is not None
    return workflow, workflow.jobs[0]


def test_one_run_step_gives_typed_immutable_findings_calls_and_outputs() -> None:
    workflow, job = _model()
    (run_step, place, shell), (uses_step, uses_place, _) = list(step_places(job, workflow))
    assert place == StepPlace(cwd="", checked_out=True, foreign=(), earlier=())
    assert shell == effective_shell(job, workflow, run_step) == resolve_shell(None)
    repo = Repo({"scripts/verify.sh": SCRIPT})
    assert isinstance(run_step, RunStep) and run_step.run is not None
    result = analyse_run(run_step.run, effective_shell(job, workflow, run_step), repo.read, place,
                         max_bytes=1_000_000)  # fmt: skip
    assert isinstance(result, StepResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.findings = ()  # type: ignore[misc]
    got = [(f.kind, f.detector, f.path, f.origin, f.span.line, f.span.column) for f in result.findings]
    assert sorted(got, key=str) == sorted([
        ("swallowed", "masked-substitution", None, "run", 9, 24),
        ("swallowed", "curl-without-fail", None, "run", 10, 11),
        ("swallowed", "or-true", "scripts/verify.sh", "script", 3, 1),
        ("missing", "missing", None, "run", 12, 11),
    ], key=str)  # fmt: skip
    assert [(s.path, s.interpreter, s.depth) for s in result.scripts] == [("scripts/verify.sh", "exec", 1)]
    assert [(w.name, w.deprecated) for w in result.outputs] == [("digest", False)]
    missing = result.of("missing")[0]
    assert missing.text("step 'pin'").startswith("step 'pin' runs `./scripts/gone.sh`, but scripts/gone.sh is not")
    assert result.of("swallowed")[0].text("step 'pin'").startswith("step 'pin': ")
    assert all(isinstance(f, ScriptFinding) and isinstance(f.span, Span) for f in result.findings)
    # Pure: the same inputs give the same value, and nothing but the reader was consulted.
    again = analyse_run(run_step.run, effective_shell(job, workflow, run_step), Repo(repo.files).read, place,
                        max_bytes=1_000_000)  # fmt: skip
    assert again == result
    assert set(repo.asked) == {"scripts/verify.sh", "scripts/gone.sh"}
    assert isinstance(uses_step, UsesStep) and uses_step.uses is not None and uses_place.checked_out


def test_a_local_action_is_analysed_as_part_of_the_step() -> None:
    repo = Repo({".github/actions/notify/action.yml": ACTION})
    result = analyse_uses("./.github/actions/notify", repo.read, StepPlace("", True), max_bytes=1_000_000)
    assert [(f.detector, f.path, f.origin, f.span.line) for f in result.findings] == [
        ("curl-without-fail", ".github/actions/notify/action.yml", "action", 5)
    ]
    too_small = analyse_uses("./.github/actions/notify", repo.read, StepPlace("", True), max_bytes=10)
    assert too_small == StepResult()


def test_no_checkout_no_missing_note_and_unknown_cwd_no_guess() -> None:
    _workflow, job = _model()
    run_step = job.steps[1]
    assert isinstance(run_step, RunStep) and run_step.run is not None
    spec = resolve_shell(None)
    unchecked = analyse_run(run_step.run, spec, Repo({}).read, StepPlace("", False), max_bytes=1_000_000)
    assert unchecked.of("missing") == ()
    unknown = analyse_run(run_step.run, spec, Repo({}).read, StepPlace(None, True), max_bytes=1_000_000)
    # The workspace-anchored call does not depend on the working directory; the ./ one does.
    assert [f.message.split(",")[0] for f in unknown.of("missing")] == ["runs `scripts/verify.sh`"]
