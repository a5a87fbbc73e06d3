"""YAML 1.2 exactly: what libyaml's scanner refuses but YAML 1.2 (and the forges) accept is
parsed, checked, and its findings land on the right lines; hostile YAML ends in a located
finding. Every case runs the real CLI in a subprocess (``tests.hostile.test_hostile.scan``:
a timeout only a hang hits, a memory limit).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from tests.conftest import write_files
from tests.hostile.test_hostile import findings, scan

# Each form sits in a workflow whose only fault is a `needs` on a job that does not
# exist, on the line after the form: the form must parse (no parse-error), the
# workflow must be checked (the fault is found) and the finding must be on its line.
FORMS = {
    "push-tags": "      - uses: docker/build-push-action@v6\n"
                 "        with: {push: true, tags: ghcr.io/acme/api:main}\n",
    "matrix-images": "    strategy:\n      matrix: {image: [ubuntu:22.04, ubuntu:24.04]}\n",
    "url-with-port": "    env: {url: https://host:8443/x}\n",
    "digest": "      - uses: acme/deploy@v1\n        with: {digest: sha256:abc}\n",
    "ipv6": "    strategy:\n      matrix: {host: [::1]}\n",
}  # fmt: skip


def _workflow(form: str) -> str:
    steps_first = form.startswith("      - ")
    head = "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n"
    if steps_first:
        return head + "    steps:\n" + form + "      - run: echo ok\n    needs: [ghost]\n"
    return head + form + "    needs: [ghost]\n    steps:\n      - run: echo ok\n"


def test_the_c_scanner_really_refuses_these_forms() -> None:
    """The premise: libyaml rejects each form, so only the YAML 1.2 fallback parses it."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError

    for form in FORMS.values():
        yaml = YAML(typ="safe", pure=False)
        assert yaml.Parser.__name__ == "CParser"
        with pytest.raises(MarkedYAMLError), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yaml.load(_workflow(form))


def test_yaml_1_2_flow_scalars_with_colons_parse_and_are_checked(tmp_path: Path) -> None:
    files = {f".github/workflows/{name}.yml": _workflow(form) for name, form in FORMS.items()}
    root = write_files(tmp_path / "repo", files)
    found = findings(scan(root, "--no-cache"))
    assert not [f for f in found if f["rule"] == "parse-error"], found
    by_path = {f["path"]: f for f in found if f["rule"] == "needs-unknown-job"}
    assert set(by_path) == set(files)
    for path, text in files.items():
        line = text.splitlines().index("    needs: [ghost]") + 1
        assert (by_path[path]["line"], by_path[path]["column"]) == (line, 13), path


def test_a_finding_inside_a_flow_mapping_the_c_scanner_refuses_is_located(tmp_path: Path) -> None:
    text = (
        "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n"
        "    env: {url: https://host:8443/x, D: '${{ needs.ghost.outputs.digest }}'}\n"
        "    steps: [{run: echo}]\n"
    )
    root = write_files(tmp_path / "repo", {".github/workflows/ci.yml": text})
    found = [f for f in findings(scan(root, "--no-cache")) if f["rule"] == "needs-output-unwired"]
    assert len(found) == 1, found
    line = text.splitlines()[4]
    assert (found[0]["line"], found[0]["column"]) == (5, line.index("needs.ghost") + 1)


def test_what_yaml_1_2_refuses_too_is_still_a_located_parse_error(tmp_path: Path) -> None:
    text = "on: push\njobs:\n  a:\n    with: {tags: ghcr.io/a/b:main, x: [1, 2}\n"
    root = write_files(tmp_path / "repo", {".github/workflows/ci.yml": text})
    (f,) = findings(scan(root, "--no-cache"))
    assert f["rule"] == "parse-error" and f["line"] == 4, f


def test_a_redefined_anchor_and_a_colon_scalar_together(tmp_path: Path) -> None:
    text = (
        "on: push\njobs:\n  a:\n    runs-on: &r ubuntu-latest\n    steps: [{run: echo}]\n"
        "  b:\n    runs-on: &r [self-hosted, linux:arm64]\n    steps: [{run: echo}]\n"
        "  c:\n    runs-on: *r\n    needs: [ghost]\n    steps: [{run: echo}]\n"
    )
    root = write_files(tmp_path / "repo", {".github/workflows/ci.yml": text})
    found = findings(scan(root, "--no-cache"))
    assert [(f["rule"], f["line"]) for f in found] == [("needs-unknown-job", 11)]


def test_deep_nesting_on_the_yaml_1_2_path_is_the_same_finding(tmp_path: Path) -> None:
    """A file only the pure parser reads, nesting 600 deep: the same depth finding at the
    same place as the C path gives (no RecursionError: ruamel's own pure composer recurses,
    ours does not)."""
    deep = "jobs: " + "[" * 600 + "]" * 600 + "\n"
    root = write_files(tmp_path / "repo", {
        ".github/workflows/c.yml": "on: push\nenv: {a: b}\n" + deep,
        ".github/workflows/pure.yml": "on: push\nenv: {a: b:c}\n" + deep,
    })  # fmt: skip
    found = findings(scan(root, "--no-cache"))
    assert [f["rule"] for f in found] == ["parse-error"] * 2, found
    assert all("deeper than 500" in f["message"] for f in found)
    # the root mapping is level 1, so the 500th bracket is one too many
    assert {(f["line"], f["column"]) for f in found} == {(3, 6 + 500)}


# --- hostile YAML ------------------------------------------------------------------------


