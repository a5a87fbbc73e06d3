"""Roles: which jobs and steps publish, promote and verify, and the promote paths.

The engine calls ``annotate`` once per workflow graph, before any rule runs,
so every rule reads the same answers (``graph.roles`` and the fields next to
it). Definitions (DESIGN.md, "Roles"), with the defaults a policy may change:

- **publish** step: ``docker/build-push-action`` / ``docker/bake-action`` whose
  ``push`` is not false (an expression counts: it may push) or whose
  ``outputs`` go to a registry; a ``run:`` that calls ``docker|podman|buildah
  push``, ``docker manifest push``, ``docker buildx build|bake … --push``,
  ``docker buildx imagetools create``, ``crane push|copy``, ``skopeo copy`` or
  ``oras push``; or an id/name matching ``roles.publish.names``.
- **promote** step: id or name matching ``roles.promote.names`` (``promot``), a
  ``run:`` that calls (curl, wget, …) a URL matching ``roles.promote.endpoints``
  (``/promote``), a ``with:`` URL matching one, or a ``uses:`` listed in
  ``roles.promote.uses``.
- **verify** step: a ``run:`` that runs a script listed in ``roles.verify.scripts``
  (verify *names* count for jobs only: a step named "Verify Docker daemon
  access" in a build job does not make that job a promote's verification).
- A job plays a role when its id or name matches the role's names or when one
  of its steps plays it; a reusable-workflow call plays the roles of the
  local workflow it calls.
- An **artifact promote** is a promote job with a publish job upstream, a
  publish step before its promote step, a promote endpoint or action, or one
  that consumes a digest output. Any other promote (a job that merges a
  staging branch into main, say) is **name-only**: the fail-loud rules apply
  to it, the digest, verify, secret and platform-token rules do not.
- The **promote path**: every job on a graph path from a publish job to a
  promote job, the promote jobs, and the verify jobs that depend on them.
"""

from __future__ import annotations

import functools
import importlib
import itertools
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from auditor.graph import JobGraph, build_graph
from auditor.known_actions import PUSHING_ACTIONS, action_name
from auditor.model import Job, Step
from auditor.refindex import Ref, build_index
from auditor.yamltree import YMap, YScalar, YSeq, to_plain

if TYPE_CHECKING:
    from auditor.policy import Policy
    from auditor.repo import RepoContext

PUBLISH, PROMOTE, VERIFY = "publish", "promote", "verify"
MAX_CALL_DEPTH = 4
MAX_MATRIX_LEGS = 256


@functools.lru_cache(maxsize=256)
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in patterns)


def matches(patterns: tuple[str, ...], text: str | None) -> bool:
    if not text:
        return False
    return any(p.search(text) for p in _compiled(patterns))


# --- shell text ------------------------------------------------------------------

_CONTINUATION = re.compile(r"\\\r?\n")
_COMMENT_LINE = re.compile(r"^[ \t]*#.*$", re.MULTILINE)
_CMD = r"(?:^|[\s;&|(`{]|\$\()(?:sudo\s+)?"
_PUBLISH_RUN = re.compile(
    _CMD
    + r"""(?:
        (?:docker|podman|buildah)\s+(?:image\s+|manifest\s+)?push\b
      | (?:docker\s+)?buildx\s+(?:build|bake)\b[^\n;&|]*\s--push\b
      | docker\s+build\b[^\n;&|]*\s--push\b
      | (?:docker\s+)?buildx\s+imagetools\s+create\b
      | crane\s+(?:push|copy|cp)\b
      | skopeo\s+copy\b
      | oras\s+push\b
    )""",
    re.VERBOSE | re.MULTILINE,
)
_HTTP_CLIENT = re.compile(
    _CMD + r"(?:curl|wget|http|https|xh|Invoke-WebRequest|Invoke-RestMethod|iwr|irm)\b"
    r"|\brequests\.(?:get|post|put|patch)\b|\bhttpx\.|\burlopen\(|\bfetch\(|\baxios\b",
    re.MULTILINE,
)
_WORD_STOP = " \t\n\"'()<>|;&`,"
_FILE_SUFFIX = re.compile(r"\.(?:sh|bash|py|js|mjs|ts|rb|pl|ps1|ya?ml|json|md|txt)$", re.I)


