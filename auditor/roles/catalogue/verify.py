"""Verify: steps that read the promoted state back and fail on a mismatch.

Besides the tools' own waits (``kubectl rollout status``, ``helm --wait``,
``aws ecs wait``, ``argocd app wait``, which live beside their promote), two
forms work for any target: a smoke test of the deployed URL that fails loud,
and a read-back of the pin compared with the digest. Step *names* never make
a verify: "Verify Docker daemon access" checks nothing about a promotion.
"""

from __future__ import annotations

import re

from auditor.kinds import Role
from auditor.roles.catalogue.base import DIGEST_TEXT, Entry, Found, StepView
from auditor.roles.commands import Command

_HEALTH_ACTIONS = frozenset({
    "jtalk/url-health-check-action", "cygnetdigital/wait_for_response",
    "emilioschepis/wait-for-endpoint", "mydea/action-wait-for-api",
})  # fmt: skip
_WRITE = frozenset({"-X", "--request", "-d", "--data", "--data-raw", "--data-binary", "-F", "--form",
                    "-T", "--upload-file", "--json"})  # fmt: skip
_NOT_DEPLOYED = re.compile(r"api\.github\.com|GITHUB_API_URL|GITHUB_SERVER_URL|localhost|127\.0\.0\.1"
                           r"|githubusercontent|/statuses/", re.IGNORECASE)
_URL = re.compile(r"https?://|\$\{?\w*(?:URL|HOST|ENDPOINT)\w*\}?|\$\{\{[^}]*(?:url|host|endpoint)[^}]*\}\}",
                  re.IGNORECASE)
_READERS = frozenset({"kubectl", "crane", "regctl", "skopeo", "docker", "curl", "wget", "gcloud", "aws",
                      "az", "oras", "jq", "helm", "argocd"})  # fmt: skip
_COMPARE = re.compile(
    r"\[\[?[^\]]*(?:!=|==|\s=\s|-ne\b|-eq\b)[^\]]*\]\]?|\btest\s+\S+\s+!?=|\bdiff\b|grep\s+-[a-zA-Z]*q"
)


def _smoke(cmd: Command) -> bool:
    if cmd.program == "curl":
        fails = any(w in ("--fail", "-f", "--fail-with-body") or (w.startswith("-") and not w.startswith("--")
                    and "f" in w[1:] and len(w) <= 6) for w in cmd.argv[1:])  # fmt: skip
    elif cmd.program == "wget":
        fails = True  # wget exits non-zero on HTTP errors
    else:
        return False
    text = " ".join(cmd.argv[1:])
    writes = any(w in _WRITE or w.startswith(tuple(f"{o}=" for o in _WRITE if o.startswith("--")))
                 for w in cmd.argv[1:])  # fmt: skip
    return fails and not writes and _URL.search(text) is not None and _NOT_DEPLOYED.search(text) is None


def _smoke_test(view: StepView) -> Found | None:
    for cmd in view.commands:
        if _smoke(cmd):
            return Found(cmd.text[:120], verifies=True)
    return None


def _writes(cmd: Command) -> bool:
    """The command changes state (a POST, an apply): a promote, not a read-back."""
    if cmd.program in ("curl", "wget", "http"):
        return any(w in _WRITE or w.startswith(("--data", "--request=", "--json", "--post")) for w in cmd.argv[1:])
    return any(w in ("apply", "set", "patch", "create", "delete", "push", "tag", "copy", "cp", "update-service",
                     "upgrade", "install", "deploy", "sync") for w in cmd.positionals()[:3])  # fmt: skip


def _read_back(view: StepView) -> Found | None:
    run = view.run or ""
    digest = DIGEST_TEXT.search(run) or any(DIGEST_TEXT.search(v) for v in view.env.values())
    if not _COMPARE.search(run) or not digest:
        return None
    readers = [c for c in view.commands if c.program in _READERS and not _writes(c)]
    if not readers:
        return None
    return Found(f"reads back with {readers[0].text[:80]} and compares", verifies=True)


def _health_action(view: StepView) -> Found | None:
    return Found(view.uses or "", verifies=True)


ENTRIES = (
    Entry(
        id="smoke-test",
        role=Role.VERIFY,
        title="smoke test of the deployed URL (curl --fail, wget)",
        what="A request to the deployed service that fails the step on an HTTP error.",
        reference="It tests the service the promote changed (best: an endpoint that reports the "
                  "running version or digest).",
        verification="It is a verification when it fails loud: `curl --fail` (or `-f`, "
                     "`--fail-with-body`), or `wget`; a plain `curl` exits 0 on a 500.",
        match=_smoke_test,
        programs=frozenset({"curl", "wget"}),
    ),
    Entry(
        id="read-back",
        role=Role.VERIFY,
        title="read the pin back and compare it with the digest",
        what="Reads the promoted state (the running image, the pinned digest, the tag's digest) "
             "and compares it with the digest just pushed, failing when they differ.",
        reference="The digest from the publish job (`needs.<publish>.outputs.digest`).",
        verification="It is the verification the incident lacked.",
        match=_read_back,
        programs=_READERS,
    ),
    Entry(
        id="health-check-action",
        role=Role.VERIFY,
        title="URL health-check actions (jtalk/url-health-check-action …)",
        what="Actions that poll a URL and fail when it does not answer successfully.",
        reference="The deployed service's URL.",
        verification="It is the verification.",
        match=_health_action,
        actions=_HEALTH_ACTIONS,
    ),
)
