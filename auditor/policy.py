"""The policy file (``.auditor.yml``): loading, validation with locations, defaults.

The validator knows every key of DESIGN.md from the first release, even where
the rule that reads it came later, so a typo is an error today instead of a
silently ignored setting. Every error names ``file:line: key: what is wrong``
and the CLI exits 2 with it.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.errors import PolicyError
from auditor.parse import parse_bytes
from auditor.yamltree import YMap, YNode, YScalar, YSeq

POLICY_FILENAMES = (".auditor.yml", ".auditor.yaml")
SEVERITY_CHOICES = ("error", "warning", "note", "off")

DEFAULT_PUBLISH_NAMES = ()  # publish is recognised by what a job does, not by its name
DEFAULT_PROMOTE_NAMES = (r"(?i)promot",)
DEFAULT_PROMOTE_ENDPOINTS = (r"/promote\b",)
DEFAULT_VERIFY_NAMES = (r"(?i)verif",)
DEFAULT_PLATFORM_TOKENS = ("GITHUB_TOKEN", "GITEA_TOKEN", "FORGEJO_TOKEN")
DEFAULT_DIGEST_OUTPUTS = ("digest", "image_digest", "image-digest")
DEFAULT_FORBIDDEN = {"statuses": "write"}
DEFAULT_MAX_FILE_BYTES = 5_000_000


@dataclass(frozen=True)
class Waiver:
    rule: str
    path: str
    reason: str
    job: str | None = None
    until: dt.date | None = None
    line: int = 0

    def active(self, today: dt.date) -> bool:
        return self.until is None or today <= self.until


@dataclass(frozen=True)
class SharedFile:
    path: str
    repos: tuple[str, ...] = ("*",)


@dataclass(frozen=True)
class RuleSetting:
    severity: str | None = None  # None: the rule's default
    options: dict[str, Any] = field(default_factory=dict)
    line: int = 0


@dataclass(frozen=True)
class Policy:
    """Validated policy with defaults filled in; ``Policy()`` is the no-file policy."""

    source: str | None = None
    publish_names: tuple[str, ...] = DEFAULT_PUBLISH_NAMES
    promote_names: tuple[str, ...] = DEFAULT_PROMOTE_NAMES
    promote_endpoints: tuple[str, ...] = DEFAULT_PROMOTE_ENDPOINTS
    promote_uses: tuple[str, ...] = ()
    verify_names: tuple[str, ...] = DEFAULT_VERIFY_NAMES
    verify_scripts: tuple[str, ...] = ()
    required_secrets: tuple[str, ...] = ()
    platform_tokens: tuple[str, ...] = DEFAULT_PLATFORM_TOKENS
    digest_outputs: tuple[str, ...] = DEFAULT_DIGEST_OUTPUTS
    forbidden_permissions: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_FORBIDDEN))
    secrets_inventory: tuple[str, ...] | None = None
    shared_files: tuple[SharedFile, ...] = ()
    custom_rules: tuple[str, ...] = ()
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    rules: dict[str, RuleSetting] = field(default_factory=dict)
    waivers: tuple[Waiver, ...] = ()
    base_dir: str = "."
    # Files read to build this policy besides its own file (the secrets
    # inventory), as absolute paths: an org snapshot re-checks them.
    inputs: tuple[str, ...] = ()

    def severity_for(self, rule_id: str, default: str) -> str:
        setting = self.rules.get(rule_id)
        if setting is not None and setting.severity is not None:
            return setting.severity
        return default

    def rule_option(self, rule_id: str, key: str, default: Any = None) -> Any:
        setting = self.rules.get(rule_id)
        if setting is None:
            return default
        return setting.options.get(key, default)

    def cache_key(self) -> str:
        """A stable text of everything that can change findings (for the result cache)."""
        return repr(
            (
                self.publish_names, self.promote_names, self.promote_endpoints,
                self.promote_uses, self.verify_names, self.verify_scripts,
                self.required_secrets, self.platform_tokens, self.digest_outputs,
                sorted(self.forbidden_permissions.items()), self.secrets_inventory,
                self.custom_rules, self.max_file_bytes,
                sorted((k, v.severity, sorted(v.options.items())) for k, v in self.rules.items()),
            )
        )  # fmt: skip


# --- validation -----------------------------------------------------------------

Validator = Callable[[YNode, str], Any]


class _Checker:
    def __init__(self, filename: str) -> None:
        self.filename = filename

    def fail(self, node: YNode | None, key: str, what: str) -> PolicyError:
        line = node.line if node is not None else 1
        return PolicyError(f"{self.filename}:{line}: {key}: {what}")

    def mapping(self, node: YNode, key: str, allowed: dict[str, Validator]) -> dict[str, Any]:
        if not isinstance(node, YMap):
            raise self.fail(node, key, "must be a mapping")
        out: dict[str, Any] = {}
        for k, v in node.items():
            name = f"{key}.{k.value}" if key else k.value
            if k.value not in allowed:
                known = ", ".join(sorted(allowed))
                raise self.fail(k, name, f"unknown key (known here: {known})")
            out[k.value] = allowed[k.value](v, name)
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
            return (node.value,)
        if not isinstance(node, YSeq):
            raise self.fail(node, key, "must be a list of strings")
        return tuple(self.string(item, f"{key}[{i}]") for i, item in enumerate(node))

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
            return {c.string(item, key): "write" for item in node}
        if not isinstance(node, YMap):
            raise c.fail(node, key, "must be a mapping of scope: level")
        out: dict[str, str] = {}
        for k, v in node.items():
            level = c.string(v, f"{key}.{k.value}")
            if level not in levels:
                raise c.fail(v, f"{key}.{k.value}", f"must be one of {', '.join(levels)}")
            out[k.value] = level
        return out

    return lambda node, key: c.mapping(node, key, {"forbidden": forbidden})


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
        return {k.value: setting(v, f"{key}.{k.value}") for k, v in node.items()}

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


def parse_policy(data: bytes, filename: str, base_dir: str = ".") -> Policy:
    """Validate policy bytes; raise ``PolicyError`` with a located one-line reason."""
    parsed = parse_bytes(data, filename)
    if parsed.problems:
        problem = parsed.problems[0]
        raise PolicyError(f"{filename}:{problem.line}: (file): {problem.message}")
    if parsed.root is None:
        return Policy(source=filename, base_dir=base_dir)
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
        "limits": lambda n, k: c.mapping(n, k, {"max_file_bytes": c.integer}),
        "rules": _rules(c),
        "waivers": _waivers(c),
    }
    raw = c.mapping(parsed.root, "", top)
    roles = raw.get("roles", {})
    kwargs: dict[str, Any] = {"source": filename, "base_dir": base_dir}
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
    if "forbidden" in raw.get("permissions", {}):
        kwargs["forbidden_permissions"] = raw["permissions"]["forbidden"]
    inventory = raw.get("secrets", {}).get("inventory")
    if isinstance(inventory, str):
        inv_path = Path(base_dir) / inventory
        reason = None
        try:
            lines = inv_path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            reason = exc.strerror
        except UnicodeDecodeError:
            reason = "not UTF-8 text"
        except ValueError:  # from the OS: a NUL byte in the name
            reason = "a NUL byte in the name"
        if reason is not None:
            raise PolicyError(f"{filename}:1: secrets.inventory: cannot read {inventory!r}: {reason}")
        kwargs["secrets_inventory"] = tuple(
            line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")
        )
        kwargs["inputs"] = (os.path.abspath(inv_path),)
    elif inventory is not None:
        kwargs["secrets_inventory"] = tuple(inventory)
    if "shared_files" in raw:
        kwargs["shared_files"] = tuple(raw["shared_files"])
    if "custom_rules" in raw:
        kwargs["custom_rules"] = raw["custom_rules"]
    if "max_file_bytes" in raw.get("limits", {}):
        kwargs["max_file_bytes"] = raw["limits"]["max_file_bytes"]
    if "rules" in raw:
        kwargs["rules"] = raw["rules"]
    if "waivers" in raw:
        kwargs["waivers"] = tuple(raw["waivers"])
    return Policy(**kwargs)


def load_policy_file(path: Path) -> Policy:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PolicyError(f"{path}:1: (file): cannot read policy: {exc.strerror}") from None
    return parse_policy(data, str(path), str(path.parent))


def find_policy(root: Path) -> Path | None:
    for name in POLICY_FILENAMES:
        candidate = root / name
        if candidate.is_file():
            return candidate
    return None
