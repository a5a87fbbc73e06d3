"""The engine's own rules: each bad example at its exact place, each good one clean."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import check_json, run_cli, workflow


def test_needs_unknown_job_suggests_the_closest(repo) -> None:  # type: ignore[no-untyped-def]
    text = """
    on: push
    jobs:
      publish:
        runs-on: x
        steps: [{run: make}]
      deploy:
        needs: publsh
        runs-on: x
        steps: [{run: make}]
    """
    found = check_json(repo(workflow(text))).findings("needs-unknown-job")
    assert [(f["line"], f["column"], f["end_column"], f["job"]) for f in found] == [(7, 12, 18, "deploy")]
    assert "did you mean 'publish'?" in found[0]["message"]


def test_needs_cycle_names_the_cycle(repo) -> None:  # type: ignore[no-untyped-def]
    text = """
    on: push
    jobs:
      build:
        runs-on: x
        steps: [{run: make}]
      promote:
        needs: [build, verify]
        runs-on: x
        steps: [{run: make}]
      verify:
        needs: promote
        runs-on: x
        steps: [{run: make}]
    """
    found = check_json(repo(workflow(text))).findings("needs-cycle")
    assert len(found) == 1
    assert "promote → verify → promote" in found[0]["message"]
    assert (found[0]["line"], found[0]["column"]) == (11, 12)
    assert found[0]["job"] == "verify"


def test_self_need_is_a_cycle(repo) -> None:  # type: ignore[no-untyped-def]
    text = "on: push\njobs:\n  a:\n    needs: a\n    runs-on: x\n    steps: [{run: e}]\n"
    found = check_json(repo(workflow(text))).findings("needs-cycle")
    assert len(found) == 1 and "a → a" in found[0]["message"]


def test_acyclic_diamond_is_clean(repo) -> None:  # type: ignore[no-untyped-def]
    text = """
    on: push
    jobs:
      a: {runs-on: x, steps: [{run: e}]}
      b: {needs: a, runs-on: x, steps: [{run: e}]}
      c: {needs: a, runs-on: x, steps: [{run: e}]}
      d: {needs: [b, c], runs-on: x, steps: [{run: e}]}
    """
    assert check_json(repo(workflow(text))).findings() == []


def test_workflow_structure_cases(repo) -> None:  # type: ignore[no-untyped-def]
    text = """
    on: push
    jobs:
      empty-step:
        runs-on: x
        steps:
          - name: nothing here
      both:
        runs-on: x
        steps:
          - run: echo
            uses: actions/checkout@v4
      no-steps:
        runs-on: x
      not-a-map: 3
      bad-expr:
        runs-on: x
        steps:
          - run: echo ${{ github.sha
    """
    found = check_json(repo(workflow(text))).findings("workflow-structure")
    got = [(f["line"], f["column"], f["message"].split(";")[0]) for f in found]
    assert got == [
        (6, 9, "job 'empty-step': step 'nothing here' has neither 'run' nor 'uses'"),
        (10, 9, "job 'both': step '#1' has both 'run' and 'uses'"),
        (12, 3, "job 'no-steps' has neither 'steps' nor 'uses'"),
        (14, 14, "job 'not-a-map' is the int '3', not a mapping"),
        (18, 19, "unterminated '${{': the expression has no closing '}}', so the runner treats it "
                 "as an error or as literal text"),
    ]


def test_jobs_missing_or_wrong_type(repo) -> None:  # type: ignore[no-untyped-def]
    root = repo({
        ".github/workflows/a.yml": "on: push\n",
        ".github/workflows/b.yml": "on: push\njobs: [a, b]\n",
    })  # fmt: skip
    found = check_json(root).findings("workflow-structure")
    assert [(f["path"], f["line"], f["column"]) for f in found] == [
        (".github/workflows/a.yml", 1, 1),
        (".github/workflows/b.yml", 2, 7),
    ]


def test_parse_error_points_at_the_fault(repo) -> None:  # type: ignore[no-untyped-def]
    text = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo: bad: yaml\n"
    found = check_json(repo(workflow(text))).findings("parse-error")
    assert [(f["line"], f["column"]) for f in found] == [(6, 18)]


def test_suppression_with_reason_suppresses_and_is_counted(repo) -> None:  # type: ignore[no-untyped-def]
    text = """
    on: push
    jobs:
      deploy:
        # auditor: ignore[needs-unknown-job] the build job lives in a template we include
        needs: build
        runs-on: x
        steps: [{run: make}]
    """
    result = check_json(repo(workflow(text)))
    assert result.findings() == []
    assert result.json()["summary"]["suppressed"] == 1


def test_suppression_on_the_same_line(repo) -> None:  # type: ignore[no-untyped-def]
    text = """
    on: push
    jobs:
      deploy:
        needs: build  # auditor: ignore[needs-unknown-job] provided by the caller
        runs-on: x
        steps: [{run: make}]
    """
    assert check_json(repo(workflow(text))).findings() == []


def test_suppression_without_reason_suppresses_nothing(repo) -> None:  # type: ignore[no-untyped-def]
    text = """
    on: push
    jobs:
      deploy:
        needs: build  # auditor: ignore[needs-unknown-job]
        runs-on: x
        steps: [{run: make}]
    """
    result = check_json(repo(workflow(text)))
    rules = [(f["rule"], f["line"], f["column"], f["severity"]) for f in result.findings()]
    assert rules == [("needs-unknown-job", 4, 12, "error"),
                     ("suppression-without-reason", 4, 19, "note")]


def test_suppression_of_another_rule_does_not_apply(repo) -> None:  # type: ignore[no-untyped-def]
    text = """
    on: push
    jobs:
      deploy:
        needs: build  # auditor: ignore[needs-cycle] wrong rule named
        runs-on: x
        steps: [{run: make}]
    """
    assert [f["rule"] for f in check_json(repo(workflow(text))).findings()] == ["needs-unknown-job"]


def _policy(root: Path, text: str) -> None:
    (root / ".auditor.yml").write_text(text)


def test_waiver_suppresses_until_it_expires(repo) -> None:  # type: ignore[no-untyped-def]
    text = "on: push\njobs:\n  deploy:\n    needs: build\n    runs-on: x\n    steps: [{run: e}]\n"
    root = repo(workflow(text))
    _policy(root, """version: 1
waivers:
  - rule: needs-unknown-job
    path: .github/workflows/ci.yml
    job: deploy
    reason: build comes from the shared template
    until: 2999-01-01
""")
    assert check_json(root).findings() == []
    _policy(root, """version: 1
waivers:
  - rule: needs-unknown-job
    path: .github/workflows/*.yml
    reason: build comes from the shared template
    until: 2020-01-01
""")
    assert [f["rule"] for f in check_json(root).findings()] == ["needs-unknown-job"]
    _policy(root, """version: 1
waivers:
  - rule: needs-unknown-job
    path: .github/workflows/ci.yml
    job: other-job
    reason: only for another job
""")
    assert [f["rule"] for f in check_json(root).findings()] == ["needs-unknown-job"]


def test_policy_severity_override_and_off(repo) -> None:  # type: ignore[no-untyped-def]
    text = "on: push\njobs:\n  deploy:\n    needs: build\n    runs-on: x\n    steps: [{run: e}]\n"
    root = repo(workflow(text))
    _policy(root, "version: 1\nrules:\n  needs-unknown-job: warning\n")
    result = check_json(root)
    assert result.exit_code == 0
    assert [f["severity"] for f in result.findings()] == ["warning"]
    assert check_json(root, extra=("--fail-on", "warning")).exit_code == 1
    _policy(root, "version: 1\nrules:\n  needs-unknown-job: {severity: 'off'}\n")
    assert check_json(root).findings() == []
    assert check_json(root, extra=("--no-policy",)).exit_code == 1


def test_fingerprint_survives_lines_inserted_above(repo) -> None:  # type: ignore[no-untyped-def]
    text = "on: push\njobs:\n  deploy:\n    needs: build\n    runs-on: x\n    steps: [{run: e}]\n"
    before = check_json(repo(workflow(text), "a")).findings()[0]
    shifted = text.replace("jobs:\n", "env:\n  A: 1\n  B: 2\njobs:\n  other:\n    runs-on: x\n    steps: [{run: e}]\n")
    after = check_json(repo(workflow(shifted), "b")).findings()[0]
    assert after["line"] != before["line"]
    assert after["fingerprint"] == before["fingerprint"]


def test_findings_are_sorted_and_deterministic(repo) -> None:  # type: ignore[no-untyped-def]
    root = repo({
        ".github/workflows/b.yml": "on: push\njobs:\n  x:\n    needs: [q, p]\n    runs-on: x\n    steps: [{run: e}]\n",
        ".github/workflows/a.yml": "on: push\njobs: 3\n",
    })  # fmt: skip
    first = check_json(root).stdout
    assert first == check_json(root).stdout
    found = check_json(root).findings()
    keys = [(f["path"], f["line"], f["column"], f["rule"]) for f in found]
    assert keys == sorted(keys)


def test_file_too_large_limit_comes_from_the_policy(repo) -> None:  # type: ignore[no-untyped-def]
    text = "on: push\njobs:\n  a:\n    runs-on: x\n    steps: [{run: e}]\n" + "#" * 2000 + "\n"
    root = repo(workflow(text))
    _policy(root, "version: 1\nlimits:\n  max_file_bytes: 1000\n")
    found = check_json(root).findings()
    assert [f["rule"] for f in found] == ["file-too-large"]
    assert "over the 1,000-byte limit" in found[0]["message"]


def test_bidi_control_character(repo) -> None:  # type: ignore[no-untyped-def]
    text = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo ok # \u202e } ;exit 0 {\n"
    found = check_json(repo(workflow(text))).findings("bidi-control-character")
    assert [(f["line"], f["column"]) for f in found] == [(6, 24)]


def test_explain_covers_every_rule() -> None:
    ids = [line.split()[0] for line in run_cli("rules").stdout.splitlines()]
    for rule_id in ids:
        docs = run_cli("explain", rule_id).stdout
        assert docs.startswith(f"# {rule_id}\n")
        assert "## Use instead" in docs
