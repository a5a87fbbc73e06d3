"""needs-output-unwired: a `needs.J.outputs.O` or `steps.S.outputs.X` reference reads nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator

from auditor.edits import Edit, block_key_indent, insert_after_line, insert_before_line, offset, replace_span
from auditor.findings import Finding, Hit, hit_in
from auditor.graph import JobGraph
from auditor.known_actions import known_output
from auditor.model import ActionStep, Job, RunStep, Seq, Step, Text, UsesStep, WaitAllStep, WaitStep
from auditor.refindex import Ref
from auditor.repo import RepoContext
from auditor.roles.matchers import shell_text
from auditor.rule import Rule, RuleContext

# Commands that may write $GITHUB_OUTPUT where the step body cannot show it.
_OPAQUE = re.compile(
    r"(?:^|[\s;&|(`])(?:\.{1,2}/|~/|/|\$\{?\w+\}?/|bash\s|sh\s|zsh\s|source\s|\.\s|python|node\s|"
    r"npx\s|npm\s|yarn\s|pnpm\s|bun\s|deno\s|make\b|just\s|task\s|go\s+run|ruby\s|perl\s|pwsh|"
    r"php\s|uv\s|poetry\s|pipx?\s|tox\b|nox\b|cargo\s|gradle|\./gradlew|mvn|java\s|dotnet\s|"
    r"gh\s|docker\s+(?:run|compose)|eval\s|exec\s|[\w./-]+\.(?:sh|py|js|mjs|ts|rb|pl|ps1)\b)",
    re.MULTILINE,
)


def _step_ids(job: Job) -> dict[str, Step]:
    """Step ids of the job (``parallel:`` members included), lower-cased as the runner matches."""
    return {s.id.value.lower(): s for s in job.flat_steps if s.id is not None}


def _waited(job: Job, producer: Step, consumer: Step) -> bool:
    """A ``wait``/``wait-all`` between a background ``producer`` and ``consumer`` covers it."""
    pid = producer.id.value if producer.id is not None else None
    for step in (s for s in job.flat_steps if producer.index < s.index < consumer.index):
        if isinstance(step, WaitAllStep):
            return True
        if isinstance(step, WaitStep) and pid is not None and any(t.stripped == pid for t in step.targets):
            return True
    return False


def _never_sets(step: ActionStep, output: str, repo: RepoContext) -> bool:
    """The step demonstrably does not set ``output``.

    Only a body that sets its outputs, all by literal names and this one not
    among them, is judged. The cheap tests come first (most references are
    wired, and their step spells ``output=``/``output<<`` somewhere), so the
    shell parse runs only for the few bodies that may really leave it unset.
    """
    if isinstance(step, UsesStep):
        return step.uses is not None and known_output(step.uses.raw, output, repo) is False
    if step.run is None:
        return False
    shell = (step.shell.value if step.shell is not None else "").strip().lower()
    if shell and not shell.startswith(("bash", "sh", "zsh")):
        return False  # python, pwsh, node, custom: the shell analysis cannot see the writes
    text = step.run.value
    if "GITHUB_OUTPUT" not in text and "set-output" not in text:
        # Any program the step runs (brew, nu, a built binary) may write the file.
        return False
    if "${{" in text or _spelled(output, text):
        return False  # a computed body, or `name=`/`name<<` somewhere the analysis may not follow
    if _OPAQUE.search(shell_text(text)):
        return False
    # imported on first use: a run answered from the cache needs no shell parser
    from auditor.scripts.shell import github_output_writes

    writes = github_output_writes(text)
    if not writes:
        return False
    if any(not re.fullmatch(r"[\w.-]+", w.name) for w in writes):
        return False  # a computed name may be this one
    return output.lower() not in {w.name.lower() for w in writes}


def _spelled(output: str, text: str) -> bool:
    r"""Whether ``text`` spells ``output=`` or ``output<<`` (any case, spaces before the
    sign) where no word character or ``-`` runs into the name: what the regex
    ``(?<![\w-])NAME\s*(?:=|<<)`` finds, without compiling one pattern per output
    name (443 of them on the corpus, a compile each)."""
    low, name = text.lower(), output.lower()
    at = low.find(name)
    while at >= 0:
        before = low[at - 1] if at else ""
        if not (before.isalnum() or before in ("_", "-")):
            end = at + len(name)
            while end < len(low) and low[end].isspace():  # an index, not a slice: a text
                end += 1  # spelling the name 100,000 times must not copy itself each time
            if low.startswith(("=", "<<"), end):
                return True
        at = low.find(name, at + 1)
    return False


def _declared(graph: JobGraph, job: Job, output: str) -> bool | None:
    callee = graph.callees.get(job.id)
    if job.is_reusable_call:
        if callee is None:
            return None  # a remote reusable workflow: outputs unknown
        outputs = callee.call_outputs
    else:
        outputs = job.outputs
    if outputs is None:
        return False
    return output.lower() in {k.lower() for k in outputs}


def _check_needs(graph: JobGraph, job: Job, r: Ref) -> Iterator[Hit]:
    ref = r.ref
    target_id = ref.part(0)
    if target_id is None:
        return
    direct = {n.lower(): n for n in graph.needs(job.id)}
    real = direct.get(target_id.lower())
    if real is None:
        other = graph.job_named(target_id)
        if other is None:
            msg = (f"{ref.text} names job '{target_id}', which does not exist in this workflow, "
                   "so it is always empty; fix the job id")
        # the target's descendants, not the job's ancestors: references to one job
        # from many jobs then cost one closure, not one each
        elif job.id in graph.descendants(other):
            msg = (f"{ref.text} is empty: '{other}' runs before '{job.id}' only indirectly, and "
                   f"the needs context holds direct needs only; add {other} to needs")
        else:
            msg = (f"{ref.text} is empty: '{job.id}' does not need '{other}'; add {other} to "
                   "needs")
        yield hit_in(r.scalar, ref.start, ref.end, msg, f"needs:{r.key}:{ref.text}",
                     job=job.id, step=r.step)  # fmt: skip
        return
    output = ref.part(2)
    if ref.part(1) != "outputs" or output is None:
        return
    target = graph.jobs[real]
    declared = _declared(graph, target, output)
    if declared is False:
        where = ("its called workflow's on.workflow_call.outputs" if target.is_reusable_call
                 else "its outputs")  # fmt: skip
        have = (graph.callees[real].call_outputs if target.is_reusable_call
                else target.outputs)  # fmt: skip
        known = ", ".join(have.keys()) if have is not None else "none"
        yield hit_in(
            r.scalar, ref.start, ref.end,
            f"{ref.text} is always empty: job '{real}' declares no output '{output}' in {where} "
            f"(it has: {known or 'none'}); declare it, mapped to the step that sets it",
            f"output:{r.key}:{ref.text}", job=job.id, step=r.step,
        )  # fmt: skip


def _check_steps(job: Job, r: Ref, repo: RepoContext) -> Iterator[Hit]:
    ref = r.ref
    step_id = ref.part(0)
    if step_id is None:
        return
    in_outputs = r.step is None and r.key.startswith("outputs")
    if r.step is None and not in_outputs:
        return  # the steps context exists only in steps and job outputs
    step = _step_ids(job).get(step_id.lower())
    subject = f"steps:{r.key}:{ref.text}"
    if step is None:
        yield hit_in(
            r.scalar, ref.start, ref.end,
            f"{ref.text} is always empty: job '{job.id}' has no step with id '{step_id}'; fix "
            "the id or give the producing step `id: " + step_id + "`",
            subject, job=job.id, step=r.step,
        )  # fmt: skip
        return
    consumer = r.step
    if consumer is not None and step.index >= consumer.index:
        when = "is this step" if step.index == consumer.index else "runs after this one"
        yield hit_in(
            r.scalar, ref.start, ref.end,
            f"{ref.text} is empty here: step '{step_id}' {when}; read it in a later step",
            subject, job=job.id, step=consumer,
        )  # fmt: skip
        return
    if consumer is not None and step.group is not None and step.group == consumer.group:
        yield hit_in(
            r.scalar, ref.start, ref.end,
            f"{ref.text} is empty here: step '{step_id}' runs in the same parallel group, at the "
            "same time; read it after the group",
            subject, job=job.id, step=consumer,
        )  # fmt: skip
        return
    if consumer is not None and step.background and not _waited(job, step, consumer):
        yield hit_in(
            r.scalar, ref.start, ref.end,
            f"{ref.text} is empty here: step '{step_id}' runs in the background and no wait "
            f"covers it before this step (its outputs exist only after a wait); add "
            f"`- wait: {step_id}` before this step",
            subject, job=job.id, step=consumer,
        )  # fmt: skip
        return
    output = ref.part(2)
    if ref.part(1) != "outputs" or output is None:
        return
    if not isinstance(step, (RunStep, UsesStep)):
        return  # wait/cancel/parallel steps set no outputs; the id names a group or a marker
    if _never_sets(step, output, repo):
        what = (f"the action {step.uses.raw.split('@')[0]} has no output '{output}'"
                if isinstance(step, UsesStep) and step.uses is not None
                else f"its run: never writes '{output}=…' to $GITHUB_OUTPUT")  # fmt: skip
        yield hit_in(
            r.scalar, ref.start, ref.end,
            f"{ref.text} is always empty: step '{step_id}' does not set it ({what}); set the "
            "output there or read one it sets",
            subject, job=job.id, step=r.step,
        )  # fmt: skip


def _check_jobs(graph: JobGraph, r: Ref) -> Iterator[Hit]:
    ref = r.ref
    job_id, output = ref.part(0), ref.part(2)
    if job_id is None or ref.part(1) != "outputs" or output is None:
        return
    real = graph.job_named(job_id)
    if real is None:
        yield hit_in(r.scalar, ref.start, ref.end,
                     f"{ref.text} names job '{job_id}', which does not exist in this workflow; "
                     "the workflow output is always empty — fix the job id",
                     f"jobs:{r.key}:{ref.text}")  # fmt: skip
    elif _declared(graph, graph.jobs[real], output) is False:
        yield hit_in(r.scalar, ref.start, ref.end,
                     f"{ref.text} is always empty: job '{real}' declares no output '{output}'; "
                     "declare it, mapped to the step that sets it",
                     f"jobs:{r.key}:{ref.text}")  # fmt: skip


def check(ctx: RuleContext) -> Iterator[Hit]:
    facts = ctx.facts
    if facts is None:
        return
    graph = facts.graph
    for r in facts.refs:
        context = r.ref.context
        if r.job is None:
            if context == "jobs" and r.key.startswith("on.workflow_call.outputs"):
                yield from _check_jobs(graph, r)
            continue
        if context == "needs":
            yield from _check_needs(graph, r.job, r)
        elif context == "steps":
            yield from _check_steps(r.job, r, ctx.repo)


def _needs_edit(ctx: RuleContext, job: Job, other: str) -> list[Edit]:
    source = ctx.file.source
    if source is None:
        return []
    node = job.needs_node
    if node is None:
        first = job.node.entries[0][0] if job.node.entries else None
        lead = block_key_indent(source, first.span) if first is not None else None
        return [] if first is None or lead is None else [
            insert_before_line(source, first.line, f"{lead}needs: {other}\n")]
    if isinstance(node, Text):
        if node.style or node.is_null:
            return []
        return [replace_span(source, node.span, f"[{node.value}, {other}]")]
    if not isinstance(node, Seq) or not node.items:
        return []
    start = offset(source, node.span.line, node.span.column)
    end = offset(source, node.span.end_line, node.span.end_column)
    if source.text[start] == "[":
        if source.text[end - 1] != "]":
            return []
        return [Edit(end - 1, end - 1, f", {other}")]
    last = node.items[-1]
    if not isinstance(last, Text):
        return []
    prefix = source.line(last.line)[: last.column - 1]
    if not re.fullmatch(r"\s*-\s+", prefix) or last.span.end_line != last.line:
        return []
    return [insert_after_line(source, last.line, f"{prefix}{other}\n")]


def fix(ctx: RuleContext, finding: Finding) -> list[Edit]:
    """Add the job a ``needs.J.outputs.O`` reference names to the job's ``needs`` when J
    exists and runs before it only indirectly or not at all (never making a cycle)."""
    facts = ctx.facts
    if facts is None or finding.job is None or not finding.subject.startswith("needs:"):
        return []
    parts = finding.subject.rpartition(":")[2].split(".")
    job = facts.workflow.job(finding.job)
    other = facts.graph.job_named(parts[1]) if len(parts) > 1 else None
    if job is None or other is None or other == job.id or other in facts.graph.descendants(job.id):
        return []
    if other.lower() in {n.lower() for n in facts.graph.needs(job.id)}:
        return []
    return _needs_edit(ctx, job, other)


RULE = Rule(
    id="needs-output-unwired",
    severity="error",
    summary="A `needs`/`steps` output reference evaluates to the empty string.",
    what="""