def shell_text(run: str) -> str:
    """A ``run:`` body with line continuations joined and comment lines blanked."""
    return _COMMENT_LINE.sub("", _CONTINUATION.sub(" ", run))


# Every alternative of _PUBLISH_RUN needs one of these words. The pattern starts
# with an alternation, which the regex engine retries at every offset of every
# ``run:`` body; this C-speed screen skips the bodies that cannot match (most).
_PUBLISH_WORDS = ("push", "imagetools", "crane", "skopeo")


def publishes_in_run(run: str) -> bool:
    if not any(word in run for word in _PUBLISH_WORDS):
        return False
    return _PUBLISH_RUN.search(shell_text(run)) is not None


def _word_at(text: str, start: int, end: int) -> str:
    left = start
    while left > 0 and text[left - 1] not in _WORD_STOP:
        left -= 1
    right = end
    while right < len(text) and text[right] not in _WORD_STOP:
        right += 1
    return text[left:right]


def _url_like(word: str) -> bool:
    if _FILE_SUFFIX.search(word):
        return False
    return "://" in word or word.startswith(("$", "http")) or "}}/" in word


def endpoint_call(text: str, patterns: tuple[str, ...], *, need_client: bool = True) -> bool:
    """``text`` calls a URL matching one of ``patterns`` (a shell body or a ``with`` value)."""
    if not patterns:
        return False
    if "\\\n" not in text and "\\\r\n" not in text and not any(
        p.search(text) for p in _compiled(patterns)
    ):
        # No match anywhere in the raw text, and no line continuation whose
        # joining could make one: nothing to find (the usual case, and cheap).
        return False
    body = shell_text(text) if need_client else text
    if need_client and _HTTP_CLIENT.search(body) is None:
        return False
    for pattern in _compiled(patterns):
        for match in pattern.finditer(body):
            if _url_like(_word_at(body, match.start(), match.end())):
                return True
    return False


def runs_script(run: str, scripts: tuple[str, ...]) -> str | None:
    """The first of ``scripts`` (repository paths) that the ``run:`` body mentions."""
    for script in scripts:
        path = script[2:] if script.startswith("./") else script
        if path and path in run:
            return script
    return None


# --- step and job roles ------------------------------------------------------------


def _label_texts(step: Step) -> list[str]:
    return [s.value for s in (step.id, step.name) if s is not None]


def step_roles(step: Step, policy: Policy) -> dict[str, str]:
    """The roles a step plays, each with the reason (for messages)."""
    out: dict[str, str] = {}
    labels = _label_texts(step)
    label = step.label
    uses = action_name(step.uses.value) if step.uses is not None else None
    run = step.run.value if step.run is not None else None
    # publish
    if uses in PUSHING_ACTIONS:
        push = step.with_value("push")
        outputs = step.with_value("outputs")
        pushes = isinstance(push, YScalar) and push.kind != "null" and not push.is_false() \
            and push.value.strip().lower() not in ("false", "")
        exports = isinstance(outputs, YScalar) and re.search(r"type=registry|push=true", outputs.value)
        if pushes or exports:
            out[PUBLISH] = f"step '{label}' pushes with {uses}"
    if PUBLISH not in out and run is not None and publishes_in_run(run):
        out[PUBLISH] = f"step '{label}' pushes an image"
    if PUBLISH not in out and any(matches(policy.publish_names, t) for t in labels):
        out[PUBLISH] = f"step '{label}' is named like a publish"
    # promote
    if any(matches(policy.promote_names, t) for t in labels):
        out[PROMOTE] = f"step '{label}' is named like a promote"
    elif run is not None and endpoint_call(run, policy.promote_endpoints):
        out[PROMOTE] = f"step '{label}' calls a promote endpoint"
    elif uses is not None and is_promote_action(uses, policy):
        out[PROMOTE] = f"step '{label}' uses the promote action {uses}"
    elif step.with_ is not None and any(
        isinstance(v, YScalar) and endpoint_call(v.value, policy.promote_endpoints, need_client=False)
        for _k, v in step.with_.items()
    ):
        out[PROMOTE] = f"step '{label}' calls a promote endpoint"
    # verify: by the scripts it runs only — a step named "Verify Docker daemon access"
    # does not make its job the verification of a promote (names count at job level).
    if run is not None and (script := runs_script(run, policy.verify_scripts)):
        out[VERIFY] = f"step '{label}' runs the verify script {script}"
    return out


