"""``--help`` is documentation a user reads first: examples, exit codes, whole summaries,
help on every option, paths typed as paths (the shell completes them)."""

from __future__ import annotations

import os
import re
import subprocess

import click

from auditor.cli import main
from tests.conftest import ROOT, run_cli
from tests.ptyrun import AUDITOR

PATH_PARAMS = {"paths", "path", "files", "output", "policy_file", "baseline_file", "root",
               "repos_file", "mirror_dir", "output_dir"}  # fmt: skip


def _commands() -> dict[str, click.Command]:
    assert isinstance(main, click.Group)
    return dict(main.commands)


def test_main_help_shows_examples_exit_codes_and_whole_summaries() -> None:
    run = run_cli("--help")
    assert run.exit_code == 0
    text = run.stdout
    assert "Examples:" in text and "auditor check ." in text
    codes = dict(re.findall(r"^\s+(\d+)\s+(.+)$", text.split("Exit codes:")[1], re.M))
    assert set(codes) == {"0", "1", "2", "3", "130", "141"}, codes
    assert "--fail-on" in codes["1"] and "interrupted" in codes["130"]
    assert "_AUDITOR_COMPLETE=bash_source auditor" in text
    listing = text.split("Commands:")[1].split("Examples:")[0]
    flat = " ".join(listing.split())
    for name, cmd in _commands().items():
        summary = " ".join((cmd.help or "").split("\n\n")[0].split())
        assert f"{name} {summary}" in flat, name  # whole, not cut with "..."
    assert "..." not in flat.replace("json:...", "")


def test_every_command_and_option_has_help() -> None:
    for name, cmd in _commands().items():
        run = run_cli(name, "--help")
        assert run.exit_code == 0 and run.stdout.startswith(f"Usage: main {name}"), name
        assert (cmd.help or "").strip(), name
        for param in cmd.params:
            if isinstance(param, click.Option):
                assert (param.help or "").strip(), f"{name} {param.opts}"
                for opt in param.opts:
                    assert opt in run.stdout, (name, opt)


def test_file_arguments_are_paths() -> None:
    seen = set()
    for name, cmd in _commands().items():
        for param in cmd.params:
            if param.name in PATH_PARAMS:
                seen.add(param.name)
                if name == "org" and param.name == "paths":
                    continue  # paths or git URLs
                assert isinstance(param.type, click.Path), (name, param.name)
                assert param.type.type is str or param.type.type is None, (name, param.name)
    assert seen == PATH_PARAMS


def test_readme_documents_shell_completion() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "_AUDITOR_COMPLETE=bash_source auditor" in readme
    assert "_AUDITOR_COMPLETE=zsh_source auditor" in readme
    env = {**os.environ, "_AUDITOR_COMPLETE": "bash_source"}
    proc = subprocess.run([AUDITOR], env=env, capture_output=True, text=True, check=False, timeout=60)
    assert proc.returncode == 0 and "complete -o nosort -F _auditor_completion auditor" in proc.stdout
