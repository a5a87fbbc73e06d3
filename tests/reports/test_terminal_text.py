"""The text report on a real terminal: rule ids link to their pages, long messages wrap.

On a pty (``tests.ptyrun``) with a terminal that shows links, each rule id is
an OSC 8 hyperlink to ``rule_doc_url``; a message longer than the window goes
under its location, wrapped at the width and indented. Piped, or with
``NO_COLOR`` / ``TERM=dumb``, there is no escape sequence of either kind.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from auditor.rule_docs import rule_doc_url
from tests.conftest import write_files
from tests.ptyrun import AUDITOR, run_on_pty
from tests.reports.pipelines import PATH, with_continue_on_error

ANSI = re.compile(r"\x1b\[[0-9;]*m|\x1b\]8;;[^\x1b]*\x1b\\")
OSC8 = re.compile(r"\x1b\]8;;([^\x1b]*)\x1b\\([^\x1b]*)\x1b\]8;;\x1b\\")


def _repo(tmp_path: Path) -> Path:
    return write_files(tmp_path / "app", {PATH: with_continue_on_error()})


def _piped(root: Path) -> str:
    proc = subprocess.run([AUDITOR, "check", "--no-cache", "--no-policy", str(root)],
                          capture_output=True, text=True, check=False, timeout=120)  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    return proc.stdout


def test_rule_ids_are_hyperlinks_to_their_pages_on_a_terminal(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    code, shown, err = run_on_pty("check", "--no-cache", "--no-policy", str(root), columns=200)
    assert code == 1, err
    links = OSC8.findall(shown)
    rules = re.findall(r"^\S+:\d+:\d+: \w+\[([a-z-]+)\]", _piped(root), re.M)
    assert rules and [text for _url, text in links] == rules
    assert all(url == rule_doc_url(text) for url, text in links)


def test_long_messages_wrap_under_the_location_at_the_terminal_width(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    piped = _piped(root)
    heads = [line for line in piped.splitlines() if re.match(r"^\S+:\d+:\d+: \w+\[", line)]
    assert max(len(h) for h in heads) > 60  # there is something to wrap
    code, shown, err = run_on_pty("check", "--no-cache", "--no-policy", str(root), columns=60)
    assert code == 1, err
    plain = ANSI.sub("", shown)
    lines = plain.splitlines()
    for head in heads:
        location, message = re.match(r"^(\S+:\d+:\d+: \w+\[[a-z-]+\]) (.*)$", head).groups()  # type: ignore[union-attr]
        at = lines.index(location)  # the location alone on its line
        wrapped: list[str] = []
        expected = " ".join(message.split())
        for line in lines[at + 1:]:  # the message lines, then the source excerpt
            if len(" ".join(wrapped)) >= len(expected):
                break
            assert line.startswith("    ") and len(line) <= 60, line
            wrapped.append(line.strip())
        assert len(wrapped) > 1 and " ".join(wrapped) == expected


def test_piped_no_color_and_dumb_terminals_get_plain_text(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    assert "\x1b" not in _piped(root)
    for env in ({"NO_COLOR": "1"}, {"TERM": "dumb"}):
        code, shown, err = run_on_pty("check", "--no-cache", "--no-policy", str(root), columns=200, env=env)
        assert code == 1, err
        assert "\x1b]8;;" not in shown, env
