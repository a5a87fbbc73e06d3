"""digest, verify and secret rules on artifact promotes."""

from __future__ import annotations

from typing import Any

from tests.conftest import check_json, workflow
from tests.rules.helpers import GOOD, col_of, line_of, scan, where

DIGEST = "digest-not-exposed"
PIN = "promote-not-pinned-to-digest"
PWV = "promote-without-verify"
COVER = "verify-does-not-cover-promote"
REQ = "required-secret-not-referenced"
PLAT = "promote-uses-platform-token"
PROV = "secret-not-provisioned"


def test_digest_not_exposed(repo: Any) -> None:
    text = GOOD.replace("    outputs:\n      digest: ${{ steps.push.outputs.digest }}\n", "").replace(
        "${{ needs.publish.outputs.digest }}", "${{ needs.publish.outputs.tag }}")
    found = scan(repo(workflow(text)), DIGEST)
    assert where(found) == [(DIGEST, line_of(text, "  publish:"), 3)]
    assert "steps.push.outputs.digest" in found[0]["message"]


def test_digest_exposed_under_another_policy_name(repo: Any) -> None:
    text = GOOD.replace("      digest: ${{ steps.push.outputs.digest }}",
                        "      ref: ${{ steps.push.outputs.imageid }}")
    root = repo({**workflow(text), ".auditor.yml": "version: 1\npublish: {digest_outputs: [ref]}\n"})
    assert scan(root, DIGEST) == []


def test_promote_of_mutable_tag(repo: Any) -> None:
    text = GOOD.replace('-d "$DIGEST"', "-d image=ghcr.io/acme/app:latest").replace(
        "      DIGEST: ${{ needs.publish.outputs.digest }}\n", "")
    found = scan(repo(workflow(text)), PIN)
    assert where(found) == [(PIN, line_of(text, "app:latest", 1), col_of(text, ":latest", 1))]
    assert "needs.publish.outputs.digest" in found[0]["message"]


def test_promote_without_digest_points_at_the_step(repo: Any) -> None:
    text = GOOD.replace('-d "$DIGEST"', "").replace("      DIGEST: ${{ needs.publish.outputs.digest }}\n", "")
    found = scan(repo(workflow(text)), PIN)
    assert where(found) == [(PIN, line_of(text, "      - run: |"), 9)]


def test_digest_through_outputs_of_another_job_counts(repo: Any) -> None:
    text = GOOD.replace(
        "  promote:\n    needs: publish\n",
        "  relay:\n    needs: publish\n    runs-on: x\n    outputs: {d: '${{ needs.publish.outputs.digest }}'}\n"
        "    steps: [{run: make}]\n  promote:\n    needs: [publish, relay]\n",
    ).replace("DIGEST: ${{ needs.publish.outputs.digest }}", "DIGEST: ${{ needs.relay.outputs.d }}")
    assert scan(repo(workflow(text)), PIN, COVER) == []


def test_promote_without_verify(repo: Any) -> None:
    text = GOOD.split("  verify:")[0]
    found = scan(repo(workflow(text)), PWV)
    assert where(found) == [(PWV, line_of(text, "  promote:"), 3)]
    assert "publish → promote" in found[0]["message"]


def test_verify_not_depending_on_promote(repo: Any) -> None:
    text = GOOD.replace("needs: [publish, promote]", "needs: publish")
    found = scan(repo(workflow(text)), PWV)
    assert len(found) == 1 and "'verify' verifies, but does not depend on 'promote'" in found[0]["message"]


def test_verify_misses_a_matrix_leg_include_exclude(repo: Any) -> None:
    text = GOOD.replace(
        "  verify:\n    needs: [publish, promote]\n    runs-on: ubuntu-latest\n    strategy:\n"
        "      fail-fast: false\n      matrix:\n        target: [prod, staging]\n",
        "  verify:\n    needs: [publish, promote]\n    runs-on: ubuntu-latest\n    strategy:\n"
        "      fail-fast: false\n      matrix:\n        target: [prod, staging, dev]\n"
        "        exclude: [{target: staging}]\n        include: [{target: prod, region: eu}]\n",
    )
    found = scan(repo(workflow(text)), COVER)
    assert [f["rule"] for f in found] == [COVER]
    assert "target=staging" in found[0]["message"] and found[0]["job"] == "verify"
    assert found[0]["line"] == line_of(text, "target: [prod, staging, dev]")


