"""Edits more than one rule's fix makes to a job: declaring a job output.

Kept apart from ``auditor.edits`` (which knows only text and spans) because it
reads the model's jobs; both the digest fix and the verify scaffold use it.
"""

from __future__ import annotations

from auditor.edits import Edit, block_key_indent, insert_after_line, insert_before_line
from auditor.model import Job
from auditor.span import SourceText


def add_job_output(source: SourceText, job: Job, name: str, value: str) -> list[Edit]:
    """Declare ``name: value`` in the job's ``outputs`` (a new entry of a block map, or a
    new ``outputs:`` block above ``steps:``); empty when the layout does not allow it."""
    outputs = job.outputs
    if outputs is not None:
        if name in outputs or not outputs.entries:
            return []
        last_key, last_value = outputs.entries[-1]
        lead = block_key_indent(source, last_key.span)
        if lead is None or last_value.span.end_line != last_key.line:
            return []
        return [insert_after_line(source, last_key.line, f"{lead}{name}: {value}\n")]
    steps = job.node.key("steps")
    lead = block_key_indent(source, steps.span) if steps is not None else None
    if steps is None or lead is None:
        return []
    return [insert_before_line(source, steps.line, f"{lead}outputs:\n{lead}  {name}: {value}\n")]
