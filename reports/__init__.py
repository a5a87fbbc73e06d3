"""Renderers: one module per output format. They never compute findings.

Each module exposes ``render(report: Report) -> str``; ``FORMATS`` maps the
``--format``/``--report`` names to them and is the one list of formats.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from reports.model import Report

FORMATS: dict[str, str] = {
    "text": "reports.text",
    "json": "reports.json_report",
}


def renderer(name: str) -> Callable[[Report], str]:
    """The ``render`` function of format ``name`` (imported on first use)."""
    module = importlib.import_module(FORMATS[name])
    render: Callable[[Report], str] = module.render
    return render


__all__ = ["FORMATS", "Report", "renderer"]
