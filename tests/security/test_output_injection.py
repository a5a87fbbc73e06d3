"""Output stays well formed: no repository string becomes a workflow command, a line
break or a terminal escape in any format, on stdout or stderr.

A CI runner reads a step's output line by line: ``::name …::data`` at the
start of a line (after leading whitespace, ``TrimStart``) and the legacy
``##[name]data`` anywhere in a line are workflow commands (actions/runner's
``ActionCommand.TryParseV2`` / ``TryParse``; ``##[stop-commands]`` even turns
command processing off). The reproducer of issue 11: a newline in a step name
put an indented ``::error::…`` line into the *text* output.

The hostile repository carries such text in every place a report quotes:
a step name, a job id, a file name, a source line (a block-scalar line that
starts with ``::``), a policy key (stderr) and an org drift diff. Every format
is rendered through the real CLI in a subprocess, and every line of it is
checked the way a runner would read it. Structured formats must still carry
the exact strings.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import write_files

TIMEOUT = 120
FORMATS = ("text", "json", "sarif", "junit", "github", "markdown", "html", "csv")

INJECT = "\n  ::error::INJECTED\r::warning::CR ##[stop-commands]tok \x1b[2J\x07\u2028::notice::LS \u202eRLO"
STEP_NAME = "push" + INJECT
JOB_ID = "::error::JOBID ##[error]J"
FILE_NAME = "a\n::error::FILE ##[error]F.yml"
SOURCE_LINE = "::error::SOURCE ##[add-mask]S ${{ needs.publish.outputs.nope }}"

WORKFLOW = f"""\
on: push
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - name: {json.dumps(STEP_NAME)}
        run: docker push ghcr.io/o/app:latest
  {json.dumps(JOB_ID)}:
    needs: publish
    runs-on: ubuntu-latest
    steps:
      - name: {json.dumps(STEP_NAME)}
        continue-on-error: true
        run: |
          curl -X POST https://cp.example/promote || true
          {SOURCE_LINE}
"""
SECOND = "on: push\njobs:\n  a:\n    runs-on: x\n    needs: [ghost]\n    steps: [{run: echo}]\n"

# What a terminal or a log viewer must never get raw from a repository.
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
COMMAND_NAMES = {"error", "warning", "notice"}
PROPERTIES = {"file", "line", "col", "endLine", "endColumn", "title"}


def _run(*args: str | Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "auditor", *map(str, args)], capture_output=True, text=True,
        timeout=TIMEOUT, env=env, check=False, encoding="utf-8", errors="strict",
    )  # fmt: skip


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    out = dict(os.environ, AUDITOR_CACHE_DIR=str(tmp_path / "cache"), NO_COLOR="1")
    out.pop("FORCE_COLOR", None)
    return out


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    return write_files(tmp_path / "hostile", {
        ".github/workflows/release.yml": WORKFLOW, f".github/workflows/{FILE_NAME}": SECOND,
    })  # fmt: skip


def _lines(text: str) -> list[str]:
    """Lines as a runner splits them (``\\n``, ``\\r``), and as Python does (a superset)."""
    return re.split(r"\r\n|\r|\n", text) + text.splitlines()


def _unescape(value: str, prop: bool) -> str:
    pairs = [("%0D", "\r"), ("%0A", "\n")] + ([("%3A", ":"), ("%2C", ",")] if prop else [])
    for escaped, char in [*pairs, ("%25", "%")]:
        value = value.replace(escaped, char)
    return value


def parse_command(line: str) -> tuple[str, dict[str, str], str]:
    """A line the way actions/runner's ``ActionCommand.TryParseV2`` reads it."""
    body = line.lstrip()
    assert body.startswith("::"), line
    end = body.index("::", 2)
    info, data = body[2:end], body[end + 2 :]
    name, _, props = info.partition(" ")
    properties = {}
    for prop in props.split(","):
        key, sep, value = prop.partition("=")
        if key and sep:
            properties[key] = _unescape(value, prop=True)
    return name, properties, _unescape(data, prop=False)