def test_verify_without_matrix_and_with_include_only(repo: Any) -> None:
    matrix = "    strategy:\n      fail-fast: false\n      matrix:\n        target: [prod, staging]\n"
    tail = "    steps:\n      - run: |\n          test"
    text = GOOD.replace(matrix + tail, tail)
    found = scan(repo(workflow(text)), COVER)
    assert len(found) == 1 and "runs once, without a matrix" in found[0]["message"]
    inc = GOOD.replace("        target: [prod, staging]\n" + tail,
                       "        include: [{target: prod}, {target: staging}]\n" + tail)
    assert scan(repo(workflow(inc), name="inc"), COVER) == []


def test_verify_reads_no_or_another_digest(repo: Any) -> None:
    text = GOOD.replace('= "${{ needs.publish.outputs.digest }}"', '= "$EXPECTED"')
    found = scan(repo(workflow(text)), COVER)
    assert where(found) == [(COVER, line_of(text, "  verify:"), 3)] and "reads no digest" in found[0]["message"]


def test_verify_if_stricter_than_promote(repo: Any) -> None:
    text = GOOD.replace("  verify:\n    needs: [publish, promote]\n",
                        "  verify:\n    needs: [publish, promote]\n    if: github.event_name == 'schedule'\n")
    found = scan(repo(workflow(text)), COVER)
    assert where(found) == [(COVER, line_of(text, "if: github.event_name"), 9)]
    cond = "    if: ${{ always() && needs.promote.result == 'success' }}\n"
    ok = GOOD.replace("  verify:\n    needs: [publish, promote]\n", "  verify:\n    needs: [publish, promote]\n" + cond)
    assert scan(repo(workflow(ok), name="ok"), COVER) == []


def test_required_secrets_from_policy_and_and_or_expression(repo: Any) -> None:
    policy = "version: 1\npromote: {required_secrets: [CP_PROD, CP_STAGING]}\n"
    text = GOOD.replace("TOKEN: ${{ secrets.DEPLOY_TOKEN }}",
                        "TOKEN: ${{ matrix.target == 'prod' && secrets.CP_PROD || secrets.CP_STAGING }}")
    assert scan(repo({**workflow(text), ".auditor.yml": policy}), REQ) == []
    found = scan(repo({**workflow(GOOD), ".auditor.yml": policy}, name="b"), REQ)
    assert [(f["line"], f["job"]) for f in found] == [(line_of(GOOD, "  promote:"), "promote")] * 2
    assert "secrets.CP_PROD" in found[0]["message"] and "secrets.CP_STAGING" in found[1]["message"]


def test_no_policy_needs_a_non_platform_secret_or_oidc(repo: Any) -> None:
    text = GOOD.replace("secrets.DEPLOY_TOKEN", "secrets.GITHUB_TOKEN")
    found = scan(repo(workflow(text)), REQ)
    assert len(found) == 1 and "only the platform token (GITHUB_TOKEN)" in found[0]["message"]
    oidc = text.replace("  promote:\n    needs: publish\n",
                        "  promote:\n    needs: publish\n    permissions: {id-token: write}\n")
    assert scan(repo(workflow(oidc), name="oidc"), REQ) == []
    # write-all grants id-token as a side effect: not evidence of an OIDC login
    broad = text.replace("  promote:\n    needs: publish\n",
                         "  promote:\n    needs: publish\n    permissions: write-all\n")
    assert len(scan(repo(workflow(broad), name="broad"), REQ)) == 1


def test_platform_token_direct_env_and_github_token(repo: Any) -> None:
    text = GOOD.replace("TOKEN: ${{ secrets.DEPLOY_TOKEN }}", "TOKEN: ${{ github.token }}")
    found = scan(repo(workflow(text)), PLAT)
    assert where(found) == [(PLAT, line_of(text, "github.token"), col_of(text, "github.token"))]
    assert "through `env.TOKEN`" in found[0]["message"]


