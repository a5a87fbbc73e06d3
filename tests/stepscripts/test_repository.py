"""Scripts the steps run, composite actions, effective shells, scope and suppressions."""

from __future__ import annotations

from pathlib import Path

from tests.stepscripts.helpers import located, scan_files

WF = ".github/workflows/release.yml"


def pipeline(steps: str, *, defaults: str = "", job_defaults: str = "", job: str = "promote") -> str:
    """A publish → ``job`` workflow whose second job runs ``steps`` (YAML, 6-space indent)."""
    return (
        "name: release\non: push\n" + defaults + "jobs:\n"
        "  publish:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: docker push registry.example.com/app:latest\n"
        f"  {job}:\n    needs: publish\n    runs-on: ubuntu-latest\n" + job_defaults +
        "    steps:\n      - uses: actions/checkout@v4\n" + steps
    )  # fmt: skip


GOOD_SH = "#!/usr/bin/env bash\nset -euo pipefail\ncurl --fail -sS https://cp.example.com/pin\n"
BAD_SH = "#!/usr/bin/env bash\nset -euo pipefail\necho start\ncurl -sS https://cp.example.com/promote\n"


def test_script_in_subfolder_with_working_directory(tmp_path: Path) -> None:
    found = scan_files(tmp_path, {
        WF: pipeline("      - working-directory: deploy\n        run: ./bin/promote.sh\n"),
        "deploy/bin/promote.sh": BAD_SH,
    })  # fmt: skip
    assert located(found) == [("swallowed-failure", "deploy/bin/promote.sh", 4, 1)]
    assert found[0]["job"] == "promote"
    assert found[0]["step"]["index"] == 1
    assert "deploy/bin/promote.sh, run by step '#2' of job 'promote'" in found[0]["message"]


def test_working_directory_from_job_defaults(tmp_path: Path) -> None:
    found = scan_files(tmp_path, {
        WF: pipeline("      - run: bash tools/promote.sh\n",
                     job_defaults="    defaults:\n      run:\n        working-directory: ops\n"),
        "ops/tools/promote.sh": BAD_SH,
    })  # fmt: skip
    assert located(found) == [("swallowed-failure", "ops/tools/promote.sh", 4, 1)]


def test_good_script_is_clean_and_read(tmp_path: Path) -> None:
    found = scan_files(tmp_path, {WF: pipeline("      - run: scripts/verify.sh\n"),
                                  "scripts/verify.sh": GOOD_SH})  # fmt: skip
    assert found == []


def test_script_without_errexit_run_by_bash(tmp_path: Path) -> None:
    text = "docker push registry.example.com/app:1\necho pushed\n"
    found = scan_files(tmp_path, {WF: pipeline("      - run: bash scripts/push.sh\n"),
                                  "scripts/push.sh": text})  # fmt: skip
    assert located(found) == [("swallowed-failure", "scripts/push.sh", 1, 1)]
    assert "without `-e`" in found[0]["message"]


def test_shebang_decides_for_direct_run(tmp_path: Path) -> None:
    py = "#!/usr/bin/env python3\nimport requests\nrequests.post('https://cp.example.com/promote')\n"
    found = scan_files(tmp_path, {WF: pipeline("      - run: ./scripts/promote\n"),
                                  "scripts/promote": py})  # fmt: skip
    assert located(found) == [("swallowed-failure", "scripts/promote", 3, 1)]


def test_python_script(tmp_path: Path) -> None:
    py = "import subprocess\n\nsubprocess.run(['docker', 'push', 'x'])\n"
    found = scan_files(tmp_path, {WF: pipeline("      - run: python3 tools/push.py --all\n"),
                                  "tools/push.py": py})  # fmt: skip
    assert located(found) == [("swallowed-failure", "tools/push.py", 3, 1)]


def test_script_calling_script(tmp_path: Path) -> None:
    outer = "#!/bin/bash\nset -e\n./scripts/lib/post.sh\n"
    inner = "#!/bin/bash\nset -e\ncurl -X POST https://cp.example.com/promote || true\n"
    found = scan_files(tmp_path, {WF: pipeline("      - run: ./scripts/run.sh\n"),
                                  "scripts/run.sh": outer, "scripts/lib/post.sh": inner})  # fmt: skip
    rules = {(r, p, line) for r, p, line, _c in located(found)}
    assert ("swallowed-failure", "scripts/lib/post.sh", 3) in rules
    assert all(p == "scripts/lib/post.sh" for _r, p, _l in rules)


def test_cycle_between_scripts_terminates(tmp_path: Path) -> None:
    a = "#!/bin/bash\nset -e\n./scripts/b.sh\ncurl -s https://cp.example.com/a\n"
    b = "#!/bin/bash\nset -e\n./scripts/a.sh\ncurl -s https://cp.example.com/b\n"
    found = scan_files(tmp_path, {WF: pipeline("      - run: ./scripts/a.sh\n"),
                                  "scripts/a.sh": a, "scripts/b.sh": b})  # fmt: skip
    assert located(found) == [
        ("swallowed-failure", "scripts/a.sh", 4, 1),
        ("swallowed-failure", "scripts/b.sh", 4, 1),
    ]


