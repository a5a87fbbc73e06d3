"""What a change to the policy file gives up: a pure comparison of two ``Policy`` objects.

The pre-merge gate judges a change with the policy of the revision it merges
into (``auditor.check``), so a pull request cannot switch the gate off by
editing ``.auditor.yml``; this module says what the edit *would* give up once
merged, so the ``policy-weakened`` rule can fail the gate for it. Each
``Weakening`` names the key, its place in the new file (the nearest key that
is still there when the weakened one was deleted) and what changed.

What counts as weaker, key by key (anything else, and every strengthening,
is not reported):

- ``rules.R``: the effective severity drops (``error`` > ``warning`` > ``note``
  > ``off``; an absent setting is the rule's default), or ``scope: all`` is
  narrowed.
- ``waivers``: a waiver no old waiver covers: a new one, a later ``until``
  (or none), a wider ``path`` (a glob the old one does not contain), or its
  ``job`` dropped or changed.
- ``promote.required_secrets``, ``promote.platform_tokens``: a name removed.
- ``permissions.forbidden``: a scope removed or forbidden from a higher level
  only; ``permissions.forbidden_in``: ``everywhere`` narrowed to ``release``.
- ``custom_rules``: an entry added (code the change brings in) or removed
  (checks that stop).
- roles: a publish or promote name pattern, endpoint or action removed (fewer
  jobs get the release rules); a verify name pattern or script added (more
  jobs count as the verify a promote needs); ``publish.digest_outputs``: a
  name added (more outputs count as the digest). A changed regular expression
  is a removal and an addition: whether one regex matches less than another
  is not decided here, so the change is reported rather than guessed at.
- ``secrets.inventory``: names added, or the inventory dropped.
- ``shared_files``: an entry or a repository pattern removed.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from auditor.policy import Policy, Waiver
from auditor.span import Span

_RANK = {"off": 0, "note": 1, "warning": 2, "error": 3}
_LEVEL_RANK = {"none": 0, "read": 1, "write": 2}
_GLOB = frozenset("*?[")


@dataclass(frozen=True, slots=True)
class Weakening:
    key: str  # the weakened key, as the policy file spells it (``rules.x``, ``waivers[0].until``)
    span: Span  # where it is in the new policy file
    message: str
    subject: str  # stable across edits elsewhere in the file (no list index, no line)


def weakenings(
    old: Policy, new: Policy, defaults: Mapping[str, str], today: dt.date | None = None
) -> list[Weakening]:
    """Every way ``new`` checks less than ``old``; ``defaults``: rule id → default severity."""
    today = today or dt.date.today()
    out: list[Weakening] = []
    out += _rules(old, new, defaults)
    out += _waivers(old, new)
    out += _removed(old.required_secrets, new.required_secrets, new, "promote.required_secrets",
                    "required secret", "promotes no longer have to reference it")  # fmt: skip
    out += _removed(old.platform_tokens, new.platform_tokens, new, "promote.platform_tokens",
                    "platform token", "a promote may authenticate with it unnoticed")  # fmt: skip
    out += _permissions(old, new)
    out += _custom_rules(old, new)
    for key, old_v, new_v in (
        ("roles.publish.names", old.publish_names, new.publish_names),
        ("roles.promote.names", old.promote_names, new.promote_names),
        ("roles.promote.endpoints", old.promote_endpoints, new.promote_endpoints),
        ("roles.promote.uses", old.promote_uses, new.promote_uses),
    ):
        out += _removed(old_v, new_v, new, key, "pattern",
                        "jobs it matched no longer get the release-pipeline rules")  # fmt: skip
    for key, old_v, new_v, why in (
        ("roles.verify.names", old.verify_names, new.verify_names,
         "more jobs count as the verify a promote needs"),
        ("roles.verify.scripts", old.verify_scripts, new.verify_scripts,
         "more steps count as the verify a promote needs"),
        ("publish.digest_outputs", old.digest_outputs, new.digest_outputs,
         "more job outputs count as the pushed digest"),
    ):  # fmt: skip
        out += _added(old_v, new_v, new, key, why)
    out += _inventory(old, new)
    out += _shared_files(old, new)
    return out


def _plural(items: Iterable[str]) -> str:
    return ", ".join(f"'{item}'" for item in items)


# --- rules ------------------------------------------------------------------------------


def _rules(old: Policy, new: Policy, defaults: Mapping[str, str]) -> list[Weakening]:
    out = []
    for rule_id in sorted(set(old.rules) | set(new.rules)):
        default = defaults.get(rule_id, "error")  # unknown: assume the strictest
        before = old.severity_for(rule_id, default)
        after = new.severity_for(rule_id, default)
        key = f"rules.{rule_id}"
        if _RANK.get(after, 0) < _RANK.get(before, 0):
            what = "turned off" if after == "off" else f"lowered from {before} to {after}"
            out.append(Weakening(
                key, new.span_of(f"{key}.severity", key, "rules"),
                f"{key}: the rule is {what}", f"{key}:severity",
            ))  # fmt: skip
        old_scope = old.rule_option(rule_id, "scope")
        if old_scope == "all" and new.rule_option(rule_id, "scope") != "all":
            out.append(Weakening(
                f"{key}.scope", new.span_of(f"{key}.scope", key, "rules"),
                f"{key}.scope: narrowed from 'all' to the promote path", f"{key}:scope",
            ))  # fmt: skip
    return out


# --- waivers ----------------------------------------------------------------------------


def _path_within(path: str, wider: str) -> bool:
    """Does every path ``path`` matches also match ``wider``? (Decided for equal
    patterns and for a literal path; a different glob is not proven narrower.)"""
    if path == wider:
        return True
    return not (_GLOB & set(path)) and fnmatch.fnmatchcase(path, wider)


def _until_within(until: dt.date | None, wider: dt.date | None) -> bool:
    return wider is None or (until is not None and until <= wider)


def _covered(w: Waiver, o: Waiver) -> bool:
    return (
        o.rule == w.rule
        and _path_within(w.path, o.path)
        and (o.job is None or o.job == w.job)
        and _until_within(w.until, o.until)
    )


def _waivers(old: Policy, new: Policy) -> list[Weakening]:
    out = []
    for i, w in enumerate(new.waivers):
        if any(_covered(w, o) for o in old.waivers):
            continue
        key = f"waivers[{i}]"
        subject = f"waivers:{w.rule}:{w.path}:{w.job or ''}"
        same_rule = [o for o in old.waivers if o.rule == w.rule]
        if not same_rule:
            where = f"on {w.path}" + (f" in job '{w.job}'" if w.job else "")
            out.append(Weakening(
                key, new.span_of(f"{key}.rule", key, "waivers"),
                f"{key}: a new waiver silences {w.rule} {where}", subject,
            ))  # fmt: skip
            continue
        # The old waiver of the same rule it is closest to: same path, else same job.
        o = min(same_rule, key=lambda c: (c.path != w.path, c.job != w.job))
        wider: list[tuple[str, str]] = []
        if not _until_within(w.until, o.until):
            shown = w.until.isoformat() if w.until else "no end date"
            wider.append(("until", f"until extended from {o.until} to {shown}"))
        if not _path_within(w.path, o.path):
            wider.append(("path", f"path widened from '{o.path}' to '{w.path}'"))
        if o.job is not None and o.job != w.job:
            what = "dropped" if w.job is None else f"changed to '{w.job}'"
            wider.append(("job", f"job '{o.job}' {what}"))
        field = wider[0][0] if wider else "rule"
        span_key = f"{key}.{field}" if field != "job" or w.job is not None else key
        details = "; ".join(text for _, text in wider) or "no old waiver covers it"
        out.append(Weakening(
            f"{key}.{field}", new.span_of(span_key, key, "waivers"),
            f"{key}.{field}: the waiver of {w.rule} is extended: {details}", subject,
        ))  # fmt: skip
    return out


# --- lists of names ---------------------------------------------------------------------


def _removed(
    old: Iterable[str], new: Iterable[str], policy: Policy, key: str, noun: str, why: str
) -> list[Weakening]:
    kept = set(new)
    gone = [item for item in old if item not in kept]
    if not gone:
        return []
    section = key.rsplit(".", 1)[0]
    return [
        Weakening(
            key, policy.span_of(key, section, section.split(".", 1)[0]),
            f"{key}: {noun} {_plural([item])} removed; {why}", f"{key}:-{item}",
        )
        for item in gone
    ]


def _added(
    old: Iterable[str], new: tuple[str, ...], policy: Policy, key: str, why: str
) -> list[Weakening]:
    had = set(old)
    section = key.rsplit(".", 1)[0]
    return [
        Weakening(
            key, policy.span_of(f"{key}[{i}]", key, section, section.split(".", 1)[0]),
            f"{key}: {_plural([item])} added; {why}", f"{key}:+{item}",
        )
        for i, item in enumerate(new)
        if item not in had
    ]


# --- permissions, custom rules, inventory, shared files ---------------------------------


def _permissions(old: Policy, new: Policy) -> list[Weakening]:
    out = []
    for scope, level in old.forbidden_permissions.items():
        key = f"permissions.forbidden.{scope}"
        span = new.span_of(key, "permissions.forbidden", "permissions")
        after = new.forbidden_permissions.get(scope)
        if after is None:
            out.append(Weakening(
                key, span, f"{key}: no longer forbidden (was forbidden from '{level}')",
                f"{key}:removed",
            ))  # fmt: skip
        elif _LEVEL_RANK.get(after, 2) > _LEVEL_RANK.get(level, 2):
            out.append(Weakening(
                key, span, f"{key}: forbidden only from '{after}' (was from '{level}')",
                f"{key}:level",
            ))  # fmt: skip
    if old.forbidden_in == "everywhere" and new.forbidden_in != "everywhere":
        key = "permissions.forbidden_in"
        out.append(Weakening(
            key, new.span_of(key, "permissions"),
            f"{key}: narrowed from 'everywhere' to '{new.forbidden_in}'", f"{key}:narrowed",
        ))  # fmt: skip
    return out


def _custom_rules(old: Policy, new: Policy) -> list[Weakening]:
    out = []
    had = set(old.custom_rules)
    for i, entry in enumerate(new.custom_rules):
        if entry not in had:
            key = f"custom_rules[{i}]"
            out.append(Weakening(
                key, new.span_of(key, "custom_rules"),
                f"custom_rules: '{entry}' added: code the change brings in would run in "
                "every later check", f"custom_rules:+{entry}",
            ))  # fmt: skip
    kept = set(new.custom_rules)
    for entry in old.custom_rules:
        if entry not in kept:
            out.append(Weakening(
                "custom_rules", new.span_of("custom_rules"),
                f"custom_rules: '{entry}' removed; its checks stop", f"custom_rules:-{entry}",
            ))  # fmt: skip
    return out


def _inventory(old: Policy, new: Policy) -> list[Weakening]:
    key = "secrets.inventory"
    if old.secrets_inventory is None:
        return []
    span = new.span_of(key, "secrets")
    if new.secrets_inventory is None:
        return [Weakening(key, span, f"{key}: removed; referenced secrets are no longer "
                          "checked against an inventory", f"{key}:removed")]  # fmt: skip
    had = set(old.secrets_inventory)
    added = sorted({name for name in new.secrets_inventory if name not in had})
    why = "a secret that is not provisioned passes as if it were"
    return [Weakening(key, span, f"{key}: {_plural([n])} added; {why}", f"{key}:+{n}") for n in added]


def _shared_files(old: Policy, new: Policy) -> list[Weakening]:
    out = []
    now = {s.path: (i, s) for i, s in enumerate(new.shared_files)}
    for shared in old.shared_files:
        if shared.path not in now:
            out.append(Weakening(
                "shared_files", new.span_of("shared_files"),
                f"shared_files: '{shared.path}' removed; its drift is no longer checked",
                f"shared_files:-{shared.path}",
            ))  # fmt: skip
            continue
        i, current = now[shared.path]
        gone = [p for p in shared.repos if p not in current.repos]
        if gone:
            key = f"shared_files[{i}].repos"
            out.append(Weakening(
                key, new.span_of(key, f"shared_files[{i}]", "shared_files"),
                f"{key}: {_plural(gone)} removed; those repositories' copies of "
                f"'{shared.path}' are no longer compared", f"shared_files:{shared.path}:repos",
            ))  # fmt: skip
    return out