def test_platform_token_in_plumbing_or_unused_env_is_fine(repo: Any) -> None:
    text = GOOD.replace("    steps:\n      - run: |\n          curl",
                        "    steps:\n      - uses: actions/checkout@v4\n"
                        "        with: {token: '${{ secrets.GITHUB_TOKEN }}'}\n"
                        "      - run: |\n          curl").replace(
        "      TOKEN: ${{ secrets.DEPLOY_TOKEN }}\n",
        "      TOKEN: ${{ secrets.DEPLOY_TOKEN }}\n      GH: ${{ secrets.GITHUB_TOKEN }}\n")
    assert scan(repo(workflow(text)), PLAT) == []


def test_policy_platform_tokens_and_suppression(repo: Any) -> None:
    text = GOOD.replace("secrets.DEPLOY_TOKEN", "secrets.BOT_TOKEN")
    root = repo({**workflow(text), ".auditor.yml": "version: 1\npromote: {platform_tokens: [BOT_TOKEN]}\n"})
    assert len(scan(root, PLAT)) == 1
    quiet = text.replace("      TOKEN: ${{ secrets.BOT_TOKEN }}",
                         "      # auditor: ignore[promote-uses-platform-token] the bot owns the control plane\n"
                         "      TOKEN: ${{ secrets.BOT_TOKEN }}")
    policy = "version: 1\npromote: {platform_tokens: [BOT_TOKEN]}\n"
    root = repo({**workflow(quiet), ".auditor.yml": policy}, name="q")
    assert scan(root, PLAT) == []


def test_secret_not_provisioned_list_and_file(repo: Any) -> None:
    root = repo({**workflow(GOOD), ".auditor.yml": "version: 1\nsecrets: {inventory: [OTHER]}\n"})
    found = scan(root, PROV)
    assert where(found) == [(PROV, line_of(GOOD, "secrets.DEPLOY_TOKEN"), col_of(GOOD, "secrets.DEPLOY_TOKEN"))]
    ok = repo({**workflow(GOOD), ".auditor.yml": "version: 1\nsecrets: {inventory: secrets.txt}\n",
               "secrets.txt": "# provisioned\ndeploy_token\n"}, name="f")
    assert scan(ok, PROV) == []
    assert scan(repo(workflow(GOOD), name="none"), PROV) == []


def test_waiver_on_artifact_rule(repo: Any) -> None:
    text = GOOD.split("  verify:")[0]
    root = repo({**workflow(text), ".auditor.yml": """
        version: 1
        waivers:
          - {rule: promote-without-verify, path: .github/workflows/*.yml, reason: verified by the CD system}
    """})  # fmt: skip
    assert scan(root, PWV) == []


WEBHOOK_JSON = """\
on: push
permissions: {contents: read}
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: docker/build-push-action@v6
        with: {push: true, tags: ghcr.io/example/shop-api:latest}
  promote:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - name: Promote to production
        run: |
          curl -sf -X POST \\
            -d '{"image": "ghcr.io/example/shop-api:latest"}' \\
            https://deploy.example.com/api/promote
"""


def test_a_webhook_json_payload_names_the_image_tag_not_a_json_word(repo) -> None:  # type: ignore[no-untyped-def]
    """The tag is read from the image reference inside the JSON body (`:latest`, at its
    column), not from the word `{"image":` that holds it."""
    root = repo(workflow(WEBHOOK_JSON))
    found = [f for f in check_json(root).findings() if f["rule"] == "promote-not-pinned-to-digest"]
    assert len(found) == 1
    assert "the mutable tag ':latest'" in found[0]["message"]
    line = WEBHOOK_JSON.splitlines().index('            -d \'{"image": "ghcr.io/example/shop-api:latest"}\' \\') + 1
    assert (found[0]["line"], found[0]["column"]) == (line, WEBHOOK_JSON.splitlines()[line - 1].index(":latest") + 1)
