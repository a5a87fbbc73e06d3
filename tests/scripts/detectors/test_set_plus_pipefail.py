"""set-plus-pipefail: pipefail turned off before a pipeline that masks a failure."""

from __future__ import annotations

from tests.scripts.detectors.helpers import DEFAULT, STRICT, found

SP = "set-plus-pipefail"


def test_reported_where_pipefail_goes_off() -> None:
    assert found("set +o pipefail\ncurl -fsS https://x/digest | tee d.json\n", STRICT) == [(SP, 1, 1)]
    assert found("set -o pipefail\nset +o pipefail\n./deploy.sh | tee log\n", DEFAULT) == [(SP, 2, 1)]


def test_harmless_or_handled_pipelines_are_fine() -> None:
    assert found("set +o pipefail\ncat f | sort | uniq\n", STRICT) == []
    assert found("set +o pipefail\n./build.sh | tee log\nexit ${PIPESTATUS[0]}\n", STRICT) == []
    assert found("set +o pipefail\ncurl -fsS https://x | grep -q ok\n", STRICT) == []
