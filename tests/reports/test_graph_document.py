"""`auditor graph` of a repository prints ONE document, or one file per workflow.

DOT goes through the real Graphviz (`dot -Tsvg`) and its SVG is parsed; there
is no Mermaid CLI here, so a Mermaid chart is checked for its structure: one
header, balanced ``subgraph``/``end``, node ids unique across workflows, every
edge and class naming a node the chart defines.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CORPUS, need_shared, run_cli, write_files
from tests.rules.helpers import GOOD

SVG = "{http://www.w3.org/2000/svg}"
XLINK_TITLE = "{http://www.w3.org/1999/xlink}title"
ODD_JOB = 'we"ird\\job {x} <b>'

# Three workflows: the same job ids in two of them, a job id full of what DOT
# and Mermaid quote, and a release pipeline whose roles are coloured.
THREE = {
    ".github/workflows/release.yml": GOOD,
    ".github/workflows/ci.yml": f"""
        on: push
        jobs:
          publish: {{runs-on: x, steps: [{{run: make test}}]}}
          '{ODD_JOB}': {{needs: publish, runs-on: x, steps: [{{run: echo}}]}}
    """,
    ".gitea/workflows/ci.yml": """
        on: push
        jobs:
          publish: {runs-on: x, steps: [{run: "docker push ghcr.io/acme/app:1"}]}
    """,
}


def _dot_binary() -> str:
    found = shutil.which("dot")
    if found is None:
        pytest.skip("Graphviz `dot` is not installed")
    return found


def _svg(dot_text: str) -> ET.Element:
    """``dot -Tsvg`` of ``dot_text``: it must succeed and give exactly one SVG document."""
    proc = subprocess.run([_dot_binary(), "-Tsvg"], input=dot_text, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("<svg") == 1, "more than one SVG: more than one graph in the input"
    root = ET.fromstring(proc.stdout)  # a second document after the first would not parse
    assert root.tag == f"{SVG}svg"
    return root


def _groups(root: ET.Element, kind: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if g.get("class") == kind]


def _graphs(root: Path | str) -> list[dict[str, Any]]:
    run = run_cli("graph", "--no-policy", "--format", "json", str(root))
    assert run.exit_code == 0, run.stderr
    graphs: list[dict[str, Any]] = json.loads(run.stdout)
    return graphs


def _check_svg(svg: ET.Element, graphs: list[dict[str, Any]]) -> None:
    """One cluster per workflow that has jobs, one box per job, titled with its path."""
    drawn = [g for g in graphs if g["jobs"]]
    clusters = _groups(svg, "cluster")
    assert len(clusters) == len(drawn)
    cluster_texts = [[t.text for t in c.iter(f"{SVG}text")] for c in clusters]
    assert sorted(texts[0] for texts in cluster_texts) == sorted(g["path"] for g in drawn)
    nodes = _groups(svg, "node")
    assert len(nodes) == sum(len(g["jobs"]) for g in graphs)


def test_dot_of_three_workflows_is_one_svg(tmp_path: Path) -> None:
    root = write_files(tmp_path / "repo", THREE)
    run = run_cli("graph", "--no-policy", "--format", "dot", str(root))
    assert run.exit_code == 0, run.stderr
    assert run.stdout.count("digraph") == 1 and len(re.findall(r"subgraph cluster_", run.stdout)) == 3
    svg = _svg(run.stdout)
    graphs = _graphs(root)
    assert len(graphs) == 3
    _check_svg(svg, graphs)
    boxes = {"".join(n.find(f"{SVG}title").itertext()): n for n in _groups(svg, "node")}  # type: ignore[union-attr]
    texts = [t.text for n in boxes.values() for t in n.iter(f"{SVG}text")]
    assert texts.count("publish") == 3  # three jobs named publish, three boxes
    assert ODD_JOB in texts  # the label is the job id, escaped for DOT and shown as it is
    # Roles stay coloured, and each role's reason is the box's tooltip.
    fills = {p.get("fill") for n in boxes.values() for p in n.iter(f"{SVG}polygon")}
    assert {"#1f77b4", "#ff7f0e", "#2ca02c"} <= fills
    tooltips = [a.get(XLINK_TITLE, "") for n in boxes.values() for a in n.iter(f"{SVG}a")]
    assert any(t.startswith("publish: step 'push' pushes an image") for t in tooltips), tooltips


def test_dot_of_a_corpus_repository_is_one_svg() -> None:
    base = need_shared(CORPUS / "wild" / "grafana__loki")
    (root,) = [p for p in base.iterdir() if p.is_dir()]
    graphs = _graphs(root)
    assert len(graphs) > 10, "the corpus repository has many workflows"
    run = run_cli("graph", "--no-policy", "--format", "dot", str(root))
    assert run.exit_code == 0, run.stderr
    _check_svg(_svg(run.stdout), graphs)


def _mermaid_structure(chart: str) -> dict[str, Any]:
    """What a Mermaid flowchart must be to render: parsed line by line, asserting as it goes."""
    lines = [line.strip() for line in chart.splitlines() if line.strip()]
    headers = [line for line in lines if re.match(r"(flowchart|graph)\b", line)]
    assert headers == [lines[0]] == ["flowchart LR"]
    depth, subgraphs, nodes, edges, classes = 0, [], [], [], []
    for line in lines[1:]:
        if line.startswith("%%"):
            continue
        if m := re.fullmatch(r'subgraph (\w+) \["([^"]*)"\]', line):
            depth += 1
            subgraphs.append(m.group(2))
        elif line == "end":
            depth -= 1
            assert depth >= 0, "an `end` without its subgraph"
        elif m := re.fullmatch(r'(\w+)\["([^"]*)"\]', line):
            assert depth == 1, "every job sits inside its workflow's subgraph"
            nodes.append(m.group(1))
        elif m := re.fullmatch(r"(\w+) --> (\w+)", line):
            edges.append((m.group(1), m.group(2)))
        elif m := re.fullmatch(r"class (\w+) (\w+)", line):
            classes.append(m.group(1))
        else:
            assert re.fullmatch(r"classDef \w+ [^ ]+", line), line
    assert depth == 0, "a subgraph without its `end`"
    assert len(nodes) == len(set(nodes)), "node ids repeat across workflows"
    assert all(a in nodes and b in nodes for a, b in edges)
    assert all(c in nodes for c in classes)
    return {"subgraphs": subgraphs, "nodes": nodes, "edges": edges, "classes": classes}


def test_mermaid_is_one_chart_with_a_subgraph_per_workflow(tmp_path: Path) -> None:
    root = write_files(tmp_path / "repo", THREE)
    run = run_cli("graph", "--no-policy", str(root))
    assert run.exit_code == 0, run.stderr
    chart = _mermaid_structure(run.stdout)
    graphs = _graphs(root)
    assert chart["subgraphs"] == [g["path"] for g in graphs]
    assert len(chart["nodes"]) == sum(len(g["jobs"]) for g in graphs)
    assert len(chart["edges"]) == sum(len(g["edges"]) for g in graphs)
    assert "%% " in run.stdout and "promote: step" in run.stdout  # the role reasons stay


def test_mermaid_of_a_corpus_repository_is_one_chart() -> None:
    base = need_shared(CORPUS / "wild" / "grafana__loki")
    (root,) = [p for p in base.iterdir() if p.is_dir()]
    run = run_cli("graph", "--no-policy", str(root))
    assert run.exit_code == 0, run.stderr
    chart = _mermaid_structure(run.stdout)
    assert len(chart["subgraphs"]) == len(_graphs(root))


def test_json_is_one_document(tmp_path: Path) -> None:
    root = write_files(tmp_path / "repo", THREE)
    graphs = _graphs(root)  # json.loads of the whole output: one document
    assert sorted(g["path"] for g in graphs) == sorted(THREE)


@pytest.mark.parametrize("fmt", ["dot", "mermaid", "json"])
def test_output_dir_writes_one_file_per_workflow(tmp_path: Path, fmt: str) -> None:
    files = {
        **THREE,
        ".github/workflows/a b.yml": "on: push\njobs:\n  x: {runs-on: x, steps: [{run: echo}]}\n",
        ".github/workflows/a_b.yml": "on: push\njobs:\n  y: {runs-on: x, steps: [{run: echo}]}\n",
        ".github/workflows/A_B.yml": "on: push\njobs:\n  z: {runs-on: x, steps: [{run: echo}]}\n",
    }
    root = write_files(tmp_path / "repo", files)
    out = tmp_path / "graphs" / "nested"
    run = run_cli("graph", "--no-policy", "--format", fmt, "--output-dir", str(out), str(root))
    assert run.exit_code == 0, run.stderr
    written = run.stdout.splitlines()
    graphs = _graphs(root)
    assert len(written) == len(graphs) == len(files)
    assert sorted(p.name for p in out.iterdir()) == sorted(Path(w).name for w in written)
    names = [Path(w).name for w in written]
    assert len({n.casefold() for n in names}) == len(names)  # distinct even on a case-blind disk
    assert all(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", n) for n in names), names
    for path, graph in zip(written, graphs, strict=True):
        alone = run_cli("graph", "--no-policy", "--format", fmt, str(root / graph["path"]))
        assert Path(path).read_text(encoding="utf-8") == alone.stdout  # what graph FILE prints
        if fmt == "dot":
            _check_svg(_svg(alone.stdout), [graph])


def test_output_dir_that_is_a_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    root = write_files(tmp_path / "repo", THREE)
    blocker = tmp_path / "taken"
    blocker.write_text("not a folder\n")
    run = run_cli("graph", "--no-policy", "--output-dir", str(blocker), str(root))
    assert run.exit_code == 2
    assert run.stderr == f"auditor: error: --output-dir {blocker}: not a folder\n"
    assert blocker.read_text() == "not a folder\n"
