"""Issue 13 item 5 through the CLI: what real repositories write, bad and good.

* every way of running a repository script is followed into the file and
  analysed: ``./x``, ``bash x``, ``"${GITHUB_WORKSPACE}/x"``,
  ``$GITHUB_WORKSPACE/x``, ``${{ github.workspace }}/x``;
* ``local|export|readonly|declare x=$(cmd)`` masks the status of any command
  that can fail, not only of network and registry tools;
* a fallback ``x=$(cmd || echo V)`` is fine when its default takes the safe
  branch of the test that follows (runs the checks, fails, or refuses and
  records it), and reported when the default skips the checks.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import write_files
from tests.stepscripts.helpers import expected_position, located, scan, scan_files, snippet_workflow
from tests.stepscripts.test_repository import BAD_SH, GOOD_SH, WF, pipeline

SW = "swallowed-failure"

CALL_FORMS = {
    "dot-slash": "./scripts/promote.sh",
    "bash-path": "bash scripts/promote.sh",
    "workspace-braced-quoted": '"${GITHUB_WORKSPACE}/scripts/promote.sh"',
    "workspace-plain": "$GITHUB_WORKSPACE/scripts/promote.sh",
    "workspace-expression": "${{ github.workspace }}/scripts/promote.sh",
    "bash-workspace": 'bash "$GITHUB_WORKSPACE/scripts/promote.sh" prod',
    "through-sudo": 'sudo -E "${GITHUB_WORKSPACE}/scripts/promote.sh"',
}


@pytest.mark.parametrize("call", CALL_FORMS.values(), ids=CALL_FORMS.keys())
def test_every_call_form_is_followed_into_the_script(tmp_path: Path, call: str) -> None:
    steps = f"      - run: {call}\n" if "${{" not in call else f"      - run: '{call}'\n"
    found = scan_files(tmp_path, {WF: pipeline(steps), "scripts/promote.sh": BAD_SH})
    assert located(found) == [(SW, "scripts/promote.sh", 4, 1)]
    assert "scripts/promote.sh, run by step '#2' of job 'promote'" in found[0]["message"]


@pytest.mark.parametrize("call", CALL_FORMS.values(), ids=CALL_FORMS.keys())
def test_a_good_script_is_clean_whatever_the_call_form(tmp_path: Path, call: str) -> None:
    steps = f"      - run: {call}\n" if "${{" not in call else f"      - run: '{call}'\n"
    assert scan_files(tmp_path, {WF: pipeline(steps), "scripts/promote.sh": GOOD_SH}) == []


def test_workspace_paths_ignore_the_working_directory(tmp_path: Path) -> None:
    steps = '      - working-directory: deploy\n        run: "\\"$GITHUB_WORKSPACE/scripts/promote.sh\\""\n'
    found = scan_files(tmp_path, {WF: pipeline(steps), "scripts/promote.sh": BAD_SH})
    assert located(found) == [(SW, "scripts/promote.sh", 4, 1)]


def test_a_missing_workspace_script_is_a_note(tmp_path: Path) -> None:
    found = scan(write_files(tmp_path, {WF: pipeline('      - run: "\\"$GITHUB_WORKSPACE/ci/gone.sh\\""\n')}))
    assert [(f["rule"], f["severity"]) for f in found] == [("script-not-found", "note")]
    assert "ci/gone.sh is not in the repository" in found[0]["message"]


DECLARATIONS = {
    "local-cat": 'f() {\n  local v=$(cat VERSION)\n  echo "$v"\n}\nf',
    "export-git": "export SHA=$(git rev-parse HEAD)",
    "readonly-jq": "readonly TAG=$(jq -r .version package.json)",
    "declare-go": "declare -x GOPATH=$(go env GOPATH)",
}


@pytest.mark.parametrize("text", DECLARATIONS.values(), ids=DECLARATIONS.keys())
def test_a_declaration_masks_any_command_that_can_fail(tmp_path: Path, text: str) -> None:
    workflow = snippet_workflow(text)
    found = scan(write_files(tmp_path, {WF: workflow}))
    keyword = next(w for w in ("local", "export", "readonly", "declare") if f"{w} " in text)
    assert [(f["rule"], f["line"], f["column"]) for f in found] == [(SW, *expected_position(workflow, keyword))]
    assert f"`{keyword} " in found[0]["message"] and "returns the status of" in found[0]["message"]


def test_declarations_of_what_cannot_fail_are_clean(tmp_path: Path) -> None:
    text = 'f() {\n  local now=$(date +%s)\n  local dir=$(dirname "$0")\n}\nexport BIN=$(pwd)/bin\nf'
    assert scan(write_files(tmp_path, {WF: snippet_workflow(text)})) == []


FAIL_SAFE = {
    "default-runs-the-checks": (
        'enabled=$(gh api "repos/$R/properties/checks" --jq .value || echo true)\n'
        'if [ "$enabled" = true ]; then\n  ./scripts/run-checks.sh\nfi'
    ),
    "default-fails": (
        'state=$(gh api "repos/$R/commits/$SHA/status" --jq .state || echo unknown)\n'
        'if [ "$state" != success ]; then\n  echo "::error::not green"\n  exit 1\nfi'
    ),
    "default-refuses-and-records": (
        'gates=$(gh api "repos/$R/branches/main/protection" --jq ".contexts[]" || true)\n'
        'if [ -z "$gates" ]; then\n  echo "ok=false" >> "$GITHUB_OUTPUT"\n  exit 0\nfi\n'
        'echo "ok=true" >> "$GITHUB_OUTPUT"'
    ),
}
FAIL_OPEN = {
    "default-skips-the-checks": (
        'enabled=$(gh api "repos/$R/properties/checks" --jq .value || echo false)\n'
        'if [ "$enabled" = true ]; then\n  ./scripts/run-checks.sh\nfi'
    ),
    "default-exits-clean": (
        'required=$(gh api "repos/$R/branches/main/protection" --jq ".contexts[]" || true)\n'
        'if [ -z "$required" ]; then\n  echo "nothing to verify"\n  exit 0\nfi\n./scripts/verify.sh "$required"'
    ),
}


@pytest.mark.parametrize("text", FAIL_SAFE.values(), ids=FAIL_SAFE.keys())
def test_a_fail_safe_fallback_is_not_a_finding(tmp_path: Path, text: str) -> None:
    files = {WF: snippet_workflow(text), "scripts/run-checks.sh": GOOD_SH}
    assert scan(write_files(tmp_path, files)) == []


@pytest.mark.parametrize("text", FAIL_OPEN.values(), ids=FAIL_OPEN.keys())
def test_a_fallback_whose_default_skips_the_checks_is(tmp_path: Path, text: str) -> None:
    workflow = snippet_workflow(text)
    files = {WF: workflow, "scripts/run-checks.sh": GOOD_SH, "scripts/verify.sh": GOOD_SH}
    found = scan(write_files(tmp_path, files))
    assert [(f["rule"], f["line"], f["column"]) for f in found] == [(SW, *expected_position(workflow, "gh api"))]
    assert "discards the failure of `gh api" in found[0]["message"]


def test_a_step_that_runs_only_on_failure_cannot_swallow_the_promotion(tmp_path: Path) -> None:
    notify = '      - if: failure()\n        run: curl -s -X POST "$CHAT_HOOK" -d "promote failed" || true\n'
    assert scan(write_files(tmp_path / "a", {WF: pipeline(notify)})) == []
    always = notify.replace("failure()", "success()")
    assert [f["rule"] for f in scan(write_files(tmp_path / "b", {WF: pipeline(always)}))] == [SW, SW]
