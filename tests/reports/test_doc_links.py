"""Every finding links to its rule's page: Markdown (parsed) and HTML (in Chromium).

The Markdown report is rendered with a CommonMark parser and each finding's
rule id must be a link to ``rule_doc_url``; the single-repository HTML report
is opened in headless Chromium and the DOM it builds must hold one such link
per finding.
"""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from auditor.rule_docs import rule_doc_url
from tests.conftest import run_cli, write_files
from tests.reports.pipelines import PATH, with_continue_on_error

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


def _findings(root: Path) -> list[str]:
    return [f["rule"] for f in run_cli("check", "--no-policy", "--format", "json", str(root)).findings()]


class _Links(HTMLParser):
    """(href, text) of every <a>."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href, self._text = dict(attrs).get("href") or "", []

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._text)))
            self._href = None


def _links(html: str) -> list[tuple[str, str]]:
    parser = _Links()
    parser.feed(html)
    return parser.links


def test_markdown_links_each_rule_id_to_its_page(tmp_path: Path) -> None:
    root = write_files(tmp_path / "app", {PATH: with_continue_on_error()})
    rules = _findings(root)
    run = run_cli("check", "--no-policy", "--format", "markdown", str(root))
    assert run.exit_code == 1
    links = [(h, t) for h, t in _links(MarkdownIt("commonmark").enable("table").render(run.stdout))
             if t in rules]  # fmt: skip
    assert all(href == rule_doc_url(text) for href, text in links)
    per_finding = [t for h, t in links]
    for rule_id in set(rules):  # the summary row plus one per finding
        assert per_finding.count(rule_id) == rules.count(rule_id) + 1


@pytest.mark.skipif(not shutil.which(CHROMIUM), reason="no Chromium at /usr/bin/chromium")
def test_html_report_links_each_finding_to_its_rule_page_in_chromium(tmp_path: Path) -> None:
    root = write_files(tmp_path / "app", {PATH: with_continue_on_error()})
    rules = _findings(root)
    page = tmp_path / "report.html"
    run = run_cli("check", "--no-policy", "--format", "text", "--report", f"html:{page}", str(root))
    assert run.exit_code == 1, run.stderr
    proc = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
                           page.as_uri()], capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert proc.returncode == 0 and "<table" in proc.stdout, proc.stderr[-500:]
    links = [(h, t) for h, t in _links(proc.stdout) if t in rules]
    assert sorted(t for _h, t in links) == sorted(rules)
    assert all(href == rule_doc_url(text) for href, text in links)
