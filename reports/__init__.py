"""Renderers: one module per output format. They never compute findings.

Each module exposes ``render(report: Report) -> str``; ``FORMATS`` maps the
``--format``/``--report`` names to them and is the one list of formats.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable

from auditor.reports.model import Report

FORMATS: dict[str, str] = {
    "text": "auditor.reports.text",
    "json": "auditor.reports.json_report",
    "sarif": "auditor.reports.sarif",
    "junit": "auditor.reports.junit",
    "github": "auditor.reports.github",
    "markdown": "auditor.reports.markdown",
    "html": "auditor.reports.html",  # the org compliance report (issue 6)
    "csv": "auditor.reports.csv_report",  # one row per finding (issue 14)
}


def available() -> list[str]:
    """Format names whose module is installed (``html`` arrives with the org report)."""
    return [name for name, module in FORMATS.items() if importlib.util.find_spec(module)]


def renderer(name: str) -> Callable[[Report], str]:
    """The ``render`` function of format ``name`` (imported on first use)."""
    module = importlib.import_module(FORMATS[name])
    render: Callable[[Report], str] = module.render
    return render


__all__ = ["FORMATS", "Report", "available", "renderer"]