def is_promote_action(uses: str, policy: Policy) -> bool:
    name = action_name(uses)
    return any(action_name(u) == name for u in policy.promote_uses)


def step_promote_is_artifact(step: Step, policy: Policy) -> bool:
    """A promote step that by itself moves an artifact (endpoint or promote action)."""
    if step.run is not None and endpoint_call(step.run.value, policy.promote_endpoints):
        return True
    if step.uses is not None and is_promote_action(step.uses.value, policy):
        return True
    if step.with_ is not None:
        for _k, v in step.with_.items():
            if isinstance(v, YScalar) and endpoint_call(
                v.value, policy.promote_endpoints, need_client=False
            ):
                return True
    return False


# --- references ----------------------------------------------------------------------


def ref_index(graph: JobGraph) -> list[Ref]:
    if graph.ref_index is None:
        graph.ref_index = build_index(graph.workflow)
    return graph.ref_index


def job_refs(graph: JobGraph, job_id: str) -> list[Ref]:
    """References inside job ``job_id`` (its keys and its steps)."""
    return [r for r in ref_index(graph) if r.job is not None and r.job.id == job_id]


def digest_names(policy: Policy) -> frozenset[str]:
    return frozenset(n.lower() for n in policy.digest_outputs)


def _is_digest_name(name: str | None, policy: Policy) -> bool:
    if not name:
        return False
    low = name.lower()
    return low in digest_names(policy) or "digest" in low


def ref_origin(graph: JobGraph, job: Job, ref: Ref, depth: int = 0) -> str | None:
    """Where a ``needs``/``steps``/``inputs`` output reference really comes from.

    ``needs.publish.outputs.digest`` whose output is ``${{ steps.push.outputs.digest }}``
    → ``publish/steps.push.outputs.digest``; unresolvable outputs stay ``J/outputs.O``.
    """
    r = ref.ref
    if r.context == "steps" and r.part(1) == "outputs" and r.part(0) and r.part(2):
        return f"{job.id}/steps.{r.part(0)}.outputs.{r.part(2)}"
    if r.context == "inputs" and r.part(0):
        return f"inputs.{r.part(0)}"
    if r.context == "github" and r.part(0) == "event" and r.part(1) == "inputs" and r.part(2):
        return f"inputs.{r.part(2)}"
    if r.context == "needs" and r.part(1) == "outputs" and r.part(0) and r.part(2):
        return _output_origin(graph, r.part(0) or "", r.part(2) or "", depth)
    return None


def _output_origin(graph: JobGraph, job_id: str, output: str, depth: int) -> str:
    plain = f"{job_id}/outputs.{output}"
    source = graph.jobs.get(job_id)
    if source is None or depth > 8:
        return plain
    value = source.output(output)
    if not isinstance(value, YScalar):
        return plain
    inner = [r for r in ref_index(graph)
             if r.job is source and r.scalar.raw is value.raw]  # fmt: skip
    for item in inner:
        origin = ref_origin(graph, source, item, depth + 1)
        if origin is not None:
            return origin
    return plain


