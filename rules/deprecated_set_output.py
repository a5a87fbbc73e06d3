"""deprecated-set-output: a step sets an output with the `::set-output` workflow command."""

from __future__ import annotations

import re
from collections.abc import Iterator

from auditor.edits import Edit, offset
from auditor.findings import Finding, Hit, hit_in
from auditor.model import RunStep
from auditor.rule import Rule, RuleContext


def check(ctx: RuleContext) -> Iterator[Hit]:
    workflow = ctx.workflow
    if workflow is None:
        return
    for job in workflow.jobs:
        for step in job.flat_steps:
            run = step.run if isinstance(step, RunStep) else None
            if run is None or "set-output" not in run.value:
                continue
            # imported on first use: a run answered from the cache needs no shell parser
            from auditor.scripts.shell import github_output_writes

            for write in github_output_writes(run.value):
                if not write.deprecated:
                    continue
                yield hit_in(
                    run, write.start, write.end,
                    f"step '{step.label}' sets output '{write.name}' with the deprecated "
                    "`::set-output` command, which GitHub has announced it will disable and "
                    "runners that disable it leave the output empty; write it to "
                    f"$GITHUB_OUTPUT instead: `echo \"{write.name}=…\" >> \"$GITHUB_OUTPUT\"`",
                    f"set-output:{write.name}",
                    job=None if job.id == "(composite)" else job.id,
                    step=step,
                )  # fmt: skip


_ECHO = re.compile(r"^(?P<lead>[ \t]*|.*(?:&&|\|\||;)[ \t]*)echo[ \t]+(?P<q>[\"']?)::set-output[ \t]+"
                   r"name=(?P<name>[\w.-]+)::(?P<value>[^\n]*?)(?P=q)(?P<tail>[ \t]+#[^\n]*)?[ \t]*$")
# Scalar styles the new text can be written into as it is: a literal block, a plain or a
# single-quoted scalar (it adds double quotes, never a single quote, ": " or " #").
_STYLES = ("|", "", "'")


def fix(ctx: RuleContext, finding: Finding) -> list[Edit]:
    """Rewrite ``echo "::set-output name=N::V"`` ending a line (alone, or after ``&&``,
    ``||`` or ``;``) as ``echo "N=V" >> "$GITHUB_OUTPUT"``, in a ``run: |`` block or a
    one-line plain or single-quoted ``run``; any other form is left for a person."""
    workflow, source = ctx.workflow, ctx.file.source
    if workflow is None or source is None or finding.step is None:
        return []
    job = workflow.job(finding.job or "(composite)")
    step = job.step_at(finding.step.index) if job is not None else None
    run = step.run if isinstance(step, RunStep) else None
    if run is None or run.style not in _STYLES or (run.style != "|" and run.span.end_line != run.line):
        return []
    from auditor.scripts.shell import github_output_writes

    for write in github_output_writes(run.value):
        if not write.deprecated or run.position_of(write.start) != (finding.line, finding.column):
            continue
        first = run.value.rfind("\n", 0, write.start) + 1
        last = run.value.find("\n", write.start)
        last = len(run.value) if last < 0 else last
        match = _ECHO.match(run.value[first:last])
        if match is None or match["name"] != write.name:
            return []
        quote = match["q"]
        new = (f'{match["lead"]}echo {quote}{match["name"]}={match["value"]}{quote} >> "$GITHUB_OUTPUT"'
               f'{match["tail"] or ""}')
        (line, column), (end_line, end_column) = run.position_of(first), run.position_of(last)
        start, end = offset(source, line, column), offset(source, end_line, end_column)
        if source.text[start:end] != run.value[first:last]:
            return []  # the block's text is not the file's here (an escape): leave it
        return [Edit(start, end, new)]
    return []


RULE = Rule(
    id="deprecated-set-output",
    severity="note",
    summary="`::set-output` is deprecated; runners that disable it leave the output empty.",
    what="""
Reports each `::set-output name=…::` workflow command in a `run:` body (of a
workflow or a local composite action), at its exact column.
""",
    why="""
GitHub deprecated the `set-output` and `save-state` commands in favour of the
`$GITHUB_OUTPUT` and `$GITHUB_STATE` files; runners that disable them leave the
output empty, and an empty digest downstream is a promote of nothing.
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
      - uses: actions/checkout@v4
      - id: push
        run: |
          docker buildx build --push -t ghcr.io/acme/app:latest --metadata-file meta.json .
          digest=$(jq -r '."containerimage.digest"' meta.json)
          echo "::set-output name=digest::$digest"
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
      - uses: actions/checkout@v4
      - id: push
        run: |
          docker buildx build --push -t ghcr.io/acme/app:latest --metadata-file meta.json .
          digest=$(jq -r '."containerimage.digest"' meta.json)
          echo "digest=$digest" >> "$GITHUB_OUTPUT"
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
    example_line=21,
    example_path='.github/workflows/release.yml',
    check=check,
    kinds=frozenset({"workflow", "action"}),
    tags=("outputs",),
    fix=fix,
    fix_docs="""
Rewrites `echo "::set-output name=NAME::VALUE"` at the end of a line (alone,
or after `&&`, `||` or `;`) as `echo "NAME=VALUE" >> "$GITHUB_OUTPUT"`, keeping
its quoting, in a `run: |` block or a one-line plain or single-quoted `run`;
other forms (a computed name, a double-quoted YAML string) are left for a person.
""",
)
