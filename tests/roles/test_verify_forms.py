"""Every verify form of DESIGN.md ("Roles"), as a later step of the promote job and as a later job.

A verify is what reads the promoted state back and fails on a mismatch: a
read-back compared with the digest, ``kubectl rollout status``, ``helm
--atomic``/``--wait`` (the promote step itself), ``aws ecs wait
services-stable``, the ECS deploy action's ``wait-for-service-stability:
true``, a smoke test of the deployed URL that fails loud, a policy-listed
verify script, ``argocd app wait``. A plain ``curl`` (exit 0 on a 500) is not
one, and a step's *name* never makes one. Each case goes through ``auditor
check --format json`` on a repository written to tmp.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from auditor.roles.catalogue.examples import pipeline
from tests.conftest import check_json

PATH = ".github/workflows/release.yml"


def scan(root: Path, text: str, files: dict[str, str] | None = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    for rel, content in {PATH: text, **(files or {})}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(content, encoding="utf-8")
    run = check_json(root)
    assert run.exit_code in (0, 1), run.stderr
    doc = run.json()
    return doc["findings"], doc["summary"]["repositories"][0]["jobs"].get(PATH, {})


def unverified(findings: list[dict[str, Any]]) -> list[str]:
    return [f["job"] for f in findings if f["rule"] == "promote-without-verify"]


def steps(text: str) -> str:
    """Step lines written at column 0 → indented under a job's ``steps:``."""
    return textwrap.indent(textwrap.dedent(text).strip("\n") + "\n", "    ")


CONTEXT = steps("""
- uses: azure/k8s-set-context@v4
  with:
    method: kubeconfig
    kubeconfig: ${{ secrets.KUBE_CONFIG }}
""")
AWS = steps("""
- uses: aws-actions/configure-aws-credentials@v4
  with:
    role-to-assume: arn:aws:iam::123456789012:role/deploy
    aws-region: eu-west-1
""")
ARGO = "    ARGOCD_SERVER: argocd.example.com\n    ARGOCD_AUTH_TOKEN: ${{ secrets.ARGOCD_AUTH_TOKEN }}\n"
CP = "    CP_TOKEN: ${{ secrets.CP_ADMIN_API_TOKEN }}\n"

# form → (what the jobs log in with, the promote steps, the verify steps, extra env)
PROMOTE_POST = steps("""
- name: Pin the digest on the control plane
  run: |
    curl --fail-with-body -sS -X POST -H "Authorization: Bearer $CP_TOKEN" \\
      -d "digest=$DIGEST" https://cp.example.com/api/runtime/promote
""")
SET_IMAGE = steps("""
- run: kubectl set image deployment/app app=ghcr.io/acme/app@$DIGEST
""")
ECS = steps("""
- run: aws ecs update-service --cluster prod --service app --task-definition "app-$DIGEST"
""")
ARGO_SYNC = steps("""
- run: |
    argocd app set app --kustomize-image "ghcr.io/acme/app@$DIGEST"
    argocd app sync app
""")

FORMS: dict[str, tuple[str, str, str, str]] = {
    "read-back of the pin": ("", PROMOTE_POST, steps("""
        - name: Read the pin back
          run: |
            pinned=$(curl --fail-with-body -sS -H "Authorization: Bearer $CP_TOKEN" https://cp.example.com/api/runtime/pin)
            test "$pinned" = "$DIGEST"
        """), CP),
    "read-back of the running image": (CONTEXT, SET_IMAGE, steps("""
        - run: |
            running=$(kubectl get deployment/app -o jsonpath='{.spec.template.spec.containers[0].image}')
            [ "$running" = "ghcr.io/acme/app@$DIGEST" ]
        """), ""),
    "kubectl rollout status": (CONTEXT, SET_IMAGE, steps("""
        - run: kubectl rollout status deployment/app --timeout=5m
        """), ""),
    "kubectl wait --for=condition=available": (CONTEXT, SET_IMAGE, steps("""
        - run: kubectl wait deployment/app --for=condition=available --timeout=5m
        """), ""),
    "aws ecs wait services-stable": (AWS, ECS, steps("""
        - run: aws ecs wait services-stable --cluster prod --services app
        """), ""),
    "smoke test with curl --fail": ("", PROMOTE_POST, steps("""
        - run: curl --fail -sS https://app.example.com/healthz
        """), CP),
    "smoke test with a tested status code": ("", PROMOTE_POST, steps("""
        - run: |
            code=$(curl -sS -o /dev/null -w '%{http_code}' https://app.example.com/healthz)
            test "$code" = 200
        """), CP),
    "smoke test with wget": ("", PROMOTE_POST, steps("""
        - run: wget -q --spider https://app.example.com/healthz
        """), CP),
    "argocd app wait": ("", ARGO_SYNC, steps("""
        - run: argocd app wait app --health --timeout 600
        """), ARGO),
}
NOT_VERIFIES: dict[str, str] = {
    "curl without --fail": """
        - run: curl -sS https://app.example.com/healthz
        """,
    "a step named like a verify": """
        - name: Verify the deployment
          run: echo "deployed $DIGEST"
        """,
    "a download with curl --fail": """
        - name: Verify with the checker
          run: curl -fsSL https://github.com/acme/checker/releases/download/v1/check.tar.gz | tar -xz
        """,
    "kubectl wait for the nodes": """
        - run: kubectl wait --for=condition=Ready node --all --timeout=120s
        """,
}

PERMISSIONS = "  permissions:\n    contents: read\n    id-token: write\n"


def promote_job(login: str, promote: str, env: str, extra: str = "") -> str:
    return (f"deploy:\n  needs: publish\n  runs-on: ubuntu-latest\n{PERMISSIONS}"
            f"  env:\n    DIGEST: ${{{{ needs.publish.outputs.digest }}}}\n{env}"
            f"  steps:\n{login}{promote}{extra}")  # fmt: skip