def is_digest_ref(graph: JobGraph, job: Job, ref: Ref, policy: Policy) -> str | None:
    """The origin of ``ref`` when it reads a digest (by output name), else None."""
    r = ref.ref
    name: str | None = None
    if r.context in ("steps", "needs") and r.part(1) == "outputs":
        name = r.part(2)
    elif r.context == "inputs":
        name = r.part(0)
    elif r.context == "github" and r.part(0) == "event" and r.part(1) == "inputs":
        name = r.part(2)
    origin = ref_origin(graph, job, ref)
    if origin is None:
        return None
    if _is_digest_name(name, policy) or _is_digest_name(origin.rsplit(".", 1)[-1], policy):
        return origin
    return None


def digest_origins(graph: JobGraph, job_id: str, policy: Policy) -> dict[str, Ref]:
    """Digest origins job ``job_id`` reads (origin → first reference)."""
    job = graph.jobs.get(job_id)
    if job is None:
        return {}
    out: dict[str, Ref] = {}
    for ref in job_refs(graph, job_id):
        if ref.key.startswith("outputs"):
            continue
        origin = is_digest_ref(graph, job, ref, policy)
        if origin is not None:
            out.setdefault(origin, ref)
    return out


# --- annotation ----------------------------------------------------------------------


def annotate(graph: JobGraph, policy: Policy, repo: RepoContext | None = None, _depth: int = 0,
             _stack: frozenset[str] = frozenset()) -> None:  # fmt: skip
    """Set ``graph.roles`` and the fields next to it (see the module docstring)."""
    workflow = graph.workflow
    stack = _stack | {workflow.path}
    roles: dict[str, set[str]] = {job_id: set() for job_id in graph.jobs}
    reasons: dict[tuple[str, str], str] = {}
    # reusable calls: the callee's roles
    for job_id, callee in graph.callees.items():
        if _depth >= MAX_CALL_DEPTH or callee.path in stack:
            continue
        sub = build_graph(callee, repo.resolve_local_uses if repo is not None else None)
        annotate(sub, policy, repo, _depth + 1, stack)
        graph.callee_graphs[job_id] = sub
        for role in (PUBLISH, PROMOTE, VERIFY):
            players = [j for j, r in sub.roles.items() if role in r]
            if players:
                roles[job_id].add(role)
                reasons[(job_id, role)] = (
                    f"it calls {callee.path}, whose job '{players[0]}' plays {role}"
                )
    for job in workflow.jobs:
        names = [job.id] + ([job.name.value] if job.name is not None else [])
        for role, patterns in ((PUBLISH, policy.publish_names), (PROMOTE, policy.promote_names),
                               (VERIFY, policy.verify_names)):  # fmt: skip
            if any(matches(patterns, n) for n in names):
                roles[job.id].add(role)
                reasons.setdefault((job.id, role), f"job '{job.id}' is named like a {role}")
        if job.uses is not None and is_promote_action(job.uses.value, policy):
            roles[job.id].add(PROMOTE)
            reasons.setdefault((job.id, PROMOTE), f"job '{job.id}' calls the promote workflow "
                               f"{job.uses.value}")
        for step in job.steps:
            found = step_roles(step, policy)
            if found:
                graph.step_roles[(job.id, step.index)] = frozenset(found)
            for role, why in found.items():
                roles[job.id].add(role)
                reasons.setdefault((job.id, role), why)
    graph.roles = {job_id: frozenset(r) for job_id, r in roles.items()}
    graph.role_reasons = reasons
    graph.artifact_promotes = frozenset(
        job_id for job_id, r in graph.roles.items()
        if PROMOTE in r and _artifact_promote(graph, job_id, policy)
    )  # fmt: skip
    graph.promote_path = frozenset(_promote_path(graph))


