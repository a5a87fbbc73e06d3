"""Reading and validating a policy file: the YAML side of ``auditor.policy``.

``auditor.policy`` holds what a policy *is* (the frozen settings every layer
reads); this module holds how one is read from ``.auditor.yml``. They are
apart so that a run with no policy file to read (most warm runs) never imports
the YAML parser: ``ruamel.yaml`` alone is about 16 ms of start-up.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.errors import PolicyError
from auditor.findings import printable
from auditor.parse import parse_bytes
from auditor.policy import (
    FORBIDDEN_IN_CHOICES,
    MAX_INVENTORY_BYTES,
    POLICY_FILENAMES,
    SEVERITY_CHOICES,
    Policy,
    RuleSetting,
    SharedFile,
    Waiver,
)
from auditor.yamltree import Span, YMap, YNode, YScalar, YSeq, to_plain

if TYPE_CHECKING:
    from auditor.sources import RepoSource


# --- validation -----------------------------------------------------------------

Validator = Callable[[YNode, str], Any]


class _Reported(PolicyError):
    """A mapping had errors, already in ``_Checker.errors``: its caller must not go on with
    the partial value (a waiver without its ``rule`` is not a second error to report)."""


class _Checker:
    """Validates a policy's YAML tree. Errors are collected, not raised one at a time: each
    mapping checks every key it has, so one run reports every error in the file."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.spans: dict[str, Span] = {}
        self.errors: list[PolicyError] = []

    def at(self, key: str, node: YNode) -> None:
        self.spans.setdefault(key, node.span)

    def fail(self, node: YNode | None, key: str, what: str) -> PolicyError:
        line = node.line if node is not None else 1
        return PolicyError(f"{self.filename}:{line}: {key}: {what}",
                           where=node.span if node is not None else None)  # fmt: skip

    def mapping(self, node: YNode, key: str, allowed: dict[str, Validator]) -> dict[str, Any]:
        if not isinstance(node, YMap):
            raise self.fail(node, key, "must be a mapping")
        out: dict[str, Any] = {}
        failed = False
        for k, v in node.items():
            name = f"{key}.{k.value}" if key else k.value
            if k.value not in allowed:
                known = ", ".join(sorted(allowed))
                self.errors.append(self.fail(k, name, f"unknown key (known here: {known})"))
                failed = True
                continue
            self.at(name, k)
            try:
                out[k.value] = allowed[k.value](v, name)
            except _Reported:
                failed = True
            except PolicyError as exc:
                self.errors.append(exc)
                failed = True
        if failed:
            raise _Reported()
        return out

    def string(self, node: YNode, key: str) -> str:
        if not isinstance(node, YScalar) or node.kind not in ("str", "int", "float"):
            raise self.fail(node, key, "must be a string")
        return node.value

    def integer(self, node: YNode, key: str) -> int:
        if not isinstance(node, YScalar) or node.kind != "int":
            raise self.fail(node, key, "must be an integer")
        value = int(node.value)
        if value <= 0:
            raise self.fail(node, key, "must be a positive integer")
        return value

    def strings(self, node: YNode, key: str) -> tuple[str, ...]:
        if isinstance(node, YScalar) and node.kind == "str":
            self.at(f"{key}[0]", node)
            return (node.value,)
        if not isinstance(node, YSeq):
            raise self.fail(node, key, "must be a list of strings")
        out = []
        for i, item in enumerate(node):
            self.at(f"{key}[{i}]", item)
            out.append(self.string(item, f"{key}[{i}]"))
        return tuple(out)

    def regexes(self, node: YNode, key: str) -> tuple[str, ...]:
        values = self.strings(node, key)
        items = list(node) if isinstance(node, YSeq) else [node]
        for value, item in zip(values, items, strict=True):
            try:
                re.compile(value)
            except re.error as exc:
                raise self.fail(item, key, f"invalid regular expression {value!r}: {exc}") from None
        return values


