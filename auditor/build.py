"""Composed YAML → the typed ``Workflow`` model, with structure problems located.

Tolerant by design: a malformed job or step is recorded as a
``workflow-structure`` problem and skipped, and the rest of the workflow is
still modelled so that every other rule can run on it. Every key is checked
against the workflow syntax (``auditor.structure``); an unknown one is a
problem that names the nearest valid key.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

from auditor.model import (
    ABSENT_PERMISSIONS,
    NO_MATRIX,
    CancelStep,
    ContinueOnError,
    Environment,
    Grant,
    Job,
    Map,
    Matrix,
    Need,
    ParallelGroup,
    Permissions,
    RunStep,
    Secrets,
    Seq,
    Step,
    Text,
    Uses,
    UsesStep,
    Value,
    WaitAllStep,
    WaitStep,
    Workflow,
    flatten,
    plain,
)
from auditor.problem import Problem
from auditor.span import SourceText
from auditor.structure import nearest, syntax
from auditor.yamltree import YNode

MAX_MATRIX_LEGS = 256
_MAX_DEPTH = 400  # the parser refuses deeper documents; a bound for the converter's recursion
_BODY_KEYS = ("run", "uses", "parallel", "wait", "wait-all", "cancel")


# --- YAML views → located values -----------------------------------------------------


class _Converter:
    """Turns composed nodes into model values, each shared (aliased) node once.

    Merge keys (``<<``) are applied as the runner does: explicit keys win. A
    node met again while it is being converted (a recursive alias) becomes an
    empty collection instead of a loop.
    """

    def __init__(self, source: SourceText) -> None:
        self.source = source
        self.done: dict[int, Value] = {}
        self.active: set[int] = set()

    def value(self, raw: Any, depth: int = 0) -> Value:
        if isinstance(raw, ScalarNode) or depth > _MAX_DEPTH:
            return Text(raw, self.source)  # a scalar is never worth the memo: Text.same compares nodes
        key = id(raw)
        cached = self.done.get(key)
        if cached is not None:
            return cached
        source = self.source
        if key in self.active:
            return Map((), raw, source) if isinstance(raw, MappingNode) else Seq((), raw, source)
        out: Value
        if isinstance(raw, MappingNode):
            self.active.add(key)
            out = self._map(raw, depth)
            self.active.discard(key)
        elif isinstance(raw, SequenceNode):
            self.active.add(key)
            value = self.value
            out = Seq(tuple(Text(item, source) if isinstance(item, ScalarNode) else value(item, depth + 1)
                            for item in raw.value), raw, source)  # fmt: skip
            self.active.discard(key)
        else:
            out = Text(raw, source)
        self.done[key] = out
        return out

    def _map(self, raw: Any, depth: int) -> Map:
        source, value = self.source, self.value
        entries: list[tuple[Text, Value]] = []
        index: dict[str, tuple[Text, Value]] = {}
        merged: list[tuple[Any, Any]] = []
        for k, v in raw.value:
            if not isinstance(k, ScalarNode):
                continue  # a non-scalar key: the parser reports it
            name = k.value
            if name == "<<" and not k.style:
                merged.extend(_merge_sources(v))
                continue
            pair = (Text(k, source), Text(v, source) if isinstance(v, ScalarNode) else value(v, depth + 1))
            entries.append(pair)
            if name not in index:
                index[name] = pair
        for k, v in merged:
            if isinstance(k, ScalarNode) and k.value not in index:
                pair = (Text(k, source), value(v, depth + 1))
                entries.append(pair)
                index[k.value] = pair
        return Map(tuple(entries), raw, source, index)


def _merge_sources(value: Any) -> list[tuple[Any, Any]]:
    if isinstance(value, MappingNode):
        return list(value.value)
    if isinstance(value, SequenceNode):
        out: list[tuple[Any, Any]] = []
        for item in value.value:
            if isinstance(item, MappingNode):
                out.extend(item.value)
        return out
    return []


# --- problems ----------------------------------------------------------------------------


def _kind(value: Value | None) -> str:
    if value is None:
        return "empty"
    if isinstance(value, Text):
        return "null" if value.kind == "null" else f"the {value.kind} '{value.value[:40]}'"
    return "a mapping" if isinstance(value, Map) else "a list"


# The fix for an unknown key with no near known key and no better hint: the runner
# rejects or ignores it, so the message still says what to do.
_REMOVE_UNKNOWN = "; remove it, or fix its name"


class _Problems:
    def __init__(self, out: list[Problem]) -> None:
        self.out = out

    def add(self, where: Value, message: str, subject: str) -> None:
        span = where.span
        self.out.append(Problem("workflow-structure", message, span.line, span.column, subject,
                                span.end_line, span.end_column))  # fmt: skip

    def unknown_keys(self, node: Map, allowed: frozenset[str], where: str, subject: str,
                     hint: str = "") -> None:  # fmt: skip
        for key, _value in node.entries:
            name = key.value
            if name in allowed:
                continue
            guess = nearest(name, allowed)
            did_you_mean = f"; did you mean '{guess}'?" if guess else ""
            fix = hint or ("" if guess else _REMOVE_UNKNOWN)
            self.add(key, f"{where}: unknown key '{name[:60]}'{did_you_mean}{fix}",
                     f"unknown-key:{subject}:{name}")  # fmt: skip


def _text(value: Value | None) -> Text | None:
    return value if isinstance(value, Text) else None


def _map(value: Value | None) -> Map | None:
    return value if isinstance(value, Map) else None


# --- typed shapes -----------------------------------------------------------------------------


def _permissions(node: Map, problems: _Problems, where: str) -> Permissions:
    pair = node.entry("permissions")
    if pair is None:
        return ABSENT_PERMISSIONS
    key, value = pair
    if isinstance(value, Text):
        text = value.stripped
        if text in ("read-all", "write-all"):
            return Permissions(text, key, value)  # type: ignore[arg-type]
        if value.is_null or text == "{}":
            return Permissions("scopes", key, value)
        problems.add(value, f"{where}: permissions must be read-all, write-all or a map of "
                     f"scopes, not {_kind(value)}", f"permissions-shape:{where}")  # fmt: skip
        return Permissions("invalid", key, value)
    if isinstance(value, Map):
        grants = tuple(
            Grant(k.value, v.stripped, k, v) for k, v in value.entries if isinstance(v, Text)
        )
        return Permissions("scopes", key, value, grants)
    problems.add(value, f"{where}: permissions must be read-all, write-all or a map of scopes, "
                 "not a list", f"permissions-shape:{where}")  # fmt: skip
    return Permissions("invalid", key, value)


def _continue_on_error(node: Map) -> ContinueOnError | None:
    pair = node.entry("continue-on-error")
    if pair is None:
        return None
    key, value = pair
    if not isinstance(value, Text) or value.is_null:
        return None
    literal: bool | None = None
    text = value.stripped.lower()
    if value.kind == "bool" or text in ("true", "false"):
        literal = text == "true"
    return ContinueOnError(key, value, literal)


def parse_uses(text: Text, *, job_level: bool) -> Uses:
    """Classify a ``uses:`` value the way the runner resolves it."""
    raw = text.stripped
    if raw.startswith("docker://"):
        return Uses(text, "docker", raw[len("docker://"):])
    if raw.startswith("./") or raw.startswith("../"):
        kind = "reusable-local" if job_level else "local"
        return Uses(text, kind, raw)  # type: ignore[arg-type]
    name, _, ref = raw.partition("@")
    name = name.lower().rstrip("/")
    reusable = job_level or "/.github/workflows/" in f"/{name}/"
    return Uses(text, "reusable" if reusable else "action", name, ref or None)


def _environment(value: Value | None) -> Environment | None:
    if value is None:
        return None
    if isinstance(value, Text):
        return None if value.is_null else Environment(value, value)
    if isinstance(value, Map):
        return Environment(value, value.text("name"), value.text("url"))
    return Environment(value, None)


def _secrets(value: Value | None) -> Secrets | None:
    if value is None:
        return None
    if isinstance(value, Text):
        return Secrets(value, value.stripped == "inherit")
    return Secrets(value, False, _map(value))


def _plain_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return repr(value)
    return "" if value is None else str(value)


def _entries(value: Value) -> list[dict[str, str]] | None:
    if isinstance(value, Text):
        return None if not value.is_null else []
    if not isinstance(value, Seq):
        return None
    out: list[dict[str, str]] = []
    for item in value:
        data = plain(item)
        if not isinstance(data, dict):
            return None
        entry = {str(k): _plain_text(v) for k, v in data.items()}
        if any("${{" in v for v in entry.values()):
            return None
        out.append(entry)
    return out


def matrix_legs(node: Value | None) -> tuple[dict[str, str], ...] | None:
    """The legs of a ``strategy.matrix`` with ``include``/``exclude`` applied.

    ``({},)`` for no matrix; None when it is computed at run time (an
    expression), so it cannot be compared.
    """
    if node is None:
        return ({},)
    if isinstance(node, Text):
        return None if not node.is_null else ({},)
    if not isinstance(node, Map):
        return None
    base: dict[str, list[str]] = {}
    include: list[dict[str, str]] = []
    exclude: list[dict[str, str]] = []
    for key, value in node.entries:
        name = key.value
        if name in ("include", "exclude"):
            entries = _entries(value)
            if entries is None:
                return None
            (include if name == "include" else exclude).extend(entries)
            continue
        if not isinstance(value, Seq):
            return None
        items: list[str] = []
        for item in value:
            text = _plain_text(plain(item))
            if "${{" in text:
                return None
            items.append(text)
        base[name] = items
    legs: list[dict[str, str]] = []
    if base:
        keys = list(base)
        for combo in itertools.islice(itertools.product(*(base[k] for k in keys)), MAX_MATRIX_LEGS):
            legs.append(dict(zip(keys, combo, strict=True)))
    legs = [leg for leg in legs
            if not any(all(leg.get(k) == v for k, v in ex.items()) for ex in exclude)]  # fmt: skip
    original = set(base)
    extra: list[dict[str, str]] = []
    for inc in include:
        added = False
        for leg in legs:
            if all(leg.get(k) == v for k, v in inc.items() if k in original):
                leg.update({k: v for k, v in inc.items() if k not in original})
                added = True
        if not added:
            extra.append(dict(inc))
    legs.extend(extra)
    return tuple(legs) or ({},)


def _matrix(strategy: Map | None) -> Matrix:
    if strategy is None:
        return NO_MATRIX
    node = strategy.get("matrix")
    if node is None:
        return Matrix(None, ({},), strategy.text("fail-fast"))
    return Matrix(node, matrix_legs(node), strategy.text("fail-fast"))


# --- steps -----------------------------------------------------------------------------------


class _StepBuilder:
    """Builds one job's steps, numbering them in run order (group members after their group)."""

    def __init__(self, where: str, problems: _Problems) -> None:
        self.where = where
        self.problems = problems
        self.next_index = 0
        self.backgrounds: dict[str, Text] = {}  # ids of earlier background steps

    def steps(self, value: Value | None, group: int | None = None) -> tuple[Step, ...]:
        if value is None:
            return ()
        if not isinstance(value, Seq):
            self.problems.add(value, f"{self.where}: 'steps' is {_kind(value)}, not a list",
                              f"steps-not-list:{self.where}")  # fmt: skip
            return ()
        out: list[Step] = []
        for item in value:
            index = self.next_index
            self.next_index += 1
            step = self.step(index, item, group)
            if step is not None:
                out.append(step)
        return tuple(out)

    def step(self, index: int, node: Value, group: int | None) -> Step | None:
        where, problems = self.where, self.problems
        if not isinstance(node, Map):
            problems.add(node, f"{where}: step {index + 1} is {_kind(node)}, not a mapping with "
                         "'run' or 'uses'", f"step-not-mapping:{index}")  # fmt: skip
            return None
        step_id, name = _text(node.get("id")), _text(node.get("name"))
        label = step_id.value if step_id else name.value if name else f"#{index + 1}"
        hint = " (an action's inputs go under 'with:')" if "uses" in node else ""
        problems.unknown_keys(node, syntax().step, f"{where}, step '{label}'", f"step:{label}", hint)
        bodies = node.has_any(_BODY_KEYS)
        if not bodies:
            problems.add(node, f"{where}: step '{label}' has neither 'run' nor 'uses'; add the "
                         "command to run or the action to use (or make it a 'parallel', 'wait', "
                         "'wait-all' or 'cancel' step)", f"step-empty:{label}")  # fmt: skip
            return None
        if len(bodies) > 1:
            both = "' and '".join(bodies)
            problems.add(node, f"{where}: step '{label}' has both '{both}'; a step does one of "
                         "them — split it", f"step-both:{label}")  # fmt: skip
        body = bodies[0]
        background_value = _text(node.get("background"))
        background = background_value is not None and (
            background_value.is_true() or background_value.stripped.lower() == "true"
        )
        if background_value is not None and body not in ("run", "uses"):
            problems.add(background_value, f"{where}: step '{label}': 'background' applies to "
                         f"'run' and 'uses' steps, not to '{body}'", f"background:{label}")  # fmt: skip
        for needs_run in ("shell", "working-directory"):
            if needs_run in node and body != "run":
                problems.add(node.key(needs_run) or node, f"{where}: step '{label}': "
                             f"'{needs_run}' applies to 'run' steps only",
                             f"{needs_run}:{label}")  # fmt: skip
        common: dict[str, Any] = {
            "index": index, "node": node, "id": step_id, "name": name,
            "if_": _text(node.get("if")), "env": _map(node.get("env")),
            "continue_on_error": _continue_on_error(node),
            "timeout_minutes": _text(node.get("timeout-minutes")),
            "background": background, "group": group,
        }  # fmt: skip
        if (background or group is not None) and step_id is not None:
            # a ``parallel:`` member runs as a background step too (waiting on it is harmless)
            self.backgrounds[step_id.value] = step_id
        if body == "run":
            run = node.get("run")
            if not isinstance(run, Text):
                problems.add(run or node, f"{where}: step '{label}': 'run' must be a string, not "
                             f"{_kind(run)}", f"run-shape:{label}")  # fmt: skip
            return RunStep(**common, run=_text(run), shell=_text(node.get("shell")),
                           working_directory=_text(node.get("working-directory")))  # fmt: skip
        if body == "uses":
            uses = node.get("uses")
            if not isinstance(uses, Text) or uses.is_null:
                problems.add(uses or node, f"{where}: step '{label}': 'uses' must name an action, "
                             f"not {_kind(uses)}", f"uses-shape:{label}")  # fmt: skip
                parsed = None
            else:
                parsed = parse_uses(uses, job_level=False)
            return UsesStep(**common, uses=parsed, with_=_map(node.get("with")))
        if body == "parallel":
            members = self.steps(node.get("parallel"), group=index)
            if not members and isinstance(node.get("parallel"), Seq):
                problems.add(node, f"{where}: step '{label}': 'parallel' lists no steps",
                             f"parallel-empty:{label}")  # fmt: skip
            return ParallelGroup(**common, steps=members)
        if body == "wait":
            targets = self._targets(node.get("wait"), label, "wait")
            return WaitStep(**common, targets=targets)
        if body == "wait-all":
            return WaitAllStep(**common)
        target = self._targets(node.get("cancel"), label, "cancel", single=True)
        return CancelStep(**common, target=target[0] if target else None)

    def _targets(self, value: Value | None, label: str, key: str,
                 single: bool = False) -> tuple[Text, ...]:  # fmt: skip
        where, problems = self.where, self.problems
        items: list[Value] = list(value) if isinstance(value, Seq) and not single else (
            [value] if value is not None else [])  # fmt: skip
        out: list[Text] = []
        for item in items:
            if not isinstance(item, Text) or item.is_null or not item.stripped:
                problems.add(item, f"{where}: step '{label}': '{key}' takes "
                             f"{'a step id' if single else 'a step id or a list of step ids'}, "
                             f"not {_kind(item)}", f"{key}-shape:{label}")  # fmt: skip
                continue
            out.append(item)
            if "${{" not in item.value and item.stripped not in self.backgrounds:
                problems.add(item, f"{where}: step '{label}': '{key}: {item.stripped[:40]}' names "
                             "no earlier background step of this job (give the step an id and "
                             "'background: true')", f"{key}-target:{label}:{item.stripped}")  # fmt: skip
        return tuple(out)


