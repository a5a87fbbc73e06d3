"""The policy (``.auditor.yml``): its settings and defaults, as every layer reads them.

Reading and validating the file, with locations, is ``auditor.policy_file``.

The validator knows every key of DESIGN.md from the first release, even where
the rule that reads it came later, so a typo is an error today instead of a
silently ignored setting. Every error names ``file:line: key: what is wrong``
and the CLI exits 2 with it.

Where a policy comes from decides what it may do (issue 11's trust model):

- a file the user names outside the scanned tree (``--policy FILE``) is the
  user's own: its ``custom_rules`` are imported and its paths may point
  anywhere;
- a repository's own ``.auditor.yml`` (found in, or named inside, the scanned
  tree, or read from a git revision) is *confined*: every path it names must
  stay inside the repository (no absolute path, no ``..``), the files it names
  are read through the repository's ``RepoSource`` (so a symlink out of the
  tree is never followed), and it is *untrusted* (``trusted=False``): its
  ``custom_rules`` are not imported unless the user opts in.

Every key's location is kept (``key_spans``), so ``auditor.policy_diff`` can
point a ``policy-weakened`` finding at the key a change weakened.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.span import Span

POLICY_FILENAMES = (".auditor.yml", ".auditor.yaml")
SEVERITY_CHOICES = ("error", "warning", "note", "off")

DEFAULT_PUBLISH_NAMES = ()  # publish is recognised by what a job does, not by its name
DEFAULT_PROMOTE_NAMES = (r"(?i)promot|rollout|release-to",)
DEFAULT_PROMOTE_ENDPOINTS = (r"/promote\b",)
DEFAULT_VERIFY_NAMES = (r"(?i)verif",)
DEFAULT_PLATFORM_TOKENS = ("GITHUB_TOKEN", "GITEA_TOKEN", "FORGEJO_TOKEN")
DEFAULT_DIGEST_OUTPUTS = ("digest", "image_digest", "image-digest")
DEFAULT_FORBIDDEN = {"statuses": "write"}
DEFAULT_MAX_FILE_BYTES = 5_000_000
FORBIDDEN_IN_CHOICES = ("release", "everywhere")
# A secrets inventory is a list of names: a megabyte is tens of thousands of them.
# Anything bigger (``/dev/zero``, a planted giant file) is refused, not read.
MAX_INVENTORY_BYTES = 1_000_000


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

    def covers(self, rule: str, path: str, job: str | None, today: dt.date) -> bool:
        """Does this waiver silence a finding of ``rule`` at ``path`` (in ``job``) today?"""
        if self.rule != rule or not self.active(today):
            return False
        if not (self.path == path or fnmatch.fnmatchcase(path, self.path)):
            return False
        return self.job is None or self.job == job


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
    # The per-file analysis budget (auditor.budget): 0 leaves it to AUDITOR_FILE_SECONDS /
    # AUDITOR_FILE_WORK or the defaults. Not in cache_key: a finished file's findings do not
    # depend on it, and a stopped file is never cached.
    max_file_seconds: int = 0
    max_file_work: int = 0
    rules: dict[str, RuleSetting] = field(default_factory=dict)
    waivers: tuple[Waiver, ...] = ()
    base_dir: str = "."
    # Files read to build this policy besides its own file (the secrets
    # inventory), as absolute paths: an org snapshot re-checks them.
    inputs: tuple[str, ...] = ()
    # ``permissions.forbidden_in``: where a forbidden grant is an error.
    forbidden_in: str = "release"
    # May this policy's ``custom_rules`` be imported? A policy built in code, or
    # from a file the user named outside the scanned tree, may; a repository's own
    # policy may not unless the user opted in (``--trust-repo-policy``).
    trusted: bool = True
    # A repository's own policy: its paths stay inside the repository.
    confined: bool = False
    # Where ``custom_rules`` are read from when not from disk under ``base_dir``: the
    # repository (a ``RepoSource``: a git revision, a bare mirror) the policy came from,
    # and how to name it in a rule's origin.
    rules_source: Any = field(default=None, compare=False, repr=False)
    rules_origin: str = ""
    # Dotted key path (``rules.x``, ``waivers[0]``, ``promote.required_secrets[1]``)
    # → where it is in the file; what a ``policy-weakened`` finding points at.
    key_spans: dict[str, Span] = field(default_factory=dict, compare=False, repr=False)

    def severity_for(self, rule_id: str, default: str) -> str:
        setting = self.rules.get(rule_id)
        if setting is not None and setting.severity is not None:
            return setting.severity
        return default

    def waived(self, rule: str, path: str, job: str | None, today: dt.date) -> bool:
        return any(w.covers(rule, path, job, today) for w in self.waivers)

    def span_of(self, *keys: str) -> Span:
        """Where the first of ``keys`` that the file has is; the file's start if none."""
        for key in keys:
            span = self.key_spans.get(key)
            if span is not None:
                return span
        return Span(1, 1, 1, 1)

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
                self.custom_rules, self.max_file_bytes, self.forbidden_in,
                sorted((k, v.severity, sorted(v.options.items())) for k, v in self.rules.items()),
            )
        )  # fmt: skip


def find_policy(root: Path) -> Path | None:
    for name in POLICY_FILENAMES:
        candidate = root / name
        if candidate.is_file():
            return candidate
    return None
