"""pipeline-masks-failure: without pipefail, a failure left of `|`; what still surfaces it."""

from __future__ import annotations

import pytest

from auditor.scripts.shells import ShellSpec
from tests.scripts.detectors.helpers import DEFAULT, STRICT, body, found, resolve_shell

PM = "pipeline-masks-failure"

BAD: dict[str, tuple[str, ShellSpec, list[tuple[str, int, int]]]] = {
    "curl-jq": ("curl -fsS https://x/pin | jq -r .digest > d\n", DEFAULT, [(PM, 1, 1)]),
    "sh": ("docker build -t app . | tail -5\n", resolve_shell("sh"), [(PM, 1, 1)]),
    "captured-tested-for-equality": (
        'v=$(gh api repos/o/r | jq -r .x)\nif [ "$v" = yes ]; then deploy; fi\n',
        DEFAULT,
        [(PM, 1, 5)],
    ),
    "hash-is-not-a-check": ("curl -fsS https://x/tool | sha256sum\n", DEFAULT, [(PM, 1, 1)]),
}

GOOD: dict[str, tuple[str, ShellSpec]] = {
    "pipefail-spec": ("curl -fsS https://x | jq .\n", STRICT),
    "pipefail-set": ("set -o pipefail\ncurl -fsS https://x | jq .\n", DEFAULT),
    "grep": ("curl -fsS https://x | grep -q ok\n", DEFAULT),
    "tar-option-anywhere": ('gh release download -R o/r -p x -O - v1 | tar -C "$d" -xz\n', DEFAULT),
    "decompressor": ("curl -fsS https://x/a.xz | xz -d > a\n", DEFAULT),
    "pipestatus": ('./build.sh | tee log\nexit "${PIPESTATUS[0]}"\n', DEFAULT),
    "captured-compared": body("""
        approval=$(gh api "repos/$R/issues/$N/events" --paginate | jq -r 'last.id')
        if [ "$approval" != "$EXPECTED" ]; then exit 1; fi
        """),
    "captured-count-checked": body("""
        total=$(kubectl get pods --no-headers | wc -l)
        if [ "$total" -eq 0 ] || [ "$ready" -ne "$total" ]; then exit 1; fi
        """),
}
GOOD = {k: (v, DEFAULT) if isinstance(v, str) else v for k, v in GOOD.items()}


@pytest.mark.parametrize(("text", "spec", "expected"), BAD.values(), ids=BAD.keys())
def test_reported(text: str, spec: ShellSpec, expected: list[tuple[str, int, int]]) -> None:
    assert found(text, spec, detector=PM) == expected


@pytest.mark.parametrize(("text", "spec"), GOOD.values(), ids=GOOD.keys())
def test_not_reported(text: str, spec: ShellSpec) -> None:
    assert found(text, spec, detector=PM) == []
