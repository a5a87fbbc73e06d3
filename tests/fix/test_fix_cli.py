"""``auditor fix`` through the real command line: each fix, --diff, --unsafe, rollback.

Every test writes a repository, runs the CLI on it and then reads the file
back (and re-checks it with ``auditor check``): the edit must remove the
finding and leave every other line byte for byte.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from tests.conftest import check_json, run_cli, write_files

WF = ".github/workflows/release.yml"

RELEASE = """\
name: release   # the release pipeline
on:
  push:
    branches: [main]
permissions:
  contents: read
  statuses: write   # from when promote meant a status
  packages: write
jobs:
  publish:
    runs-on: ubuntu-latest
    outputs:
      digest: ${{ steps.push.outputs.digest }}
    steps:
      - id: push
        uses: docker/build-push-action@v6
        with: {push: true, tags: 'ghcr.io/acme/app:latest'}
  promote:
    needs: publish
    runs-on: ubuntu-latest
    env:
      TOKEN: ${{ secrets.CP_ADMIN_API_TOKEN }}
      DIGEST: ${{ needs.publish.outputs.digest }}
    steps:
      - name: Pin
        continue-on-error: true
        run: |
          curl -sS -X POST -H "Authorization: Bearer $TOKEN" \\
            -d "digest=$DIGEST" https://cp.example.com/promote
  verify:
    needs: [publish, promote]
    runs-on: ubuntu-latest
    steps:
      - name: Read the pin back
        env:
          DIGEST: ${{ needs.publish.outputs.digest }}
        run: test "$(curl --fail-with-body -sS https://cp.example.com/pin)" = "$DIGEST"
"""


def _rules(root: Path) -> set[str]:
    return {f["rule"] for f in check_json(root, extra=("--no-policy",)).findings()}


def _removed_and_added(before: str, after: str) -> tuple[list[str], list[str]]:
    """The lines a change removed and added (what a reviewer sees in the diff)."""
    removed, added = [], []
    for line in difflib.ndiff(before.splitlines(keepends=True), after.splitlines(keepends=True)):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return removed, added


def test_diff_prints_the_change_exits_1_and_writes_nothing(tmp_path: Path) -> None:
    root = write_files(tmp_path / "app", {WF: RELEASE})
    run = run_cli("fix", "--diff", "--no-policy", str(root))
    assert run.exit_code == 1
    assert (root / WF).read_text() == RELEASE
    assert f"--- a/{WF}\n+++ b/{WF}\n" in run.stdout
    assert "-  statuses: write   # from when promote meant a status\n" in run.stdout
    assert "would fix statuses-write-permission" in run.stderr
    # the unsafe fixes are not proposed without --unsafe
    assert "continue-on-error" not in run.stdout and "--fail-with-body -sS -X" not in run.stdout


def test_safe_fix_in_place_removes_the_finding_and_only_its_line(tmp_path: Path) -> None:
    root = write_files(tmp_path / "app", {WF: RELEASE})
    assert "statuses-write-permission" in _rules(root)
    run = run_cli("fix", "--no-policy", str(root))
    assert run.exit_code == 0, run.stderr
    after = (root / WF).read_text()
    assert _removed_and_added(RELEASE, after) == (["  statuses: write   # from when promote meant a status\n"], [])
    assert "statuses-write-permission" not in _rules(root)
    again = run_cli("fix", "--diff", "--no-policy", str(root))
    assert again.exit_code == 0 and again.stdout == ""  # nothing left to change: idempotent


def test_unsafe_fixes_need_the_flag(tmp_path: Path) -> None:
    root = write_files(tmp_path / "app", {WF: RELEASE})
    assert {"continue-on-error-on-promote-path", "swallowed-failure"} <= _rules(root)
    run = run_cli("fix", "--unsafe", "--no-policy", str(root))
    assert run.exit_code == 0, run.stderr
    after = (root / WF).read_text()
    removed, added = _removed_and_added(RELEASE, after)
    assert "        continue-on-error: true\n" in removed
    assert '          curl --fail-with-body -sS -X POST -H "Authorization: Bearer $TOKEN" \\\n' in added
    left = _rules(root)
    assert not left & {"continue-on-error-on-promote-path", "swallowed-failure", "statuses-write-permission"}


def test_select_and_ignore_limit_the_fixes(tmp_path: Path) -> None:
    root = write_files(tmp_path / "app", {WF: RELEASE})
    run = run_cli("fix", "--unsafe", "--no-policy", "--select", "swallowed-failure", "--diff", str(root))
    assert run.exit_code == 1
    assert "--fail-with-body -sS -X POST" in run.stdout and "statuses" not in run.stdout
    run = run_cli("fix", "--no-policy", "--ignore", "statuses-write-permission", "--diff", str(root))
    assert run.exit_code == 0 and run.stdout == ""
    bad = run_cli("fix", "--no-policy", "--select", "no-such-rule", str(root))
    assert bad.exit_code == 2 and "no-such-rule" in bad.stderr and "Traceback" not in bad.stderr


SET_OUTPUT = """\
on: push
permissions: {contents: read}
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - id: meta
        run: |
          tag=$(git describe --tags)
          echo "::set-output name=tag::$tag"   # keep this comment
          echo ::set-output name=sha::${GITHUB_SHA}
      - run: echo "${{ steps.meta.outputs.tag }} ${{ steps.meta.outputs.sha }}"