def assert_inert(out: str, fmt: str) -> list[tuple[str, dict[str, str], str]]:
    """No raw control character, no workflow command but the github format's own."""
    assert not RAW.search(out), sorted({repr(c) for c in RAW.findall(out)})
    for line in _lines(out):
        if line.lstrip().startswith("::"):
            assert fmt == "github", f"{fmt}: a workflow command: {line[:160]!r}"
    commands = []
    for line in re.split(r"\r\n|\r|\n", out):
        if line.lstrip().startswith("::"):
            name, properties, data = parse_command(line)
            assert name in COMMAND_NAMES and set(properties) <= PROPERTIES, line[:160]
            commands.append((name, properties, data))
    if fmt != "github":
        # In the github format every line is one of our commands, which the runner parses
        # (TryParseV2) before it would look for a legacy ``##[`` in it.
        assert "##[" not in out, out[out.index("##[") - 80 : out.index("##[") + 40]
    return commands


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_repository_string_becomes_a_command_or_an_escape(
    hostile: Path, env: dict[str, str], fmt: str
) -> None:
    run = _run("check", "--no-cache", "--format", fmt, hostile, env=env)
    assert run.returncode == 1, run.stderr
    assert run.stderr == ""
    commands = assert_inert(run.stdout, fmt)
    if fmt == "github":
        assert len(commands) >= 5  # one per finding, each still a whole command
        files = {props["file"] for _, props, _ in commands}
        assert files == {f"{hostile}/.github/workflows/release.yml",
                         f"{hostile}/.github/workflows/a\n::error::FILE ##[error]F.yml"}
        assert any("INJECTED" in data and "\n" not in data for _, _, data in commands)
    if fmt in ("text", "markdown", "html", "junit"):
        assert "INJECTED" in run.stdout and "SOURCE" in run.stdout  # shown, as data


def test_text_keeps_the_caret_under_the_column_on_an_escaped_line(
    hostile: Path, env: dict[str, str]
) -> None:
    out = _run("check", "--no-cache", "--select", "needs-output-unwired", hostile, env=env).stdout
    lines = out.splitlines()
    at = next(i for i, line in enumerate(lines) if "SOURCE" in line and "${{" in line)
    shown, caret = lines[at], lines[at + 1]
    assert shown.lstrip().startswith("\\x3a:error::SOURCE #\\x23[add-mask]")
    reference = "needs.publish.outputs.nope"
    assert shown[caret.index("^") :].startswith(reference + " }}")
    assert caret.strip() == "^" + "~" * (len(reference) - 1)


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_structured_formats_keep_the_exact_strings(
    hostile: Path, env: dict[str, str], fmt: str
) -> None:
    doc = json.loads(_run("check", "--no-cache", "--format", fmt, hostile, env=env).stdout)
    if fmt == "json":
        steps = [f["step"] for f in doc["findings"] if f["step"]]
        assert STEP_NAME in {s["name"] for s in steps}
        assert JOB_ID in {f["job"] for f in doc["findings"]}
        assert ".github/workflows/" + FILE_NAME in {f["path"] for f in doc["findings"]}
    else:
        uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                for r in doc["runs"][0]["results"]}  # fmt: skip
        assert any("%0A%3A%3Aerror%3A%3AFILE" in uri for uri in uris)
        jobs = {r.get("properties", {}).get("job") for r in doc["runs"][0]["results"]}
        assert JOB_ID in jobs


def test_junit_and_html_stay_well_formed_and_lossless(hostile: Path, env: dict[str, str]) -> None:
    junit = ET.fromstring(_run("check", "--no-cache", "--format", "junit", hostile, env=env).stdout)
    names = {suite.get("name") for suite in junit.iter("testsuite")}
    assert f"{hostile}/.github/workflows/a\n::error::FILE ##[error]F.yml" in names  # read back
    html = _run("check", "--no-cache", "--format", "html", hostile, env=env).stdout
    assert "#&#35;[add-mask]S" in html and "&#10;" in html


def test_policy_errors_are_one_escaped_line(tmp_path: Path, env: dict[str, str]) -> None:
    key = "x\n::error::POLICY\x1b[31m\x07 ##[error]P"
    root = write_files(tmp_path / "repo", {
        ".github/workflows/ci.yml": SECOND, ".auditor.yml": f"version: 1\nrules:\n  {json.dumps(key)}: error\n",
    })  # fmt: skip
    run = _run("check", "--no-cache", root, env=env)
    assert run.returncode == 2 and run.stdout == ""
    (line,) = run.stderr.splitlines()
    assert line.startswith("auditor: error: ") and "unknown rule id" in line
    assert "x\\n::error::POLICY\\x1b[31m\\x07 #\\x23[error]P" in line
    assert_inert(run.stderr, "stderr")


