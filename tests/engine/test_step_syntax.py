"""The June 2026 step syntax and the key check, through the real CLI.

``parallel:`` groups, ``background: true``, ``wait``, ``wait-all`` and
``cancel`` are steps like any other: the steps inside a group are checked by
every rule, and a workflow made of them is clean. Every top-level, job and
step key is checked against the workflow schema; an unknown one is a
``workflow-structure`` error at its own line that names the nearest key.
"""

from __future__ import annotations

import textwrap
from typing import Any

from tests.conftest import check_json, workflow

# The seed incident's promote step (continue-on-error and a curl without
# --fail), wrapped in a parallel group: it must be caught exactly as unwrapped.
_HEAD = """
on: push
permissions:
  contents: read
jobs:
  publish:
    runs-on: ubuntu-latest
    outputs:
      digest: ${{ steps.push.outputs.digest }}
    steps:
      - id: push
        uses: docker/build-push-action@v6
        with:
          push: true
          tags: ghcr.io/acme/api:latest
"""
_STEPS = """\
- name: Record the build
  run: echo built
- name: Promote image (best effort)
  continue-on-error: true
  env:
    DIGEST: ${{ steps.push.outputs.digest }}
    TOKEN: ${{ secrets.CP_ADMIN_API_TOKEN }}
  run: |
    curl -sS -X POST "https://cp.example.com/promote" -d "$DIGEST"
"""
INCIDENT_IN_PARALLEL = _HEAD + "      - parallel:\n" + textwrap.indent(_STEPS, " " * 10)
INCIDENT_PLAIN = _HEAD + textwrap.indent(_STEPS, " " * 6)


def _rules_at(found: list[dict[str, Any]]) -> set[tuple[str, int]]:
    return {(f["rule"], f["line"]) for f in found}


def test_a_promote_step_inside_a_parallel_group_is_checked_like_a_plain_one(repo) -> None:  # type: ignore[no-untyped-def]
    grouped = check_json(repo(workflow(INCIDENT_IN_PARALLEL), name="grouped")).findings()
    plain = check_json(repo(workflow(INCIDENT_PLAIN), name="plain")).findings()
    grouped_rules = {f["rule"] for f in grouped}
    assert "continue-on-error-on-promote-path" in grouped_rules
    assert "swallowed-failure" in grouped_rules
    assert grouped_rules == {f["rule"] for f in plain}
    coe = next(f for f in grouped if f["rule"] == "continue-on-error-on-promote-path")
    assert coe["line"] == 19 and coe["column"] == 13
    assert "parallel group" in coe["message"]
    curl = next(f for f in grouped if f["rule"] == "swallowed-failure")
    assert curl["line"] == 24
    assert curl["step"] == {"index": 3, "id": None, "name": "Promote image (best effort)"}
    assert not [f for f in grouped if f["rule"] == "workflow-structure"]


CONCURRENT_STEPS = """
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - id: server
        run: npm start
        background: true
      - id: monitor
        uses: acme/monitor-action@v1
        background: true
      - run: npm test
      - wait: server
      - wait: [monitor]
      - parallel:
          - run: npm run lint
          - id: types
            run: echo "ok=true" >> "$GITHUB_OUTPUT"
      - run: echo "${{ steps.types.outputs.ok }}"
      - id: tail
        run: tail -f log.txt
        background: true
      - cancel: tail
      - name: Wait for everything
        wait-all:
"""


def test_a_workflow_of_background_wait_wait_all_and_cancel_steps_is_clean(repo) -> None:  # type: ignore[no-untyped-def]
    result = check_json(repo(workflow(CONCURRENT_STEPS)))
    assert result.findings() == []
    assert result.exit_code == 0


def test_wait_and_cancel_must_name_an_earlier_background_step(repo) -> None:  # type: ignore[no-untyped-def]
    text = """
    on: push
    jobs:
      test:
        runs-on: ubuntu-latest
        steps:
          - id: build
            run: make
          - wait: build
          - cancel: nothing
          - run: make check
            background: yes-please
    """
    found = check_json(repo(workflow(text))).findings("workflow-structure")
    got = {(f["line"], f["message"].split(" (")[0]) for f in found}
    assert (8, "job 'test': step '#2': 'wait: build' names no earlier background step of this job") in got
    assert (9, "job 'test': step '#3': 'cancel: nothing' names no earlier background step of this job") in got


