"""Loading rules: built-in, from the policy's ``custom_rules`` paths, from entry points.

All three sources go through ``rules_from_module``, so a custom rule is a
module exactly like a built-in one: ``RULE = Rule(...)`` or ``RULES = [...]``.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
import sys
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from auditor.rule import Rule

if TYPE_CHECKING:
    from auditor.policy import Policy

ENTRY_POINT_GROUP = "auditor.rules"


def rules_from_module(module: ModuleType, origin: str) -> list[Rule]:
    found: list[Rule] = []
    single = getattr(module, "RULE", None)
    if isinstance(single, Rule):
        found.append(single)
    many = getattr(module, "RULES", None)
    if isinstance(many, (list, tuple)):
        found.extend(r for r in many if isinstance(r, Rule))
    if origin != "builtin":
        from dataclasses import replace

        found = [replace(r, origin=origin) for r in found]
    return found


@lru_cache(maxsize=1)
def builtin_rules() -> tuple[Rule, ...]:
    """Every rule module of the ``rules`` package, in id order."""
    import rules as package

    found: list[Rule] = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"rules.{info.name}")
        found.extend(rules_from_module(module, "builtin"))
    return tuple(sorted(found, key=lambda r: r.id))


def _load_path(path: Path) -> list[Rule]:
    from auditor.errors import PolicyError
    from auditor.findings import printable

    files = sorted(path.glob("*.py")) if path.is_dir() else [path]
    if not path.exists():
        raise PolicyError(f"custom_rules: {printable(str(path))} does not exist")
    found: list[Rule] = []
    for file in files:
        if file.name.startswith("_"):
            continue
        name = f"auditor_custom_rules.{file.stem}_{abs(hash(str(file.resolve())))}"
        spec = importlib.util.spec_from_file_location(name, file)
        if spec is None or spec.loader is None:
            raise PolicyError(f"custom_rules: cannot load {file}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            raise PolicyError(f"custom_rules: {file}: {type(exc).__name__}: {exc}") from None
        found.extend(rules_from_module(module, str(file)))
    return found


def _may_have_entry_points() -> bool:
    """Cheap screen before ``importlib.metadata`` (whose import and scan cost ~40 ms).

    True when some installed distribution's ``entry_points.txt`` names the
    group, or when a ``sys.path`` entry is not a plain folder (a zip, say) and
    cannot be screened this way.
    """
    marker = f"[{ENTRY_POINT_GROUP}]"
    for entry in sys.path:
        folder = entry or "."
        try:
            names = os.listdir(folder)
        except NotADirectoryError:
            return True
        except OSError:
            continue
        for name in names:
            if not name.endswith((".dist-info", ".egg-info")):
                continue
            try:
                with open(os.path.join(folder, name, "entry_points.txt"), encoding="utf-8") as fh:
                    if marker in fh.read():
                        return True
            except (OSError, UnicodeDecodeError):
                continue
    return False


@lru_cache(maxsize=1)
def entry_point_rules() -> tuple[Rule, ...]:
    found: list[Rule] = []
    if not _may_have_entry_points():
        return ()
    from importlib.metadata import entry_points

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        obj = ep.load()
        if isinstance(obj, Rule):
            found.append(obj)
        elif isinstance(obj, ModuleType):
            found.extend(rules_from_module(obj, f"entry-point:{ep.name}"))
        elif isinstance(obj, (list, tuple)):
            found.extend(r for r in obj if isinstance(r, Rule))
    return tuple(found)


def load_rules(policy: Policy) -> list[Rule]:
    """Built-in rules, then entry-point rules, then the policy's custom rules.

    A later rule with an id already taken is an error: ids are what reports,
    suppressions and baselines name, so they must be unambiguous.
    """
    from auditor.errors import PolicyError

    rules: list[Rule] = list(builtin_rules()) + list(entry_point_rules())
    for entry in policy.custom_rules:
        path = Path(entry)
        if not path.is_absolute():
            path = Path(policy.base_dir) / path
        rules.extend(_load_path(path))
    seen: dict[str, str] = {}
    for rule in rules:
        if rule.id in seen:
            raise PolicyError(
                f"{policy.source}:1: custom_rules: rule id '{rule.id}' from {rule.origin} "
                f"is already defined by {seen[rule.id]}"
            )
        seen[rule.id] = rule.origin
    return rules
