"""The findings of the three script rules, read from a workflow's ``Facts``.

``swallowed-failure``, ``script-not-found`` and ``script-parse-error`` share
one analysis (``Facts.scripts``, per step) and differ only in which kind of
result they report; this module turns those results into hits for the jobs
in a rule's scope. It sits above both ``auditor.facts`` and
``auditor.stepscripts`` so neither has to know about rules; it imports neither at run
time, so loading the rules loads no analysis.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from auditor.findings import Hit, StepRef
from auditor.script_rules import KINDS, SWALLOWED
from auditor.span import Span

if TYPE_CHECKING:
    from auditor.facts import Facts  # the type only: importing it loads the whole analysis


def hits(facts: Facts | None, options: Mapping[str, Any], rule: str) -> Iterator[Hit]:
    """The ``rule`` hits (one of the three script rules) of the jobs in the rule's scope.

    Scope: jobs on a promote path (publish, promote — name-only ones
    included —, verify), or every job with ``scope: all`` in the rule's policy
    options. A step that cannot turn a failed promotion green (``if:
    failure()``, or a notification under ``always()`` after the promote;
    ``Facts.cannot_turn_green``) gives no ``swallowed-failure``; a promote run
    in the background that nothing waits for does (its failure can be lost).
    """
    if facts is None:
        return
    scripts = facts.scripts
    kind = KINDS[rule]
    everywhere = options.get("scope") == "all"
    seen: set[tuple[str | None, Span, str]] = set()
    for job in scripts.workflow.jobs:
        if not everywhere and job.id not in scripts.promote_path:
            continue
        place_words = scripts.place_words(job)
        if rule == SWALLOWED:
            for step in facts.unwaited_promotes(job):
                key = step.node.key("background")
                yield Hit(
                    f"promote step '{step.label}' of job '{job.id}'{place_words} runs with "
                    "`background: true` and no `wait` or `wait-all` covers it before the job "
                    "ends, so its failure can be lost while the job goes green; add "
                    f"`- wait: {step.id.value if step.id else '<its id>'}` after it (give it an id) "
                    "or run it in the foreground",
                    (key or step.node).span, "background-not-waited", job.id, StepRef.of(step),
                )  # fmt: skip
        for step, result in scripts.job(job):
            if kind == "swallowed" and facts.cannot_turn_green(job, step):
                continue
            ref = StepRef.of(step)
            named = f"step '{step.label}' of job '{job.id}'{place_words}"
            for finding in result.findings:
                if finding.kind != kind:
                    continue
                if finding.origin == "script":
                    where = f"{finding.path}, run by {named}"
                elif finding.origin == "action":
                    where = f"the composite action {finding.path} used by {named}"
                else:
                    where = named
                if finding.path is not None:
                    # A script (or action) line reached from two steps: report it once. Hits in
                    # the workflow's own run bodies are never merged: two identical lines of one
                    # body may map to one span in a folded or flow scalar.
                    seen_key = (finding.path, finding.span, finding.subject)
                    if seen_key in seen:
                        continue
                    seen.add(seen_key)
                yield Hit(finding.text(where), finding.span, finding.subject, job.id, ref, finding.path)