def _roles(c: _Checker) -> Validator:
    def publish(node: YNode, key: str) -> dict[str, Any]:
        return c.mapping(node, key, {"names": c.regexes})

    def promote(node: YNode, key: str) -> dict[str, Any]:
        return c.mapping(node, key, {"names": c.regexes, "endpoints": c.regexes, "uses": c.strings})

    def verify(node: YNode, key: str) -> dict[str, Any]:
        return c.mapping(node, key, {"names": c.regexes, "scripts": c.strings})

    return lambda node, key: c.mapping(
        node, key, {"publish": publish, "promote": promote, "verify": verify}
    )


def _permissions(c: _Checker) -> Validator:
    levels = ("read", "write", "none")

    def forbidden(node: YNode, key: str) -> dict[str, str]:
        if isinstance(node, YSeq):
            # [statuses, ...] means "write" for each named scope
            seq: dict[str, str] = {}
            for item in node:
                scope = c.string(item, key)
                c.at(f"{key}.{scope}", item)
                seq[scope] = "write"
            return seq
        if not isinstance(node, YMap):
            raise c.fail(node, key, "must be a mapping of scope: level")
        out: dict[str, str] = {}
        for k, v in node.items():
            level = c.string(v, f"{key}.{k.value}")
            if level not in levels:
                raise c.fail(v, f"{key}.{k.value}", f"must be one of {', '.join(levels)}")
            c.at(f"{key}.{k.value}", k)
            out[k.value] = level
        return out

    def forbidden_in(node: YNode, key: str) -> str:
        value = c.string(node, key)
        if value not in FORBIDDEN_IN_CHOICES:
            raise c.fail(node, key, f"must be one of {', '.join(FORBIDDEN_IN_CHOICES)}")
        return value

    return lambda node, key: c.mapping(
        node, key, {"forbidden": forbidden, "forbidden_in": forbidden_in}
    )


def _secrets(c: _Checker) -> Validator:
    def inventory(node: YNode, key: str) -> tuple[str, ...] | str:
        if isinstance(node, YScalar):
            return c.string(node, key)
        return c.strings(node, key)

    return lambda node, key: c.mapping(node, key, {"inventory": inventory})


def _shared_files(c: _Checker) -> Validator:
    def entries(node: YNode, key: str) -> list[SharedFile]:
        if not isinstance(node, YSeq):
            raise c.fail(node, key, "must be a list of {path, repos}")
        out = []
        for i, item in enumerate(node):
            c.at(f"{key}[{i}]", item)
            data = c.mapping(item, f"{key}[{i}]", {"path": c.string, "repos": c.strings})
            if "path" not in data:
                raise c.fail(item, f"{key}[{i}]", "needs a 'path'")
            out.append(SharedFile(data["path"], tuple(data.get("repos", ("*",)))))
        return out

    return entries


def _rules(c: _Checker) -> Validator:
    def setting(node: YNode, key: str) -> RuleSetting:
        if isinstance(node, YScalar):
            value = node.value
            if value not in SEVERITY_CHOICES:
                raise c.fail(node, key, f"must be one of {', '.join(SEVERITY_CHOICES)}")
            return RuleSetting(value, {}, node.line)
        if not isinstance(node, YMap):
            raise c.fail(node, key, "must be a severity or a mapping with 'severity'")
        severity = None
        options: dict[str, Any] = {}
        for k, v in node.items():
            c.at(f"{key}.{k.value}", k)
            if k.value == "severity":
                severity = c.string(v, f"{key}.severity")
                if severity not in SEVERITY_CHOICES:
                    raise c.fail(v, f"{key}.severity", f"must be one of {', '.join(SEVERITY_CHOICES)}")
            elif k.value == "scope":
                scope = c.string(v, f"{key}.scope")
                if scope not in ("promote-path", "all"):
                    raise c.fail(v, f"{key}.scope", "must be 'promote-path' or 'all'")
                options["scope"] = scope
            else:
                raise c.fail(k, f"{key}.{k.value}", "unknown key (known here: scope, severity)")
        return RuleSetting(severity, options, node.line)

    def rules(node: YNode, key: str) -> dict[str, RuleSetting]:
        if not isinstance(node, YMap):
            raise c.fail(node, key, "must be a mapping of rule id to severity")
        out: dict[str, RuleSetting] = {}
        for k, v in node.items():
            c.at(f"{key}.{k.value}", k)
            out[k.value] = setting(v, f"{key}.{k.value}")
        return out

    return rules