def verify_job(login: str, verify: str, env: str) -> str:
    return (f"check-deploy:\n  needs: [publish, deploy]\n  runs-on: ubuntu-latest\n{PERMISSIONS}"
            f"  env:\n    DIGEST: ${{{{ needs.publish.outputs.digest }}}}\n{env}"
            f"  steps:\n{login}{verify}")  # fmt: skip


@pytest.mark.parametrize("form", FORMS)
def test_a_later_step_of_the_promote_job_verifies(form: str, tmp_path: Path) -> None:
    login, promote, verify, env = FORMS[form]
    findings, roles = scan(tmp_path, pipeline(promote_job(login, promote, env, verify)))
    assert findings == [], [(f["rule"], f["message"][:120]) for f in findings]
    assert roles["deploy"] == ["promote", "verify"]


@pytest.mark.parametrize("form", FORMS)
def test_a_later_job_verifies(form: str, tmp_path: Path) -> None:
    login, promote, verify, env = FORMS[form]
    findings, roles = scan(tmp_path, pipeline(promote_job(login, promote, env), verify_job(login, verify, env)))
    assert unverified(findings) == [], findings
    assert roles["check-deploy"] == ["verify"]
    assert roles["deploy"] == ["promote"]


@pytest.mark.parametrize("form", FORMS)
def test_without_the_form_the_promote_is_unverified(form: str, tmp_path: Path) -> None:
    """The control: the same pipeline without the verify step is flagged (so the cases above
    pass because of the form, not of something else in the pipeline)."""
    login, promote, _verify, env = FORMS[form]
    findings, _roles = scan(tmp_path, pipeline(promote_job(login, promote, env)))
    assert unverified(findings) == ["deploy"]


@pytest.mark.parametrize("case", NOT_VERIFIES)
@pytest.mark.parametrize("where", ["later step", "later job"])
def test_what_is_not_a_verify(case: str, where: str, tmp_path: Path) -> None:
    other = steps(NOT_VERIFIES[case])
    if where == "later step":
        text = pipeline(promote_job(CONTEXT, SET_IMAGE, CP, other))
    else:
        text = pipeline(promote_job(CONTEXT, SET_IMAGE, CP), verify_job(CONTEXT, other, CP))
    findings, roles = scan(tmp_path, text)
    assert unverified(findings) == ["deploy"], findings
    assert "verify" not in roles["deploy"]
    assert "verify" not in roles.get("check-deploy", [])


def test_helm_atomic_and_wait_verify_the_promote_step_itself(tmp_path: Path) -> None:
    for flag in ("--atomic", "--wait", "--wait --timeout 10m", "--rollback-on-failure"):
        upgrade = steps(f"""
            - run: |
                helm upgrade --install app ./charts/app {flag} \\
                  --set image.repository=ghcr.io/acme/app --set image.digest="$DIGEST"
            """)
        findings, roles = scan(tmp_path, pipeline(promote_job(CONTEXT, upgrade, "")))
        assert findings == [], (flag, findings)
        assert roles["deploy"] == ["promote", "verify"], flag
    unwaited = steps("""
        - run: helm upgrade --install app ./charts/app --wait=false --set image.digest="$DIGEST"
        """)
    findings, _roles = scan(tmp_path, pipeline(promote_job(CONTEXT, unwaited, "")))
    assert unverified(findings) == ["deploy"]


def test_the_ecs_deploy_action_waits_for_stability(tmp_path: Path) -> None:
    deploy = steps("""
        - id: render
          uses: aws-actions/amazon-ecs-render-task-definition@v1
          with:
            task-definition: deploy/task-definition.json
            container-name: app
            image: ghcr.io/acme/app@${{ needs.publish.outputs.digest }}
        - uses: aws-actions/amazon-ecs-deploy-task-definition@v2
          with:
            task-definition: ${{ steps.render.outputs.task-definition }}
            service: app
            cluster: prod
            wait-for-service-stability: true
        """)
    findings, roles = scan(tmp_path, pipeline(promote_job(AWS, deploy, "")))
    assert findings == [], findings
    assert roles["deploy"] == ["promote", "verify"]
    findings, roles = scan(tmp_path, pipeline(promote_job(AWS, deploy.replace("true", "false"), "")))
    assert unverified(findings) == ["deploy"]
    assert roles["deploy"] == ["promote"]


VERIFY_SCRIPT = """\
#!/bin/sh
set -eu
pinned=$(curl --fail-with-body -sS https://cp.example.com/api/runtime/pin)
test "$pinned" = "$1"
"""
POLICY = "version: 1\nroles:\n  verify: {scripts: [scripts/check-pin.sh]}\n"


@pytest.mark.parametrize("where", ["later step", "later job"])
def test_a_policy_verify_script(where: str, tmp_path: Path) -> None:
    run = steps("""
        - uses: actions/checkout@v4
        - run: ./scripts/check-pin.sh "$DIGEST"
        """)
    if where == "later step":
        text = pipeline(promote_job("", PROMOTE_POST, CP, run))
    else:
        text = pipeline(promote_job("", PROMOTE_POST, CP), verify_job("", run, CP))
    files = {"scripts/check-pin.sh": VERIFY_SCRIPT}
    findings, roles = scan(tmp_path / "listed", text, {**files, ".auditor.yml": POLICY})
    assert findings == [], findings
    assert "verify" in roles["deploy" if where == "later step" else "check-deploy"]
    # the same script, not listed in the policy, is just a script
    findings, roles = scan(tmp_path / "unlisted", text, files)
    assert unverified(findings) == ["deploy"]
