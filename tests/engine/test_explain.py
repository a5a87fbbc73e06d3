"""``auditor explain``: Markdown rendered on a terminal, its source when piped; the nearest
id for a typo; rule ids completed by the shell (click's completion protocol)."""

from __future__ import annotations

import os
import re
import subprocess

from tests.conftest import run_cli
from tests.ptyrun import AUDITOR, run_on_pty

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x1b]*\x1b\\")


def test_explain_renders_markdown_on_a_terminal_and_prints_the_source_when_piped() -> None:
    piped = subprocess.run([AUDITOR, "explain", "needs-cycle"], capture_output=True, text=True,
                           check=False, timeout=60)  # fmt: skip
    assert piped.returncode == 0 and piped.stdout.startswith("# needs-cycle\n")
    assert "```yaml" in piped.stdout and "\x1b" not in piped.stdout
    code, shown, err = run_on_pty("explain", "needs-cycle", columns=100)
    assert code == 0, err
    assert "\x1b[" in shown  # styled by rich
    plain = ANSI.sub("", shown)
    assert "needs-cycle" in plain and "What it does" in plain and "Use instead" in plain
    assert "```" not in plain and "## " not in plain and "# needs-cycle" not in plain  # rendered
    code, shown, err = run_on_pty("explain", "needs-cycle", env={"TERM": "dumb"})
    assert code == 0 and shown.startswith("# needs-cycle\n")  # a dumb terminal gets the source


def test_a_typo_suggests_the_nearest_rule_id_in_one_line() -> None:
    run = run_cli("explain", "neds-cycle")
    assert run.exit_code == 2 and run.stdout == ""
    assert run.stderr.count("\n") == 1 and "did you mean 'needs-cycle'?" in run.stderr
    far = run_cli("explain", "qqqqqqqq")
    assert far.exit_code == 2 and "did you mean" not in far.stderr and "unknown rule" in far.stderr


def _complete(*words: str) -> list[str]:
    env = {**os.environ, "_AUDITOR_COMPLETE": "bash_complete", "COMP_WORDS": " ".join(words),
           "COMP_CWORD": str(len(words) - 1)}  # fmt: skip
    proc = subprocess.run([AUDITOR], env=env, capture_output=True, text=True, check=False, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return [line.split(",", 1)[1] for line in proc.stdout.splitlines()]


def test_rule_ids_complete_for_explain_select_and_ignore() -> None:
    ids = [line.split()[0] for line in run_cli("rules").stdout.splitlines()]
    assert _complete("auditor", "explain", "needs-") == [i for i in ids if i.startswith("needs-")]
    assert sorted(_complete("auditor", "explain", "")) == sorted(ids)
    assert _complete("auditor", "check", "--select", "needs-cycle,file") == ["needs-cycle,file-too-large"]
    offered = _complete("auditor", "org", "--ignore", "needs-cycle,")
    assert "needs-cycle,needs-cycle" not in offered and len(offered) == len(ids) - 1
    assert _complete("auditor", "baseline", "--ignore", "parse") == ["parse-error"]