"""


def test_set_output_becomes_github_output_keeping_quotes(tmp_path: Path) -> None:
    root = write_files(tmp_path / "app", {WF: SET_OUTPUT})
    assert "deprecated-set-output" in _rules(root)
    assert run_cli("fix", "--no-policy", str(root)).exit_code == 0
    removed, added = _removed_and_added(SET_OUTPUT, (root / WF).read_text())
    assert added == ['          echo "tag=$tag" >> "$GITHUB_OUTPUT"   # keep this comment\n',
                     '          echo sha=${GITHUB_SHA} >> "$GITHUB_OUTPUT"\n']
    assert len(removed) == 2
    assert "deprecated-set-output" not in _rules(root)


def _promote_workflow(permissions: str, publish_extra: str = "", promote_needs: str = "needs: publish") -> str:
    return f"""\
on:
  push:
    branches: [main]
{permissions}jobs:
  publish:
    runs-on: ubuntu-latest
{publish_extra}    steps:
      - id: push
        uses: docker/build-push-action@v6
        with:
          push: true
          tags: registry.example.com/app:latest
  promote:
    {promote_needs}
    runs-on: ubuntu-latest
    steps:
      - env:
          TOKEN: ${{{{ secrets.CP_ADMIN_API_TOKEN }}}}
          DIGEST: ${{{{ needs.publish.outputs.digest }}}}
        run: |
          curl --fail-with-body -sS -X POST -H "Authorization: Bearer $TOKEN" \\
            -d "digest=$DIGEST" https://cp.example.com/promote
