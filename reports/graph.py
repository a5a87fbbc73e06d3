"""Job graphs as Mermaid, Graphviz DOT or JSON, roles coloured.

Used by ``auditor graph`` and by the Markdown report. ``auditor graph`` prints
one document for a whole repository (a Mermaid chart with a subgraph per
workflow, a DOT digraph with a cluster per workflow, a JSON array), or with
``--output-dir`` one file per workflow (``file_names``). Job ids and paths come
from repositories, so every label is escaped for its format, and node ids are
made up (ASCII, numbered), never taken from a job id.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import TYPE_CHECKING, Any

from auditor.findings import no_commands, one_line

if TYPE_CHECKING:
    from auditor.facts import PipelineGraph

ROLE_COLOURS = {"publish": "#1f77b4", "promote": "#ff7f0e", "verify": "#2ca02c"}
ROLE_ORDER = ("promote", "publish", "verify")


def primary_role(roles: frozenset[str] | set[str] | list[str]) -> str | None:
    for role in ROLE_ORDER:
        if role in roles:
            return role
    return None


def _mermaid_id(job_id: str, index: int) -> str:
    return f"j{index}_" + re.sub(r"[^A-Za-z0-9_]", "_", job_id)[:40]


def _node_ids(graph: PipelineGraph, first: int = 0) -> dict[str, str]:
    """Job → node id, numbered from ``first``: a document of several workflows numbers on
    across them, so no two workflows share a node (two ``build`` jobs stay two boxes) and
    the first workflow's ids are the ones a single-workflow chart has."""
    return {job: _mermaid_id(job, first + i) for i, job in enumerate(graph.jobs)}


def _mermaid_label(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in " -_./:()" else f"#{ord(ch)};" for ch in text)


def _mermaid_parts(graph: PipelineGraph, ids: dict[str, str], indent: str) -> tuple[list[str], list[str]]:
    """(nodes and edges, class assignments and role reasons) of one workflow."""
    body = []
    for job in graph.jobs:
        roles = graph.roles.get(job, frozenset())
        suffix = f" [{', '.join(sorted(roles))}]" if roles else ""
        body.append(f'{indent}{ids[job]}["{_mermaid_label(job + suffix)}"]')
    for job, preds in graph.needs.items():
        for pred in preds:
            body.append(f"{indent}{ids[pred]} --> {ids[job]}")
    tail = []
    for job in graph.jobs:
        main_role = primary_role(graph.roles.get(job, frozenset()))
        if main_role:
            tail.append(f"  class {ids[job]} {main_role}")
    for job in graph.jobs:
        for role, why in graph.reasons.get(job, ()):
            tail.append(f"  %% {ids[job]} {role}: {no_commands(one_line(why))}")
    return body, tail


_CLASS_DEFS = [f"  classDef {role} fill:{colour},color:#fff,stroke:#333" for role, colour in ROLE_COLOURS.items()]


def mermaid(graph: PipelineGraph) -> str:
    """One workflow's chart (the Markdown report draws each workflow on its own)."""
    body, tail = _mermaid_parts(graph, _node_ids(graph), "  ")
    return "\n".join(["flowchart LR", *body, *_CLASS_DEFS, *tail]) + "\n"


