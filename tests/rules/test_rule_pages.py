"""The published rule pages (docs/rules) are generated from the rules and cannot drift.

``auditor docs --output-dir DIR`` regenerates them into tmp; every file must equal
the committed one, every built-in rule (``auditor rules``) must have its page,
the page must be what ``auditor explain`` prints, and the installed package must
carry the same pages (``explain`` reads them offline).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli

COMMITTED = ROOT / "docs" / "rules"


def _rule_ids() -> list[str]:
    run = run_cli("rules")
    assert run.exit_code == 0, run.stderr
    return [line.split()[0] for line in run.stdout.splitlines()]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pages") / "rules"
    run = run_cli("docs", "--output-dir", str(out))
    assert run.exit_code == 0, run.stderr
    return out


def test_committed_pages_equal_the_generated_ones(generated: Path) -> None:
    made = sorted(p.name for p in generated.glob("*.md"))
    committed = sorted(p.name for p in COMMITTED.glob("*.md"))
    assert made == committed, "regenerate with: auditor docs --output-dir docs/rules"
    for name in made:
        assert (generated / name).read_text(encoding="utf-8") == (COMMITTED / name).read_text(
            encoding="utf-8"
        ), f"docs/rules/{name} is stale: run `auditor docs --output-dir docs/rules`"


def test_every_builtin_rule_has_its_page_and_the_index_links_it(generated: Path) -> None:
    index = (COMMITTED / "index.md").read_text(encoding="utf-8")
    ids = _rule_ids()
    assert len(ids) >= 20
    for rule_id in ids:
        page = (COMMITTED / f"{rule_id}.md").read_text(encoding="utf-8")
        assert page.startswith(f"# {rule_id}\n")
        for heading in ("## What it does", "## Why is this bad?", "## Example", "## Use instead",
                        "## Configuration"):  # fmt: skip
            assert heading in page, (rule_id, heading)
        assert f"[{rule_id}]({rule_id}.md)" in index


def test_explain_prints_the_page(generated: Path) -> None:
    for rule_id in _rule_ids():
        run = run_cli("explain", rule_id)
        assert run.exit_code == 0, run.stderr
        assert run.stdout == (COMMITTED / f"{rule_id}.md").read_text(encoding="utf-8")


def test_the_package_carries_the_pages() -> None:
    shipped = resources.files("auditor").joinpath("docs", "rules")
    for rule_id in _rule_ids():
        page = shipped.joinpath(f"{rule_id}.md")
        assert page.is_file(), rule_id
        assert page.read_text(encoding="utf-8") == (COMMITTED / f"{rule_id}.md").read_text(encoding="utf-8")


def test_stale_pages_are_removed_and_a_file_as_folder_is_one_line(tmp_path: Path) -> None:
    out = tmp_path / "rules"
    out.mkdir()
    (out / "gone-rule.md").write_text("# gone-rule\n", encoding="utf-8")
    (out / "keep.txt").write_text("not a page\n", encoding="utf-8")
    assert run_cli("docs", "--output-dir", str(out)).exit_code == 0
    assert not (out / "gone-rule.md").exists() and (out / "keep.txt").exists()
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    run = run_cli("docs", "--output-dir", str(blocker))
    assert run.exit_code == 2 and "is a file" in run.stderr
    assert run.stderr.startswith("auditor: error: ") and len(run.stderr.strip().splitlines()) == 1, run.stderr
    run = run_cli("docs", "--output-dir", str(blocker / "rules"))
    assert run.exit_code == 2
    assert run.stderr.startswith("auditor: ") and len(run.stderr.strip().splitlines()) == 1, run.stderr
