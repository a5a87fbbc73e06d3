"""Rule ids as a person types them: the nearest id for a typo, and shell completion.

``auditor explain neds-cycle`` should say "did you mean needs-cycle", and a
shell should complete ``explain``, ``--select`` and ``--ignore`` from the
catalogue (``--select`` takes a comma-separated list: the last item is the one
completed). Only built-in and installed rules are offered: completing must
never import a repository's custom rules.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any


def nearest(rule_id: str, ids: Iterable[str]) -> str | None:
    """The known id closest to ``rule_id`` (difflib), None when nothing is close."""
    found = difflib.get_close_matches(rule_id, list(ids), n=1, cutoff=0.6)
    return found[0] if found else None


def unknown_rule_message(rule_id: str, ids: Iterable[str]) -> str:
    """The one-line error for an id that is not a rule, with the nearest id if any."""
    guess = nearest(rule_id, ids)
    hint = f"; did you mean '{guess}'?" if guess else ""
    return f"unknown rule '{rule_id}'{hint} (see `auditor rules`)"


def catalogue_ids() -> list[str]:
    """The ids of the built-in and installed (entry-point) rules."""
    from auditor.rules_loader import builtin_rules, entry_point_rules

    return sorted({rule.id for rule in (*builtin_rules(), *entry_point_rules())})


def complete_rule_id(ctx: Any, param: Any, incomplete: str) -> list[Any]:
    """click ``shell_complete`` for one rule id (``explain RULE``)."""
    from click.shell_completion import CompletionItem

    return [CompletionItem(i) for i in catalogue_ids() if i.startswith(incomplete)]


def complete_rule_list(ctx: Any, param: Any, incomplete: str) -> list[Any]:
    """click ``shell_complete`` for ``--select``/``--ignore``: complete the last id of a
    comma-separated list, keeping the ids already typed (and not offering them again)."""
    from click.shell_completion import CompletionItem

    head, _, last = incomplete.rpartition(",")
    typed = {part.strip() for part in head.split(",") if part.strip()}
    prefix = f"{head}," if head else ""
    return [CompletionItem(prefix + i) for i in catalogue_ids() if i.startswith(last.strip()) and i not in typed]
