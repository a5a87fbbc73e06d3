"""The compliance page in Debian's headless Chromium (Playwright): filters by severity and
rule, collapsible sections, the links' targets, the trends section; and the 241
repositories of the wild corpus as the scale case (opens and filters; timing is for
``bench/org_html.py``, never asserted)."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.reports.html import OPEN_UP_TO
from auditor.rule_docs import rule_doc_url
from tests.conftest import run_cli
from tests.org.browser import open_page
from tests.org.conftest import git
from tests.org.test_compliance import compared_org

WILD = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "wild"


def _visible_rows(page: object) -> list[tuple[str, str]]:
    rows = page.query_selector_all("tr.f")  # type: ignore[attr-defined]
    return [(r.get_attribute("data-sev"), r.get_attribute("data-rule")) for r in rows if r.is_visible()]


def test_filters_sections_links_and_trends(tmp_path: Path) -> None:
    repos, before = compared_org(tmp_path)
    out = tmp_path / "org.html"
    run = run_cli("org", "-q", "--no-cache", "--compare", str(before), "--report", f"html:{out}",
                  *map(str, repos.values()))  # fmt: skip
    assert run.exit_code == 1, run.stderr
    head = git(repos["gh"], "rev-parse", "HEAD").strip()
    with open_page(out) as seen:
        page = seen.page
        assert page.inner_text("#policy") == "defaults"
        assert page.inner_text("#scan-date").endswith("UTC")
        everything = _visible_rows(page)
        sevs = {s for s, _ in everything}
        assert len(everything) > 2 and {"error", "warning"} <= sevs  # two repositories: open
        # severity: errors off leaves only the others
        page.uncheck("#sev-error")
        left = _visible_rows(page)
        assert left and all(s != "error" for s, _ in left)
        assert len(left) == sum(1 for s, _ in everything if s != "error")
        page.check("#sev-error")
        # rule: one rule left, sections without it hidden
        page.select_option("#rule-filter", "needs-unknown-job")
        only = _visible_rows(page)
        assert only and {r for _, r in only} == {"needs-unknown-job"}
        assert page.inner_text("#filter-count") == f"{len(only)} finding(s) shown"
        page.select_option("#rule-filter", "")
        assert len(_visible_rows(page)) == len(everything)
        # a section closes and opens
        section = page.locator("details.repo[data-repo='gh']")
        section.locator("summary").click()
        assert section.get_attribute("open") is None
        assert not page.locator("details.repo[data-repo='gh'] tr.f").first.is_visible()
        section.locator("summary").click()
        assert section.get_attribute("open") is not None
        # links: the forge file at the scanned commit, the rule's page
        row = page.locator("details.repo[data-repo='gh'] tr.f").first
        rule = row.get_attribute("data-rule")
        assert row.locator("a.doc").get_attribute("href") == rule_doc_url(rule or "")
        href = row.locator("td:nth-child(3) a").get_attribute("href") or ""
        assert href.startswith(f"https://github.com/acme/gh/blob/{head}/.github/workflows/release.yml#L")
        assert page.locator("details.repo[data-repo='gh'] a.forge").get_attribute("href") == \
            "https://github.com/acme/gh"
        # trends: new and fixed counted, new findings badged, fixed ones listed
        new, fixed = int(page.inner_text("#trend-new")), int(page.inner_text("#trend-fixed"))
        assert new >= 1 and fixed >= 1
        assert page.locator("details.repo[data-repo='gh'] .badge.new").count() == new + 1  # + summary
        assert page.locator("#fixed-list tr.fixed-f").count() == fixed
        assert page.locator("#trend-repository tr[data-key='cb'] td").nth(1).inner_text() == "0"
        # the waivers and suppressions list, the role reasons
        assert "OPS-12" in page.inner_text("#exemptions-table")
        assert "name-only promote" in page.inner_text("details.repo[data-repo='gh'] table.quiet")
        assert seen.errors == [] and seen.requests == []


@pytest.mark.skipif(not WILD.is_dir(), reason=f"the wild corpus is absent ({WILD}: ../shared)")
def test_the_241_repository_page_opens_and_filters(tmp_path: Path) -> None:
    out = tmp_path / "wild.html"
    # <owner>__<repo>/<commit12>/: each repository's files are one folder down
    roots = sorted(str(p) for p in WILD.glob("*/*") if p.is_dir())
    assert len(roots) == 241
    run = run_cli("org", "-q", "--no-cache", "--report", f"html:{out}", "--format", "json",
                  "-o", str(tmp_path / "wild.json"), *roots)  # fmt: skip
    assert run.exit_code in (0, 1), run.stderr
    with open_page(out) as seen:
        page = seen.page
        sections = page.locator("details.repo")
        count = sections.count()
        assert count > OPEN_UP_TO and page.locator("details.repo[open]").count() == 0
        assert page.locator("#matrix tbody tr").count() == count
        rule = page.locator("#rule-filter option").nth(1).get_attribute("value") or ""
        page.select_option("#rule-filter", rule)
        shown = int(page.inner_text("#filter-count").split()[0])
        expected = page.locator(f"tr.f[data-rule='{rule}']").count()
        assert shown == expected > 0
        hidden = page.evaluate("Array.from(document.querySelectorAll('details.repo')).filter(d => d.hidden).length")
        with_rule = page.evaluate(
            f"new Set(Array.from(document.querySelectorAll(\"tr.f[data-rule='{rule}']\"))"
            ".map(r => r.closest('details').id)).size")  # fmt: skip
        assert hidden == count - with_rule
        assert seen.errors == [] and seen.requests == []