Follows every `needs.J.outputs.O`, `steps.S.outputs.X` and (in reusable
workflows) `jobs.J.outputs.O` reference: J must be a *direct* need of the job
(the `needs` context holds nothing else), J must declare output O (for a local
reusable workflow, in its `on.workflow_call.outputs`), S must be the id of a
step of the same job that runs before the reference, and S must set X — a
`run:` that writes it to `$GITHUB_OUTPUT` (any common form), or an action
whose known outputs include it (a table of well-known actions, the
`action.yml` of local actions). Unknown actions and commands whose writes
cannot be seen get the benefit of the doubt. Points at the exact column of
the reference.
""",
    why="""
Every one of these mistakes evaluates to the empty string, silently: a promote
that sends an empty digest, a verify that compares against nothing. Runners
do not warn.
""",
    example="""
name: release
on:
  push:
    branches: [main]
permissions:
  contents: read
  packages: write
jobs:
  publish:
    runs-on: ubuntu-latest
    outputs:
      digest: ${{ steps.build.outputs.digest }}
    steps:
      - uses: docker/login-action@v3
        with: {registry: ghcr.io, username: '${{ github.actor }}', password: '${{ secrets.GITHUB_TOKEN }}'}
      - id: push
        uses: docker/build-push-action@v6
        with: {push: true, tags: 'ghcr.io/acme/app:latest'}
  promote:
    needs: publish
    runs-on: ubuntu-latest
    env:
      TOKEN: ${{ secrets.CP_ADMIN_API_TOKEN }}
      DIGEST: ${{ needs.publish.outputs.digest }}
    steps:
      - name: Pin the digest on the control plane
        run: |
          curl --fail-with-body -sS -X POST -H "Authorization: Bearer $TOKEN" \\
            -d "digest=$DIGEST" https://cp.example.com/promote
  verify:
    needs: [publish, promote]
    runs-on: ubuntu-latest
    steps:
      - name: Read the pin back
        env:
          DIGEST: ${{ needs.publish.outputs.digest }}
        run: test "$(curl --fail-with-body -sS https://cp.example.com/pin)" = "$DIGEST"