"""


def test_digest_output_and_permissions_are_declared(tmp_path: Path) -> None:
    text = _promote_workflow("")
    root = write_files(tmp_path / "app", {WF: text})
    assert {"digest-not-exposed", "permissions-not-declared"} <= _rules(root)
    run = run_cli("fix", "--no-policy", str(root))
    assert run.exit_code == 0, run.stderr
    removed, added = _removed_and_added(text, (root / WF).read_text())
    assert removed == []
    assert added == ["permissions:\n", "  contents: read\n",
                     "    outputs:\n", "      digest: ${{ steps.push.outputs.digest }}\n"]
    assert not _rules(root) & {"digest-not-exposed", "permissions-not-declared", "needs-output-unwired"}


def test_permissions_left_alone_when_a_job_uses_the_token(tmp_path: Path) -> None:
    text = _promote_workflow("").replace("          push: true\n",
                                         "          push: true\n          github-token: ${{ github.token }}\n")
    root = write_files(tmp_path / "app", {WF: text})
    run_cli("fix", "--no-policy", str(root))
    assert "permissions-not-declared" in _rules(root)


def test_needs_edge_is_added_in_each_needs_shape(tmp_path: Path) -> None:
    perms = "permissions:\n  contents: read\n"
    extra = "    outputs:\n      digest: ${{ steps.push.outputs.digest }}\n"
    base = _promote_workflow(perms, extra).replace("  promote:\n", "  lint:\n    runs-on: ubuntu-latest\n"
                                                   "    steps: [{run: 'true'}]\n  promote:\n")
    shapes = {
        "needs: lint": "needs: [lint, publish]",
        "needs: [lint]": "needs: [lint, publish]",
        "needs:\n      - lint": "needs:\n      - lint\n      - publish",
        "runs-on: ubuntu-latest  # no needs": "needs: publish\n    runs-on: ubuntu-latest  # no needs",
    }
    for index, (shape, want) in enumerate(shapes.items()):
        text = base.replace("    needs: publish\n    runs-on: ubuntu-latest\n", f"    {shape}\n" + (
            "" if "no needs" in shape else "    runs-on: ubuntu-latest\n"))
        root = write_files(tmp_path / f"app{index}", {WF: text})
        assert "needs-output-unwired" in _rules(root), shape
        assert run_cli("fix", "--no-policy", str(root)).exit_code == 0
        after = (root / WF).read_text()
        assert after == text.replace(f"    {shape}\n", f"    {want}\n"), shape
        assert "needs-output-unwired" not in _rules(root), shape


def test_a_file_that_does_not_parse_is_never_touched(tmp_path: Path) -> None:
    broken = RELEASE.replace("  publish:\n", "  publish: [\n", 1)
    root = write_files(tmp_path / "app", {WF: broken})
    run = run_cli("fix", "--unsafe", "--no-policy", str(root))
    assert run.exit_code == 0
    assert (root / WF).read_text() == broken
    assert "not fixed" in run.stderr and "Traceback" not in run.stderr


BREAKER = '''
"""A custom rule whose fixes go wrong: the fixer must roll them back."""
from auditor.edits import replace_span
from auditor.findings import hit
from auditor.rule import Rule


def check(ctx):
    workflow = ctx.workflow
    for job in workflow.jobs:
        name = job.name
        if name is not None and name.value.startswith("BREAK"):
            yield hit(name, f"job name {name.value}", name.value, job=job.id)


def fix(ctx, finding):
    name = ctx.workflow.job(finding.job).name
    replacement = "[unclosed" if name.value == "BREAK-parse" else name.value + "-more"
    return [replace_span(ctx.file.source, name.span, replacement)]


RULE = Rule(id="breaker", severity="error", summary="s", what="w", why="y", example="e",
            use_instead="u", check=check, fix=fix, origin="custom")
'''


def test_a_fix_that_breaks_the_file_or_adds_a_finding_is_rolled_back(tmp_path: Path) -> None:
    policy = write_files(tmp_path / "policy", {"auditor.yml": "version: 1\ncustom_rules: [rules/]\n",
                                                "rules/breaker.py": BREAKER})  # fmt: skip
    text = RELEASE.replace("  publish:\n    runs-on:", "  publish:\n    name: BREAK-parse\n    runs-on:").replace(
        "  verify:\n    needs:", "  verify:\n    name: BREAK-finding\n    needs:")
    root = write_files(tmp_path / "app", {WF: text})
    run = run_cli("fix", "--policy", str(policy / "auditor.yml"), str(root))
    assert run.exit_code == 0, run.stderr
    after = (root / WF).read_text()
    assert "BREAK-parse" in after and "BREAK-finding\n" in after  # both rolled back
    assert "statuses: write" not in after  # the good fix stays
    assert "rolled back the breaker fix: the fixed file would not parse" in run.stderr
    assert "rolled back the breaker fix: it would introduce breaker" in run.stderr


def test_explain_documents_the_fix_and_its_class() -> None:
    run = run_cli("explain", "swallowed-failure")
    assert "## Fix\n\nAutomatic, unsafe (`auditor fix --unsafe`)." in run.stdout
    run = run_cli("explain", "statuses-write-permission")
    assert "## Fix\n\nAutomatic, safe (`auditor fix`)." in run.stdout
    assert "## Fix" not in run_cli("explain", "needs-cycle").stdout


ONE_LINERS = """\
on: push
permissions: {contents: read}
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - id: a
        run: echo "::set-output name=count::$(ls | wc -l)"
      - id: b
        run: 'git diff --exit-code || echo "::set-output name=changed::true"'
      - id: c
        run: "echo \\"::set-output name=kept::x\\""
      - run: echo "${{ steps.a.outputs.count }} ${{ steps.b.outputs.changed }} ${{ steps.c.outputs.kept }}"
