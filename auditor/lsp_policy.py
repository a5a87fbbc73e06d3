"""Completion of ``.auditor.yml`` keys for the language server.

The keys come from the policy loader itself (``auditor.policy.parse_policy``):
it is asked to validate a policy with one key it cannot know at the place
being edited, and its ``unknown key (known here: ...)`` message lists the
keys it accepts there. So completion can never offer a key the loader would
refuse, nor miss one it accepts, and nothing keeps a second list in step.

This is the one seam to switch when the policy's JSON Schema ships
(``auditor schema policy``): ``known_keys`` would read the schema's
``properties`` at the same path instead of asking the loader.
"""

from __future__ import annotations

import functools
import re

from auditor.errors import PolicyError

_PROBE = "zz-auditor-completion-probe"
_KNOWN = re.compile(r"unknown key \(known here: (.*)\)$")
_BLOCK_KEY = re.compile(r"^(\s*)([A-Za-z0-9_.-]+)\s*:\s*(#.*)?$")
_ANY_KEY = re.compile(r"^(\s*)([A-Za-z0-9_.-]+)\s*:")


@functools.lru_cache(maxsize=64)
def known_keys(parents: tuple[str, ...]) -> tuple[str, ...]:
    """The keys the policy loader accepts in the mapping at ``parents`` (() for the top)."""
    from auditor.policy import parse_policy
    from auditor.targets import MemorySource

    lines = [f"{'  ' * depth}{key}:" for depth, key in enumerate(parents)]
    lines.append(f"{'  ' * len(parents)}{_PROBE}: 1")
    try:  # a confined policy over an empty repository: the probe reads no file
        parse_policy("\n".join(lines).encode(), "probe", repository=MemorySource({}))
    except PolicyError as exc:
        match = _KNOWN.search(str(exc))
        if match and f"{'.'.join((*parents, _PROBE))}:" in str(exc):
            return tuple(key.strip() for key in match.group(1).split(","))
    return ()


def parents_at(text: str, line: int, column: int) -> tuple[tuple[str, ...], int] | None:
    """(the keys of the mappings enclosing 0-based ``line:column``, the indentation of
    the key being typed); None inside a list, a value or a flow collection."""
    lines = text.split("\n")
    if not 0 <= line < len(lines):
        return None
    typed = lines[line][:column]
    if ":" in typed or "[" in typed or "{" in typed or typed.lstrip().startswith(("-", "#")):
        return None
    indent = len(typed) - len(typed.lstrip(" "))
    parents: list[str] = []
    limit = indent
    for above in reversed(lines[:line]):
        stripped = above.strip()
        if not stripped or stripped.startswith("#"):
            continue
        lead = len(above) - len(above.lstrip(" "))
        if lead >= limit:
            continue
        match = _BLOCK_KEY.match(above)
        if match is None:
            return None  # a list item or a value: not a mapping we can complete in
        parents.insert(0, match.group(2))
        limit = lead
        if lead == 0:
            break
    return tuple(parents), indent


def siblings(text: str, line: int, indent: int) -> set[str]:
    """Keys already present in the mapping being typed in (not offered again): those at
    ``indent`` in the run of lines around ``line`` indented at least that much."""
    lines = text.split("\n")
    present: set[str] = set()
    for step in (-1, 1):
        at = line + step
        while 0 <= at < len(lines):
            raw = lines[at]
            if raw.strip() and not raw.lstrip().startswith("#"):
                lead = len(raw) - len(raw.lstrip(" "))
                if lead < indent:
                    break
                match = _ANY_KEY.match(raw)
                if match and lead == indent:
                    present.add(match.group(2))
            at += step
    return present


def completions(text: str, line: int, column: int) -> list[str]:
    """The keys to offer at 0-based ``line:column`` of a policy buffer."""
    place = parents_at(text, line, column)
    if place is None:
        return []
    parents, indent = place
    present = siblings(text, line, indent)
    return [key for key in known_keys(parents) if key not in present]