def _waivers(c: _Checker) -> Validator:
    def date(node: YNode, key: str) -> dt.date:
        text = node.value if isinstance(node, YScalar) else ""
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise c.fail(node, key, "must be a date YYYY-MM-DD") from None

    def waivers(node: YNode, key: str) -> list[Waiver]:
        if not isinstance(node, YSeq):
            raise c.fail(node, key, "must be a list of waivers")
        out = []
        for i, item in enumerate(node):
            where = f"{key}[{i}]"
            c.at(where, item)
            data = c.mapping(
                item, where,
                {"rule": c.string, "path": c.string, "job": c.string, "reason": c.string,
                 "until": date},
            )  # fmt: skip
            for required in ("rule", "path", "reason"):
                if not str(data.get(required, "")).strip():
                    raise c.fail(item, where, f"a waiver needs a non-empty '{required}'")
            out.append(
                Waiver(data["rule"], data["path"], data["reason"], data.get("job"),
                       data.get("until"), item.line)
            )  # fmt: skip
        return out

    return waivers


def _version(c: _Checker) -> Validator:
    def version(node: YNode, key: str) -> int:
        if not isinstance(node, YScalar) or node.value != "1":
            raise c.fail(node, key, "must be 1 (the only policy version so far)")
        return 1

    return version


# Keys whose values are paths a policy makes auditor read or match as repository
# files: a repository's own policy may name only paths inside the repository.
_PATH_KEYS = ("custom_rules", "roles.verify.scripts", "secrets.inventory")


def outside_repository(path: str) -> bool:
    """Absolute (POSIX or Windows), or climbing out with a ``..`` component."""
    if path.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", path):
        return True
    return ".." in re.split(r"[/\\]", path)


def _refuse_outside(c: _Checker, raw: dict[str, Any]) -> None:
    """A repository's own policy names only paths inside the repository."""
    candidates: list[tuple[str, str]] = []
    for i, entry in enumerate(raw.get("custom_rules", ())):
        candidates.append((f"custom_rules[{i}]", entry))
    for i, entry in enumerate(raw.get("roles", {}).get("verify", {}).get("scripts", ())):
        candidates.append((f"roles.verify.scripts[{i}]", entry))
    inventory = raw.get("secrets", {}).get("inventory")
    if isinstance(inventory, str):
        candidates.append(("secrets.inventory", inventory))
    for i, shared in enumerate(raw.get("shared_files", ())):
        candidates.append((f"shared_files[{i}].path", shared.path))
    for key, value in candidates:
        if outside_repository(value):
            line = c.spans[key].line if key in c.spans else 1
            raise PolicyError(
                f"{c.filename}:{line}: {key}: {printable(repr(value))} is outside the "
                "repository (absolute or '..'); a repository's own policy may name only "
                "paths inside it"
            )


def _read_bounded_file(path: Path) -> bytes:
    """A regular file's bytes, at most ``MAX_INVENTORY_BYTES`` (never a FIFO or device)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    with open(fd, "rb") as fh:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(0, "not a regular file")
        data = fh.read(MAX_INVENTORY_BYTES + 1)
    if len(data) > MAX_INVENTORY_BYTES:
        raise OSError(0, f"larger than {MAX_INVENTORY_BYTES:,} bytes")
    return data


def _read_inventory(
    c: _Checker, inventory: str, base_dir: str, files: RepoSource | None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the names, the absolute paths read) of a secrets inventory file."""
    line = c.spans["secrets.inventory"].line if "secrets.inventory" in c.spans else 1
    shown = printable(repr(inventory))
    reason = None
    inputs: tuple[str, ...] = ()
    data = b""
    if "\0" in inventory:
        reason = "a NUL byte in the name"
    elif files is not None:
        size = files.size(inventory)
        try:
            if size is not None and size > MAX_INVENTORY_BYTES:
                raise OSError(0, f"larger than {MAX_INVENTORY_BYTES:,} bytes")
            data = files.read(inventory)
        except OSError as exc:
            reason = exc.strerror or str(exc)
        root = getattr(files, "root", None)
        if root is not None:
            inputs = (os.path.abspath(os.path.join(str(root), inventory)),)
    else:
        inv_path = Path(base_dir) / inventory
        try:
            data = _read_bounded_file(inv_path)
        except OSError as exc:
            reason = exc.strerror or str(exc)
        inputs = (os.path.abspath(inv_path),)
    if reason is None:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            reason = "not UTF-8 text"
    if reason is not None:
        raise PolicyError(
            f"{c.filename}:{line}: secrets.inventory: cannot read {shown}: {printable(reason)}"
        )
    names = tuple(
        item.strip()
        for item in text.splitlines()
        if item.strip() and not item.lstrip().startswith("#")
    )
    return names, inputs


