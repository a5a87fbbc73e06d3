"""script-parse-error: a step's shell or Python code could not be parsed, so it was not analysed."""

from __future__ import annotations

from collections.abc import Iterator

from auditor import stepscripts
from auditor.findings import Hit
from auditor.rule import Rule, RuleContext


def check(ctx: RuleContext) -> Iterator[Hit]:
    return stepscripts.hits(ctx, stepscripts.PARSE_ERROR)


RULE = Rule(
    id="script-parse-error",
    severity="note",
    summary="A promote-path step's shell or Python code could not be parsed, so it was not analysed.",
    what="""
Reports code that `swallowed-failure` could not analyse because it does not
parse: a `run:` body (with its effective shell), Python embedded in it
(`python3 -c '…'`, `python - <<EOF`, `shell: python`), a repository script
the step runs, or a step of a local composite action it uses. The finding
points at the first syntax error. Statements of a shell body away from the
error are still analysed. Scope as for `swallowed-failure` (promote paths;
`scope: all` for every job).
""",
    why="""
Code that does not parse either fails at run time or relies on a shell
feature the parser does not know; either way its failures were not checked,
and a green `swallowed-failure` result would claim more than was proven.
""",
    example="""
jobs:
  promote:
    needs: publish
    runs-on: ubuntu-latest
    steps:
      - run: |
          if [ -n "$DIGEST" ]; then
            curl --fail -X POST "$CP_URL/promote" -d "$DIGEST"
          # missing `fi`
""",
    use_instead="""
jobs:
  promote:
    needs: publish
    runs-on: ubuntu-latest
    steps:
      - run: |
          if [ -n "$DIGEST" ]; then
            curl --fail -X POST "$CP_URL/promote" -d "$DIGEST"
          fi
""",
    check=check,
    tags=("promote-path", "scripts"),
    options=("scope",),
)
