"""Every rule of this issue documents itself for `auditor explain`."""

from __future__ import annotations

import pytest

from tests.conftest import run_cli
from tests.rules.helpers import PIPELINE_RULES


@pytest.mark.parametrize("rule", PIPELINE_RULES)
def test_explain(rule: str) -> None:
    run = run_cli("explain", rule)
    assert run.exit_code == 0, run.stderr
    for heading in ("## What it does", "## Why is this bad?", "## Example", "## Use instead"):
        assert heading in run.stdout