""",
    use_instead="""
name: release
on:
  push:
    branches: [main]
permissions:
  contents: read
  packages: write
jobs:
  publish:
    runs-on: ubuntu-latest
    outputs:
      digest: ${{ steps.push.outputs.digest }}
    steps:
      - uses: docker/login-action@v3
        with: {registry: ghcr.io, username: '${{ github.actor }}', password: '${{ secrets.GITHUB_TOKEN }}'}
      - id: push
        uses: docker/build-push-action@v6
        with: {push: true, tags: 'ghcr.io/acme/app:latest'}
  promote:
    needs: publish
    runs-on: ubuntu-latest
    env:
      TOKEN: ${{ secrets.CP_ADMIN_API_TOKEN }}
      DIGEST: ${{ needs.publish.outputs.digest }}
    steps:
      - name: Pin the digest on the control plane
        run: |
          curl --fail-with-body -sS -X POST -H "Authorization: Bearer $TOKEN" \\
            -d "digest=$DIGEST" https://cp.example.com/promote
  verify:
    needs: [publish, promote]
    runs-on: ubuntu-latest
    steps:
      - name: Read the pin back
        env:
          DIGEST: ${{ needs.publish.outputs.digest }}
        run: test "$(curl --fail-with-body -sS https://cp.example.com/pin)" = "$DIGEST"
""",
    example_line=12,
    example_path='.github/workflows/release.yml',
    check=check,
    tags=("graph", "outputs", "correctness"),
    fix=fix,
    fix_docs="""
For a `needs.J.outputs.O` reference to a job J that exists but is not a direct
need, adds J to the job's `needs` (a scalar becomes a list, a flow list gains
`, J`, a block list gains `- J`, a job without `needs` gets `needs: J`), unless
that would make a cycle. A reference to a job or output that does not exist
is left for a person.
""",
)
