"""JUnit XML: a testsuite per workflow file, a testcase per rule checked, a failure per finding."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from junitparser import Failure, JUnitXml

from tests.conftest import run_cli, write_files
from tests.reports.pipelines import PATH, RELEASE, with_continue_on_error

CLEAN = "on: push\njobs:\n  a:\n    runs-on: x\n    steps: [{run: echo}]\n"
# Required by the common JUnit schemas (Ant's junit.xsd, Jenkins' junit-10.xsd).
SUITE_ATTRS = ("name", "tests", "failures", "errors", "time")
CASE_ATTRS = ("name", "classname", "time")


def junit_of(tmp_path: Path, *args: str) -> Path:
    out = tmp_path / "report.xml"
    run = run_cli("check", "--no-policy", "--report", f"junit:{out}", *args)
    assert run.exit_code in (0, 1), run.stderr
    return out


def test_suites_cases_and_failures(tmp_path: Path) -> None:
    root = write_files(tmp_path / "app", {
        PATH: with_continue_on_error(),
        ".github/workflows/clean.yml": CLEAN,
        ".gitea/workflows/broken.yml": "jobs: [unclosed\n",
    })  # fmt: skip
    out = junit_of(tmp_path, str(root))
    tree = ET.parse(out).getroot()
    assert tree.tag == "testsuites"
    for attr in ("name", "tests", "failures", "errors", "time"):
        assert tree.get(attr) is not None, attr
    suites = tree.findall("testsuite")
    names = [s.get("name", "") for s in suites]
    assert [n.rsplit("/", 3)[-3:] for n in names] == [
        [".gitea", "workflows", "broken.yml"],
        [".github", "workflows", "clean.yml"],
        [".github", "workflows", "release.yml"],
    ]
    catalogue = [line.split()[0] for line in run_cli("rules").stdout.splitlines()]
    for suite in suites:
        for attr in SUITE_ATTRS:
            assert suite.get(attr) is not None, attr
        cases = suite.findall("testcase")
        assert int(suite.get("tests", "")) == len(cases)
        checked = {c.get("name", "") for c in cases}
        assert len(checked) == len(cases)
        # Every rule that reads workflow files (org-level rules such as
        # shared-file-drift do not run per file).
        assert checked <= set(catalogue) and len(checked) >= len(catalogue) - 3
        assert {"parse-error", "needs-unknown-job", "continue-on-error-on-promote-path"} <= checked
        for case in cases:
            for attr in CASE_ATTRS:
                assert case.get(attr) is not None, attr
    release = suites[2]
    failing = {c.get("name"): c.findall("failure") for c in release.findall("testcase")}
    assert {k for k, v in failing.items() if v} == {
        "needs-unknown-job", "continue-on-error-on-promote-path"
    }
    assert release.get("failures") == "2"
    [failure] = failing["continue-on-error-on-promote-path"]
    line = with_continue_on_error().splitlines().index("        continue-on-error: true") + 1
    assert failure.get("message", "").startswith(f"{names[2]}:{line}:9: ")
    assert f"{names[2]}:{line}:9: error[continue-on-error-on-promote-path]" in (failure.text or "")
    assert suites[1].get("failures") == "0"
    assert suites[0].get("failures") == "1"

    # junitparser, the reader many CI report plugins build on, reads it the same way.
    xml = JUnitXml.fromfile(str(out))
    parsed = {suite.name: suite for suite in xml}
    assert list(parsed) == names
    release_suite = parsed[names[2]]
    assert release_suite.tests == len(release.findall("testcase"))
    assert release_suite.failures == 2
    results = [r for case in release_suite for r in case.result]
    assert all(isinstance(r, Failure) for r in results) and len(results) == 2


def test_select_limits_the_testcases(tmp_path: Path) -> None:
    root = write_files(tmp_path / "app", {PATH: RELEASE})
    out = junit_of(tmp_path, "--select", "needs-unknown-job,needs-cycle", str(root))
    [suite] = ET.parse(out).getroot().findall("testsuite")
    assert sorted(c.get("name", "") for c in suite.findall("testcase")) == [
        "needs-cycle", "needs-unknown-job"
    ]


def test_hostile_text_stays_well_formed_xml(tmp_path: Path) -> None:
    wf = 'on: push\njobs:\n  a:\n    needs: ["x<&>\\"\\u0001"]\n    runs-on: x\n    steps: [{run: echo}]\n'
    root = write_files(tmp_path / "app", {PATH: wf})
    out = junit_of(tmp_path, str(root))
    failure = ET.parse(out).getroot().find(".//failure")
    assert failure is not None and 'x<&>"' in failure.get("message", "")
