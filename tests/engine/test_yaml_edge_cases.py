"""YAML that real workflows contain, and YAML that attacks parsers.

Each case ends in a model or a located finding, in bounded time (subprocess
timeouts guard the hostile ones), never in a crash.
"""

from __future__ import annotations

import pytest

from auditor.parse import c_parser_available, parse_bytes
from tests.conftest import check_json, workflow

JOB = "  a:\n    runs-on: x\n    steps:\n      - run: echo\n"


def rules_of(run) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(f["rule"] for f in run.findings())


def test_c_parser_is_really_used() -> None:
    from ruamel.yaml import YAML

    assert c_parser_available()
    parser = YAML(typ="safe", pure=False).Parser
    assert parser.__module__.endswith("_ruamel_yaml")
    assert parser.__name__ == "CParser"


def _attributes(node):  # type: ignore[no-untyped-def]
    """Every slot ruamel's node classes define, recursively, as plain data."""
    from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

    slots = [s for cls in (Node, ScalarNode, SequenceNode, MappingNode)
             for s in cls.__slots__ if isinstance(node, cls) and hasattr(cls, "__slots__")]  # fmt: skip
    out = {s: getattr(node, s) for s in slots if s not in ("value", "start_mark", "end_mark", "ctag")}
    out["tag"] = str(node.tag)
    out["marks"] = (node.start_mark.index, node.end_mark.index)
    if isinstance(node, MappingNode):
        out["value"] = [(_attributes(k), _attributes(v)) for k, v in node.value]
    elif isinstance(node, SequenceNode):
        out["value"] = [_attributes(v) for v in node.value]
    else:
        out["value"] = node.value
    return out


def test_ruamel_is_left_as_it_was_and_its_nodes_are_the_same() -> None:
    """The parse layer composes with subclasses of ruamel's node classes (for speed); ruamel
    itself must be unchanged for any other user in the process, before and after, and the
    nodes must carry exactly what ruamel's own would."""
    import _ruamel_yaml
    from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

    from auditor.parse import _composing, _FastComposer

    text = "on: {push: {branches: [main]}}\njobs:\n  a: &x\n    runs-on: 'x'\n    steps: [{run: echo}]\n  b: *x\n"
    mine = _composing(text)
    assert (_ruamel_yaml.ScalarNode, _ruamel_yaml.SequenceNode, _ruamel_yaml.MappingNode) == (
        ScalarNode, SequenceNode, MappingNode)  # fmt: skip
    theirs = _FastComposer(text).get_single_node()  # ruamel's classes: nothing set around it
    assert type(theirs) is MappingNode and type(theirs.value[0][0]) is ScalarNode
    assert type(mine) is not MappingNode and isinstance(mine, MappingNode)
    assert _attributes(mine) == _attributes(theirs)
    assert parse_bytes(text.encode(), "w.yml").problems == ()
    assert _ruamel_yaml.ScalarNode is ScalarNode


@pytest.mark.parametrize(
    "text",
    [
        "on: push\njobs:\n" + JOB,
        "'on': push\njobs:\n" + JOB,
        '"on": [push, pull_request]\njobs:\n' + JOB,
        "on:\n  push:\n    branches: [main]\njobs:\n" + JOB,
        "on: {push: {branches: [main]}}\njobs: {a: {runs-on: x, steps: [{run: echo}]}}\n",
        "\ufeffon: push\njobs:\n" + JOB,
        ("on: push\njobs:\n" + JOB).replace("\n", "\r\n"),
        "# only a comment first\non: push  # trailing\njobs:\n" + JOB,
    ],
    ids=["plain-on", "single-quoted-on", "double-quoted-list", "map", "flow", "bom", "crlf",
         "comments"],
)
def test_valid_shapes_parse_clean(repo, text: str) -> None:  # type: ignore[no-untyped-def]
    result = check_json(repo({".github/workflows/ci.yml": text.encode()}))
    assert result.findings() == []


def test_on_stays_a_string_under_yaml_1_2() -> None:
    parsed = parse_bytes(b"on: push\nyes: no\n", "x.yml")
    assert parsed.root is not None
    keys = [(k.value, k.kind) for k, _ in parsed.root.items()]  # type: ignore[attr-defined]
    assert keys == [("on", "str"), ("yes", "str")]


def test_anchors_aliases_and_merge_keys(repo) -> None:  # type: ignore[no-untyped-def]
    text = """
    on: push
    jobs:
      a: &defaults
        runs-on: ubuntu-latest
        steps:
          - run: make
      b:
        <<: *defaults
        needs: a
    """
    result = check_json(repo(workflow(text)))
    assert result.findings() == []


def test_merge_key_can_introduce_an_unknown_need(repo) -> None:  # type: ignore[no-untyped-def]
    text = """
    on: push
    x: &n
      needs: [ghost]
      runs-on: x
      steps: [{run: echo}]
    jobs:
      b:
        <<: *n
    """
    found = check_json(repo(workflow(text))).findings("needs-unknown-job")
    assert [(f["line"], f["job"]) for f in found] == [(3, "b")]