def _enforce_schema(c: _Checker, root: YNode) -> None:
    """The published schema (``auditor schema policy``) holds too: what an editor accepts
    is what runs. Reached only by a policy the checks above accepted, so in practice it
    catches a constraint added to the schema and not yet to the checker."""
    from auditor.policy_schema import schema_errors

    errors = schema_errors(to_plain(root, 1_000_000))
    if errors:
        raise PolicyError(*(f"{c.filename}:{_line_of(c, key)}: {key}: {printable(message)} "
                            "(the policy schema, `auditor schema policy`)" for key, message in errors))  # fmt: skip


def _line_of(c: _Checker, key: str) -> int:
    """The line of ``key`` or of its nearest located parent."""
    while key:
        if key in c.spans:
            return c.spans[key].line
        key = re.sub(r"(\.[^.\[]*|\[\d+\])$", "", key) if re.search(r"[.\[]", key) else ""
    return 1


def parse_policy(
    data: bytes,
    filename: str,
    base_dir: str = ".",
    *,
    repository: RepoSource | None = None,
    trusted: bool | None = None,
    rules_origin: str = "",
) -> Policy:
    """Validate policy bytes; raise ``PolicyError`` with a located one-line reason.

    With ``repository`` the policy is that repository's own: confined (paths
    inside it, files read through it) and, unless ``trusted`` says otherwise,
    untrusted. Without it the policy is the user's own file (trusted, read from
    disk under ``base_dir``).
    """
    confined = repository is not None
    if trusted is None:
        trusted = not confined
    parsed = parse_bytes(data, filename)
    if parsed.problems:
        problem = parsed.problems[0]
        where = (problem.line, problem.column, problem.end_line or problem.line,
                 problem.end_column or problem.column + 1)  # fmt: skip
        raise PolicyError(f"{filename}:{problem.line}: (file): {printable(problem.message)}", where=where)
    kwargs: dict[str, Any] = {
        "source": filename, "base_dir": base_dir, "trusted": trusted, "confined": confined,
        "rules_source": repository, "rules_origin": rules_origin,
    }  # fmt: skip
    if parsed.root is None:
        return Policy(**kwargs)
    c = _Checker(filename)
    top: dict[str, Validator] = {
        "version": _version(c),
        "roles": _roles(c),
        "promote": lambda n, k: c.mapping(
            n, k, {"required_secrets": c.strings, "platform_tokens": c.strings}
        ),
        "publish": lambda n, k: c.mapping(n, k, {"digest_outputs": c.strings}),
        "permissions": _permissions(c),
        "secrets": _secrets(c),
        "shared_files": _shared_files(c),
        "custom_rules": c.strings,
        "limits": lambda n, k: c.mapping(n, k, {"max_file_bytes": c.integer,
                                                "max_file_seconds": c.integer,
                                                "max_file_work": c.integer}),
        "rules": _rules(c),
        "waivers": _waivers(c),
    }
    try:
        raw = c.mapping(parsed.root, "", top)
    except PolicyError as exc:
        found = c.errors or [exc]
        raise PolicyError(*(m for e in found for m in e.messages),
                          located=tuple(w for e in found for w in e.located)) from None
    if confined:
        _refuse_outside(c, raw)
    _enforce_schema(c, parsed.root)
    kwargs["key_spans"] = c.spans
    roles = raw.get("roles", {})
    publish_role = roles.get("publish", {})
    promote_role = roles.get("promote", {})
    verify_role = roles.get("verify", {})
    if "names" in publish_role:
        kwargs["publish_names"] = publish_role["names"]
    if "names" in promote_role:
        kwargs["promote_names"] = promote_role["names"]
    if "endpoints" in promote_role:
        kwargs["promote_endpoints"] = promote_role["endpoints"]
    if "uses" in promote_role:
        kwargs["promote_uses"] = promote_role["uses"]
    if "names" in verify_role:
        kwargs["verify_names"] = verify_role["names"]
    if "scripts" in verify_role:
        kwargs["verify_scripts"] = verify_role["scripts"]
    promote = raw.get("promote", {})
    if "required_secrets" in promote:
        kwargs["required_secrets"] = promote["required_secrets"]
    if "platform_tokens" in promote:
        kwargs["platform_tokens"] = promote["platform_tokens"]
    if "digest_outputs" in raw.get("publish", {}):
        kwargs["digest_outputs"] = raw["publish"]["digest_outputs"]
    permissions = raw.get("permissions", {})
    if "forbidden" in permissions:
        kwargs["forbidden_permissions"] = permissions["forbidden"]
    if "forbidden_in" in permissions:
        kwargs["forbidden_in"] = permissions["forbidden_in"]
    inventory = raw.get("secrets", {}).get("inventory")
    if isinstance(inventory, str):
        kwargs["secrets_inventory"], kwargs["inputs"] = _read_inventory(
            c, inventory, base_dir, repository
        )
    elif inventory is not None:
        kwargs["secrets_inventory"] = tuple(inventory)
    if "shared_files" in raw:
        kwargs["shared_files"] = tuple(raw["shared_files"])
    if "custom_rules" in raw:
        kwargs["custom_rules"] = raw["custom_rules"]
    for limit in ("max_file_bytes", "max_file_seconds", "max_file_work"):
        if limit in raw.get("limits", {}):
            kwargs[limit] = raw["limits"][limit]
    if "rules" in raw:
        kwargs["rules"] = raw["rules"]
    if "waivers" in raw:
        kwargs["waivers"] = tuple(raw["waivers"])
    return Policy(**kwargs)


