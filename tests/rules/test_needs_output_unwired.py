"""needs-output-unwired: every output reference reads something."""

from __future__ import annotations

from typing import Any

from tests.conftest import workflow
from tests.rules.helpers import col_of, line_of, scan, where

RULE = "needs-output-unwired"

BASE = """
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    outputs:
      digest: ${{ steps.push.outputs.digest }}
      version: ${{ steps.ver.outputs.version }}
    steps:
      - id: ver
        run: |
          echo "version=1.2" >> "$GITHUB_OUTPUT"
          printf 'sha=%s\\n' "$GITHUB_SHA" >> $GITHUB_OUTPUT
          echo "notes<<EOF" | tee -a "$GITHUB_OUTPUT"
      - id: push
        uses: docker/build-push-action@v6
        with: {push: true, tags: "x:${{ steps.ver.outputs.version }}"}
  mid:
    needs: build
    runs-on: ubuntu-latest
    steps: [{run: "echo ${{ needs.build.outputs.version }}"}]
  last:
    needs: [mid]
    runs-on: ubuntu-latest
    steps:
      - run: echo "${{ needs.build.outputs.digest }}"
"""


def test_transitive_need_is_not_in_context(repo: Any) -> None:
    found = scan(repo(workflow(BASE)), RULE)
    line = line_of(BASE, 'echo "${{ needs.build.outputs.digest }}"')
    assert where(found) == [(RULE, line, col_of(BASE, "needs.build.outputs.digest", 0))]
    assert "add build to needs" in found[0]["message"]
    assert found[0]["end_column"] - found[0]["column"] == len("needs.build.outputs.digest")


def test_fixed_by_adding_the_need_string_or_list(repo: Any) -> None:
    assert scan(repo(workflow(BASE.replace("needs: [mid]", "needs: [mid, build]"))), RULE) == []
    one = BASE.replace("needs: [mid]", "needs: build")
    assert scan(repo(workflow(one), name="s"), RULE) == []


def test_undeclared_output_unknown_job_and_missing_step(repo: Any) -> None:
    text = BASE.replace("needs: [mid]", "needs: [mid, build]").replace(
        'echo "${{ needs.build.outputs.digest }}"',
        'echo "${{ needs.build.outputs.digets }} ${{ needs.nope.result }}"',
    ).replace("version: ${{ steps.ver.outputs.version }}", "version: ${{ steps.vers.outputs.version }}")
    found = scan(repo(workflow(text)), RULE)
    msgs = [f["message"] for f in found]
    assert where(found)[0] == (RULE, line_of(text, "steps.vers"), col_of(text, "steps.vers"))
    assert "no step with id 'vers'" in msgs[0]
    assert "declares no output 'digets'" in msgs[1] and "(it has: digest, version)" in msgs[1]
    assert "names job 'nope'" in msgs[2]


def test_step_output_typo_and_action_outputs(repo: Any) -> None:
    text = BASE.replace("needs: [mid]", "needs: [mid, build]").replace(
        "steps.push.outputs.digest", "steps.push.outputs.digset").replace(
        'tags: "x:${{ steps.ver.outputs.version }}"', 'tags: "x:${{ steps.ver.outputs.verison }}"')
    found = scan(repo(workflow(text)), RULE)
    assert where(found) == [
        (RULE, line_of(text, "digset"), col_of(text, "steps.push.outputs.digset")),
        (RULE, line_of(text, "verison"), col_of(text, "steps.ver.outputs.verison")),
    ]
    assert "docker/build-push-action has no output 'digset'" in found[0]["message"]
    assert "never writes 'verison=…'" in found[1]["message"]


def test_step_read_before_it_runs(repo: Any) -> None:
    text = """
        on: push
        jobs:
          a:
            runs-on: x
            steps:
              - run: echo ${{ steps.later.outputs.x }}
              - {id: later, run: 'echo "x=1" >> "$GITHUB_OUTPUT"'}
    """
    found = scan(repo(workflow(text)), RULE)
    assert where(found) == [(RULE, 6, col_of(text, "steps.later"))]
    assert "runs after this one" in found[0]["message"]


