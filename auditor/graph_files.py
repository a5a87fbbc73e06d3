"""``auditor graph --output-dir DIR``: one file per workflow instead of one document.

Each file holds what ``auditor graph --format FMT`` prints for that workflow
alone, so a tool reads a file of the folder the way it reads standard output.
Files are written atomically (``auditor.outputs.write``); names come from
``auditor.reports.graph.file_names``, safe whatever the workflows are called.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from auditor import outputs
from auditor.reports.graph import file_names, render_graphs

if TYPE_CHECKING:
    from auditor.facts import PipelineGraph


def write_graph_files(graphs: list[PipelineGraph], fmt: str, folder: str) -> list[str]:
    """Write one ``fmt`` file per graph under ``folder`` (created if missing); returns the
    paths written, in the order of ``graphs``. A failure is an ``outputs.OutputError``
    naming the file (or the folder) with one reason."""
    root = Path(folder)
    if root.exists() and not root.is_dir():
        raise outputs.OutputError(f"--output-dir {folder}: not a folder")
    written = []
    for graph, name in zip(graphs, file_names([g.path for g in graphs], fmt), strict=True):
        target = str(root / name)
        outputs.write(render_graphs([graph], fmt), target, outputs.write_stdout)
        written.append(target)
    return written
