"""Every rule's documentation is a test: the example fires where it says, the fix is clean.

For each rule the engine loads, the example (the workflow at ``example_path``,
its ``example_files`` and its ``example_policy`` as ``.auditor.yml``) is
written into a fresh repository and checked with the real CLI (``auditor
check --format json``); the rule must report a finding at ``example_line`` of
``example_path``. Then ``use_instead`` replaces the example, with the same
files and policy, and the scan must report nothing at all, of any rule.

Rules tagged ``org`` only report in org scans (``auditor org``): their paths
are ``REPOSITORY/PATH``, every repository is a folder of one org root, and the
policy is passed with ``--policy``.

One recipe stands for text a documentation page must not hold literally:
``<U+XXXX>`` is the character with that code point (``bidi-control-character``
writes a real U+202E this way; printed as-is, the page would hide code itself).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from auditor.rule import POLICY_FILE, Rule, expand_placeholders, file_text
from auditor.rules_loader import builtin_rules
from tests.conftest import Run, run_cli

RULES = builtin_rules()
ORG_ROOT = "acme"  # org repositories are ``acme/REPO``: their slug is ``acme/REPO``


def is_org(rule: Rule) -> bool:
    return rule.reports_in_org_scans


def expand(text: str) -> str:
    """The file a documentation text stands for (``<U+XXXX>`` → that character)."""
    return expand_placeholders(file_text(text))


def scan(rule: Rule, tmp: Path, main_text: str) -> Run:
    """Write the rule's example repository (or org) with ``main_text`` at ``example_path``
    and scan it through the CLI; ``findings()`` of the result are the JSON report's."""
    root = tmp / (ORG_ROOT if is_org(rule) else "repo")
    files = [*rule.example_files, (rule.example_path, main_text)]
    for rel, text in files:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(expand(text), encoding="utf-8")
    args = ["-q", "--no-cache", "--format", "json"]
    if is_org(rule):
        if rule.example_policy is not None:
            policy = tmp / "org-policy.yml"
            policy.write_text(expand(rule.example_policy), encoding="utf-8")
            args += ["--policy", str(policy)]
        repos = sorted({rel.split("/", 1)[0] for rel, _ in files})
        run = run_cli("org", *args, *[str(root / r) for r in repos])
    elif "gate" in rule.tags:
        # a gate rule: the base revision holds use_instead, the change is the text given
        import subprocess

        (root / rule.example_path).write_text(expand(rule.use_instead), encoding="utf-8")
        git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.com"]
        subprocess.run([*git, "init", "-q"], check=True)
        subprocess.run([*git, "add", "-A"], check=True)
        subprocess.run([*git, "commit", "-qm", "base"], check=True)
        (root / rule.example_path).write_text(expand(main_text), encoding="utf-8")
        run = run_cli("check", *args[1:], "--new-since", "HEAD", str(root))
    else:
        if rule.example_policy is not None:
            (root / POLICY_FILE).write_text(expand(rule.example_policy), encoding="utf-8")
        run = run_cli("check", *args[1:], str(root))
    assert run.exit_code in (0, 1), f"exit {run.exit_code}: {run.stderr}"
    return run


def where(rule: Rule) -> dict[str, Any]:
    """What the example's finding must say about where it is."""
    if is_org(rule):
        repo, path = rule.example_path.split("/", 1)
        return {"repo": repo, "path": path, "line": rule.example_line}
    return {"path": rule.example_path, "line": rule.example_line}


def show(findings: list[dict[str, Any]]) -> str:
    return "\n".join(f"  {f['rule']} {f['severity']} {f.get('repo') or ''} {f['path']}:"
                     f"{f['line']}: {f['message'][:160]}" for f in findings) or "  (none)"  # fmt: skip


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_example_fires_at_its_line(rule: Rule, tmp_path: Path) -> None:
    assert rule.example_line is not None, f"{rule.id}: example_line is not set"
    findings = scan(rule, tmp_path, rule.example).findings()
    mine = [f for f in findings if f["rule"] == rule.id]
    want = where(rule)
    hits = [f for f in mine if all(f.get(k) == v for k, v in want.items())]
    assert hits, f"{rule.id}: no finding at {want}; the scan reported:\n{show(findings)}"
    if rule.id != "parse-error":  # an example that does not parse shows nothing else
        assert not [f for f in findings if f["rule"] == "parse-error"], show(findings)


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_use_instead_is_clean(rule: Rule, tmp_path: Path) -> None:
    run = scan(rule, tmp_path, rule.use_instead)
    findings = run.findings()
    assert findings == [], f"{rule.id}: use_instead is not clean:\n{show(findings)}"
    assert run.exit_code == 0


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_examples_are_complete_workflows(rule: Rule) -> None:
    """A workflow example holds ``on:`` and ``jobs:`` (what the forge requires); the line
    it names exists in it."""
    texts = [expand(rule.example), expand(rule.use_instead)]
    assert rule.example_line is not None and 1 <= rule.example_line <= len(
        texts[0].splitlines()), f"{rule.id}: example_line outside the example"
    if rule.example_path.endswith((".yml", ".yaml")) and "/workflows/" in rule.example_path:
        for text in texts:
            assert re.search(r"^on:", text, re.M) and re.search(r"^jobs:", text, re.M), rule.id


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_explain_prints_everything_the_example_needs(rule: Rule) -> None:
    run = run_cli("explain", rule.id)
    assert run.exit_code == 0, run.stderr
    out = run.stdout
    for heading in ("## What it does", "## Why is this bad?", "## Example", "## Use instead"):
        assert heading in out
    assert f"`{rule.example_path}`, reported at line {rule.example_line}:" in out
    for text in (rule.example, rule.use_instead):
        assert file_text(text) in out
    if rule.example_policy is not None:
        assert f"`{POLICY_FILE}`" in out and file_text(rule.example_policy) in out
    for path, text in rule.example_files:
        assert f"`{path}`" in out and file_text(text) in out
    # the page never holds the characters it warns about (bidi-control-character's
    # example writes them as <U+XXXX>, which the test expands)
    assert not re.search("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]", out), rule.id
