"""curl-without-fail: a curl whose HTTP failure nothing notices; the ways its result is checked instead."""

from __future__ import annotations

import pytest

from tests.scripts.detectors.helpers import body, found

CF = "curl-without-fail"

BAD = {
    "post": ("curl -sS -X POST https://cp.example.com/promote\n", [(CF, 1, 1)]),
    "captured-never-tested": ('v=$(curl -s https://x/v)\necho "$v"\n', [(CF, 1, 5)]),
    "captured-tested-for-equality-only": (
        'v=$(curl -s https://x/v)\nif [ "$v" = ready ]; then deploy; fi\n',
        [(CF, 1, 5)],
    ),
    "download-read-by-cat": ("curl -sSL -o data.json https://x/data.json\ncat data.json\n", [(CF, 1, 1)]),
    # A checksum computed, not checked: the hash of an error page prints fine.
    "download-only-hashed": ("curl -sSLo tool https://x/tool\nsha256sum tool\n", [(CF, 1, 1)]),
    "process-substitution-not-run": ("diff <(curl -s https://x/a) expected.txt\n", [(CF, 1, 8)]),
}

GOOD = {
    "fail": "curl --fail -X POST https://x/promote\ncurl -fsSL https://x -o out\n",
    "code-tested": "code=$(curl -s -o /dev/null -w '%{http_code}' https://x)\n[ \"$code\" = 200 ] || exit 1\n",
    "run-as-script": "bash <(curl -Ls https://x/get.sh) report\nsource <(curl -s https://x/env.sh)\n",
    "download-by-dynamic-name": body("""
        curl -LO "https://x/releases/$V/tool-${V}-linux.zip"
        sudo unzip -o tool-${V}-linux.zip -d /usr/local
        """),
    "download-run-by-its-name": (
        "curl -Lo tool.AppImage https://x/tool.AppImage\nchmod +x tool.AppImage\n./tool.AppImage --version\n"
    ),
    "download-checksum-checked": body("""
        curl -sSLo shfmt "https://x/shfmt_v${V}_linux_amd64"
        echo "${SUM}  shfmt" | sha256sum --strict --check
        """),
    "piped-into-tar-options-anywhere": "curl -L https://x/src.tgz | tar --strip-components=1 -xzf - -C src\n",
    "piped-into-gunzip": "curl -s https://x/db.gz | gunzip > db\n",
    "captured-tested-for-emptiness": body("""
        sched=$(curl -s https://x/schedule.json)
        date=$(echo "$sched" | jq -r .stable)
        if [[ -z "$date" ]]; then exit 1; fi
        """),
    "captured-compared-with-expected": (
        'got=$(curl -s https://x/pin | jq -r .digest)\n[ "$got" != "$WANT" ] && exit 1\n'
    ),
    "probe": "until curl -s localhost:8080/health; do sleep 1; done\n",
}


@pytest.mark.parametrize(("text", "expected"), BAD.values(), ids=BAD.keys())
def test_reported(text: str, expected: list[tuple[str, int, int]]) -> None:
    assert found(text, detector=CF) == expected


@pytest.mark.parametrize("text", GOOD.values(), ids=GOOD.keys())
def test_not_reported(text: str) -> None:
    assert found(text, detector=CF) == []