"""


def test_set_output_in_one_line_runs_and_after_an_operator(tmp_path: Path) -> None:
    root = write_files(tmp_path / "app", {WF: ONE_LINERS})
    assert run_cli("fix", "--no-policy", str(root)).exit_code == 0
    removed, added = _removed_and_added(ONE_LINERS, (root / WF).read_text())
    assert added == ['        run: echo "count=$(ls | wc -l)" >> "$GITHUB_OUTPUT"\n',
                     "        run: 'git diff --exit-code || echo \"changed=true\" >> \"$GITHUB_OUTPUT\"'\n"]
    assert len(removed) == 2  # the double-quoted YAML string is left for a person
    found = check_json(root, extra=("--no-policy",)).findings("deprecated-set-output")
    assert [f["line"] for f in found] == [12]


def test_bad_paths_and_a_failing_custom_fix_are_one_line(tmp_path: Path) -> None:
    run = run_cli("fix", str(tmp_path / "nowhere"))
    assert run.exit_code == 2 and "no such file or directory" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    policy = write_files(tmp_path / "policy", {
        "auditor.yml": "version: 1\ncustom_rules: [rules/]\n",
        "rules/breaker.py": BREAKER.replace('replacement = "[unclosed"', 'replacement = 1 / 0'),
    })  # fmt: skip
    text = RELEASE.replace("  publish:\n    runs-on:", "  publish:\n    name: BREAK-parse\n    runs-on:")
    root = write_files(tmp_path / "app", {WF: text})
    run = run_cli("fix", "--policy", str(policy / "auditor.yml"), str(root))
    assert run.exit_code == 0
    assert "the breaker fix failed (ZeroDivisionError: division by zero)" in run.stderr
    assert "Traceback" not in run.stderr and "statuses: write" not in (root / WF).read_text()


def test_a_fix_that_does_not_remove_its_finding_is_rolled_back_not_repeated(tmp_path: Path) -> None:
    noop = BREAKER.replace(
        "    return [replace_span(ctx.file.source, name.span, replacement)]",
        "    return [replace_span(ctx.file.source, name.span, name.value + '  # touched')]")
    policy = write_files(tmp_path / "policy", {"auditor.yml": "version: 1\ncustom_rules: [rules/]\n",
                                                "rules/breaker.py": noop})  # fmt: skip
    text = RELEASE.replace("  publish:\n    runs-on:", "  publish:\n    name: BREAK-same\n    runs-on:")
    root = write_files(tmp_path / "app", {WF: text})
    run = run_cli("fix", "--policy", str(policy / "auditor.yml"), str(root))
    assert run.exit_code == 0
    assert "rolled back the breaker fix: it would not remove the finding" in run.stderr
    assert "# touched" not in (root / WF).read_text()


PIPE_PROMOTE = """\
on:
  push:
    branches: [main]
permissions:
  contents: read
jobs:
  publish:
    runs-on: ubuntu-latest
    outputs:
      digest: ${{ steps.push.outputs.digest }}
    steps:
      - id: push
        uses: docker/build-push-action@v6
        with:
          push: true
          tags: registry.example.com/app:latest
  promote:
    needs: publish
    runs-on: ubuntu-latest
    env:
      TOKEN: ${{ secrets.CP_ADMIN_API_TOKEN }}
      DIGEST: ${{ needs.publish.outputs.digest }}
    steps:
      - run: |
          curl --fail-with-body -sS -X POST -H "Authorization: Bearer $TOKEN" \\
            -d "digest=$DIGEST" https://cp.example.com/promote | tee promote.log
  verify:
    needs: [publish, promote]
    runs-on: ubuntu-latest
    steps:
      - env:
          DIGEST: ${{ needs.publish.outputs.digest }}
        run: test "$(curl --fail-with-body -sS https://cp.example.com/pin)" = "$DIGEST"
