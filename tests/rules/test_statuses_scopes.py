"""statuses-write-permission where it matters (issue 13 item 4), through the CLI.

An error in a release workflow; a least-privilege warning for a grant no step
uses elsewhere; nothing for a job that visibly posts commit statuses (a PR
gate); every grant an error with ``permissions.forbidden_in: everywhere``.
"""

from __future__ import annotations

from typing import Any

from tests.conftest import check_json, workflow

RULE = "statuses-write-permission"

RELEASE = """
on: push
permissions:
  contents: read
  statuses: write
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - run: docker push ghcr.io/acme/app:latest
"""

UNUSED = """
on: pull_request
permissions:
  contents: read
  statuses: write
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: make test
"""

GATES = {
    "rest": """
on: pull_request
permissions:
  statuses: write
jobs:
  gate:
    runs-on: ubuntu-latest
    steps:
      - run: |
          curl --fail -X POST -H "Authorization: Bearer $GH_TOKEN" \\
            "$GITHUB_API_URL/repos/$GITHUB_REPOSITORY/statuses/$SHA" -d '{"state":"success"}'
""",
    "github-script": """
on: pull_request
jobs:
  gate:
    runs-on: ubuntu-latest
    permissions: {statuses: write}
    steps:
      - uses: actions/github-script@v7
        with:
          script: |
            await github.rest.repos.createCommitStatus({...context.repo, sha: context.sha, state: 'success'})
""",
    "action": """
on: pull_request
jobs:
  gate:
    runs-on: ubuntu-latest
    permissions: {statuses: write}
    steps:
      - uses: myrotvorets/set-commit-status-action@v2
        with: {status: success}
""",
}


def _found(repo: Any, text: str, policy: str | None = None, name: str = "repo") -> list[dict[str, Any]]:
    files = workflow(text)
    extra: tuple[str, ...] = ()
    if policy is not None:
        files[".auditor.yml"] = policy
        extra = ("--trust-repo-policy",)
    return check_json(repo(files, name=name), extra=extra).findings(RULE)


def test_a_grant_in_a_release_workflow_is_an_error(repo: Any) -> None:
    found = _found(repo, RELEASE)
    assert [(f["line"], f["severity"]) for f in found] == [(4, "error")]
    assert "release workflow" in found[0]["message"]


def test_an_unused_grant_elsewhere_is_a_least_privilege_warning(repo: Any) -> None:
    found = _found(repo, UNUSED)
    assert [(f["line"], f["severity"]) for f in found] == [(4, "warning")]
    assert "least privilege" in found[0]["message"]


def test_a_job_that_posts_commit_statuses_is_left_alone(repo: Any) -> None:
    for name, text in GATES.items():
        assert _found(repo, text, name=name) == [], name


def test_forbidden_in_everywhere_makes_every_grant_an_error(repo: Any) -> None:
    policy = "version: 1\npermissions:\n  forbidden_in: everywhere\n"
    found = _found(repo, GATES["rest"], policy)
    assert [(f["line"], f["severity"]) for f in found] == [(3, "error")]
    assert [f["severity"] for f in _found(repo, UNUSED, policy, name="unused")] == ["error"]


SCRIPT_GATE = """
on: pull_request_target
permissions:
  contents: read
  statuses: write
jobs:
  gate:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - env: {TOKEN: "${{ secrets.GATE_TOKEN }}"}
        run: python3 .gitea/scripts/gate.py --pr 1
"""


def test_a_gate_whose_script_posts_the_status_is_left_alone(repo: Any) -> None:
    """The status POST lives in the repository script the step runs: read it. A script the
    scan cannot read leaves the grant alone too (it may be what the script needs)."""
    posting = {".github/workflows/ci.yml": SCRIPT_GATE,
               ".gitea/scripts/gate.py": "requests.post(f'{api}/repos/{r}/statuses/{sha}', json=s)\n"}
    assert check_json(repo(posting, name="posting")).findings(RULE) == []
    assert check_json(repo(workflow(SCRIPT_GATE), name="unseen")).findings(RULE) == []
    quiet = {".github/workflows/ci.yml": SCRIPT_GATE, ".gitea/scripts/gate.py": "print('ok')\n"}
    found = check_json(repo(quiet, name="quiet")).findings(RULE)
    assert [(f["line"], f["severity"]) for f in found] == [(4, "warning")]