# --- jobs ----------------------------------------------------------------------------------


def _needs(value: Value | None, job_id: str, problems: _Problems) -> tuple[Need, ...]:
    if value is None:
        return ()
    if isinstance(value, Text):
        return () if value.is_null else (Need(value.value, value),)
    if isinstance(value, Seq):
        out = []
        for item in value:
            if isinstance(item, Text) and not item.is_null:
                out.append(Need(item.value, item))
            else:
                problems.add(item, f"job '{job_id}': each 'needs' entry must be a job id, not "
                             f"{_kind(item)}", f"needs-entry:{job_id}")  # fmt: skip
        return tuple(out)
    problems.add(value, f"job '{job_id}': 'needs' must be a job id or a list of job ids, not "
                 f"{_kind(value)}", f"needs-shape:{job_id}")  # fmt: skip
    return ()


def _job(key: Text, node: Value, problems: _Problems) -> Job | None:
    job_id = key.value
    if not isinstance(node, Map):
        at = node if not (isinstance(node, Text) and node.is_null) else key
        problems.add(at, f"job '{job_id}' is {_kind(node)}, not a mapping",
                     f"job-not-mapping:{job_id}")  # fmt: skip
        return None
    where = f"job '{job_id}'"
    uses_value = node.get("uses")
    uses = (parse_uses(uses_value, job_level=True)
            if isinstance(uses_value, Text) and not uses_value.is_null else None)  # fmt: skip
    grammar = syntax()
    if uses_value is not None:
        problems.unknown_keys(node, grammar.call_job, f"{where} (a reusable-workflow call)",
                              f"job:{job_id}",
                              hint=" (a job that calls a workflow with 'uses' runs no steps of "
                              "its own)")  # fmt: skip
    else:
        problems.unknown_keys(node, grammar.job, where, f"job:{job_id}")
    builder = _StepBuilder(where, problems)
    steps = builder.steps(node.get("steps"))
    if "steps" not in node and uses_value is None:
        problems.add(key, f"{where} has neither 'steps' nor 'uses'; a job runs steps or calls a "
                     "reusable workflow", f"job-empty:{job_id}")  # fmt: skip
    strategy = _map(node.get("strategy"))
    return Job(
        id=job_id,
        key=key,
        node=node,
        name=_text(node.get("name")),
        needs=_needs(node.get("needs"), job_id, problems),
        needs_node=node.get("needs"),
        if_=_text(node.get("if")),
        runs_on=node.get("runs-on"),
        environment=_environment(node.get("environment")),
        permissions=_permissions(node, problems, where),
        env=_map(node.get("env")),
        outputs=_map(node.get("outputs")),
        strategy=strategy,
        matrix=_matrix(strategy),
        continue_on_error=_continue_on_error(node),
        timeout_minutes=_text(node.get("timeout-minutes")),
        uses=uses,
        with_=_map(node.get("with")),
        secrets=_secrets(node.get("secrets")),
        defaults=_map(node.get("defaults")),
        container=node.get("container"),
        steps=steps,
        flat_steps=flatten(steps),
    )