def test_an_output_of_a_background_step_is_empty_until_a_wait_covers_it(repo) -> None:  # type: ignore[no-untyped-def]
    text = """
    on: push
    jobs:
      test:
        runs-on: ubuntu-latest
        steps:
          - id: probe
            run: echo "port=8080" >> "$GITHUB_OUTPUT"
            background: true
          - run: curl --fail "http://localhost:${{ steps.probe.outputs.port }}/"
          - wait: probe
          - run: curl --fail "http://localhost:${{ steps.probe.outputs.port }}/"
          - parallel:
              - id: a
                run: echo "v=1" >> "$GITHUB_OUTPUT"
              - run: echo "${{ steps.a.outputs.v }}"
          - run: echo "${{ steps.a.outputs.v }}"
    """
    found = check_json(repo(workflow(text))).findings("needs-output-unwired")
    assert [(f["line"], f["message"].split(":")[0]) for f in found] == [
        (9, "steps.probe.outputs.port is empty here"),
        (15, "steps.a.outputs.v is empty here"),
    ]
    assert "add `- wait: probe` before this step" in found[0]["message"]
    assert "same parallel group" in found[1]["message"]


def test_unknown_keys_at_every_level_name_the_nearest_valid_key(repo) -> None:  # type: ignore[no-untyped-def]
    text = """
    on: push
    permisions:
      contents: read
    jobs:
      build:
        runs-on: ubuntu-latest
        continue-on-errors: false
        steps:
          - uses: actions/checkout@v4
            repository: acme/other
          - run: make
            working-dir: src
      call:
        uses: ./.github/workflows/reusable.yml
        runs-on: ubuntu-latest
    """
    found = check_json(repo(workflow(text))).findings("workflow-structure")
    got = [(f["line"], f["column"], f["message"]) for f in found]
    assert [(line, col) for line, col, _m in got] == [(2, 1), (7, 5), (10, 9), (12, 9), (15, 5)]
    messages = [m for _l, _c, m in got]
    assert "unknown top-level key 'permisions'; did you mean 'permissions'?" in messages[0]
    assert "job 'build': unknown key 'continue-on-errors'; did you mean 'continue-on-error'?" in messages[1]
    assert "unknown key 'repository'" in messages[2] and "go under 'with:'" in messages[2]
    assert "did you mean 'working-directory'?" in messages[3]
    assert "reusable-workflow call" in messages[4] and "'runs-on'" in messages[4]


def test_a_run_block_cut_short_by_a_line_at_column_0_is_an_error(repo) -> None:  # type: ignore[no-untyped-def]
    text = (
        "on: push\n"
        "jobs:\n"
        "  promote:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - run: |\n"
        "          echo start\n"
        "echo \"digest: $DIGEST\"\n"
        "          curl --fail -X POST https://cp.example.com/promote\n"
    )
    result = check_json(repo({".github/workflows/ci.yml": text}))
    found = result.findings("workflow-structure")
    assert result.exit_code == 1
    assert [(f["line"], f["column"]) for f in found][:1] == [(8, 1)]
    assert "stray text at column 0" in found[0]["message"]
    assert "indent it" in found[0]["message"]


def test_the_schema_knows_the_new_step_keywords() -> None:
    from auditor.structure import syntax

    keys = syntax().step
    assert {"parallel", "background", "wait", "wait-all", "cancel"} <= keys
    assert "check-jsonschema" in syntax().source


def test_a_background_promote_that_nothing_waits_for_is_a_swallowed_failure(repo) -> None:  # type: ignore[no-untyped-def]
    text = """
    on: push
    jobs:
      deploy:
        runs-on: ubuntu-latest
        steps:
          - id: promote
            name: Promote the image
            run: curl --fail -X POST https://cp.example.com/promote
            background: true
          - run: make docs
    """
    found = check_json(repo(workflow(text))).findings("swallowed-failure")
    assert [(f["line"], f["step"]["id"]) for f in found] == [(9, "promote")]
    assert "no `wait` or `wait-all` covers it" in found[0]["message"]
    waited = text.replace("          - run: make docs\n", "          - run: make docs\n          - wait: promote\n")
    assert check_json(repo(workflow(waited), name="waited")).findings("swallowed-failure") == []
    every = text.replace("          - run: make docs\n", "          - run: make docs\n          - wait-all:\n")
    assert check_json(repo(workflow(every), name="every")).findings("swallowed-failure") == []