def _bomb(tagged: bool) -> str:
    tag = "!!seq " if tagged else ""
    lines = [f'x0: {tag}&a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 12):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"x{i}: {tag}&a{i} [{refs}]")
    return "on: push\n" + "\n".join(lines) + "\njobs:\n  x:\n    runs-on: [*a11]\n"


@pytest.mark.parametrize("tagged", [False, True], ids=["plain", "tag-before-anchor"])
def test_an_alias_bomb_is_caught_whether_or_not_its_anchors_carry_a_tag(
    tmp_path: Path, tagged: bool
) -> None:
    text = _bomb(tagged)
    assert len(text) < 800  # the 532-byte class of file that hung every scan
    root = write_files(tmp_path / "repo", {".github/workflows/ci.yml": text})
    (f,) = findings(scan(root, "--no-cache"))
    assert f["rule"] == "parse-error" and "alias bomb" in f["message"], f


def test_a_tag_before_a_recursive_anchor(tmp_path: Path) -> None:
    text = "on: push\njobs:\n  test: !!map &r\n    runs-on: x\n    steps:\n      - run: *r\n"
    root = write_files(tmp_path / "repo", {".github/workflows/ci.yml": text})
    (f,) = findings(scan(root, "--no-cache"))
    assert f["rule"] == "parse-error" and "recursive alias" in f["message"], f


NON_STRING_KEYS = {
    "flow-seq": ("on: push\njobs:\n  a:\n    runs-on: x\n    env: {[a]: 1}\n"
                 "    needs: [ghost]\n    steps: [{run: echo}]\n", (5, 11)),
    "explicit-seq": ("on: push\njobs:\n  a:\n    runs-on: x\n    env:\n      ? [a, b]\n      : 1\n"
                     "    needs: [ghost]\n    steps: [{run: echo}]\n", (6, 9)),
    "mapping": ("on: push\njobs:\n  a:\n    runs-on: x\n    ? {k: v}\n    : 1\n"
                "    needs: [ghost]\n    steps: [{run: echo}]\n", (5, 7)),
    "top-level": ("? [on]\n: push\non: push\njobs:\n  a:\n    runs-on: x\n"
                  "    needs: [ghost]\n    steps: [{run: echo}]\n", (1, 3)),
    "yaml-1.2-path": ("on: push\njobs:\n  a:\n    runs-on: x\n    env: {[a]: 1, B: a:b}\n"
                      "    needs: [ghost]\n    steps: [{run: echo}]\n", (5, 11)),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(NON_STRING_KEYS))
def test_a_non_string_key_is_a_located_finding_and_the_file_is_still_checked(
    tmp_path: Path, name: str
) -> None:
    text, where = NON_STRING_KEYS[name]
    root = write_files(tmp_path / "repo", {
        ".github/workflows/ci.yml": text,
        ".github/workflows/other.yml": "on: push\njobs:\n  b:\n    runs-on: x\n    needs: [nope]\n"
                                       "    steps: [{run: echo}]\n",
    })  # fmt: skip
    found = findings(scan(root, "--no-cache"))
    ours = [(f["rule"], f["line"], f["column"]) for f in found if f["path"].endswith("ci.yml")]
    needs_line = text.splitlines().index("    needs: [ghost]") + 1
    assert ("workflow-structure", *where) in ours, ours
    assert ("needs-unknown-job", needs_line, 13) in ours, ours  # the rest of the file was checked
    assert any(f["path"].endswith("other.yml") for f in found)  # and the rest of the scan


def test_a_thousand_nested_secret_indexes(tmp_path: Path) -> None:
    expr = "secrets[" * 1000 + "'A'" + "]" * 1000
    text = (
        "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n"
        f"      - run: echo ${{{{ {expr} }}}}\n    needs: [ghost]\n"
    )
    root = write_files(tmp_path / "repo", {".github/workflows/ci.yml": text})
    found = findings(scan(root, "--no-cache"))
    assert ("needs-unknown-job", 7) in {(f["rule"], f["line"]) for f in found}, found
    assert all(len(f["message"]) < 2000 for f in found)  # a reference's text is bounded


@pytest.mark.parametrize("tagged", [False, True], ids=["plain", "tag-before-anchor"])
def test_every_trap_holds_on_the_yaml_1_2_path(tmp_path: Path, tagged: bool) -> None:
    """Files only the pure parser reads (a `:` inside a flow scalar) meet the same traps:
    a duplicate key, an alias bomb, a recursive alias are each one located parse-error."""
    colon = "env: {image: ghcr.io/a/b:main}\n"
    root = write_files(tmp_path / "repo", {
        ".github/workflows/dup.yml": colon + "on: push\njobs:\n  a:\n    runs-on: x\n    runs-on: y\n",
        ".github/workflows/bomb.yml": colon + _bomb(tagged),
        ".github/workflows/loop.yml": colon + "on: push\njobs:\n  test: " + ("!!map " if tagged else "")
                                      + "&r\n    runs-on: x\n    steps:\n      - run: *r\n",
    })  # fmt: skip
    found = {f["path"].rsplit("/", 1)[-1]: f for f in findings(scan(root, "--no-cache"))}
    assert {name: f["rule"] for name, f in found.items()} == {
        "dup.yml": "parse-error", "bomb.yml": "parse-error", "loop.yml": "parse-error",
    }
    assert "duplicate key 'runs-on'" in found["dup.yml"]["message"] and found["dup.yml"]["line"] == 6
    assert "alias bomb" in found["bomb.yml"]["message"]
    assert "recursive alias" in found["loop.yml"]["message"] and found["loop.yml"]["line"] == 4
