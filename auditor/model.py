"""The typed workflow model: what rules read instead of YAML.

Every value keeps its location. Scalars are ``Text`` (value, YAML 1.2 kind,
span, and the file position of any character inside, so a finding in a
``run: |`` block lands on its exact column); collections are ``Map`` and
``Seq`` of those. The shapes the forges give a meaning to are typed:
``Permissions``, ``ContinueOnError``, ``Uses``, ``Matrix``, ``Secrets``,
``Environment``, and steps as a sum type (``RunStep``, ``UsesStep``,
``ParallelGroup``, ``WaitStep``, ``WaitAllStep``, ``CancelStep``).

Rules see this module and a ``Span``, never ruamel or the YAML views of
``auditor.yamltree`` (the import contract in ``tests/test_layers.py`` holds
that line). Building the model never fails: what does not fit is a
``workflow-structure`` problem (``auditor.build``) and the rest is modelled.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import field
from typing import Any, Literal, TypeAlias

from auditor.kinds import FileKind
from auditor.marks import node_span, position_in_file, scalar_kind
from auditor.record import record
from auditor.span import SourceText, Span

ScalarKind: TypeAlias = Literal["str", "bool", "int", "float", "null"]


class Text:
    """A located scalar. ``value`` is its text, ``kind`` its YAML 1.2 core type.

    A thin handle on the composed node: the span and the kind are worked out
    from the parser's marks and tag only when asked for, because most values
    are read and few are reported.
    """

    __slots__ = ("_raw", "_source", "value")

    def __init__(self, raw: Any, source: SourceText) -> None:
        self._raw = raw
        self._source = source
        value = raw.value  # read far more often than made: a plain attribute, not a property
        self.value: str = value if type(value) is str else str(value)

    @property
    def kind(self) -> ScalarKind:
        kind: ScalarKind = scalar_kind(self._raw)
        return kind

    @property
    def style(self) -> str | None:
        style = self._raw.style
        return style if isinstance(style, str) else None

    @property
    def span(self) -> Span:
        return node_span(self._raw, self._source)

    @property
    def line(self) -> int:
        return int(self._raw.start_mark.line) + 1

    @property
    def column(self) -> int:
        return int(self._raw.start_mark.column) + 1

    def position_of(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) in the file of the character at ``offset`` of ``value``."""
        return position_in_file(self._raw, self._source, offset)

    def is_true(self) -> bool:
        return self.kind == "bool" and self.value.lower() == "true"

    def is_false(self) -> bool:
        return self.kind == "bool" and self.value.lower() == "false"

    @property
    def is_null(self) -> bool:
        return self.kind == "null"

    @property
    def stripped(self) -> str:
        return self.value.strip()

    def same(self, other: object) -> bool:
        """The same YAML value (an alias makes two handles on one node)."""
        return isinstance(other, Text) and other._raw is self._raw

    def __repr__(self) -> str:
        return f"Text({self.value!r})"


