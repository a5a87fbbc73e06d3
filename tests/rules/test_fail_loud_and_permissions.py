"""continue-on-error-on-promote-path, statuses-write-permission, permissions-not-declared."""

from __future__ import annotations

from typing import Any

from tests.conftest import workflow
from tests.rules.helpers import GOOD, col_of, line_of, scan, where

COE = "continue-on-error-on-promote-path"


def test_good_pipeline_is_clean(repo: Any) -> None:
    assert scan(repo(workflow(GOOD))) == []


def test_step_continue_on_error_on_promote_path(repo: Any) -> None:
    text = GOOD.replace(
        "      - run: |\n          curl --fail -X POST",
        "      - continue-on-error: true\n        run: |\n          curl --fail -X POST",
    )
    found = scan(repo(workflow(text)), COE)
    assert where(found) == [(COE, line_of(text, "continue-on-error: true"), 9)]
    assert "publish → promote → verify" in found[0]["message"]
    assert found[0]["job"] == "promote" and found[0]["step"]["index"] == 0


def test_job_level_expression_on_publish_and_verify(repo: Any) -> None:
    text = GOOD.replace(
        "  publish:\n    runs-on: ubuntu-latest\n",
        "  publish:\n    runs-on: ubuntu-latest\n    continue-on-error: ${{ matrix.experimental }}\n",
    ).replace(
        "  verify:\n    needs: [publish, promote]\n",
        "  verify:\n    needs: [publish, promote]\n    continue-on-error: true\n",
    )
    found = scan(repo(workflow(text)), COE)
    assert where(found) == [
        (COE, line_of(text, "continue-on-error: ${{"), 5),
        (COE, line_of(text, "continue-on-error: true"), 5),
    ]
    assert "expression" in found[0]["message"]


def test_false_and_off_path_are_fine_unless_scope_all(repo: Any) -> None:
    text = GOOD + """
  lint:
    runs-on: ubuntu-latest
    continue-on-error: true
    steps:
      - {run: make lint, continue-on-error: false}
"""
    root = repo(workflow(text))
    assert scan(root, COE) == []
    (root / ".auditor.yml").write_text(
        "version: 1\nrules:\n  continue-on-error-on-promote-path: {scope: all}\n", encoding="utf-8"
    )
    found = scan(root, COE)
    assert where(found) == [(COE, line_of(text, "    continue-on-error: true"), 5)]
    assert "scope: all" in found[0]["message"]


def test_gitea_job_level_note(repo: Any) -> None:
    text = GOOD.replace("  promote:\n    needs: publish\n",
                        "  promote:\n    needs: publish\n    continue-on-error: true\n")
    found = scan(repo({".gitea/workflows/release.yml": text}), COE)
    assert len(found) == 1 and "Gitea ignores job-level continue-on-error" in found[0]["message"]


def test_suppression_and_waiver(repo: Any) -> None:
    text = GOOD.replace(
        "      - run: |\n          curl --fail -X POST",
        "      # auditor: ignore[continue-on-error-on-promote-path] the endpoint is idempotent\n"
        "      - continue-on-error: true\n        run: |\n          curl --fail -X POST",
    )
    assert scan(repo(workflow(text)), COE) == []
    bare = text.replace("      # auditor: ignore[continue-on-error-on-promote-path] the endpoint is idempotent\n", "")
    root = repo({**workflow(bare), ".auditor.yml": """
        version: 1
        waivers:
          - rule: continue-on-error-on-promote-path
            path: .github/workflows/ci.yml
            job: promote
            reason: migrating next sprint
    """}, name="waived")  # fmt: skip
    assert scan(root, COE) == []


STATUSES = "statuses-write-permission"


def test_statuses_write_workflow_level(repo: Any) -> None:
    text = GOOD.replace("permissions:\n  contents: read\n",
                        "permissions:\n  contents: read\n  statuses: write\n")
    found = scan(repo(workflow(text)), STATUSES)
    assert where(found) == [(STATUSES, line_of(text, "statuses: write"), 3)]
    assert found[0]["end_column"] == 3 + len("statuses: write")


