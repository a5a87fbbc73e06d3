"""Composed YAML → ``Workflow`` model, with structure problems located.

Tolerant by design: a malformed job or step is recorded as a
``workflow-structure`` problem and skipped, and the rest of the workflow is
still modelled so that every other rule can run on it.
"""

from __future__ import annotations

from auditor.model import Job, Need, Step, Workflow, mapping, scalar
from auditor.parse import Problem
from auditor.yamltree import YMap, YNode, YScalar, YSeq

_TYPE_NAMES = {YMap: "a mapping", YSeq: "a list", YScalar: "a scalar"}


def _kind(node: YNode | None) -> str:
    if node is None:
        return "empty"
    if isinstance(node, YScalar):
        return "null" if node.kind == "null" else f"the {node.kind} '{node.value[:40]}'"
    return _TYPE_NAMES.get(type(node), "unknown")


def _problem(node: YNode, message: str, subject: str) -> Problem:
    span = node.span
    return Problem(
        "workflow-structure", message, span.line, span.column, subject, span.end_line, span.end_column
    )


def _step(index: int, node: YNode, where: str, problems: list[Problem]) -> Step | None:
    if not isinstance(node, YMap):
        problems.append(
            _problem(node, f"{where}: step {index + 1} is {_kind(node)}, not a mapping with "
                     "'run' or 'uses'", f"step-not-mapping:{index}")
        )
        return None
    fields: dict[str, YNode] = {}
    for key, value in node.items():
        fields[key.value] = value
    step = Step(
        index=index,
        node=node,
        id=scalar(fields.get("id")),
        name=scalar(fields.get("name")),
        uses=scalar(fields.get("uses")),
        with_=mapping(fields.get("with")),
        run=scalar(fields.get("run")),
        shell=scalar(fields.get("shell")),
        env=mapping(fields.get("env")),
        if_=scalar(fields.get("if")),
        continue_on_error=scalar(fields.get("continue-on-error")),
        working_directory=scalar(fields.get("working-directory")),
    )
    has_run = "run" in fields
    has_uses = "uses" in fields
    if not has_run and not has_uses:
        problems.append(
            _problem(node, f"{where}: step '{step.label}' has neither 'run' nor 'uses'; "
                     "add the command to run or the action to use", f"step-empty:{step.label}")
        )
    elif has_run and has_uses:
        problems.append(
            _problem(node, f"{where}: step '{step.label}' has both 'run' and 'uses'; "
                     "a step does one of them — split it in two", f"step-both:{step.label}")
        )
    return step


def _steps(node: YNode | None, where: str, problems: list[Problem]) -> tuple[Step, ...]:
    if node is None:
        return ()
    if not isinstance(node, YSeq):
        problems.append(_problem(node, f"{where}: 'steps' is {_kind(node)}, not a list",
                                 f"steps-not-list:{where}"))
        return ()
    out: list[Step] = []
    for index, item in enumerate(node):
        step = _step(index, item, where, problems)
        if step is not None:
            out.append(step)
    return tuple(out)


def _needs(node: YNode | None, job_id: str, problems: list[Problem]) -> tuple[Need, ...]:
    if node is None:
        return ()
    if isinstance(node, YScalar):
        if node.kind == "null":
            return ()
        return (Need(node.value, node),)
    if isinstance(node, YSeq):
        out = []
        for item in node:
            if isinstance(item, YScalar) and item.kind != "null":
                out.append(Need(item.value, item))
            else:
                problems.append(_problem(item, f"job '{job_id}': each 'needs' entry must be a "
                                         f"job id, not {_kind(item)}", f"needs-entry:{job_id}"))
        return tuple(out)
    problems.append(_problem(node, f"job '{job_id}': 'needs' must be a job id or a list of job "
                             f"ids, not {_kind(node)}", f"needs-shape:{job_id}"))
    return ()


def _job(key: YScalar, node: YNode, problems: list[Problem]) -> Job | None:
    job_id = key.value
    if not isinstance(node, YMap):
        problems.append(_problem(node if node is not None else key,
                                 f"job '{job_id}' is {_kind(node)}, not a mapping",
                                 f"job-not-mapping:{job_id}"))
        return None
    fields: dict[str, YNode] = {}
    for k, v in node.items():
        fields[k.value] = v
    strategy = mapping(fields.get("strategy"))
    where = f"job '{job_id}'"
    steps = _steps(fields.get("steps"), where, problems)
    uses = scalar(fields.get("uses"))
    if "steps" not in fields and uses is None:
        problems.append(_problem(key, f"{where} has neither 'steps' nor 'uses'; a job runs steps "
                                 "or calls a reusable workflow", f"job-empty:{job_id}"))
    return Job(
        id=job_id,
        key=key,
        node=node,
        name=scalar(fields.get("name")),
        needs=_needs(fields.get("needs"), job_id, problems),
        needs_node=fields.get("needs"),
        if_=scalar(fields.get("if")),
        runs_on=fields.get("runs-on"),
        environment=fields.get("environment"),
        permissions=fields.get("permissions"),
        env=mapping(fields.get("env")),
        outputs=mapping(fields.get("outputs")),
        strategy=strategy,
        matrix=strategy.get("matrix") if strategy is not None else None,
        continue_on_error=scalar(fields.get("continue-on-error")),
        timeout_minutes=scalar(fields.get("timeout-minutes")),
        uses=uses,
        with_=mapping(fields.get("with")),
        secrets=fields.get("secrets"),
        defaults=mapping(fields.get("defaults")),
        container=fields.get("container"),
        steps=steps,
    )


