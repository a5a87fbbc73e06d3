"""set-plus-e: errexit turned off before a command that matters; reported once per region."""

from __future__ import annotations

from tests.scripts.detectors.helpers import NO_E, body, found

SE = "set-plus-e"


def test_reported_once_where_it_starts_and_others_stay_silent() -> None:
    text = "echo start\nset +eu\n./a.sh || true\nexport D=$(crane digest img)\n./promote.sh\nset -e\n"
    assert found(text) == [(SE, 2, 1)]


def test_each_region_is_its_own_finding() -> None:
    text = "".join(f"set +e\n./step{i}.sh\nset -e\n" for i in range(3))
    assert found(text) == [(SE, 1, 1), (SE, 4, 1), (SE, 7, 1)]


def test_plain_assignment_carries_the_status() -> None:
    assert found('set +o errexit\nout=$(./scripts/promote.sh)\necho "$out"\n') == [(SE, 1, 1)]


def test_status_read_cleanup_and_conditions_are_fine() -> None:
    assert found('set +e\n./scripts/check.sh\nrc=$?\nset -e\n[ "$rc" -eq 0 ] || exit "$rc"\n') == []
    assert found("set +e\nrm -rf build\ndocker rm -f db\nset -e\n") == []
    assert found("set +e\nif ./deploy.sh; then echo ok; fi\nset -e\n") == []
    tested = body("""
        set +e
        code=$(curl -s -o /dev/null -w '%{http_code}' https://x)
        set -e
        [ "$code" = 200 ] || exit 1
        """)
    assert found(tested) == []


def test_without_errexit_there_is_nothing_to_turn_off() -> None:
    assert found("set +e\n./deploy.sh\necho hi\n", NO_E, detector=SE) == []
