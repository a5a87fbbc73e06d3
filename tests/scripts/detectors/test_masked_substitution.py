"""masked-substitution: declarations mask any command that can fail; `$(…)` handed on; `for` lists."""

from __future__ import annotations

import pytest

from auditor.scripts.shells import ShellSpec
from tests.scripts.detectors.helpers import DEFAULT, STRICT, body, found

MS = "masked-substitution"

BAD: dict[str, tuple[str, ShellSpec, list[tuple[str, int, int]]]] = {
    # Any command that can fail, not only registry and network tools (issue 13 item 5).
    "local-cat": ('f() {\n  local v=$(cat version.txt)\n  echo "$v"\n}\n', DEFAULT, [(MS, 2, 3)]),
    "export-git": ("export SHA=$(git rev-parse HEAD)\n", DEFAULT, [(MS, 1, 1)]),
    "readonly-jq": ("readonly V=$(jq -r .version package.json)\n", DEFAULT, [(MS, 1, 1)]),
    "declare-go": ("declare -x GOPATH=$(go env GOPATH)\n", DEFAULT, [(MS, 1, 1)]),
    "typeset-digest": ('typeset d=$(crane digest "$IMAGE")\n', DEFAULT, [(MS, 1, 1)]),
    "export-in-concatenation": ('export PATH="$PATH:$(go env GOPATH)/bin"\n', DEFAULT, [(MS, 1, 1)]),
    # With pipefail the substitution's status is every command's: `ls` finding no wheel counts.
    "export-pipeline-with-pipefail": ('export W="$(ls -t *.whl | head -n 1)"\n', STRICT, [(MS, 1, 1)]),
    "echo-to-output": ('echo "digest=$(crane digest img)" >> "$GITHUB_OUTPUT"\n', DEFAULT, [(MS, 1, 14)]),
    # The xfail of test_snippets: a list that only prints is the step's product.
    "for-list-printed": ('for t in $(crane ls registry.example.com/app); do echo "$t"; done\n', DEFAULT, [(MS, 1, 10)]),
    "for-list-promoted": (
        'for env in $(gh api repos/o/r/environments --jq ".environments[].name"); do\n  ./promote.sh "$env"\ndone\n',
        DEFAULT,
        [(MS, 1, 12)],
    ),
}

GOOD: dict[str, tuple[str, ShellSpec]] = {
    "cannot-fail": (
        body("""
            f() {
              local now=$(date +%s)
              local dir=$(dirname "$0")
              local up=$(echo "$1" | tr a-z A-Z)
              local os=$(echo "$2" | cut -d '-' -f 1)
            }
            export BIN=$(pwd)/bin
            """),
        DEFAULT,
    ),
    # Without pipefail the status is `head`'s, which cannot fail: nothing more is masked.
    "export-pipeline-without-pipefail": ('export W="$(ls -t *.whl | head -n 1)"\n', DEFAULT),
    "plain-assignment": ("SHA=$(git rev-parse HEAD)\nexport SHA\n", DEFAULT),
    "in-a-test": ('[ "$(curl -fsS https://x/ping)" = pong ] || exit 1\n', DEFAULT),
    "housekeeping": ('docker logs "$(docker ps -q)"\ndocker rmi $(docker images -q) || true\n', DEFAULT),
    "for-list-diagnostics": (
        body("""
            for pod in $(kubectl get pods -n app -o jsonpath='{.items[*].metadata.name}'); do
              echo "=== $pod ==="
              kubectl describe pod -n app "$pod" || true
            done
            """),
        DEFAULT,
    ),
}


@pytest.mark.parametrize(("text", "spec", "expected"), BAD.values(), ids=BAD.keys())
def test_reported(text: str, spec: ShellSpec, expected: list[tuple[str, int, int]]) -> None:
    assert found(text, spec, detector=MS) == expected


@pytest.mark.parametrize(("text", "spec"), GOOD.values(), ids=GOOD.keys())
def test_not_reported(text: str, spec: ShellSpec) -> None:
    assert found(text, spec, detector=MS) == []


def test_a_fallback_is_left_to_or_true() -> None:
    text = "f() {\n  local flag=$(gh api repos/o/r --jq .x || echo false)\n}\n"
    assert [d for d, _l, _c in found(text)] == ["or-true"]


def test_message_names_the_command_that_matters() -> None:
    from auditor.scripts.shell import analyse_shell

    report = analyse_shell("export V=$(curl -s https://x/v | jq -r .v)\n", STRICT)
    (issue,) = [i for i in report.issues if i.detector == MS]
    assert "not of `curl -s https://x/v`" in issue.message