def _artifact_promote(graph: JobGraph, job_id: str, policy: Policy) -> bool:
    job = graph.jobs[job_id]
    why = graph.role_reasons
    if any(PUBLISH in graph.roles.get(a, ()) for a in graph.ancestors(job_id)):
        return True
    sub = graph.callee_graphs.get(job_id)
    if sub is not None and sub.artifact_promotes:
        return True
    promote_steps = [s for s in job.steps if PROMOTE in graph.step_roles.get((job_id, s.index), ())]
    publish_steps = [s.index for s in job.steps
                     if PUBLISH in graph.step_roles.get((job_id, s.index), ())]  # fmt: skip
    named_job = why.get((job_id, PROMOTE), "").startswith(f"job '{job_id}' ")
    if publish_steps and (named_job or any(s.index > min(publish_steps) for s in promote_steps)):
        return True
    if any(step_promote_is_artifact(s, policy) for s in promote_steps):
        return True
    if job.uses is not None and is_promote_action(job.uses.value, policy):
        return True
    return bool(digest_origins(graph, job_id, policy))


def _promote_path(graph: JobGraph) -> set[str]:
    path: set[str] = set()
    for job_id, r in graph.roles.items():
        if PROMOTE not in r:
            continue
        path.add(job_id)
        ancestors = graph.ancestors(job_id)
        for a in ancestors:
            if PUBLISH in graph.roles.get(a, ()):
                path.add(a)
                path.update(graph.descendants(a) & ancestors)
        path.update(v for v in graph.descendants(job_id) if VERIFY in graph.roles.get(v, ()))
    return path


def verifies_of(graph: JobGraph, job_id: str) -> list[str]:
    """Verify jobs that depend (directly or transitively) on ``job_id``, in file order."""
    below = graph.descendants(job_id)
    return [j for j in graph.jobs if j in below and VERIFY in graph.roles.get(j, ())]


def describe_path(graph: JobGraph, job_id: str) -> str:
    """The promote path through ``job_id`` as people read it: ``publish → promote-pin → verify-pin``."""
    roles = graph.roles
    order = list(graph.jobs)
    promotes = [j for j in order if PROMOTE in roles.get(j, ())]
    if job_id in promotes:
        promote = job_id
    else:
        below = [p for p in promotes if p in graph.descendants(job_id)]
        above = [p for p in promotes if p in graph.ancestors(job_id)]
        candidates = below or above
        if not candidates:
            return job_id
        promote = candidates[0]
    publishers = [j for j in order if PUBLISH in roles.get(j, ())
                  and (j == promote or j in graph.ancestors(promote))]  # fmt: skip
    chain: list[str] = []
    if job_id != promote and job_id in graph.ancestors(promote):
        start = next((p for p in publishers if p == job_id or job_id in graph.descendants(p)),
                     job_id)  # fmt: skip
        chain = graph.shortest_path(start, job_id) or [job_id]
        chain += (graph.shortest_path(job_id, promote) or [job_id, promote])[1:]
    elif publishers:
        chain = graph.shortest_path(publishers[0], promote) or [publishers[0], promote]
    else:
        chain = [promote]
    verifies = verifies_of(graph, promote)
    if job_id in verifies:
        tail = graph.shortest_path(promote, job_id) or [promote, job_id]
        chain += tail[1:]
    elif verifies:
        tail = graph.shortest_path(promote, verifies[0]) or [promote, verifies[0]]
        chain += tail[1:]
    out: list[str] = []
    for j in chain:
        if j not in out:
            out.append(j)
    return " → ".join(out)


def role_of_step(graph: JobGraph, job_id: str, step: Step) -> frozenset[str]:
    return graph.step_roles.get((job_id, step.index), frozenset())


def promote_steps(graph: JobGraph, job: Job) -> list[Step]:
    return [s for s in job.steps if PROMOTE in graph.step_roles.get((job.id, s.index), ())]


# --- matrices ----------------------------------------------------------------------