class Map:
    """A located mapping with YAML merge keys applied (explicit keys win), in file order."""

    __slots__ = ("_index", "_raw", "_source", "entries")

    def __init__(self, entries: tuple[tuple[Text, Value], ...], raw: Any, source: SourceText,
                 index: dict[str, tuple[Text, Value]] | None = None) -> None:  # fmt: skip
        self.entries = entries
        self._raw = raw
        self._source = source
        if index is None:  # the converter passes the index it built; the first key wins
            index = {}
            for pair in entries:
                index.setdefault(pair[0].value, pair)
        self._index = index

    @property
    def span(self) -> Span:
        return node_span(self._raw, self._source)

    def entry(self, name: str) -> tuple[Text, Value] | None:
        """The (key, value) pair for ``name``, or None."""
        return self._index.get(name)

    def get(self, name: str) -> Value | None:
        pair = self._index.get(name)
        return pair[1] if pair is not None else None

    def text(self, name: str) -> Text | None:
        """The value of ``name`` when it is a scalar."""
        pair = self._index.get(name)
        return pair[1] if pair is not None and isinstance(pair[1], Text) else None

    def key(self, name: str) -> Text | None:
        pair = self._index.get(name)
        return pair[0] if pair is not None else None

    def has_any(self, names: tuple[str, ...]) -> list[str]:
        """Those of ``names`` that are keys here, in the order given."""
        index = self._index
        return [n for n in names if n in index]

    def keys(self) -> list[str]:
        return [k.value for k, _ in self.entries]

    def items(self) -> Iterator[tuple[Text, Value]]:
        return iter(self.entries)

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def __iter__(self) -> Iterator[str]:
        """The key names, like a dict."""
        return (k.value for k, _ in self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __repr__(self) -> str:
        return f"Map({self.keys()!r})"


class Seq:
    """A located sequence."""

    __slots__ = ("_raw", "_source", "items")

    def __init__(self, items: tuple[Value, ...], raw: Any, source: SourceText) -> None:
        self.items = items
        self._raw = raw
        self._source = source

    @property
    def span(self) -> Span:
        return node_span(self._raw, self._source)

    def __iter__(self) -> Iterator[Value]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __repr__(self) -> str:
        return f"Seq({len(self.items)})"


Value: TypeAlias = Text | Map | Seq


def texts(value: Value | None, limit: int = 100_000) -> Iterator[Text]:
    """Every scalar value below ``value`` (not keys), in document order, bounded."""
    if value is None:
        return
    stack: list[Value] = [value]
    count = 0
    while stack and count < limit:
        item = stack.pop()
        count += 1
        if isinstance(item, Text):
            yield item
        elif isinstance(item, Map):
            stack.extend(v for _k, v in reversed(item.entries))
        else:
            stack.extend(reversed(item.items))


def plain(value: Value | None, limit: int = 10_000) -> object:
    """A plain Python value (str/bool/int/float/None/list/dict) of a small subtree."""
    budget = [limit]

    def convert(v: Value, depth: int) -> object:
        budget[0] -= 1
        if budget[0] < 0 or depth > 64:
            return None
        if isinstance(v, Text):
            if v.kind == "bool":
                return v.value.lower() == "true"
            if v.kind == "null":
                return None
            if v.kind == "int":
                try:
                    return int(v.value, 0) if v.value[:2].lower() in ("0x", "0o") else int(v.value)
                except ValueError:
                    return v.value
            if v.kind == "float":
                try:
                    return float(v.value)
                except ValueError:
                    return v.value
            return v.value
        if isinstance(v, Map):
            return {k.value: convert(x, depth + 1) for k, x in v.entries}
        return [convert(x, depth + 1) for x in v.items]

    return None if value is None else convert(value, 0)


def key_span(owner: Map, key: str, value: Value | None = None) -> Span:
    """From ``key:`` to the end of its value: how a linter underlines a setting."""
    pair = owner.entry(key)
    if pair is None:
        return owner.span
    start = pair[0].span
    end = (value or pair[1]).span
    return Span(start.line, start.column, max(end.end_line, start.line), end.end_column)


# --- typed shapes ----------------------------------------------------------------------


PermissionsKind: TypeAlias = Literal["absent", "read-all", "write-all", "scopes", "invalid"]
LEVELS = {"none": 0, "read": 1, "write": 2}


@record
class Grant:
    """One ``scope: level`` entry of a ``permissions`` map."""

    scope: str
    level: str  # "none" | "read" | "write" | anything else the file says
    key: Text
    value: Text

    @property
    def span(self) -> Span:
        start, end = self.key.span, self.value.span
        return Span(start.line, start.column, end.end_line, end.end_column)


@record
class Permissions:
    """A workflow's or job's ``permissions``: absent, ``read-all``, ``write-all`` or a scope map.

    A job-level block replaces the workflow's; with none at all the token
    gets the repository's default scopes (DESIGN.md, "Semantics").
    """

    kind: PermissionsKind
    key: Text | None = None
    value: Value | None = None
    grants: tuple[Grant, ...] = ()

    @property
    def declared(self) -> bool:
        return self.kind != "absent"

    def level(self, scope: str) -> str | None:
        """The level granted to ``scope`` (``write-all`` grants every scope), None if not."""
        if self.kind == "write-all":
            return "write"
        if self.kind == "read-all":
            return "read"
        for grant in self.grants:
            if grant.scope == scope:
                return grant.level
        return None

    @property
    def span(self) -> Span | None:
        return self.value.span if self.value is not None else None


ABSENT_PERMISSIONS = Permissions("absent")


@record
class ContinueOnError:
    """``continue-on-error``: a literal boolean, or an expression that may be true at run time."""

    key: Text
    value: Text
    literal: bool | None  # None: an expression (or a string the runner evaluates)

    @property
    def may_continue(self) -> bool:
        return self.literal is not False

    @property
    def span(self) -> Span:
        start, end = self.key.span, self.value.span
        return Span(start.line, start.column, end.end_line, end.end_column)

    def describe(self) -> str:
        if self.literal is True:
            return "continue-on-error: true"
        return f"continue-on-error: {self.value.stripped[:60]} (an expression that may be true)"


UsesKind: TypeAlias = Literal["local", "action", "docker", "reusable", "reusable-local"]


@record
class Uses:
    """What ``uses:`` names: a local action or workflow, a repository action, a docker image."""

    text: Text
    kind: UsesKind
    name: str  # lower-cased ``owner/repo[/path]`` (actions), the path (local), the image (docker)
    ref: str | None = None

    @property
    def raw(self) -> str:
        return self.text.value

    @property
    def is_reusable(self) -> bool:
        return self.kind in ("reusable", "reusable-local")


@record
class Matrix:
    """``strategy.matrix``: its legs with ``include``/``exclude`` applied.

    ``legs`` is None when the matrix is computed at run time (``fromJSON(...)``):
    it cannot be compared then. A job without a matrix has one empty leg.
    """

    value: Value | None
    legs: tuple[dict[str, str], ...] | None
    fail_fast: Text | None = None

    @property
    def size(self) -> int | None:
        return len(self.legs) if self.legs is not None else None


NO_MATRIX = Matrix(None, ({},))


def leg_text(leg: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in leg.items()) or "(no matrix)"


@record
class Secrets:
    """A reusable-workflow call's ``secrets``: ``inherit`` or a map of names."""

    value: Value
    inherit: bool
    entries: Map | None = None


@record
class Environment:
    """A job's deployment ``environment`` (a name, or ``{name, url}``)."""

    value: Value
    name: Text | None
    url: Text | None = None


# --- steps ------------------------------------------------------------------------------


@record
class _StepFields:
    """Keys every kind of step may carry."""

    index: int  # position in the job's flat step order (group members after their group)
    node: Map
    id: Text | None = None
    name: Text | None = None
    if_: Text | None = None
    env: Map | None = None
    continue_on_error: ContinueOnError | None = None
    timeout_minutes: Text | None = None
    background: bool = False
    group: int | None = None  # flat index of the ``parallel:`` group this step runs in

    @property
    def label(self) -> str:
        """How a person names this step: its id, else its name, else its position."""
        if self.id is not None:
            return self.id.value
        if self.name is not None:
            return self.name.value
        return f"#{self.index + 1}"

    @property
    def span(self) -> Span:
        return self.node.span

    @property
    def concurrent(self) -> bool:
        """Runs alongside the following steps: ``background: true`` or inside ``parallel:``."""
        return self.background or self.group is not None


@record
class RunStep(_StepFields):
    run: Text | None = None  # None only for a malformed (non-scalar) ``run``
    shell: Text | None = None
    working_directory: Text | None = None


@record
class UsesStep(_StepFields):
    uses: Uses | None = None  # None only for a malformed (non-scalar) ``uses``
    with_: Map | None = None

    def with_text(self, key: str) -> Text | None:
        return self.with_.text(key) if self.with_ is not None else None


@record
class ParallelGroup(_StepFields):
    """``parallel:``: its steps run at once, then the group waits for all of them."""

    steps: tuple[Step, ...] = ()


@record
class WaitStep(_StepFields):
    """``wait: ID | [IDs]``: blocks until those background steps finish."""

    targets: tuple[Text, ...] = ()


@record
class WaitAllStep(_StepFields):
    """``wait-all:``: blocks until every running background step finishes."""


@record
class CancelStep(_StepFields):
    """``cancel: ID``: stops a background step (its failure is then not the job's)."""

    target: Text | None = None


Step: TypeAlias = RunStep | UsesStep | ParallelGroup | WaitStep | WaitAllStep | CancelStep
ActionStep: TypeAlias = RunStep | UsesStep  # the steps that do something themselves


def flatten(steps: tuple[Step, ...]) -> tuple[Step, ...]:
    """Steps in run order, each ``parallel:`` group followed by its members."""
    out: list[Step] = []
    stack: list[Step] = list(reversed(steps))
    while stack:
        step = stack.pop()
        out.append(step)
        if isinstance(step, ParallelGroup):
            stack.extend(reversed(step.steps))
    return tuple(out)


# --- jobs and workflows ---------------------------------------------------------------


@record
class Need:
    """One job named in ``needs``."""

    job: str
    node: Text


@record
class Job:
    """One job of ``jobs``: a runner job with steps, or a reusable-workflow call."""

    id: str
    key: Text
    node: Map
    name: Text | None = None
    needs: tuple[Need, ...] = ()
    needs_node: Value | None = None
    if_: Text | None = None
    runs_on: Value | None = None
    environment: Environment | None = None
    permissions: Permissions = ABSENT_PERMISSIONS
    env: Map | None = None
    outputs: Map | None = None
    strategy: Map | None = None
    matrix: Matrix = NO_MATRIX
    continue_on_error: ContinueOnError | None = None
    timeout_minutes: Text | None = None
    uses: Uses | None = None
    with_: Map | None = None
    secrets: Secrets | None = None
    defaults: Map | None = None
    container: Value | None = None
    steps: tuple[Step, ...] = ()  # top level; ``parallel:`` groups hold their members
    flat_steps: tuple[Step, ...] = ()  # every step in run order, group members included

    @property
    def is_reusable_call(self) -> bool:
        return self.uses is not None

    def output(self, name: str) -> Value | None:
        return self.outputs.get(name) if self.outputs is not None else None

    def action_steps(self) -> Iterator[ActionStep]:
        """The steps that run something (``run:``/``uses:``), group members included."""
        for step in self.flat_steps:
            if isinstance(step, (RunStep, UsesStep)):
                yield step

    def step_at(self, index: int) -> Step | None:
        steps = self.flat_steps
        if 0 <= index < len(steps) and steps[index].index == index:
            return steps[index]
        return next((s for s in steps if s.index == index), None)


@record
class Workflow:
    """One workflow file (or a composite action's ``runs.steps`` as one pseudo-job)."""

    path: str
    source: SourceText
    root: Map
    kind: FileKind = "workflow"
    name: Text | None = None
    on: Value | None = None
    on_key: Text | None = None
    triggers: tuple[str, ...] = ()
    env: Map | None = None
    permissions: Permissions = ABSENT_PERMISSIONS
    defaults: Map | None = None
    concurrency: Value | None = None
    jobs: tuple[Job, ...] = ()
    jobs_node: Value | None = None
    call_outputs: Map | None = None  # on.workflow_call.outputs
    call_secrets: Map | None = None  # on.workflow_call.secrets
    call_inputs: Map | None = None  # on.workflow_call.inputs
    job_index: dict[str, Job] = field(default_factory=dict, compare=False, hash=False)

    def job(self, job_id: str) -> Job | None:
        return self.job_index.get(job_id)

    @property
    def forge(self) -> Literal["github", "gitea", "forgejo"]:
        """The forge whose folder holds the file (``.gitea/workflows`` runs on Gitea)."""
        if self.path.startswith(".gitea/"):
            return "gitea"
        if self.path.startswith(".forgejo/"):
            return "forgejo"
        return "github"

    @property
    def is_reusable(self) -> bool:
        """Callable by other workflows (``on: workflow_call``)."""
        return "workflow_call" in self.triggers