"""


def test_a_promote_pipeline_gets_pipefail(tmp_path: Path) -> None:
    shapes = {
        "step opens with run": (PIPE_PROMOTE, "        shell: bash\n"),
        "run after a name": (PIPE_PROMOTE.replace("      - run: |\n", "      - name: Pin\n        run: |\n"),
                             "        shell: bash\n"),
        "a shell that is set": (PIPE_PROMOTE.replace("      - run: |\n", "      - shell: bash {0}\n        run: |\n"),
                                "          set -euo pipefail\n"),
    }  # fmt: skip
    for index, (shape, (text, line)) in enumerate(shapes.items()):
        root = write_files(tmp_path / f"app{index}", {WF: text})
        assert "swallowed-failure" in _rules(root), shape
        run = run_cli("fix", "--unsafe", "--no-policy", str(root))
        assert run.exit_code == 0, run.stderr
        fixed = (root / WF).read_text()
        removed, added = _removed_and_added(text, fixed)
        assert (removed, added) == ([], [line]), shape
        assert "swallowed-failure" not in _rules(root), shape


WRITE_ALL = """\
name: release
on:
  push:
    branches: [main]
permissions: write-all   # everything, for now
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with: {python-version: '3.12'}
      - run: python -m build
      - uses: actions/upload-artifact@v4
        with: {name: dist, path: dist/}
  promote:
    needs: publish
    runs-on: ubuntu-latest
    env:
      TOKEN: ${{ secrets.CP_ADMIN_API_TOKEN }}
    steps:
      - run: curl --fail-with-body -sS -X POST -H "Authorization=$TOKEN" https://cp.example.com/promote
"""

GHCR_LOGIN = """\
      - uses: docker/login-action@v3
        with: {registry: ghcr.io, username: '${{ github.actor }}', password: '${{ github.token }}'}