def mermaid_document(graphs: list[PipelineGraph]) -> str:
    """Every workflow in one chart, a ``subgraph`` each titled with its path: one
    ``flowchart`` a renderer accepts, where charts printed one after another are not."""
    lines = ["flowchart LR"]
    tails: list[str] = []
    first = 0
    for index, graph in enumerate(graphs):
        ids = _node_ids(graph, first)
        first += len(graph.jobs)
        body, tail = _mermaid_parts(graph, ids, "    ")
        lines.append(f'  subgraph w{index} ["{_mermaid_label(one_line(graph.path))}"]')
        lines += body
        lines.append("  end")
        tails += tail
    return "\n".join([*lines, *_CLASS_DEFS, *tails]) + "\n"


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _dot_cluster(graph: PipelineGraph, index: int, ids: dict[str, str]) -> list[str]:
    """One workflow as ``subgraph cluster_N``: Graphviz draws a cluster as a labelled box."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", graph.path.rsplit("/", 1)[-1])[:40]
    lines = [f"  subgraph cluster_{index}_{name} {{", f"    label={_dot_quote(one_line(graph.path))};"]
    for job in graph.jobs:
        roles = graph.roles.get(job, frozenset())
        role = primary_role(roles)
        label = _dot_quote(one_line(job))[:-1] + (f"\\n[{', '.join(sorted(roles))}]" if roles else "") + '"'
        attrs = f"label={label}"
        if role:
            attrs += f', fillcolor="{ROLE_COLOURS[role]}", fontcolor=white'
        why = "; ".join(f"{r}: {no_commands(one_line(w))}" for r, w in graph.reasons.get(job, ()))
        if why:
            attrs += f", tooltip={_dot_quote(why)}"
        lines.append(f"    {ids[job]} [{attrs}];")
    for job, preds in graph.needs.items():
        for pred in preds:
            lines.append(f"    {ids[pred]} -> {ids[job]};")
    lines.append("  }")
    return lines


def dot_document(graphs: list[PipelineGraph]) -> str:
    """Every workflow in one ``digraph``, a cluster each: ``dot -Tsvg`` draws one picture
    (digraphs printed one after another are several graphs, and most tools take only the
    first). Node ids are ASCII and numbered across the document, job ids are labels."""
    lines = ['digraph "job graphs" {', "  rankdir=LR;", "  node [shape=box, style=filled, fillcolor=white];"]
    first = 0
    for index, graph in enumerate(graphs):
        ids = _node_ids(graph, first)
        first += len(graph.jobs)
        lines += _dot_cluster(graph, index, ids)
    lines.append("}")
    return "\n".join(lines) + "\n"


def dot(graph: PipelineGraph) -> str:
    """One workflow's DOT graph (a document of one cluster)."""
    return dot_document([graph])


def as_json(graph: PipelineGraph) -> dict[str, Any]:
    return {
        "path": graph.path,
        "jobs": [
            {"id": job, "roles": sorted(graph.roles.get(job, frozenset())), "needs": list(graph.needs.get(job, ())),
             "reasons": [{"role": r, "why": w} for r, w in graph.reasons.get(job, ())]}
            for job in graph.jobs
        ],
        "edges": [[pred, job] for job, preds in graph.needs.items() for pred in preds],
    }


def render_graphs(graphs: list[PipelineGraph], fmt: str) -> str:
    """The job graphs of ``graphs`` as ONE document of ``fmt`` (``mermaid``, ``dot``, ``json``):
    a chart with a subgraph per workflow, a digraph with a cluster per workflow, a JSON array."""
    if fmt == "json":
        return json.dumps([as_json(g) for g in graphs], indent=2) + "\n"
    if fmt == "dot":
        return dot_document(graphs)
    return mermaid_document(graphs)


EXTENSIONS = {"mermaid": ".mmd", "dot": ".dot", "json": ".json"}
_NAME_LIMIT = 100


def file_names(paths: list[str], fmt: str) -> list[str]:
    """A file name for each workflow path, for ``auditor graph --output-dir``.

    Each name is one safe path component whatever the repository named its files:
    folders joined by ``__``, anything but letters, digits, ``.``, ``_`` and ``-``
    replaced by ``_``, no leading dot (no hidden file, no ``..``), long names cut and
    told apart by a hash of the path. Names that still collide (``a/b_c.yml`` and
    ``a_b/c.yml``, or names equal but for case, which one file on macOS and Windows)
    get ``-2``, ``-3``... before the extension.
    """
    ext = EXTENSIONS[fmt]
    taken: set[str] = set()
    names = []
    for path in paths:
        parts = [re.sub(r"[^A-Za-z0-9._-]", "_", p).lstrip(".") for p in path.split("/") if p not in ("", ".")]
        stem = "__".join(p for p in parts if p) or "workflow"
        if len(stem) > _NAME_LIMIT:
            digest = hashlib.sha256(path.encode("utf-8", "surrogatepass")).hexdigest()[:12]
            stem = f"{stem[:_NAME_LIMIT - 13]}-{digest}"
        name, n = stem + ext, 1
        while name.casefold() in taken:
            n += 1
            name = f"{stem}-{n}{ext}"
        taken.add(name.casefold())
        names.append(name)
    return names