def test_script_run_by_two_steps_reported_once(tmp_path: Path) -> None:
    found = scan_files(tmp_path, {
        WF: pipeline("      - run: ./scripts/p.sh\n      - run: ./scripts/p.sh staging\n"),
        "scripts/p.sh": BAD_SH,
    })  # fmt: skip
    assert len(found) == 1


def test_missing_script_is_a_note(tmp_path: Path) -> None:
    found = scan_files(tmp_path, {WF: pipeline("      - run: ./scripts/missing.sh prod\n")})
    assert located(found) == [("script-not-found", WF, 13, 14)]
    assert found[0]["severity"] == "note"
    assert "scripts/missing.sh is not in the repository" in found[0]["message"]


def test_missing_script_not_reported_when_unknowable(tmp_path: Path) -> None:
    steps = (
        "      - run: /opt/tools/promote.sh\n"  # absolute
        "      - run: $HOME/bin/promote.sh\n"  # a variable
        "      - run: ../other/promote.sh\n"  # outside the repository
        "      - run: |\n          curl -fsSLo get.sh https://x/get.sh\n          ./get.sh\n"
        "      - run: cd \"$RUNNER_TEMP\" && ./promote.sh\n"
        "      - working-directory: ${{ matrix.dir }}\n        run: ./promote.sh\n"
    )
    assert scan_files(tmp_path, {WF: pipeline(steps)}) == []


def test_missing_script_off_the_promote_path_is_not_reported(tmp_path: Path) -> None:
    text = pipeline("      - run: ./scripts/missing.sh\n", job="lint").replace("needs: publish\n", "")
    assert scan_files(tmp_path, {WF: text}) == []


def test_cd_into_a_folder_before_the_script(tmp_path: Path) -> None:
    found = scan_files(tmp_path, {WF: pipeline("      - run: cd deploy && ./promote.sh\n"),
                                  "deploy/promote.sh": BAD_SH})  # fmt: skip
    assert located(found) == [("swallowed-failure", "deploy/promote.sh", 4, 1)]


ACTION = """\
name: promote
runs:
  using: composite
  steps:
    - shell: bash
      run: |
        echo "promoting"
        curl -sS -X POST https://cp.example.com/promote
    - shell: bash
      run: ${{ github.action_path }}/post.sh
    - uses: ./.github/actions/inner
"""
INNER = "runs:\n  using: composite\n  steps:\n    - shell: bash\n      run: docker push x || true\n"


def test_composite_action(tmp_path: Path) -> None:
    found = scan_files(tmp_path, {
        WF: pipeline("      - uses: ./.github/actions/promote\n"),
        ".github/actions/promote/action.yml": ACTION,
        ".github/actions/promote/post.sh": BAD_SH,
        ".github/actions/inner/action.yaml": INNER,
    })  # fmt: skip
    assert located(found) == [
        ("swallowed-failure", ".github/actions/inner/action.yaml", 5, 12),
        ("swallowed-failure", ".github/actions/promote/action.yml", 8, 9),
        ("swallowed-failure", ".github/actions/promote/post.sh", 4, 1),
    ]
    assert all(f["job"] == "promote" and f["step"]["index"] == 1 for f in found)


def test_composite_action_recursion_is_bounded(tmp_path: Path) -> None:
    loop = "runs:\n  using: composite\n  steps:\n    - uses: ./a\n    - shell: sh\n      run: curl -s x\n"
    found = scan_files(tmp_path, {WF: pipeline("      - uses: ./a\n"), "a/action.yml": loop})
    assert located(found) == [("swallowed-failure", "a/action.yml", 6, 12)]


def test_shell_from_workflow_defaults(tmp_path: Path) -> None:
    defaults = "defaults:\n  run:\n    shell: bash {0}\n"
    found = scan_files(tmp_path, {
        WF: pipeline("      - run: |\n          docker push x\n          echo ok\n", defaults=defaults),
    })  # fmt: skip
    assert [(r, line, c) for r, _p, line, c in located(found)] == [("swallowed-failure", 17, 11)]
    assert "without `-e`" in found[0]["message"]


def test_shell_from_job_defaults_overrides_workflow(tmp_path: Path) -> None:
    steps = "      - run: |\n          curl -f https://x | tee out\n          echo ok\n"
    wf_bash = "defaults:\n  run:\n    shell: bash\n"
    job_sh = "    defaults:\n      run:\n        shell: sh\n"
    assert scan_files(tmp_path / "a", {WF: pipeline(steps, defaults=wf_bash)}) == []
    found = scan_files(tmp_path / "b", {WF: pipeline(steps, defaults=wf_bash, job_defaults=job_sh)})
    assert [f["rule"] for f in found] == ["swallowed-failure"]
    assert "pipefail" in found[0]["message"]


def test_step_shell_overrides_defaults(tmp_path: Path) -> None:
    job_sh = "    defaults:\n      run:\n        shell: bash {0}\n"
    steps = "      - shell: bash\n        run: |\n          docker push x\n          echo ok\n"
    assert scan_files(tmp_path, {WF: pipeline(steps, job_defaults=job_sh)}) == []


