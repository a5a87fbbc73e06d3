"""Outputs of well-known actions, and of local actions read from the repository.

``needs-output-unwired`` asks "does step S produce output X?". For a ``run:``
step the script analysis answers; for a ``uses:`` step this table does, from
each action's ``action.yml``. An action that is not in the table is given the
benefit of the doubt (``None``: unknown), and so is a ``setup-*`` action whose
outputs are not listed. Names are compared case-insensitively, as the runner
does, and versions (``@v4``, a commit SHA) are ignored.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from auditor.repo import RepoContext

# action (owner/name[/path], lower case) → its outputs (lower case).
KNOWN_OUTPUTS: dict[str, frozenset[str]] = {
    name: frozenset(outputs)
    for name, outputs in {
        # Docker
        "docker/build-push-action": ("imageid", "digest", "metadata"),
        "docker/bake-action": ("metadata",),
        "docker/metadata-action": (
            "version", "tags", "labels", "annotations", "json", "bake-file",
            "bake-file-tags", "bake-file-labels", "bake-file-annotations",
        ),
        "docker/login-action": (),
        "docker/setup-buildx-action": (
            "name", "driver", "platforms", "nodes", "endpoint", "status", "flags",
        ),
        "docker/setup-qemu-action": ("platforms",),
        # GitHub's own
        "actions/checkout": ("ref", "commit"),
        "actions/upload-artifact": ("artifact-id", "artifact-url", "artifact-digest"),
        "actions/download-artifact": ("download-path",),
        "actions/cache": ("cache-hit",),
        "actions/cache/restore": ("cache-hit", "cache-primary-key", "cache-matched-key"),
        "actions/cache/save": (),
        "actions/setup-node": ("cache-hit", "node-version"),
        "actions/setup-python": ("python-version", "cache-hit", "python-path"),
        "actions/setup-go": ("go-version", "cache-hit"),
        "actions/setup-java": ("distribution", "path", "version", "cache-hit"),
        "actions/setup-dotnet": ("dotnet-version", "cache-hit"),
        # actions/github-script is absent on purpose: its script sets any output (core.setOutput).
        "actions/create-github-app-token": ("token", "installation-id", "app-slug"),
        # Clouds and signing
        "google-github-actions/auth": (
            "project_id", "credentials_file_path", "auth_token", "access_token", "id_token",
        ),
        "aws-actions/configure-aws-credentials": (
            "aws-account-id", "aws-access-key-id", "aws-secret-access-key",
            "aws-session-token", "aws-expiration",
        ),
        "aws-actions/amazon-ecr-login": ("registry",),
        "sigstore/cosign-installer": (),
    }.items()
}  # fmt: skip

# Outputs whose name is built from an input (the ECR registry in the name).
KNOWN_OUTPUT_PREFIXES: dict[str, tuple[str, ...]] = {
    "aws-actions/amazon-ecr-login": ("docker_username_", "docker_password_"),
}

# Actions that publish when their ``push`` input is not false.
PUSHING_ACTIONS = frozenset({"docker/build-push-action", "docker/bake-action"})

# Actions a promote step uses for plumbing, never to authenticate the promotion.
PLUMBING_ACTIONS = frozenset(
    {
        "actions/checkout", "actions/cache", "actions/cache/restore", "actions/cache/save",
        "actions/upload-artifact", "actions/download-artifact", "docker/login-action",
        "docker/setup-buildx-action", "docker/setup-qemu-action", "docker/metadata-action",
        "docker/build-push-action", "docker/bake-action", "sigstore/cosign-installer",
    }
)  # fmt: skip

# Keyless (OIDC) cloud authentication: a promote that uses one of these holds a
# real credential without referencing a secret.
OIDC_ACTIONS = frozenset(
    {
        "aws-actions/configure-aws-credentials", "google-github-actions/auth", "azure/login",
    }
)  # fmt: skip

# The Actions-token scopes a well-known action needs with its default inputs (the
# ``statuses-write-permission`` fix narrows ``write-all`` to their union). Absent: unknown.
# ``docker/login-action`` is judged by its inputs (ghcr.io with the token: packages: write).
TOKEN_SCOPES: dict[str, dict[str, str]] = {
    "actions/checkout": {"contents": "read"},
    "actions/cache": {}, "actions/cache/restore": {}, "actions/cache/save": {},
    "actions/upload-artifact": {}, "actions/download-artifact": {},
    "actions/setup-node": {}, "actions/setup-python": {}, "actions/setup-go": {},
    "actions/setup-java": {}, "actions/setup-dotnet": {},
    "docker/login-action": {},
    "docker/setup-buildx-action": {}, "docker/setup-qemu-action": {},
    "docker/metadata-action": {"contents": "read"},  # reads the repository through the API
    "docker/build-push-action": {"contents": "read"},  # fetches the Git build context
    "sigstore/cosign-installer": {},
}  # fmt: skip

# (action, input) where the Actions token may be passed without making its needs unknown.
TOKEN_INPUTS = frozenset({("actions/checkout", "token"), ("docker/login-action", "password")})

_VERSION = re.compile(r"@.*$")


def action_name(uses: str) -> str:
    """``Docker/Build-Push-Action@v6`` → ``docker/build-push-action`` (local paths unchanged)."""
    if uses.startswith(("./", "docker://")):
        return uses
    return _VERSION.sub("", uses.strip()).lower().rstrip("/")


def known_output(uses: str, output: str, repo: RepoContext | None = None) -> bool | None:
    """Whether the action ``uses`` sets ``output``: True, False, or None when unknown."""
    name = action_name(uses)
    out = output.lower()
    if name.startswith("./"):
        outputs = local_action_outputs(repo, name) if repo is not None else None
        if outputs is None:
            return None
        return out in outputs
    outputs = KNOWN_OUTPUTS.get(name)
    if outputs is None:
        return None
    if out in outputs:
        return True
    return any(out.startswith(prefix) for prefix in KNOWN_OUTPUT_PREFIXES.get(name, ()))


def local_action_outputs(repo: RepoContext, uses: str) -> frozenset[str] | None:
    """The declared outputs of a local action (``./path``), or None if it cannot be read."""
    from auditor.build import build_action
    from auditor.parse import parse_bytes
    from auditor.repo import normalise

    base = normalise(uses)
    if base is None:
        return None
    for name in ("action.yml", "action.yaml"):
        path = f"{base}/{name}" if base else name
        data = repo.read(path)
        if data is None:
            continue
        parsed = parse_bytes(data, path)
        if parsed.root is None:
            return None
        action = build_action(path, parsed.root, [])
        if action is None:
            return None
        if action.call_outputs is None:
            return frozenset()
        return frozenset(k.value.lower() for k, _ in action.call_outputs.items())
    return None
