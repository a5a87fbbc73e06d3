"""Roles through `auditor graph --format json` and the JSON summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import run_cli, workflow
from tests.rules.helpers import GOOD, scan


def roles_of(root: Path, *extra: str) -> dict[str, list[str]]:
    run = run_cli("graph", str(root), "--format", "json", *extra)
    assert run.exit_code == 0, run.stderr
    graphs: list[dict[str, Any]] = __import__("json").loads(run.stdout)
    return {job["id"]: job["roles"] for g in graphs for job in g["jobs"]}


def test_good_pipeline_roles(repo: Any) -> None:
    assert roles_of(repo(workflow(GOOD))) == {
        "publish": ["publish"], "promote": ["promote"], "verify": ["verify"],
    }  # fmt: skip


def test_publish_by_action_command_and_expression(repo: Any) -> None:
    root = repo(workflow("""
        on: push
        jobs:
          a: {runs-on: x, steps: [{uses: docker/build-push-action@v6, with: {push: true}}]}
          b: {runs-on: x, steps: [{uses: docker/build-push-action@v6, with: {push: false}}]}
          c: {runs-on: x, steps: [{uses: docker/build-push-action@v6}]}
          d: {runs-on: x, steps: [{uses: docker/build-push-action@v6,
                                   with: {push: "${{ github.event_name != 'pull_request' }}"}}]}
          e: {runs-on: x, steps: [{run: "docker build -t x .\\ndocker push x"}]}
          f: {runs-on: x, steps: [{run: "crane copy a b"}]}
          g: {runs-on: x, steps: [{run: "# docker push is done elsewhere\\necho hi"}]}
          h: {runs-on: x, steps: [{run: "skopeo copy a b && oras push r f"}]}
    """))  # fmt: skip
    roles = roles_of(root)
    assert {j for j, r in roles.items() if "publish" in r} == {"a", "d", "e", "h"}
    # a registry-to-registry copy moves a channel: a promote (DESIGN.md, "Roles"), not a push
    assert roles["f"] == ["promote"]


def test_promote_by_name_endpoint_and_action(repo: Any) -> None:
    root = repo({
        ".github/workflows/ci.yml": """
            on: push
            jobs:
              promote-prod: {runs-on: x, steps: [{run: make}]}
              by-step: {runs-on: x, steps: [{name: Promote the image, run: make}]}
              by-endpoint: {runs-on: x, steps: [{run: 'curl --fail -X POST "$CP_URL/api/promote"'}]}
              script-path: {runs-on: x, steps: [{run: './scripts/promote.sh && curl --fail https://x'}]}
              by-action: {runs-on: x, steps: [{uses: acme/promote-action@v1}]}
              other: {runs-on: x, steps: [{run: make}]}
        """,
        ".auditor.yml": "version: 1\nroles:\n  promote: {uses: [acme/promote-action]}\n",
    })  # fmt: skip
    roles = roles_of(root)
    promoted = {j for j, r in roles.items() if "promote" in r}
    assert promoted == {"promote-prod", "by-step", "by-endpoint", "by-action"}


def test_verify_by_name_and_script_not_by_step_name(repo: Any) -> None:
    root = repo({
        ".github/workflows/ci.yml": """
            on: push
            jobs:
              verify-pin: {runs-on: x, steps: [{run: make}]}
              check: {runs-on: x, steps: [{run: bash ci/check-pin.sh prod}]}
              build: {runs-on: x, steps: [{name: Verify Docker daemon access, run: docker info}]}
        """,
        ".auditor.yml": "version: 1\nroles:\n  verify: {scripts: [ci/check-pin.sh]}\n",
    })  # fmt: skip
    roles = roles_of(root)
    assert roles == {"verify-pin": ["verify"], "check": ["verify"], "build": []}


def test_reusable_workflow_call_takes_the_callee_roles(repo: Any) -> None:
    root = repo({
        ".github/workflows/release.yml": """
            on: push
            jobs:
              build: {runs-on: x, steps: [{run: docker push x}]}
              ship:
                needs: build
                uses: ./.github/workflows/ship.yml
        """,
        ".github/workflows/ship.yml": """
            on: workflow_call
            jobs:
              go: {runs-on: x, steps: [{name: promote, run: make}]}
        """,
    })  # fmt: skip
    roles = roles_of(root)
    assert roles["ship"] == ["promote"]
    found = scan(root, "promote-without-verify")
    assert [(f["path"], f["job"]) for f in found] == [(".github/workflows/release.yml", "ship")]


def test_name_only_promote_gets_fail_loud_rules_only(repo: Any) -> None:
    root = repo(workflow("""
        on: push
        jobs:
          promote:
            runs-on: ubuntu-latest
            continue-on-error: true
            steps:
              - run: git push origin staging:main
    """))
    found = scan(root)
    assert [f["rule"] for f in found] == ["continue-on-error-on-promote-path"]


def test_roles_in_json_summary(repo: Any) -> None:
    from tests.conftest import check_json

    root = repo(workflow(GOOD))
    jobs = check_json(root).json()["summary"]["repositories"][0]["jobs"]
    assert jobs[".github/workflows/ci.yml"]["promote"] == ["promote"]


def test_mermaid_colours_roles(repo: Any) -> None:
    run = run_cli("graph", str(repo(workflow(GOOD))))
    assert "class j1_promote promote" in run.stdout
    assert "class j0_publish publish" in run.stdout


def test_graph_shows_why_each_job_plays_its_role(repo: Any) -> None:
    """``auditor graph`` names the catalogue entry and the step behind every role."""
    import json

    root = repo(workflow("""
        on: push
        jobs:
          build: {runs-on: x, steps: [{id: push, run: "docker push ghcr.io/acme/app:1"}]}
          deploy:
            needs: build
            runs-on: x
            steps:
              - name: Roll out
                run: kubectl set image deploy/app app=ghcr.io/acme/app@sha256:0123456789abcdef
              - run: kubectl rollout status deploy/app --timeout=5m
    """))
    graphs = json.loads(run_cli("graph", "--format", "json", str(root)).stdout)
    why = {job["id"]: job["reasons"] for job in graphs[0]["jobs"]}
    assert why["build"] == [{"role": "publish", "why": "step 'push' pushes an image (docker push "
                             "ghcr.io/acme/app:1) [registry-push]"}]
    assert [r["role"] for r in why["deploy"]] == ["promote", "verify"]
    assert why["deploy"][0]["why"].endswith("[kubectl-deploy]")
    assert why["deploy"][1]["why"].startswith("step '#2' verifies with kubectl rollout status")
    mermaid = run_cli("graph", str(root)).stdout
    assert "%% j1_deploy promote: step 'Roll out' promotes with kubectl set image" in mermaid


def test_a_job_named_deploy_promotes_only_after_a_push(repo: Any) -> None:
    """'deploy' alone names docs and test deploys as often as real ones; after a job that
    pushes an image it deploys that image (bitwarden's 'Trigger K8s deploy')."""
    root = repo(workflow("""
        on: push
        jobs:
          build: {runs-on: x, steps: [{run: "docker push ghcr.io/acme/app:1"}]}
          trigger-deploy:
            needs: build
            runs-on: x
            steps: [{uses: acme/trigger@v1, with: {task: deploy-dev}}]
          deploy-docs: {needs: build, runs-on: x, steps: [{run: make docs}]}
          deploy-e2e: {runs-on: x, steps: [{run: make e2e}]}
    """))
    roles = roles_of(root)
    assert roles["trigger-deploy"] == ["promote"]
    assert roles["deploy-docs"] == [] and roles["deploy-e2e"] == []
