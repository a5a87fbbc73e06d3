"""trap-err-ignored: an empty ERR trap."""

from __future__ import annotations

from tests.scripts.detectors.helpers import found

TE = "trap-err-ignored"


def test_empty_err_traps() -> None:
    assert found("trap '' ERR\n") == [(TE, 1, 1)]
    assert found('echo x\ntrap "" ERR EXIT\n') == [(TE, 2, 1)]
    assert found("trap -- '' SIGERR\n") == [(TE, 1, 1)]


def test_other_traps() -> None:
    assert found("trap 'rm -f \"$tmp\"' EXIT\ntrap - ERR\ntrap 'echo failed' ERR\n") == []