def test_org_errors_and_progress_are_escaped(tmp_path: Path, env: dict[str, str]) -> None:
    bad = tmp_path / "nope\n::error::ORG\x1b]0;t\x07"
    good = write_files(tmp_path / "good", {".github/workflows/ci.yml": SECOND})
    run = _run("org", "--no-cache", "--root", bad, env=env)
    assert run.returncode == 2
    assert len(run.stderr.splitlines()) == 1 and "no such directory" in run.stderr
    assert_inert(run.stderr, "stderr")
    listed = tmp_path / "repos.txt"
    listed.write_text(f"{good}\n")
    run = _run("org", "--no-cache", "--repos", listed, "--ref", "main##[error]R", env=env)
    assert run.returncode in (0, 1, 2), run.stderr
    assert "Traceback" not in run.stderr
    assert_inert(run.stderr, "stderr")


def _drift_repos(tmp_path: Path) -> tuple[list[Path], Path]:
    script = ".gitea/scripts/verify.sh"
    canonical = "#!/bin/sh\ntest \"$PIN\" = \"$DIGEST\"\n"
    hostile = "#!/bin/sh\n::error::DRIFT\n  ##[stop-commands]tok\n\x1b[31mred\n"
    repos = [write_files(tmp_path / f"svc-{c}", {".github/workflows/ci.yml": SECOND, script: canonical})
             for c in "ab"]  # fmt: skip
    repos.append(write_files(tmp_path / "svc-c", {".github/workflows/ci.yml": SECOND,
                                                   script: hostile}))  # fmt: skip
    policy = tmp_path / "org.yml"
    policy.write_text(f"version: 1\nshared_files:\n  - path: {script}\n")
    return repos, policy


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_org_drift_diff_is_inert_in_every_format(
    tmp_path: Path, env: dict[str, str], fmt: str
) -> None:
    repos, policy = _drift_repos(tmp_path)
    run = _run("org", "--no-cache", "--quiet", "--policy", policy, "--format", fmt, *repos, env=env)
    assert run.returncode == 1, run.stderr
    assert "DRIFT" in run.stdout  # the diff is there, as data
    commands = assert_inert(run.stdout, fmt)
    if fmt == "github":
        (drift,) = [data for _, props, data in commands if "DRIFT" in data]
        assert "+::error::DRIFT\n+  ##[stop-commands]tok" in drift  # one annotation, many lines


def test_reports_copy_a_bounded_excerpt_not_the_line_per_finding(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """Issue 11: one line of 2,000 references is 2,000 findings; each report copied the
    whole 50 KB line for each (gigabytes at 10,000). Now every report grows by a bounded
    amount per finding, and the text caret still sits under each finding's column."""
    n = 2000
    refs = " ".join(["${{ needs.a.outputs.b }}"] * n)
    root = write_files(tmp_path / "refs", {".github/workflows/refs.yml": (
        "on: push\njobs:\n  a:\n    runs-on: x\n    steps: [{run: echo}]\n"
        f"  b:\n    runs-on: x\n    needs: a\n    steps:\n      - run: echo {refs}\n"
    )})  # fmt: skip
    line_length = len(f"      - run: echo {refs}")
    for fmt in ("text", "junit", "html", "markdown", "json", "sarif", "github"):
        run = _run("check", "--no-cache", "--format", fmt, root, env=env)
        assert run.returncode == 1, run.stderr
        per_finding = len(run.stdout.encode()) / n
        assert per_finding < 1_500, f"{fmt}: {per_finding:.0f} bytes per finding"
        assert per_finding < line_length / 20
    text = _run("check", "--no-cache", root, env=env).stdout.splitlines()
    heads = [i for i, line in enumerate(text) if "error[needs-output-unwired]" in line]
    assert len(heads) == n
    for i in (heads[0], heads[n // 2], heads[-1]):
        shown, caret = text[i + 1], text[i + 2]
        assert len(shown) <= 2 + 200 + 2 and len(caret) <= len(shown)  # "  " and "…" marks
        assert shown[caret.index("^") :].startswith("needs.a.outputs.b }}")
    assert text[heads[-1] + 1].rstrip().endswith("}}") and "…" in text[heads[-1] + 1]
