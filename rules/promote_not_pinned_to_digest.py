"""promote-not-pinned-to-digest: an artifact promote does not consume the pushed digest."""

from __future__ import annotations

import re
from collections.abc import Iterator

from auditor.findings import Hit, hit, hit_in
from auditor.kinds import Role
from auditor.model import ActionStep, Job, RunStep, Text, texts
from auditor.roles.digests import digest_origins
from auditor.roles.reasons import RoleReason
from auditor.rule import Rule, RuleContext

# a tag as written: a word, or a variable or expression that makes one (`:$tag`, `:${{ … }}`)
_A_TAG = re.compile(r":[\w$].*", re.DOTALL)
_MUTABLE_TAG = re.compile(r":(?:latest|main|master|stable|edge|nightly|prod|production|staging)\b")


def _values(step: ActionStep) -> list[Text]:
    if isinstance(step, RunStep):
        return [step.run] if step.run is not None else []
    return list(texts(step.with_))


def _tag_in(steps: list[ActionStep]) -> tuple[Text, re.Match[str], ActionStep] | None:
    for step in steps:
        for value in _values(step):
            m = _MUTABLE_TAG.search(value.value)
            if m:
                return value, m, step
    return None


def _catalogue_tag(steps: list[ActionStep], reasons: list[RoleReason]) -> tuple[Text, re.Match[str], ActionStep] | None:
    """The tag in the image reference a catalogue promote moves, located in its step."""
    for reason in reasons:
        image = reason.image
        if image is None or ":" not in image.rsplit("/", 1)[-1]:
            continue
        tag = ":" + image.rsplit("/", 1)[-1].split(":", 1)[1]
        if not _A_TAG.match(tag):
            continue  # not an image reference with a tag (a payload word such as '{"image":')
        step = next((s for s in steps if s.index == reason.step), None)
        if step is None:
            continue
        for value in _values(step):
            at = value.value.find(image)
            if at >= 0:
                m = re.compile(re.escape(tag)).search(value.value, at)
                if m is not None:
                    return value, m, step
    return None


def _where(job: Job, steps: list[ActionStep]) -> tuple[Text, ActionStep | None]:
    for step in steps:
        key = step.node.key("run") if isinstance(step, RunStep) else step.node.key("uses")
        if key is not None:
            return key, step
    return job.key, None


def check(ctx: RuleContext) -> Iterator[Hit]:
    facts = ctx.facts
    if facts is None:
        return
    graph = facts.graph
    for job in facts.workflow.jobs:
        if job.id not in facts.artifact_promotes or job.is_reusable_call:
            continue  # a called workflow is checked in its own file
        if digest_origins(graph, facts.refs, job.id, ctx.policy):
            continue
        steps = facts.promote_steps(job) or list(job.action_steps())
        reasons = [r for s in steps if (r := facts.roles.steps.get((job.id, s.index), {}).get(Role.PROMOTE))]
        if any(r.pinned for r in reasons):
            continue  # the promote names a digest itself (…@sha256:…)
        publisher = facts.nearest_publisher(job.id)
        if publisher:
            fix_tag = f"promote the digest just pushed instead: `${{{{ needs.{publisher}.outputs.digest }}}}`"
            fix = f"pass it `${{{{ needs.{publisher}.outputs.digest }}}}` and promote that"
        else:  # nothing in this workflow pushed it: the tag names someone else's build
            fix_tag = fix = ("resolve the tag to its digest once (`crane digest`, `skopeo inspect "
                             "--format '{{.Digest}}'`) and promote that digest")
        path = facts.describe_path(job.id)
        tag = _catalogue_tag(steps, reasons) or _tag_in(steps)
        if tag is not None:
            value, m, step = tag
            yield hit_in(
                value, m.start(), m.end(),
                f"promote job '{job.id}' (path {path}) promotes the mutable tag "
                f"'{m.group(0)}', which may already point at another build; {fix_tag}",
                "tag", job=job.id, step=step,
            )  # fmt: skip
            continue
        node, step_ref = _where(job, steps)
        yield hit(
            node,
            f"promote job '{job.id}' (path {path}) consumes no digest, so it promotes "
            f"whatever a tag points to when it runs; {fix}",
            "no-digest",
            job=job.id,
            step=step_ref,
        )


RULE = Rule(
    id="promote-not-pinned-to-digest",
    severity="error",
    summary="A promote does not consume the digest of the image that was pushed.",
    what="""
Reports each artifact promote job that reads no digest: no `needs.J.outputs.O`,
`steps.S.outputs.O` or `inputs.O` whose output is a digest (named in the
policy's `publish.digest_outputs` or containing `digest`, followed through job
outputs to the step that set it), directly or through `env`. When a promote
step names a mutable tag (`:latest`, `:main`, ...) the finding points at it.
""",
    why="""
Between the push and the promote another build can move the tag; promoting the
tag pins whatever it points to now. The digest identifies exactly the image
that was built, tested and pushed.
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
    steps:
      - name: Pin the digest on the control plane
        run: |
          curl --fail-with-body -sS -X POST -H "Authorization: Bearer $TOKEN" \\
            -d "image=ghcr.io/acme/app:latest" https://cp.example.com/promote
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
    example_line=28,
    example_path='.github/workflows/release.yml',
    check=check,
    tags=("promote", "digest"),
)