def matrix_legs(job: Job) -> list[dict[str, str]] | None:
    """The expanded matrix of ``job`` (``include``/``exclude`` applied), one dict per leg.

    ``[{}]`` for a job without a matrix; ``None`` when the matrix is computed
    at run time (an expression), so it cannot be compared.
    """
    node = job.matrix
    if node is None:
        return [{}]
    if isinstance(node, YScalar):
        return None if node.kind != "null" else [{}]
    if not isinstance(node, YMap):
        return None
    base: dict[str, list[str]] = {}
    include: list[dict[str, str]] = []
    exclude: list[dict[str, str]] = []
    for key, value in node.items():
        name = key.value
        if name in ("include", "exclude"):
            entries = _entries(value)
            if entries is None:
                return None
            (include if name == "include" else exclude).extend(entries)
            continue
        if not isinstance(value, YSeq):
            return None
        items: list[str] = []
        for item in value:
            text = _plain_text(to_plain(item))
            if "${{" in text:
                return None
            items.append(text)
        base[name] = items
    legs: list[dict[str, str]] = []
    if base:
        keys = list(base)
        for combo in itertools.islice(itertools.product(*(base[k] for k in keys)),
                                      MAX_MATRIX_LEGS):  # fmt: skip
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
    return legs or [{}]


def _entries(value: Any) -> list[dict[str, str]] | None:
    if isinstance(value, YScalar):
        return None if value.kind != "null" else []
    if not isinstance(value, YSeq):
        return None
    out: list[dict[str, str]] = []
    for item in value:
        plain = to_plain(item)
        if not isinstance(plain, dict):
            return None
        entry = {str(k): _plain_text(v) for k, v in plain.items()}
        if any("${{" in v for v in entry.values()):
            return None
        out.append(entry)
    return out


def _plain_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return repr(value)
    return "" if value is None else str(value)


def leg_text(leg: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in leg.items()) or "(no matrix)"


# --- misc ----------------------------------------------------------------------------


def on_gitea(path: str) -> bool:
    return path.startswith(".gitea/")


def iter_steps(jobs: Iterable[Job]) -> Iterable[tuple[Job, Step]]:
    for job in jobs:
        for step in job.steps:
            yield job, step


# --- secrets and tokens --------------------------------------------------------------


def secrets_read(graph: JobGraph, job: Job) -> tuple[dict[str, Ref], bool]:
    """Secrets job ``job`` can read by name (→ first reference), and whether it may read any.

    Counts references in the job and its steps, in workflow-level ``env`` (every
    job sees it), ``secrets: inherit`` and dynamic ``secrets[...]`` (both: any).
    """
    names: dict[str, Ref] = {}
    anything = isinstance(job.secrets, YScalar) and job.secrets.value.strip() == "inherit"
    for ref in ref_index(graph):
        if ref.ref.context != "secrets":
            continue
        if ref.job is not job and not (ref.job is None and ref.key.startswith("env")):
            continue
        name = ref.ref.part(0)
        if name is None:
            if not ref.ref.path:
                anything = True  # toJSON(secrets)
            elif ref.ref.dynamic:
                anything = True
            continue
        names.setdefault(name.upper(), ref)
    return names, anything


def is_platform_token(ref: Ref, policy: Policy) -> bool:
    r = ref.ref
    if r.context == "secrets":
        name = r.part(0)
        return name is not None and name.upper() in {t.upper() for t in policy.platform_tokens}
    return r.context in ("github", "gitea", "forgejo") and r.path == ("token",)


# --- $GITHUB_OUTPUT ------------------------------------------------------------------


def output_writes(run: str) -> tuple[Any, ...] | None:
    """The ``$GITHUB_OUTPUT`` writes of a shell body (auditor.scripts.shell), None if unavailable.

    Each write has ``name``, ``start``, ``end`` (offsets into ``run``) and
    ``deprecated`` (a ``::set-output`` command).
    """
    try:
        module = importlib.import_module("auditor.scripts.shell")
    except ImportError:
        return None
    writes = getattr(module, "github_output_writes", None)
    if writes is None:
        return None
    return tuple(writes(run))
