"""The reusable-workflow contract (issue 13 item 3), through the CLI.

A ``workflow_call`` workflow that promotes is verified by its callers.
Scanned alone, its missing verify is a *note* that names the contract;
scanned with a caller in the same repository, the call site is checked end to
end: an error when the caller does not verify after the call, nothing at the
call site when it does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditor.roles.catalogue.examples import pipeline
from tests.conftest import check_json

CALLEE_PATH = ".github/workflows/deploy.yml"
CALLER_PATH = ".github/workflows/release.yml"

CALLEE = """\
name: deploy
on:
  workflow_call:
    inputs:
      digest:
        type: string
        required: true
    secrets:
      KUBE_CONFIG:
        required: true
permissions:
  contents: read
jobs:
  rollout:
    runs-on: ubuntu-latest
    steps:
      - uses: azure/k8s-set-context@v4
        with:
          method: kubeconfig
          kubeconfig: ${{ secrets.KUBE_CONFIG }}
      - run: kubectl set image deployment/app app=ghcr.io/acme/app@${{ inputs.digest }}
"""
CALL = """
deploy:
  needs: publish
  uses: ./.github/workflows/deploy.yml
  with:
    digest: ${{ needs.publish.outputs.digest }}
  secrets:
    KUBE_CONFIG: ${{ secrets.KUBE_CONFIG }}
"""
VERIFY = """
verify:
  needs: [publish, deploy]
  runs-on: ubuntu-latest
  env:
    DIGEST: ${{ needs.publish.outputs.digest }}
  steps:
    - uses: azure/k8s-set-context@v4
      with:
        method: kubeconfig
        kubeconfig: ${{ secrets.KUBE_CONFIG }}
    - run: |
        kubectl rollout status deployment/app --timeout=5m
        running=$(kubectl get deployment/app -o jsonpath='{.spec.template.spec.containers[0].image}')
        test "$running" = "ghcr.io/acme/app@$DIGEST"
"""


def scan(root: Path, files: dict[str, str]) -> list[dict[str, Any]]:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    run = check_json(root, extra=("--no-policy",))
    assert run.exit_code in (0, 1), run.stderr
    found: list[dict[str, Any]] = run.json()["findings"]
    return found


def unverified(findings: list[dict[str, Any]]) -> list[tuple[str, str | None, str]]:
    return [(f["path"], f["job"], f["severity"]) for f in findings if f["rule"] == "promote-without-verify"]


def test_scanned_alone_the_missing_verify_is_a_note_naming_the_contract(tmp_path: Path) -> None:
    findings = scan(tmp_path, {CALLEE_PATH: CALLEE})
    assert unverified(findings) == [(CALLEE_PATH, "rollout", "note")]
    note = next(f for f in findings if f["rule"] == "promote-without-verify")
    assert "reusable workflow" in note["message"] and "caller" in note["message"]
    assert [f for f in findings if f["severity"] != "note"] == [], findings
    run = check_json(tmp_path, extra=("--no-policy",))
    assert run.exit_code == 0  # a note does not fail the check (--fail-on error)


def test_a_caller_that_does_not_verify_gets_the_error_at_the_call_site(tmp_path: Path) -> None:
    findings = scan(tmp_path, {CALLEE_PATH: CALLEE, CALLER_PATH: pipeline(CALL)})
    errors = [u for u in unverified(findings) if u[2] == "error"]
    assert errors == [(CALLER_PATH, "deploy", "error")], findings
    call_site = next(f for f in findings if f["path"] == CALLER_PATH and f["rule"] == "promote-without-verify")
    assert ".github/workflows/deploy.yml" in call_site["message"]
    assert call_site["line"] == pipeline(CALL).splitlines().index("  deploy:") + 1


def test_a_caller_that_verifies_after_the_call_gets_nothing(tmp_path: Path) -> None:
    findings = scan(tmp_path, {CALLEE_PATH: CALLEE, CALLER_PATH: pipeline(CALL, VERIFY)})
    assert [f for f in findings if f["path"] == CALLER_PATH] == [], findings
    assert [u for u in unverified(findings) if u[2] == "error"] == []


def test_a_reusable_workflow_that_verifies_itself_needs_nothing_from_its_callers(tmp_path: Path) -> None:
    verified = CALLEE + "      - run: kubectl rollout status deployment/app --timeout=5m\n"
    findings = scan(tmp_path, {CALLEE_PATH: verified, CALLER_PATH: pipeline(CALL)})
    assert unverified(findings) == [], findings


# Two levels of calls: release.yml → ship.yml → deploy.yml (the promote). Whether the call
# site is verified depends on the innermost workflow, however deep the calls nest.
SHIP = """\
name: ship
on:
  workflow_call:
    inputs:
      digest:
        type: string
        required: true
    secrets:
      KUBE_CONFIG:
        required: true
permissions:
  contents: read
jobs:
  go:
    uses: ./.github/workflows/deploy.yml
    with:
      digest: ${{ inputs.digest }}
    secrets:
      KUBE_CONFIG: ${{ secrets.KUBE_CONFIG }}
"""
SELF_VERIFIED_CALLEE = CALLEE + "      - run: kubectl rollout status deployment/app --timeout=120s\n"


def _nested(root: Path, callee: str) -> list[tuple[str, str | None, str]]:
    call = CALL.replace("./.github/workflows/deploy.yml", "./.github/workflows/ship.yml")
    return unverified(scan(root, {CALLEE_PATH: callee, ".github/workflows/ship.yml": SHIP,
                                  CALLER_PATH: pipeline(call)}))  # fmt: skip


def test_a_call_site_two_calls_above_a_self_verified_promote_is_verified(tmp_path: Path) -> None:
    assert _nested(tmp_path, SELF_VERIFIED_CALLEE) == []


def test_a_call_site_two_calls_above_an_unverified_promote_is_an_error(tmp_path: Path) -> None:
    errors = [u for u in _nested(tmp_path, CALLEE) if u[2] == "error"]
    assert errors == [(CALLER_PATH, "deploy", "error")]