def test_write_all_job_level_flow_style_and_reusable_call(repo: Any) -> None:
    text = """
        on: push
        jobs:
          a: {runs-on: x, permissions: write-all, steps: [{run: make}]}
          b:
            permissions: {contents: read, statuses: write}
            uses: ./.github/workflows/other.yml
          c: {runs-on: x, permissions: read-all, steps: [{run: make}]}
    """
    other = "on: workflow_call\njobs:\n  t: {runs-on: x, steps: [{run: make test}]}\n"
    found = scan(repo({**workflow(text), ".github/workflows/other.yml": other}), STATUSES)
    assert where(found) == [
        (STATUSES, 3, col_of(text, "write-all")),
        (STATUSES, 5, col_of(text, "statuses: write")),
    ]
    assert [f["job"] for f in found] == ["a", "b"]
    # no release job here: unused grants are least-privilege warnings
    assert {f["severity"] for f in found} == {"warning"}


def test_job_blocks_replace_the_workflow_grant(repo: Any) -> None:
    text = """
        on: push
        permissions: {statuses: write}
        jobs:
          a: {runs-on: x, permissions: {contents: read}, steps: [{run: make}]}
    """
    assert scan(repo(workflow(text)), STATUSES) == []


def test_forbidden_scopes_come_from_policy(repo: Any) -> None:
    text = """
        on: push
        permissions: {statuses: write, contents: write}
        jobs:
          a: {runs-on: x, steps: [{run: make}]}
    """
    root = repo({**workflow(text), ".auditor.yml": "version: 1\npermissions:\n  forbidden: {contents: write}\n"})
    found = scan(root, STATUSES)
    assert [f["message"].split(" to ")[0] for f in found] == ["the workflow grants contents: write"]


def test_statuses_on_gitea_says_it_is_ignored_there(repo: Any) -> None:
    text = "on: push\npermissions: {statuses: write}\njobs:\n  a: {runs-on: x, steps: [{run: make}]}\n"
    found = scan(repo({".gitea/workflows/x.yml": text}), STATUSES)
    assert "Gitea ignores workflow and job permissions" in found[0]["message"]


PND = "permissions-not-declared"


def test_permissions_not_declared(repo: Any) -> None:
    text = GOOD.replace("permissions:\n  contents: read\n", "")
    found = scan(repo(workflow(text)), PND)
    assert where(found) == [(PND, line_of(text, "  promote:"), 3)]
    assert found[0]["severity"] == "warning"


def test_permissions_on_every_job_is_enough_and_name_only_needs_none(repo: Any) -> None:
    text = GOOD.replace("permissions:\n  contents: read\n", "").replace(
        "    runs-on: ubuntu-latest\n", "    runs-on: ubuntu-latest\n    permissions: {contents: read}\n")
    assert scan(repo(workflow(text)), PND) == []
    name_only = "on: push\njobs:\n  promote: {runs-on: x, steps: [{run: git push origin HEAD:main}]}\n"
    assert scan(repo(workflow(name_only), name="n"), PND) == []


def test_a_step_that_runs_only_on_failure_or_notifies_after_the_promote_is_not_flagged(repo: Any) -> None:
    """A failure() step, or any step after the promote that is neither a promote nor a
    verify (it runs only once the promote passed, or under always()), cannot turn a failed
    promotion green; continue-on-error on the promote step itself, or before it, still can."""
    text = """
        on: push
        jobs:
          promote:
            runs-on: ubuntu-latest
            steps:
              - name: Promote
                run: curl --fail -X POST "$CP/promote"
              - name: Tell chat it failed
                if: failure()
                continue-on-error: true
                run: curl -X POST "$CHAT" -d failed
              - name: Post a summary
                if: always()
                continue-on-error: true
                run: curl -X POST "$CHAT" -d done
              - name: Notify on every run
                if: ${{ always() }}
                continue-on-error: true
                run: echo done
    """
    found = scan(repo(workflow(text)), "continue-on-error-on-promote-path")
    assert found == []
    risky = text.replace("              - name: Promote\n",
                         "              - name: Prepare\n                continue-on-error: true\n"
                         "                run: make manifests\n              - name: Promote\n"
                         "                continue-on-error: true\n")
    found = scan(repo(workflow(risky), name="risky"), "continue-on-error-on-promote-path")
    assert [f["step"]["name"] for f in found] == ["Prepare", "Promote"]
