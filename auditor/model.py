"""The typed workflow model: what rules read instead of YAML.

Frozen dataclasses whose fields are located YAML views (``YScalar``, ``YMap``,
``YSeq``) or tuples of other model objects, so every value a rule reports on
still knows its file, line and column. Building the model never fails: what
does not fit the expected shape is recorded as a ``Problem`` for the
``workflow-structure`` rule and the rest of the file is still modelled.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from auditor.yamltree import SourceText, YMap, YNode, YScalar, YSeq


@dataclass(frozen=True, slots=True)
class Step:
    """One entry of a job's (or composite action's) ``steps``."""

    index: int  # 0-based position in the steps list
    node: YNode
    id: YScalar | None = None
    name: YScalar | None = None
    uses: YScalar | None = None
    with_: YMap | None = None
    run: YScalar | None = None
    shell: YScalar | None = None
    env: YMap | None = None
    if_: YScalar | None = None
    continue_on_error: YScalar | None = None
    working_directory: YScalar | None = None

    @property
    def label(self) -> str:
        """How a person names this step: its id, else its name, else its position."""
        if self.id is not None:
            return self.id.value
        if self.name is not None:
            return self.name.value
        return f"#{self.index + 1}"

    def with_value(self, key: str) -> YNode | None:
        return self.with_.get(key) if self.with_ is not None else None


@dataclass(frozen=True, slots=True)
class Need:
    """One job named in ``needs``."""

    job: str
    node: YScalar


@dataclass(frozen=True, slots=True)
class Job:
    """One job of ``jobs``: a runner job with steps or a reusable-workflow call."""

    id: str
    key: YScalar
    node: YMap
    name: YScalar | None = None
    needs: tuple[Need, ...] = ()
    needs_node: YNode | None = None
    if_: YScalar | None = None
    runs_on: YNode | None = None
    environment: YNode | None = None
    permissions: YNode | None = None
    env: YMap | None = None
    outputs: YMap | None = None
    strategy: YMap | None = None
    matrix: YNode | None = None
    continue_on_error: YScalar | None = None
    timeout_minutes: YScalar | None = None
    uses: YScalar | None = None
    with_: YMap | None = None
    secrets: YNode | None = None
    defaults: YMap | None = None
    container: YNode | None = None
    steps: tuple[Step, ...] = ()

    @property
    def is_reusable_call(self) -> bool:
        return self.uses is not None

    def output(self, name: str) -> YNode | None:
        return self.outputs.get(name) if self.outputs is not None else None


@dataclass(frozen=True, slots=True)
class Workflow:
    """One workflow file (or a composite action's ``runs.steps`` as one pseudo-job)."""

    path: str
    source: SourceText
    root: YMap
    kind: str = "workflow"  # "workflow" or "action"
    name: YScalar | None = None
    on: YNode | None = None
    on_key: YScalar | None = None
    triggers: tuple[str, ...] = ()
    env: YMap | None = None
    permissions: YNode | None = None
    permissions_key: YScalar | None = None
    defaults: YMap | None = None
    concurrency: YNode | None = None
    jobs: tuple[Job, ...] = ()
    jobs_node: YNode | None = None
    call_outputs: YMap | None = None  # on.workflow_call.outputs
    call_secrets: YMap | None = None  # on.workflow_call.secrets
    call_inputs: YMap | None = None  # on.workflow_call.inputs
    job_index: dict[str, Job] = field(default_factory=dict, compare=False, hash=False)

    def job(self, job_id: str) -> Job | None:
        return self.job_index.get(job_id)


def scalar(node: YNode | None) -> YScalar | None:
    return node if isinstance(node, YScalar) else None


def mapping(node: YNode | None) -> YMap | None:
    return node if isinstance(node, YMap) else None


def sequence(node: YNode | None) -> YSeq | None:
    return node if isinstance(node, YSeq) else None
