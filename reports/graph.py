"""Job graphs as Mermaid, Graphviz DOT or JSON, roles coloured.

Used by ``auditor graph`` and by the Markdown and HTML reports. Job ids and
names come from repositories, so every label is escaped for its format.
"""

from __future__ import annotations

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


def _mermaid_label(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in " -_./:()" else f"#{ord(ch)};" for ch in text)


def mermaid(graph: PipelineGraph) -> str:
    lines = ["flowchart LR"]
    ids = {job: _mermaid_id(job, i) for i, job in enumerate(graph.jobs)}
    for job in graph.jobs:
        roles = graph.roles.get(job, frozenset())
        suffix = f" [{', '.join(sorted(roles))}]" if roles else ""
        lines.append(f'  {ids[job]}["{_mermaid_label(job + suffix)}"]')
    for job, preds in graph.needs.items():
        for pred in preds:
            lines.append(f"  {ids[pred]} --> {ids[job]}")
    for role, colour in ROLE_COLOURS.items():
        lines.append(f"  classDef {role} fill:{colour},color:#fff,stroke:#333")
    for job in graph.jobs:
        main_role = primary_role(graph.roles.get(job, frozenset()))
        if main_role:
            lines.append(f"  class {ids[job]} {main_role}")
    for job in graph.jobs:
        for role, why in graph.reasons.get(job, ()):
            lines.append(f"  %% {ids[job]} {role}: {no_commands(one_line(why))}")
    return "\n".join(lines) + "\n"


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def dot(graph: PipelineGraph) -> str:
    name = graph.path
    lines = [f"digraph {_dot_quote(name)} {{", "  rankdir=LR;", "  node [shape=box, style=filled, fillcolor=white];"]
    for job in graph.jobs:
        roles = graph.roles.get(job, frozenset())
        role = primary_role(roles)
        label = job + (f"\\n[{', '.join(sorted(roles))}]" if roles else "")
        attrs = f"label={_dot_quote(label).replace(chr(92) * 2 + 'n', chr(92) + 'n')}"
        if role:
            attrs += f', fillcolor="{ROLE_COLOURS[role]}", fontcolor=white'
        why = "; ".join(f"{r}: {no_commands(one_line(w))}" for r, w in graph.reasons.get(job, ()))
        if why:
            attrs += f", tooltip={_dot_quote(why)}"
        lines.append(f"  {_dot_quote(job)} [{attrs}];")
    for job, preds in graph.needs.items():
        for pred in preds:
            lines.append(f"  {_dot_quote(pred)} -> {_dot_quote(job)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


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
    if fmt == "json":
        return json.dumps([as_json(g) for g in graphs], indent=2) + "\n"
    out = []
    for g in graphs:
        if fmt == "dot":
            out.append(dot(g))
        else:
            out.append(f"%% {g.path}\n" + mermaid(g))
    return "\n".join(out)
