"""Code spans in the Markdown report render their text literally, backticks and pipes included.

Each test runs the real CLI and parses its Markdown with a real CommonMark parser
(markdown-it-py, tables on as GitHub has them), then compares the text of every
``<code>`` element with the strings the repository and the rule put there.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from tests.conftest import run_cli, write_files
from tests.reports.pipelines import PATH, RELEASE

# One backtick, two in a row, a leading and a trailing one, and pipes.
VALUES = ("a`b", "x ``y`` z", "`lead", "trail`", "`both`", "p|q", "``")

RULE_ID = "team|odd`id"
CUSTOM_RULE = f'''
"""A rule whose messages quote values full of backticks, as a custom rule may."""
from auditor.findings import hit
from auditor.rule import Rule

VALUES = {VALUES!r}


def check(ctx):
    job = ctx.workflow.jobs[0]
    for value in VALUES:
        yield hit(job.key, f"the value `{{value}}` is odd; quote it", "odd-" + value, job=job.id)


RULE = Rule(
    id={RULE_ID!r}, severity="error", summary="Values | with `ticks`.",
    what="Reports odd values.", why="They are odd.",
    example="on: push\\njobs:\\n  a:\\n    runs-on: x\\n    steps: [{{run: echo}}]\\n",
    use_instead="on: push\\njobs:\\n  a:\\n    runs-on: x\\n    steps: [{{run: echo}}]\\n",
    example_path=".github/workflows/we`ird ``x``.yml",
    check=check,
)
'''

STEP_NAME = "`tick a`b ``c`` |pipe|`"
SNIPPET = "./deploy.sh `cat pin`"
ODD_PATH = ".github/workflows/we`ird ``x``.yml"


def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table")


def _codes(markdown: str) -> list[str]:
    """The text of every inline code element, as a browser would show it."""
    found: list[str] = []

    def walk(tokens: list[Token]) -> None:
        for token in tokens:
            if token.type == "code_inline":
                found.append(token.content)
            if token.children:
                walk(token.children)

    walk(_parser().parse(markdown))
    return found


def _table_cells(markdown: str) -> list[str]:
    """The rendered HTML of each body cell of the summary table."""
    html = _parser().render(markdown)
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [cell.split("</td>", 1)[0] for cell in body.split("<td")[1:]]


@pytest.fixture
def odd_repo(tmp_path: Path) -> Path:
    """A release pipeline whose promote step has an odd name and a swallowed failure around
    a snippet with backticks, a workflow whose file name holds backticks, and a custom rule
    (id with a pipe and a backtick) quoting values full of backticks."""
    promote = RELEASE.replace("        id: promote\n", "", 1).replace(
        "      - name: Promote the digest\n", f"      - name: '{STEP_NAME}'\n", 1
    ).replace("          set -euo pipefail\n          curl --fail-with-body",
              f"          set -euo pipefail\n          {SNIPPET} || true\n          curl --fail-with-body", 1)
    assert STEP_NAME in promote and SNIPPET in promote
    root = write_files(tmp_path / "repo", {
        PATH: promote,
        ODD_PATH: "on: push\njobs:\n  a:\n    runs-on: x\n    steps: [{run: echo}]\n",
        "policy/odd.py": CUSTOM_RULE,
    })  # fmt: skip
    (tmp_path / "policy.yml").write_text(f"version: 1\ncustom_rules: [{root / 'policy' / 'odd.py'}]\n")
    return root


def test_values_paths_and_steps_with_backticks_render_literally(
    odd_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(odd_repo)  # paths shown relative to the repository, as in CI
    run = run_cli("check", "--policy", str(odd_repo.parent / "policy.yml"), "--format", "markdown", ".")
    assert run.exit_code == 1, run.stderr
    codes = _codes(run.stdout)
    for value in VALUES:  # inside a rule's message
        assert value in codes, (value, codes)
    assert STEP_NAME in codes  # the step of a finding's context
    assert SNIPPET in codes  # a snippet the swallowed-failure message quotes
    assert ODD_PATH in codes  # a file's heading
    assert RULE_ID in codes  # the finding's rule, outside the table
    # No stray backtick is left over as text: each one is inside a code span or block.
    html = _parser().render(run.stdout)
    assert "`" not in re.sub(r"<code[^>]*>.*?</code>|<summary>.*?</summary>", "", html, flags=re.S)
    # The graph's <summary> is raw HTML, where a Markdown escape would show as a backslash.
    assert f"<summary>{ODD_PATH}</summary>" in html


def test_pipes_and_backticks_in_the_summary_table(odd_repo: Path) -> None:
    run = run_cli("check", "--policy", str(odd_repo.parent / "policy.yml"), "--format", "markdown",
                  str(odd_repo))  # fmt: skip
    cells = _table_cells(run.stdout)
    rows = [cells[i : i + 4] for i in range(0, len(cells), 4)]
    assert all(len(row) == 4 for row in rows), rows  # no pipe split a row
    # the rule id: its code span kept whole, inside the link to its page
    odd = [row for row in rows if row[0].startswith('><a href="') and row[0].endswith(f"><code>{RULE_ID}</code></a>")]
    assert odd, rows
    assert odd[0][2].endswith(f">{2 * len(VALUES)}")  # on each of the two workflows
    assert odd[0][3] == ">Values | with <code>ticks</code>."  # the summary's own span is code


def test_rule_documentation_names_an_odd_example_path_literally(odd_repo: Path) -> None:
    run = run_cli("explain", RULE_ID, "--policy", str(odd_repo.parent / "policy.yml"))
    assert run.exit_code == 0, run.stderr
    assert _codes(run.stdout).count(ODD_PATH) == 2  # the example and "use instead"