"""


def _fixed(tmp_path: Path, text: str) -> str:
    root = write_files(tmp_path / "app", {WF: text})
    run = run_cli("fix", "--no-policy", str(root))
    assert run.exit_code == 0, run.stderr
    return (root / WF).read_text()


def test_write_all_is_narrowed_to_what_checkout_and_run_steps_need(tmp_path: Path) -> None:
    after = _fixed(tmp_path, WRITE_ALL)
    assert _removed_and_added(WRITE_ALL, after) == (
        ["permissions: write-all   # everything, for now\n"],
        ["permissions: {contents: read}   # everything, for now\n"])
    assert "statuses-write-permission" not in _rules(tmp_path / "app")


def test_write_all_with_no_checkout_narrows_to_nothing(tmp_path: Path) -> None:
    text = WRITE_ALL.replace("      - uses: actions/checkout@v4\n", "")
    assert "permissions: {}   # everything, for now\n" in _fixed(tmp_path, text)


def test_write_all_with_a_ghcr_login_by_the_token_keeps_packages_write(tmp_path: Path) -> None:
    text = WRITE_ALL.replace("      - run: python -m build\n", "      - run: python -m build\n" + GHCR_LOGIN)
    assert "permissions: {contents: read, packages: write}   # everything, for now\n" in _fixed(tmp_path, text)


def test_write_all_with_a_login_by_another_secret_needs_no_packages(tmp_path: Path) -> None:
    text = WRITE_ALL.replace("      - run: python -m build\n", "      - run: python -m build\n"
                             + GHCR_LOGIN.replace("github.token", "secrets.GHCR_PAT"))
    assert "permissions: {contents: read}   # everything, for now\n" in _fixed(tmp_path, text)


def test_write_all_is_left_when_the_model_cannot_tell(tmp_path: Path) -> None:
    cases = {
        "git push": ("      - run: python -m build\n",
                     "      - run: |\n          git tag v1\n          git push origin v1\n"),
        "token in a run step's env": ("      - run: python -m build\n",
                                      "      - run: python -m build\n        env:\n"
                                      "          GH_TOKEN: ${{ github.token }}\n"),
        "token in the job env": ("      TOKEN: ${{ secrets.CP_ADMIN_API_TOKEN }}\n",
                                 "      TOKEN: ${{ secrets.GITHUB_TOKEN }}\n"),
        "git push continued": ("      - run: python -m build\n",
                               "      - run: |\n          git \\\n            push origin v1\n"),
        "trusted publishing": ("      - run: python -m build\n", "      - run: uv publish dist/*\n"),
        "gh CLI": ("      - run: python -m build\n", "      - run: gh release create v1 dist/*\n"),
        "forge API": ("https://cp.example.com/promote", "https://api.github.com/repos/acme/app/releases"),
        "unknown action": ("      - uses: actions/upload-artifact@v4\n",
                           "      - uses: softprops/action-gh-release@v2\n"),
        "token to a known action's other input": ("with: {python-version: '3.12'}",
                                                  "with: {python-version: '3.12', token: '${{ github.token }}'}"),
        "unreadable script": ("      - run: python -m build\n", "      - run: ./ci/release.sh\n"),
    }
    for case, (old, new) in cases.items():
        assert old in WRITE_ALL, case
        text = WRITE_ALL.replace(old, new)
        where = tmp_path / case.replace(" ", "-").replace("'", "")
        root = write_files(where, {WF: text})
        assert run_cli("fix", "--no-policy", str(root)).exit_code == 0, case
        assert (root / WF).read_text() == text, case
        assert "statuses-write-permission" in _rules(root), case


def test_write_all_reusable_workflow_call_is_left(tmp_path: Path) -> None:
    text = WRITE_ALL + "  call:\n    uses: ./.github/workflows/other.yml\n"
    root = write_files(tmp_path / "app", {WF: text})
    assert run_cli("fix", "--no-policy", str(root)).exit_code == 0
    assert (root / WF).read_text() == text


def test_a_readable_script_is_read_before_narrowing(tmp_path: Path) -> None:
    text = WRITE_ALL.replace("      - run: python -m build\n", "      - run: ./ci/release.sh\n")
    root = write_files(tmp_path / "app", {WF: text, "ci/release.sh": "python -m build\n"})
    assert run_cli("fix", "--no-policy", str(root)).exit_code == 0
    assert "permissions: {contents: read}   # everything, for now\n" in (root / WF).read_text()
    root = write_files(tmp_path / "pusher", {WF: text, "ci/release.sh": "git push --tags\n"})
    assert run_cli("fix", "--no-policy", str(root)).exit_code == 0
    assert (root / WF).read_text() == text


def test_job_level_write_all_is_narrowed_for_that_job(tmp_path: Path) -> None:
    text = WRITE_ALL.replace("permissions: write-all   # everything, for now\n", "permissions: {}\n").replace(
        "  publish:\n    runs-on: ubuntu-latest\n",
        "  publish:\n    runs-on: ubuntu-latest\n    permissions: 'write-all'\n")
    after = _fixed(tmp_path, text)
    assert _removed_and_added(text, after) == (["    permissions: 'write-all'\n"],
                                               ["    permissions: {contents: read}\n"])


def test_write_all_diff_exits_1_and_changes_only_the_span(tmp_path: Path) -> None:
    root = write_files(tmp_path / "app", {WF: WRITE_ALL})
    run = run_cli("fix", "--diff", "--no-policy", str(root))
    assert run.exit_code == 1
    assert (root / WF).read_text() == WRITE_ALL
    assert "-permissions: write-all   # everything, for now\n" in run.stdout
    assert "+permissions: {contents: read}   # everything, for now\n" in run.stdout
    assert run_cli("fix", "--no-policy", str(root)).exit_code == 0
    after = (root / WF).read_bytes()
    start = WRITE_ALL.index("write-all")
    raw = WRITE_ALL.encode()
    assert after[:start] == raw[:start]
    assert after[start + len("{contents: read}"):] == raw[start + len("write-all"):]


def test_explain_says_when_write_all_is_narrowed() -> None:
    out = run_cli("explain", "statuses-write-permission").stdout
    assert "`write-all` is narrowed in place" in out and "`read-all` is always left" in out
