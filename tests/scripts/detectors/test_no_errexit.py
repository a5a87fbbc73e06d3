"""no-errexit: a shell without -e runs on after a failing command."""

from __future__ import annotations

from auditor.scripts.shell import analyse_shell
from auditor.scripts.shells import resolve_shell
from tests.scripts.detectors.helpers import DEFAULT, NO_E, found

NE = "no-errexit"


def test_reported_once_at_the_start_of_the_body() -> None:
    assert found("echo start\n./scripts/promote.sh\necho done\n", NO_E) == [(NE, 1, 1)]
    assert found("curl -f https://x/promote\nexit 0\n", resolve_shell("sh {0}")) == [(NE, 1, 1)]
    assert found("./a.sh\nset -e\n./b.sh\n", NO_E) == [(NE, 1, 1)]
    (issue,) = analyse_shell("./a.sh && echo ok\n./b.sh\n", NO_E).issues
    assert "`./a.sh`" in issue.message


def test_not_reported() -> None:
    assert found("./a.sh\n./b.sh\n", DEFAULT) == []  # errexit from the runner default
    assert found("set -euo pipefail\n./a.sh\n./b.sh\n", NO_E) == []
    assert found("./scripts/promote.sh\n", NO_E) == []  # the last command's status is the step's
    assert found("./a.sh || exit 1\n./b.sh\n", NO_E) == []
    assert found('if [ "$X" = 1 ]; then\n  ./promote.sh\nfi\n', NO_E) == []


def test_not_claimed_on_a_broken_body() -> None:
    report = analyse_shell("./a.sh\n./b.sh\nif then\n", NO_E)
    assert report.parse_error is not None
    assert all(i.detector != NE for i in report.issues)