def load_policy_file(path: Path) -> Policy:
    """The user's own policy file (``--policy FILE`` outside the scanned tree): trusted."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PolicyError(f"{path}:1: (file): cannot read policy: {exc.strerror}") from None
    return parse_policy(data, str(path), str(path.parent))


def read_repository_policy(
    source: RepoSource, name: str, filename: str, *, trusted: bool = False,
    base_dir: str | None = None, rules_origin: str = "",
) -> Policy | None:  # fmt: skip
    """A repository's own policy file ``name`` read through ``source``, or None if absent.

    Read through the source, a ``.auditor.yml`` that is a symlink out of the
    tree (to ``/etc/shadow``, say) is refused without being opened, and the
    error names the link, never its target's content. ``filename`` is how
    messages name the file.
    """
    try:
        data = source.read(name)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise PolicyError(
            f"{printable(filename)}:1: (file): cannot read policy: {printable(reason)}"
        ) from None
    if base_dir is None:
        root = getattr(source, "root", None)
        base_dir = str(root) if root is not None else "."
    return parse_policy(
        data, filename, base_dir, repository=source, trusted=trusted, rules_origin=rules_origin
    )


def find_repository_policy(
    source: RepoSource, label: str, *, trusted: bool = False, base_dir: str | None = None,
    rules_origin: str = "",
) -> tuple[str, Policy] | None:  # fmt: skip
    """(file name, policy) of the first of ``POLICY_FILENAMES`` the repository has.

    ``label`` is how the repository is shown (``label/.auditor.yml`` in messages).
    """
    prefix = "" if label in ("", ".") else f"{label.rstrip('/')}/"
    for name in POLICY_FILENAMES:
        policy = read_repository_policy(
            source, name, f"{prefix}{name}", trusted=trusted, base_dir=base_dir,
            rules_origin=rules_origin,
        )  # fmt: skip
        if policy is not None:
            return name, policy
    return None