def test_redefined_anchor_is_valid_yaml_1_2(repo) -> None:  # type: ignore[no-untyped-def]
    text = """
    on: push
    jobs:
      a:
        runs-on: &r ubuntu-latest
        steps: [{run: echo}]
      b:
        runs-on: &r windows-latest
        steps: [{run: echo}]
      c:
        runs-on: *r
        steps: [{run: echo}]
    """
    assert check_json(repo(workflow(text))).findings() == []


def test_needs_as_string_or_list(repo) -> None:  # type: ignore[no-untyped-def]
    text = "on: push\njobs:\n" + JOB + "  b:\n    needs: a\n    runs-on: x\n    steps: [{run: e}]\n"
    text += "  c:\n    needs: [a, b]\n    runs-on: x\n    steps: [{run: e}]\n"
    assert check_json(repo(workflow(text))).findings() == []


@pytest.mark.parametrize(
    ("content", "line", "column", "words"),
    [
        (b"on: push\njobs:\n  a:\n    runs-on: x\n    runs-on: y\n    steps: [{run: e}]\n", 5, 5,
         "duplicate key 'runs-on'"),
        (b"on: push\njobs:\n\ta:\n", 3, 1, "invalid YAML"),
        (b"on: push\njobs:\n  a: \xff\xfe\n", 3, 6, "not valid UTF-8"),
        (b"on: push\x00\x01\x02", 1, 9, "binary"),
        (b"on: push\njobs: [a, b\n", 3, 1, "invalid YAML"),
        (b"---\non: push\n---\non: pull\n", 3, 1, "more than one YAML document"),
    ],
    ids=["duplicate-key", "tab", "non-utf8", "binary", "unclosed-flow", "two-documents"],
)
def test_bad_yaml_is_a_located_parse_error(repo, content: bytes, line: int, column: int,  # type: ignore[no-untyped-def]
                                           words: str) -> None:
    result = check_json(repo({".github/workflows/ci.yml": content}))
    found = result.findings("parse-error")
    assert len(found) == 1, result.stdout
    assert (found[0]["line"], found[0]["column"]) == (line, column)
    assert words in found[0]["message"]


def test_empty_and_comment_only_files_are_structure_findings(repo) -> None:  # type: ignore[no-untyped-def]
    result = check_json(repo({".github/workflows/a.yml": b"", ".github/workflows/b.yml": b"# x\n"}))
    assert result.exit_code == 0  # nothing to run, nothing to prove: no crash, no finding
    assert result.findings() == []


def test_a_string_document_is_not_a_workflow(repo) -> None:  # type: ignore[no-untyped-def]
    result = check_json(repo(workflow('"on: push\\njobs: {}"\n')))
    assert rules_of(result) == ["workflow-structure"]
    assert "not a workflow mapping" in result.findings()[0]["message"]


def test_deep_nesting_is_a_finding(repo) -> None:  # type: ignore[no-untyped-def]
    deep_flow = "on: push\njobs: " + "[" * 10_000 + "]" * 10_000 + "\n"
    # block indentation costs n² bytes, so 2,000 levels (4 MB) stands in for it
    deep_block = "on: push\njobs:\n" + "".join(" " * (i + 1) + "k:\n" for i in range(2_000))
    deep_compact = "on: push\njobs:\n" + "- " * 10_000 + "x\n"
    root = repo({".github/workflows/flow.yml": deep_flow, ".github/workflows/block.yml": deep_block,
                 ".github/workflows/compact.yml": deep_compact})
    result = check_json(root)
    found = {f["path"]: f for f in result.findings("parse-error")}
    assert set(found) == {".github/workflows/flow.yml", ".github/workflows/block.yml",
                          ".github/workflows/compact.yml"}
    assert all("deeper than" in f["message"] for f in found.values())


def test_alias_bomb_is_a_finding(repo) -> None:  # type: ignore[no-untyped-def]
    lines = ["on: push", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    lines.append("jobs: {j: {runs-on: *a8, steps: [{run: echo}]}}")
    result = check_json(repo(workflow("\n".join(lines) + "\n")))
    found = result.findings("parse-error")
    assert len(found) == 1
    assert "alias bomb" in found[0]["message"]


def test_large_file_under_the_limit_parses(repo) -> None:  # type: ignore[no-untyped-def]
    steps = "".join(f"      - run: echo {i} {'x' * 80}\n" for i in range(45_000))
    text = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n" + steps
    assert 4_000_000 < len(text) < 5_000_000
    result = check_json(repo(workflow(text)))
    assert result.findings() == []


def test_file_over_the_limit_is_file_too_large(repo) -> None:  # type: ignore[no-untyped-def]
    text = "on: push\n" + "# padding\n" * 600_000
    result = check_json(repo(workflow(text)))
    found = result.findings()
    assert [f["rule"] for f in found] == ["file-too-large"]
    assert (found[0]["line"], found[0]["column"]) == (1, 1)


def test_recursive_alias_is_a_finding_not_a_recursion_error(repo) -> None:  # type: ignore[no-untyped-def]
    text = "on: push\njobs:\n  test: &r\n    runs-on: x\n    steps:\n      - run: *r\n"
    found = check_json(repo(workflow(text))).findings("parse-error")
    assert [(f["line"], f["column"]) for f in found] == [(3, 9)]
    assert "recursive alias" in found[0]["message"]
