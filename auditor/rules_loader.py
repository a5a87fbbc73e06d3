"""Loading rules: built-in, from the policy's ``custom_rules`` paths, from entry points.

All three sources go through ``rules_from_module``, so a custom rule is a
module exactly like a built-in one: ``RULE = Rule(...)`` or ``RULES = [...]``.

Importing a module runs its code, so ``custom_rules`` are imported only from
a policy the user trusts (``Policy.trusted``: a ``--policy FILE`` outside the
scanned tree, or a repository's own policy with ``--trust-repo-policy``);
``load_rules`` refuses the others, and the callers (``auditor.check``,
``auditor.org``) say which modules they did not load before it comes to that.
A repository's policy names paths inside the repository; its modules are read
through the policy's ``rules_source`` (a working tree never followed out
through a symlink, or a git revision's object store), never by a path on
disk that the policy chose.

A custom rule is someone else's code running inside the scan: whatever it
raises, ``SystemExit`` and ``KeyboardInterrupt`` included, is contained
(``contained_failure``) and becomes a finding, except a real Ctrl-C, which
``watch_interrupts`` tells apart.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import pkgutil
import signal
import sys
import threading
from functools import lru_cache
from pathlib import Path
from types import FrameType, ModuleType
from typing import TYPE_CHECKING, Any

from auditor.rule import Rule

if TYPE_CHECKING:
    from auditor.policy import Policy
    from auditor.repo import RepoSource

ENTRY_POINT_GROUP = "auditor.rules"
MODULE_PREFIX = "auditor_custom_rules"


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
    import auditor.rules as package

    found: list[Rule] = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"auditor.rules.{info.name}")
        found.extend(rules_from_module(module, "builtin"))
    return tuple(sorted(found, key=lambda r: r.id))


# --- a real Ctrl-C versus a rule raising KeyboardInterrupt ---------------------------------

_interrupted = threading.Event()
_watching = False


def _on_sigint(previous: Any) -> Any:
    def handler(signum: int, frame: FrameType | None) -> Any:
        _interrupted.set()
        if callable(previous):
            return previous(signum, frame)
        return signal.default_int_handler(signum, frame)

    return handler


def watch_interrupts() -> None:
    """Note every real SIGINT from now on (chaining the handler in place), so that a
    ``KeyboardInterrupt`` a custom rule raises itself can be told from the user's Ctrl-C.

    Only the main thread can set handlers; an ignored or default-action SIGINT
    raises no ``KeyboardInterrupt`` at all, so there is nothing to tell apart.
    """
    global _watching
    if _watching or threading.current_thread() is not threading.main_thread():
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous in (signal.SIG_IGN, signal.SIG_DFL, None):
        return
    signal.signal(signal.SIGINT, _on_sigint(previous))
    _watching = True


def contained_failure(exc: BaseException) -> bool:
    """Is ``exc`` (raised while running or importing a custom rule) the rule's own failure?

    Everything is, ``SystemExit`` and ``KeyboardInterrupt`` included, except a
    ``KeyboardInterrupt`` that a real SIGINT caused: that one ends the run; and the
    per-file budget running out while the rule ran (``auditor.budget``): that one ends
    the file, as a ``scan-incomplete`` finding.
    """
    from auditor.budget import BudgetExceeded

    if isinstance(exc, BudgetExceeded):
        return False
    if isinstance(exc, KeyboardInterrupt):
        return not _interrupted.is_set()
    return True


# --- custom rule modules ----------------------------------------------------------------

# (origin, sha256 of the module's bytes) → its rules: a module is executed once per
# process however many engines (org repositories, --new-since) load it.
_loaded: dict[tuple[str, str], list[Rule]] = {}


def _exec_module(data: bytes, origin: str, file: str | None, stem: str) -> list[Rule]:
    """Run one custom rule module's code; its rules. A failure is a ``PolicyError``."""
    from auditor.errors import PolicyError
    from auditor.findings import printable

    digest = hashlib.sha256(data).hexdigest()
    key = (origin, digest)
    if key in _loaded:
        return _loaded[key]
    name = f"{MODULE_PREFIX}.{stem}_{digest[:16]}"
    watch_interrupts()
    try:
        code = compile(data, file or origin, "exec", dont_inherit=True)
        module = ModuleType(name)
        module.__file__ = file  # None: not a file on disk
        sys.modules[name] = module
        exec(code, module.__dict__)  # the trusted opt-in: this is the import
    except BaseException as exc:  # a module's sys.exit must not end the run
        sys.modules.pop(name, None)
        if not contained_failure(exc):
            raise
        raise PolicyError(
            f"custom_rules: {printable(origin)}: {type(exc).__name__}: {printable(str(exc))}"
        ) from None
    found = rules_from_module(module, origin)
    _loaded[key] = found
    return found