def _triggers(on: Value | None) -> tuple[str, ...]:
    if isinstance(on, Text):
        return (on.value,)
    if isinstance(on, Seq):
        return tuple(item.value for item in on if isinstance(item, Text))
    if isinstance(on, Map):
        return tuple(on.keys())
    return ()


_KEY_LIKE = re.compile(r"^[A-Za-z_][\w-]*$")
_CUT_SHORT = (" (stray text at column 0 — a line of a 'run: |' block that is not indented, say — "
              "ends the block and reads as a top-level key: indent it or remove it)")  # fmt: skip


def build_workflow(path: str, root: YNode, problems: list[Problem]) -> Workflow | None:
    """Model a workflow file; ``None`` when the root is not a mapping at all."""
    found = _Problems(problems)
    converter = _Converter(root.source)
    top = converter.value(root.raw)
    if not isinstance(top, Map):
        found.add(top, f"the file is {_kind(top)}, not a workflow mapping with 'on' and 'jobs'",
                  "root-not-mapping")  # fmt: skip
        return None
    allowed = syntax().workflow
    for key, _value in top.entries:
        if key.value not in allowed:
            guess = nearest(key.value, allowed)
            hint = _CUT_SHORT if not _KEY_LIKE.match(key.value) else (
                " (to describe the workflow, use a YAML comment)" if key.value == "description" else "")
            did_you_mean = f"; did you mean '{guess}'?" if guess else ""
            fix = hint or ("" if guess else _REMOVE_UNKNOWN)
            found.add(key, f"unknown top-level key '{key.value[:60]}'{did_you_mean} (a workflow "
                      f"has only {', '.join(sorted(allowed))}){fix}",
                      f"unknown-key:workflow:{key.value}")  # fmt: skip
    on_pair = top.entry("on")
    on = on_pair[1] if on_pair else None
    call = _map(on.get("workflow_call")) if isinstance(on, Map) else None
    jobs_node = top.get("jobs")
    jobs: list[Job] = []
    if jobs_node is None:
        found.add(top, "workflow has no 'jobs'; add at least one job", "jobs-missing")
    elif not isinstance(jobs_node, Map):
        found.add(jobs_node, f"'jobs' is {_kind(jobs_node)}, not a mapping of job ids to jobs",
                  "jobs-not-mapping")  # fmt: skip
    else:
        for key, value in jobs_node.entries:
            job = _job(key, value, found)
            if job is not None:
                jobs.append(job)
    if on_pair is None:
        found.add(top, "workflow has no 'on' trigger, so it never runs; add the events that start "
                  "it", "on-missing")  # fmt: skip
    return Workflow(
        path=path,
        source=root.source,
        root=top,
        kind="workflow",
        name=top.text("name"),
        on=on,
        on_key=on_pair[0] if on_pair else None,
        triggers=_triggers(on),
        env=_map(top.get("env")),
        permissions=_permissions(top, found, "the workflow"),
        defaults=_map(top.get("defaults")),
        concurrency=top.get("concurrency"),
        jobs=tuple(jobs),
        jobs_node=jobs_node,
        call_outputs=_map(call.get("outputs")) if call is not None else None,
        call_secrets=_map(call.get("secrets")) if call is not None else None,
        call_inputs=_map(call.get("inputs")) if call is not None else None,
        job_index={job.id: job for job in jobs},
    )