def test_windows_runner_default_is_not_bash(tmp_path: Path) -> None:
    text = pipeline("      - run: curl https://x/promote || true\n").replace(
        "needs: publish\n    runs-on: ubuntu-latest", "needs: publish\n    runs-on: windows-latest")
    assert scan_files(tmp_path, {WF: text}) == []


SCOPE_TEXT = """\
name: ci
on: push
jobs:
  lint:
    runs-on: ubuntu-latest
    steps:
      - run: curl -s https://example.com/health || true
"""


def test_scope_default_is_the_promote_path(tmp_path: Path) -> None:
    assert scan_files(tmp_path, {WF: SCOPE_TEXT}) == []


def test_scope_all_from_the_policy(tmp_path: Path) -> None:
    policy = "version: 1\nrules:\n  swallowed-failure: {scope: all}\n"
    found = scan_files(tmp_path, {WF: SCOPE_TEXT, ".auditor.yml": policy}, policy=True)
    assert {(f["rule"], f["line"], f["column"]) for f in found} == {("swallowed-failure", 7, 14)}
    assert all("policy scope: all jobs" in f["message"] for f in found)


def test_name_only_promote_is_in_scope(tmp_path: Path) -> None:
    text = ("name: merge\non: push\njobs:\n  promote-staging:\n    runs-on: ubuntu-latest\n"
            "    steps:\n      - run: git push origin staging:main || true\n")  # fmt: skip
    found = scan_files(tmp_path, {WF: text})
    assert [(f["rule"], f["line"], f["column"]) for f in found] == [("swallowed-failure", 7, 14)]


def test_suppression_inside_a_run_block(tmp_path: Path) -> None:
    steps = ("      - run: |\n"
             "          # auditor: ignore[swallowed-failure] the status endpoint is advisory\n"
             "          curl -s https://cp.example.com/promote\n")  # fmt: skip
    assert scan_files(tmp_path, {WF: pipeline(steps)}) == []


def test_suppression_inside_a_script_file(tmp_path: Path) -> None:
    script = ("#!/bin/bash\nset -e\n"
              "# auditor: ignore[swallowed-failure] best-effort notification\n"
              "curl -s https://chat.example.com/hook\n"
              "curl -s https://cp.example.com/promote\n")  # fmt: skip
    found = scan_files(tmp_path, {WF: pipeline("      - run: ./notify.sh\n"), "notify.sh": script})
    assert located(found) == [("swallowed-failure", "notify.sh", 5, 1)]


def test_unparseable_script_is_a_note(tmp_path: Path) -> None:
    found = scan_files(tmp_path, {
        WF: pipeline("      - run: ./a.sh\n      - run: python3 b.py\n"),
        "a.sh": "#!/bin/sh\nif [ -n \"$x\" ]; then\n  echo\n",
        "b.py": "def broken(:\n    pass\n",
    })  # fmt: skip
    assert sorted((f["rule"], f["path"], f["severity"]) for f in found) == [
        ("script-parse-error", "a.sh", "note"), ("script-parse-error", "b.py", "note"),
    ]  # fmt: skip


def test_binary_and_odd_scripts_never_crash(tmp_path: Path) -> None:
    found = scan_files(tmp_path, {
        WF: pipeline("      - run: ./bin.sh\n      - run: ./deep.sh\n      - run: ./node.js\n"),
        "bin.sh": b"\x00\xff\xfe garbage \x00",
        "deep.sh": "#!/bin/sh\n" + "$(" * 3000 + ")" * 3000 + "\n",
        "node.js": "#!/usr/bin/env node\nfetch('x').catch(() => {})\n",
    })  # fmt: skip
    assert all(f["rule"] in ("script-parse-error", "swallowed-failure") for f in found)


def test_windows_matrix_runner_and_windows_only_step_are_pwsh(tmp_path: Path) -> None:
    pwsh = '$ErrorActionPreference = "Stop"\n          if ($x) { curl.exe https://x }\n'
    matrix_job = pipeline(f"      - run: |\n          {pwsh}").replace(
        "needs: publish\n    runs-on: ubuntu-latest",
        "needs: publish\n    strategy:\n      matrix:\n        os: [windows-latest, windows-2022]\n"
        "    runs-on: ${{ matrix.os }}")  # fmt: skip
    assert scan_files(tmp_path / "a", {WF: matrix_job}) == []
    step_if = pipeline(f"      - if: runner.os == 'Windows'\n        run: |\n          {pwsh}")
    assert scan_files(tmp_path / "b", {WF: step_if}) == []
    mixed = pipeline("      - run: curl -s https://x/promote\n").replace(
        "needs: publish\n    runs-on: ubuntu-latest",
        "needs: publish\n    strategy:\n      matrix:\n        os: [ubuntu-latest, windows-latest]\n"
        "    runs-on: ${{ matrix.os }}")  # fmt: skip
    assert [f["rule"] for f in scan_files(tmp_path / "c", {WF: mixed})] == ["swallowed-failure"]
