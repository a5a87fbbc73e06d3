"""The seed incident's ``before`` pipeline fixed with ``--unsafe`` and its policy.

What is left must be only what no mechanical fix can make: choosing the
control plane's credential instead of the platform token.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.conftest import SEED, check_json, need_shared, run_cli, write_files

WF = ".gitea/workflows/publish-image.yml"
UNFIXABLE = {"required-secret-not-referenced", "promote-uses-platform-token"}


def test_seed_before_fixed_leaves_only_the_credential_findings(tmp_path: Path) -> None:
    before = need_shared(SEED / "before")
    policy = need_shared(SEED / "after" / ".auditor.yml")
    root = tmp_path / "before"
    shutil.copytree(before, root)
    found = {f["rule"] for f in check_json(root, extra=("--policy", str(policy))).findings()}
    assert {"statuses-write-permission", "continue-on-error-on-promote-path", "swallowed-failure",
            "promote-without-verify"} <= found  # fmt: skip
    run = run_cli("fix", "--unsafe", "--policy", str(policy), str(root))
    assert run.exit_code == 0, run.stderr
    left = {f["rule"] for f in check_json(root, extra=("--policy", str(policy))).findings()}
    assert left == UNFIXABLE
    text = (root / WF).read_text()
    # the scaffolded verify fails until a person writes the read-back (the policy's script
    # is not in this repository, so it cannot be run)
    assert "  verify:\n    needs: [publish]\n" in text and "          exit 1\n" in text
    assert "DIGEST: ${{ needs.publish.outputs.digest }}" in text


def _verify_step_fails(root: Path) -> bool:
    """Run the scaffolded verify job's script as the runner would (bash -e)."""
    text = (root / ".github/workflows/release.yml").read_text()
    body = text.rsplit("        run: |\n", 1)[1]  # the last run block: the scaffold's
    script = "\n".join(line[10:] for line in body.splitlines() if line.startswith("          "))
    done = subprocess.run(["bash", "-e", "-c", script], capture_output=True, text=True, check=False)
    return done.returncode != 0 and "auditor fix scaffolded this verify job" in done.stderr


PROMOTE_ONLY = """\
on:
  push:
    branches: [main]
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
          tags: registry.example.com/app:latest
  promote:
    needs: publish
    runs-on: ubuntu-latest
    steps:
      - env:
          TOKEN: ${{ secrets.CP_ADMIN_API_TOKEN }}
          DIGEST: ${{ needs.publish.outputs.digest }}
        run: |
          curl --fail-with-body -sS -X POST -H "Authorization: Bearer $TOKEN" \\
            -d "digest=$DIGEST" https://cp.example.com/promote
"""


def test_verify_scaffold_is_a_placeholder_that_fails(tmp_path: Path) -> None:
    root = write_files(tmp_path / "app", {".github/workflows/release.yml": PROMOTE_ONLY})
    assert run_cli("fix", "--no-policy", "--diff", str(root)).stdout == ""  # unsafe only
    run = run_cli("fix", "--unsafe", "--no-policy", str(root))
    assert run.exit_code == 0, run.stderr
    assert "promote-without-verify" not in {f["rule"] for f in check_json(root).findings()}
    assert _verify_step_fails(root)


def test_verify_scaffold_runs_the_policy_script_when_the_repository_has_it(tmp_path: Path) -> None:
    root = write_files(tmp_path / "app", {
        ".github/workflows/release.yml": PROMOTE_ONLY,
        ".auditor.yml": "version: 1\nroles:\n  verify: {scripts: [ci/verify-pin.sh]}\n",
        "ci/verify-pin.sh": '#!/bin/sh\nset -eu\ntest "$(curl --fail -sS https://cp.example.com/pin)" = "$DIGEST"\n',
    })  # fmt: skip
    run = run_cli("fix", "--unsafe", str(root))
    assert run.exit_code == 0, run.stderr
    text = (root / ".github/workflows/release.yml").read_text()
    assert "        run: bash ci/verify-pin.sh\n" in text
    assert "  verify:\n    needs: [publish, publish]" not in text
    assert "promote-without-verify" not in {f["rule"] for f in check_json(root, extra=()).findings()}
