"""Discovery per forge, and expression references with exact columns."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from auditor.expressions import find_expressions, functions_called, references
from auditor.repo import DirectorySource, UnreadableFile, discover
from tests.conftest import check_json, write_files

WF = "on: push\njobs:\n  a:\n    needs: ghost\n    runs-on: x\n    steps: [{run: e}]\n"


def test_gitea_reads_subfolders_github_does_not(repo) -> None:  # type: ignore[no-untyped-def]
    root = repo({
        ".github/workflows/top.yml": WF,
        ".github/workflows/nested/compose.yml": WF,
        ".gitea/workflows/top.yml": WF,
        ".gitea/workflows/release/nested.yaml": WF,
        ".forgejo/workflows/f.yaml": WF,
        ".github/workflows/notes.txt": "not yaml",
    })  # fmt: skip
    result = check_json(root)
    paths = sorted({f["path"] for f in result.findings()})
    assert paths == [".forgejo/workflows/f.yaml", ".gitea/workflows/release/nested.yaml",
                     ".gitea/workflows/top.yml", ".github/workflows/top.yml"]
    dirs = result.json()["summary"]["repositories"][0]["workflow_dirs"]
    assert dirs == {"github": ".github/workflows", "gitea": ".gitea/workflows",
                    "forgejo": ".forgejo/workflows"}


def test_forges_fall_back_to_github_folder(repo) -> None:  # type: ignore[no-untyped-def]
    dirs = check_json(repo({".github/workflows/a.yml": WF})).json()["summary"]["repositories"][0]
    assert dirs["workflow_dirs"] == {"github": ".github/workflows", "gitea": ".github/workflows",
                                     "forgejo": ".github/workflows"}


def test_local_actions_are_discovered_outside_vendored_folders(repo) -> None:  # type: ignore[no-untyped-def]
    bad_action = "name: x\nruns:\n  using: composite\n  steps:\n    - name: no run or uses\n"
    root = repo({
        ".github/actions/promote/action.yml": bad_action,
        "node_modules/pkg/action.yml": bad_action,
        "tools/action.yaml": bad_action,
    })  # fmt: skip
    paths = sorted(f["path"] for f in check_json(root).findings())
    assert paths == [".github/actions/promote/action.yml", "tools/action.yaml"]


def test_a_listed_tree_is_read_without_lstat_and_never_through_a_link_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """list_dir notes each entry's symlink status from scandir: reads of listed
    files need no lstat, and links out of the tree are still refused."""
    outside = write_files(tmp_path / "outside", {"secret.yml": "SECRET", "d/x.yml": "X"})
    root = write_files(tmp_path / "repo", {
        ".github/workflows/ok.yml": WF,
        ".github/actions/a/action.yml": "name: a\n",
        "tools/action.yaml": "name: t\n",
    })  # fmt: skip
    (root / ".github/workflows/out.yml").symlink_to(outside / "secret.yml")
    (root / ".github/workflows/in.yml").symlink_to("ok.yml")
    (root / "linked").symlink_to(outside / "d")
    (root / "vendored").symlink_to(root / "tools")
    source = DirectorySource(root)
    found = discover(source)
    assert found.workflows == (".github/workflows/in.yml", ".github/workflows/ok.yml",
                               ".github/workflows/out.yml")  # fmt: skip
    assert found.actions == (".github/actions/a/action.yml", "tools/action.yaml")

    lstats: list[str] = []
    real_lstat = os.lstat

    def counting_lstat(path: str, *args: object, **kwargs: object) -> os.stat_result:
        lstats.append(str(path))
        return real_lstat(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "lstat", counting_lstat)
    assert source.read(".github/workflows/ok.yml") == WF.encode()
    assert source.read("tools/action.yaml") == b"name: t\n"
    assert source.read(".github/actions/a/action.yml") == b"name: a\n"
    assert lstats == []  # every component was noted while listing
    assert source.read(".github/workflows/in.yml") == WF.encode()  # a link inside: followed
    assert source.read("vendored/action.yaml") == b"name: t\n"
    with pytest.raises(UnreadableFile, match="outside the repository"):
        source.read(".github/workflows/out.yml")
    assert source.list_dir("linked") == []
    with pytest.raises(UnreadableFile, match="outside the repository"):
        source.read("linked/x.yml")
    assert source.size(".github/workflows/out.yml") is None
    assert not source.is_dir("linked")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("${{ needs.publish.outputs.digest }}", [("needs", ("publish", "outputs", "digest"), 4)]),
        ("x ${{ needs.build.result }}", [("needs", ("build", "result"), 6)]),
        ("${{ steps.push.outputs.digest }}", [("steps", ("push", "outputs", "digest"), 4)]),
        ("${{ jobs.j.outputs.o }}", [("jobs", ("j", "outputs", "o"), 4)]),
        ("${{ secrets.CP_TOKEN }}", [("secrets", ("CP_TOKEN",), 4)]),
        ("${{ secrets['CP-TOKEN'] }}", [("secrets", ("CP-TOKEN",), 4)]),
        ("${{ secrets[matrix.name] }}", [("matrix", ("name",), 12), ("secrets", (None,), 4)]),
        ("${{ matrix.target == 'prod' && secrets.A || secrets.B }}",
         [("matrix", ("target",), 4), ("secrets", ("A",), 31), ("secrets", ("B",), 44)]),
        ("${{ format('{0}', 'needs.fake.outputs.x') }}", []),
        ("${{ 'it''s' }} ${{ env.IMAGE }}", [("env", ("IMAGE",), 19)]),
        ("${{ inputs.tag }}-${{ vars.REGISTRY }}", [("inputs", ("tag",), 4), ("vars", ("REGISTRY",), 22)]),
        ("${{ github.token }}", [("github", ("token",), 4)]),
        ("${{ fromJSON(needs.a.outputs.m).x }}", [("needs", ("a", "outputs", "m"), 13)]),
        ("${{ toJSON(github.event.*.name) }}", [("github", ("event", None, "name"), 11)]),
    ],
)
def test_references_with_offsets(value: str, expected: list[tuple[str, tuple[str | None, ...], int]]) -> None:
    got = sorted((r.context, r.path, r.start) for r in references(value))
    assert got == sorted(expected)
    for ref in references(value):
        assert value[ref.start : ref.end] == ref.text


def test_bare_if_is_an_expression() -> None:
    refs = references("needs.publish.result == 'success' && !cancelled()", condition=True)
    assert [(r.context, r.path) for r in refs] == [("needs", ("publish", "result"))]
    assert functions_called("always() && failure()") == {"always", "failure"}


def test_unterminated_and_string_with_braces() -> None:
    exprs = list(find_expressions("a ${{ 'x }} y' }} b ${{ c"))
    assert [(e.start, e.terminated) for e in exprs] == [(2, True), (20, False)]
    assert exprs[0].body.strip() == "'x }} y'"


def test_reference_column_in_block_scalar(repo) -> None:  # type: ignore[no-untyped-def]
    # Through the real CLI: an unterminated expression deep in a literal block.
    root = repo({".github/workflows/ci.yml": (
        "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: |\n"
        "          echo one\n          echo ${{ github.sha\n"
    )})  # fmt: skip
    found = check_json(root).findings("workflow-structure")
    assert [(f["line"], f["column"]) for f in found] == [(8, 16)]