def _load_path(path: Path) -> list[Rule]:
    """Modules from disk: a path in a policy the user gave (trusted, may be anywhere)."""
    from auditor.errors import PolicyError
    from auditor.findings import printable

    if not path.exists():
        raise PolicyError(f"custom_rules: {printable(str(path))} does not exist")
    files = sorted(path.glob("*.py")) if path.is_dir() else [path]
    found: list[Rule] = []
    for file in files:
        if file.name.startswith("_"):
            continue
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise PolicyError(
                f"custom_rules: cannot read {printable(str(file))}: {exc.strerror}"
            ) from None
        found.extend(_exec_module(data, str(file), str(file.resolve()), file.stem))
    return found


def _load_from_source(source: RepoSource, entry: str, origin_prefix: str) -> list[Rule]:
    """Modules a repository's own policy names, read through that repository's source."""
    from auditor.errors import PolicyError
    from auditor.findings import printable

    rel = entry.strip("/")
    folder = "" if rel in ("", ".") else rel
    if folder == "" or source.is_dir(folder):
        names = [
            f"{folder}/{name}" if folder else name
            for name, is_dir in source.list_dir(folder)
            if not is_dir and name.endswith(".py") and not name.startswith("_")
        ]
    else:
        names = [rel]
    found: list[Rule] = []
    root = getattr(source, "root", None)
    for name in names:
        try:
            data = source.read(name)
        except FileNotFoundError:
            raise PolicyError(
                f"custom_rules: {printable(entry)} does not exist in {printable(origin_prefix)}"
            ) from None
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise PolicyError(
                f"custom_rules: cannot read {printable(name)}: {printable(reason)}"
            ) from None
        file = os.path.join(str(root), name) if root is not None else None
        origin = f"{origin_prefix}:{name}" if origin_prefix else name
        stem = name.rsplit("/", 1)[-1][:-3] if name.endswith(".py") else "rule"
        found.extend(_exec_module(data, origin, file, stem))
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
    """Rules installed under the ``auditor.rules`` entry-point group.

    Installing a distribution is the user's own act, so these are trusted
    like built-ins (the third opt-in of issue 11).
    """
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


def not_loaded_message(policy: Policy) -> str:
    """The one line that says which modules a run did not load, and how to opt in."""
    from auditor.findings import printable

    names = ", ".join(printable(m) for m in policy.custom_rules)
    return (
        f"{printable(policy.source or 'policy')}: custom_rules not loaded: {names} (a "
        "repository's own policy runs no code; pass --trust-repo-policy, or --policy FILE "
        "outside the scanned tree)"
    )


def custom_rules(policy: Policy) -> list[Rule]:
    """The rules of ``policy.custom_rules``; a ``PolicyError`` for an untrusted policy."""
    from auditor.errors import PolicyError

    if not policy.custom_rules:
        return []
    if not policy.trusted:
        raise PolicyError(not_loaded_message(policy))
    found: list[Rule] = []
    for entry in policy.custom_rules:
        if policy.rules_source is not None:
            found.extend(_load_from_source(policy.rules_source, entry, policy.rules_origin))
            continue
        path = Path(entry)
        if not path.is_absolute():
            path = Path(policy.base_dir) / path
        found.extend(_load_path(path))
    return found


def load_rules(policy: Policy) -> list[Rule]:
    """Built-in rules, then entry-point rules, then the policy's custom rules.

    A later rule with an id already taken is an error: ids are what reports,
    suppressions and baselines name, so they must be unambiguous.
    """
    from auditor.errors import PolicyError

    rules: list[Rule] = list(builtin_rules()) + list(entry_point_rules())
    rules.extend(custom_rules(policy))
    seen: dict[str, str] = {}
    for rule in rules:
        if rule.id in seen:
            raise PolicyError(
                f"{policy.source}:1: custom_rules: rule id '{rule.id}' from {rule.origin} "
                f"is already defined by {seen[rule.id]}"
            )
        seen[rule.id] = rule.origin
    return rules
