"""deprecated-set-output: the ::set-output command, at its exact column."""

from __future__ import annotations

from typing import Any

from tests.conftest import workflow
from tests.rules.helpers import scan, where

RULE = "deprecated-set-output"


def test_set_output_is_a_note_at_the_name(repo: Any) -> None:
    text = """
        on: push
        jobs:
          a:
            runs-on: x
            steps:
              - id: v
                run: |
                  echo "::set-output name=version::1.2"
              - run: echo ${{ steps.v.outputs.version }}
    """
    found = scan(repo(workflow(text)), RULE, "needs-output-unwired")
    line = text.splitlines()[8]
    assert where(found) == [(RULE, 8, line.index("version") - 8 + 1)]
    assert found[0]["severity"] == "note"
    assert '>> "$GITHUB_OUTPUT"' in found[0]["message"]


def test_github_output_is_fine(repo: Any) -> None:
    text = "on: push\njobs:\n  a: {runs-on: x, steps: [{run: 'echo \"v=1\" >> \"$GITHUB_OUTPUT\"'}]}\n"
    assert scan(repo(workflow(text)), RULE) == []
