"""Every rule message says first what is wrong, then how to fix it.

Each built-in rule's documented example is scanned through the CLI (as
``tests/rules/test_docs.py`` does); for every finding of that rule, the
diagnosis (the message up to its first ``; ``, `` — `` or ``: `` followed by
a fix, or its first sentence) must not open with a fix verb, and what follows
must hold a fix hint (an imperative from the list, or "did you mean").
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from auditor.rule import Rule
from tests.rules.test_docs import RULES, scan

FIX_VERBS = ("add", "remove", "fix", "use", "replace", "write", "move", "commit", "give", "keep",
             "provision", "split", "raise", "promote", "authenticate", "pin", "set", "declare",
             "delete", "rename", "simplify", "capture", "change", "grant", "drop", "run", "make",
             "put", "quote", "pass", "check", "read", "verify")  # fmt: skip
# "promote job 'x'", "verify job", "run step": role and step nouns open diagnoses too
OPENING_FIX_VERBS = frozenset(FIX_VERBS) - {"promote", "verify", "read", "check", "run", "pin"}
_SPLIT = re.compile(r"; | — |\. ")
_HINT = re.compile(r"\b(" + "|".join(FIX_VERBS) + r")\b|did you mean", re.I)


def diagnosis_and_fix(message: str) -> tuple[str, str]:
    """The message's first clause (what is wrong) and the rest (how to fix it)."""
    first = message.split("\n", 1)[0]
    parts = _SPLIT.split(first, maxsplit=1)
    return parts[0], parts[1] if len(parts) > 1 else ""


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_messages_say_what_is_wrong_then_how_to_fix_it(rule: Rule, tmp_path: Path) -> None:
    found = scan(rule, tmp_path, rule.example).findings(rule.id)
    assert found, f"{rule.id}: the example reports nothing"
    for f in found:
        what, fix = diagnosis_and_fix(f["message"])
        opening = what.split(" ", 1)[0].lower()
        assert opening not in OPENING_FIX_VERBS, f"{rule.id}: opens with a fix: {f['message']}"
        assert what.strip(), f["message"]
        assert _HINT.search(fix), f"{rule.id}: no fix hint after the diagnosis: {f['message']}"


def test_the_split_finds_diagnosis_and_fix() -> None:
    assert diagnosis_and_fix("x is wrong; remove it") == ("x is wrong", "remove it")
    assert diagnosis_and_fix("x is wrong") == ("x is wrong", "")
    assert not _HINT.search(diagnosis_and_fix("x is wrong")[1])


def test_an_unknown_key_with_no_near_name_still_says_how_to_fix_it(tmp_path: Path) -> None:
    from tests.conftest import check_json, write_files

    root = write_files(tmp_path / "repo", {".github/workflows/ci.yml": (
        "on: push\nzzqqxx: 1\njobs:\n  a:\n    runs-on: x\n    qqzzyy: 2\n    steps:\n      - run: echo\n"
    )})  # fmt: skip
    messages = [f["message"] for f in check_json(root, extra=("--no-policy",)).findings("workflow-structure")]
    assert len(messages) == 2, messages
    for message in messages:
        what, fix = diagnosis_and_fix(message)
        assert "unknown" in what and "did you mean" not in message
        assert _HINT.search(fix), message
