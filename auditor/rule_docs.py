"""Where a rule's documentation lives, so every report can link a finding to it.

The pages are generated from the rules themselves (``docs/rules/<id>.md``, one
per rule, from the same fields ``auditor explain`` prints) and kept in the
repository beside the code. ``DOCS_BASE`` is the one place that says where
they are published; an organisation that hosts a fork sets
``AUDITOR_DOCS_URL`` to its own copy (a URL ending in ``/``), so the links in
SARIF, HTML, Markdown and the terminal point at the policy it actually runs.
"""

from __future__ import annotations

import os

# The repository the pre-commit hook and the composite action are installed from
# (docs/integrations.md); its docs/rules/ folder holds the generated pages.
DOCS_BASE = "https://git.example.com/platform/auditor/src/branch/main/docs/rules/"
HOME_URL = "https://git.example.com/platform/auditor"


def docs_base() -> str:
    """The base URL of the rule pages: ``AUDITOR_DOCS_URL`` if set, else ``DOCS_BASE``."""
    base = os.environ.get("AUDITOR_DOCS_URL", "").strip() or DOCS_BASE
    return base if base.endswith("/") else base + "/"


def rule_doc_url(rule_id: str) -> str:
    """The page of one rule. Custom rules get a URL too; it names their id."""
    return f"{docs_base()}{rule_id}.md"