def _triggers(on: YNode | None) -> tuple[str, ...]:
    if isinstance(on, YScalar):
        return (on.value,)
    if isinstance(on, YSeq):
        return tuple(item.value for item in on if isinstance(item, YScalar))
    if isinstance(on, YMap):
        return tuple(on.keys())
    return ()


def build_workflow(path: str, root: YNode, problems: list[Problem]) -> Workflow | None:
    """Model a workflow file; ``None`` when the root is not a mapping at all."""
    if not isinstance(root, YMap):
        problems.append(_problem(root, f"the file is {_kind(root)}, not a workflow mapping with "
                                 "'on' and 'jobs'", "root-not-mapping"))
        return None
    fields: dict[str, tuple[YScalar, YNode]] = {}
    for key, value in root.items():
        fields[key.value] = (key, value)
    on_pair = fields.get("on")
    on = on_pair[1] if on_pair else None
    call = None
    if isinstance(on, YMap):
        call = mapping(on.get("workflow_call"))
    jobs_pair = fields.get("jobs")
    jobs: list[Job] = []
    if jobs_pair is None:
        problems.append(_problem(root, "workflow has no 'jobs'; add at least one job",
                                 "jobs-missing"))
    elif not isinstance(jobs_pair[1], YMap):
        problems.append(_problem(jobs_pair[1], f"'jobs' is {_kind(jobs_pair[1])}, not a mapping "
                                 "of job ids to jobs", "jobs-not-mapping"))
    else:
        for key, value in jobs_pair[1].items():
            job = _job(key, value, problems)
            if job is not None:
                jobs.append(job)
    if on_pair is None:
        problems.append(_problem(root, "workflow has no 'on' trigger, so it never runs; add the "
                                 "events that start it", "on-missing"))
    perm = fields.get("permissions")
    return Workflow(
        path=path,
        source=root.source,
        root=root,
        kind="workflow",
        name=scalar(fields["name"][1]) if "name" in fields else None,
        on=on,
        on_key=on_pair[0] if on_pair else None,
        triggers=_triggers(on),
        env=mapping(fields["env"][1]) if "env" in fields else None,
        permissions=perm[1] if perm else None,
        permissions_key=perm[0] if perm else None,
        defaults=mapping(fields["defaults"][1]) if "defaults" in fields else None,
        concurrency=fields["concurrency"][1] if "concurrency" in fields else None,
        jobs=tuple(jobs),
        jobs_node=jobs_pair[1] if jobs_pair else None,
        call_outputs=mapping(call.get("outputs")) if call is not None else None,
        call_secrets=mapping(call.get("secrets")) if call is not None else None,
        call_inputs=mapping(call.get("inputs")) if call is not None else None,
        job_index={job.id: job for job in jobs},
    )


def build_action(path: str, root: YNode, problems: list[Problem]) -> Workflow | None:
    """Model a local action's metadata; a composite action's steps become one pseudo-job.

    The pseudo-job (id ``(composite)``) lets the script analysis treat the
    action's ``runs.steps`` exactly like a job's steps.
    """
    if not isinstance(root, YMap):
        problems.append(_problem(root, f"action metadata is {_kind(root)}, not a mapping",
                                 "root-not-mapping"))
        return None
    runs = mapping(root.get("runs"))
    jobs: tuple[Job, ...] = ()
    if runs is not None:
        using = scalar(runs.get("using"))
        if using is not None and using.value == "composite":
            steps = _steps(runs.get("steps"), "composite action", problems)
            key_pair = root.entry("runs")
            assert key_pair is not None
            jobs = (Job(id="(composite)", key=key_pair[0], node=runs, steps=steps),)
    return Workflow(
        path=path,
        source=root.source,
        root=root,
        kind="action",
        name=scalar(root.get("name")),
        jobs=jobs,
        call_outputs=mapping(root.get("outputs")),
        call_inputs=mapping(root.get("inputs")),
        job_index={job.id: job for job in jobs},
    )
