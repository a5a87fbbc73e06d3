"""or-true: `cmd || true` after a command that matters; fallbacks judged by the branch their default takes."""

from __future__ import annotations

import pytest

from tests.scripts.detectors.helpers import body, found

OR = "or-true"

BAD = {
    "push-or-true": ("docker push registry.example.com/app:1 || true\n", [(OR, 1, 1)]),
    "promote-or-echo": ('./scripts/promote.sh || echo "promote failed"\n', [(OR, 1, 1)]),
    # The default `false` skips the checks: a failed lookup passes as "checks disabled".
    "default-skips-the-checks": (
        body("""
            enabled=$(gh api "repos/$R/properties/checks" --jq .value || echo false)
            if [ "$enabled" = true ]; then
              ./scripts/run-checks.sh
            fi
            """),
        [(OR, 1, 11)],
    ),
    # A failed API call reads as "no required checks": the lint exits 0 (issue 13, molecule-core).
    "empty-default-exits-clean": (
        body("""
            REQUIRED=$(gh api "repos/$R/branches/main/protection/required_status_checks" --jq '.contexts[]' || true)
            if [ -z "$REQUIRED" ]; then
              echo "nothing to verify"
              exit 0
            fi
            ./scripts/lint-required.sh "$REQUIRED"
            """),
        [(OR, 1, 12)],
    ),
    "default-takes-the-exit-0": (
        body("""
            skip=$(gh api "repos/$R/properties/skip" --jq .value || echo true)
            [ "$skip" = true ] && exit 0
            ./scripts/deploy.sh
            """),
        [(OR, 1, 8)],
    ),
    "default-skips-the-rerun": (
        body("""
            job_id=$(gh api "repos/$R/commits/$SHA/check-runs" --jq '.check_runs[0].id' || true)
            if [ -n "$job_id" ]; then
              gh api "repos/$R/actions/jobs/$job_id/rerun" --method POST
            else
              echo "::warning::not found"
            fi
            """),
        [(OR, 1, 10)],
    ),
}

GOOD = {
    "cleanup": "rm -f /tmp/x || true\ndocker rm -f old || true\n",
    "test-on-the-left": '[ -f dist/app ] || echo "no binary"\n',
    "fails-loud": './deploy.sh || { echo "::error::failed"; exit 1; }\n./deploy.sh || echo failed && exit 1\n',
    # The default `true` runs the checks: the fallback is fail-safe.
    "default-runs-the-checks": body("""
        enabled=$(gh api "repos/$R/properties/checks" --jq .value || echo true)
        if [ "$enabled" = true ]; then
          ./scripts/run-checks.sh
        fi
        """),
    "default-fails": body("""
        ok=$(gh api "repos/$R/commits/$SHA/status" --jq .state || echo false)
        if [ "$ok" = false ]; then
          echo "::error::status unknown"
          exit 1
        fi
        """),
    # The default refuses, and records the refusal for the next step (issue 13, auto-promote).
    "default-refuses-and-records-it": body("""
        GATES=$(gh api "repos/$R/branches/staging/protection/required_status_checks" --jq '.contexts[]' || true)
        if [ -z "$GATES" ]; then
          echo "::error::no required checks; refusing to promote"
          echo "ok=false" >> "$GITHUB_OUTPUT"
          exit 0
        fi
        echo "ok=true" >> "$GITHUB_OUTPUT"
        """),
    "default-avoids-the-exit-0": body("""
        skip=$(gh api "repos/$R/properties/skip" --jq .value || echo false)
        [ "$skip" = true ] && exit 0
        ./scripts/deploy.sh
        """),
    # `[ -z ] || [ = null ]`: an empty default makes the whole condition true, and the release is created.
    "default-creates-the-missing-release": body("""
        id=$(curl -fsS "$API/releases/tags/$TAG" | jq -r .id || true)
        if [ -z "$id" ] || [ "$id" = null ]; then
          id=$(curl -fsS -X POST "$API/releases" -d "$PAYLOAD" | jq -r .id)
        fi
        test -n "$id"
        """),
    "value-tested-against-a-code": body("""
        code=$(curl -s -o /dev/null -w '%{http_code}' https://x || echo 000)
        [ "$code" = 200 ] || exit 1
        """),
    "diagnostics-before-exit-1": body("""
        if [ "$uid" != 1000 ]; then
          docker logs probe || true
          exit 1
        fi
        """),
    "outcome-recorded": './deploy.sh && echo "ok=true" >> "$GITHUB_OUTPUT" || echo "ok=false" >> "$GITHUB_OUTPUT"\n',
}


@pytest.mark.parametrize(("text", "expected"), BAD.values(), ids=BAD.keys())
def test_reported(text: str, expected: list[tuple[str, int, int]]) -> None:
    assert found(text, detector=OR) == expected


@pytest.mark.parametrize("text", GOOD.values(), ids=GOOD.keys())
def test_not_reported(text: str) -> None:
    assert found(text, detector=OR) == []