def test_benefit_of_the_doubt(repo: Any) -> None:
    text = """
        on: push
        jobs:
          a:
            runs-on: x
            outputs:
              o1: ${{ steps.unknown.outputs.anything }}
              o2: ${{ steps.script.outputs.anything }}
              o3: ${{ steps.gh.outputs.anything }}
              o4: ${{ steps.setup.outputs.whatever }}
            steps:
              - {id: unknown, uses: someone/action@v1}
              - {id: script, run: ./ci/compute.sh}
              - id: gh
                uses: actions/github-script@v7
                with: {script: "core.setOutput('anything', 1)"}
              - {id: setup, uses: actions/setup-ruby@v1}
    """
    assert scan(repo(workflow(text)), RULE) == []


def test_if_condition_and_flow_style_columns(repo: Any) -> None:
    text = """
        on: push
        jobs:
          a: {runs-on: x, outputs: {v: '${{ steps.s.outputs.v }}'},
              steps: [{id: s, run: 'echo "v=1" >> $GITHUB_OUTPUT'}]}
          b: {runs-on: x, needs: a, if: needs.a.outputs.w == 'x', steps: [{run: make}]}
    """
    found = scan(repo(workflow(text)), RULE)
    assert where(found) == [(RULE, 5, col_of(text, "needs.a.outputs.w"))]


def test_local_reusable_workflow_outputs(repo: Any) -> None:
    root = repo({
        ".github/workflows/main.yml": """
            on: push
            jobs:
              build: {uses: ./.github/workflows/build.yml}
              use:
                needs: build
                runs-on: x
                steps: [{run: "echo ${{ needs.build.outputs.digest }} ${{ needs.build.outputs.tag }}"}]
        """,
        ".github/workflows/build.yml": """
            on:
              workflow_call:
                outputs:
                  digest: {value: '${{ jobs.b.outputs.digest }}'}
                  other: {value: '${{ jobs.b.outputs.nothing }}'}
            jobs:
              b:
                runs-on: x
                outputs: {digest: '${{ steps.p.outputs.digest }}'}
                steps: [{id: p, uses: docker/build-push-action@v6, with: {push: true}}]
        """,
    })  # fmt: skip
    found = scan(root, RULE)
    got = [(f["path"].rsplit("/", 1)[1], f["line"], f["message"].split(" is ")[0]) for f in found]
    assert got == [("build.yml", 5, "${{ jobs.b.outputs.nothing }}".strip("${} ")),
                   ("main.yml", 7, "needs.build.outputs.tag")]


def test_spelled_finds_what_the_regex_it_replaced_finds() -> None:
    """``_spelled`` stands for ``(?<![\\w-])NAME\\s*(?:=|<<)`` (ignoring case) without a
    compile per output name: the two agree on every name and text here."""
    import itertools
    import re

    from auditor.rules.needs_output_unwired import _spelled

    names = ["digest", "image-tag", "v", "a.b", "Digest", "x_1"]
    texts = [
        "digest=1", "DIGEST = 1", "echo digest<<EOF", "my-digest=1", "mydigest=1", "_digest=1",
        "(digest=1)", "digest:1", "digest", "digest =\n", "digest\t<< x", "digest<x", "é digest=",
        "édigest=", "image-tag=2", "image_tag=2", "a.b=1", "axb=1", "v=1 v <<", "x_1  =", "2x_1=",
        "digestdigest=", "digest digest=", "",
    ]  # fmt: skip
    for name, text in itertools.product(names, texts):
        want = re.search(rf"(?<![\w-]){re.escape(name)}\s*(?:=|<<)", text, re.IGNORECASE) is not None
        assert _spelled(name, text) is want, (name, text)