def build_action(path: str, root: YNode, problems: list[Problem]) -> Workflow | None:
    """Model a local action's metadata; a composite action's steps become one pseudo-job.

    The pseudo-job (id ``(composite)``) lets the script analysis treat the
    action's ``runs.steps`` exactly like a job's steps.
    """
    found = _Problems(problems)
    top = _Converter(root.source).value(root.raw)
    if not isinstance(top, Map):
        found.add(top, f"action metadata is {_kind(top)}, not a mapping", "root-not-mapping")
        return None
    runs = _map(top.get("runs"))
    jobs: tuple[Job, ...] = ()
    if runs is not None:
        using = runs.text("using")
        if using is not None and using.value == "composite":
            steps = _StepBuilder("composite action", found).steps(runs.get("steps"))
            key = top.key("runs")
            assert key is not None
            jobs = (Job(id="(composite)", key=key, node=runs, steps=steps,
                        flat_steps=flatten(steps)),)  # fmt: skip
    return Workflow(
        path=path,
        source=root.source,
        root=top,
        kind="action",
        name=top.text("name"),
        jobs=jobs,
        call_outputs=_map(top.get("outputs")),
        call_inputs=_map(top.get("inputs")),
        job_index={job.id: job for job in jobs},
    )


def unterminated_expressions(raws: tuple[Any, ...], source: SourceText) -> list[Problem]:
    """A ``workflow-structure`` problem for each ``${{`` that is never closed.

    ``raws`` are the scalars the parse walk found holding ``${{``; the runner
    rejects such an expression or leaves it as literal text.
    """
    from auditor.expressions import find_expressions

    out: list[Problem] = []
    for raw in raws:
        text = str(raw.value)
        if text.count("${{") <= text.count("}}") and "}}" in text[text.rfind("${{"):]:
            continue  # every '${{' can have its '}}': the common case, decided cheaply
        value = Text(raw, source)
        for expr in find_expressions(text):
            if expr.terminated:
                continue
            line, column = value.position_of(expr.start)
            end_line, end_column = value.position_of(expr.start + 3)
            out.append(Problem(
                "workflow-structure",
                "unterminated '${{': the expression has no closing '}}', so the runner treats it "
                "as an error or as literal text; close it",
                line, column, f"unterminated:{text[expr.start:expr.start + 40]}", end_line, end_column,
            ))  # fmt: skip
    return out
