"""Publish: the steps that push a built image to a registry."""

from __future__ import annotations

from auditor.kinds import Role
from auditor.roles.catalogue.base import Entry, Found, StepView, on_commands
from auditor.roles.commands import Command

_BUILD_ACTIONS = frozenset({
    "docker/build-push-action", "docker/bake-action", "depot/build-push-action", "depot/bake-action",
})  # fmt: skip


def _action_pushes(view: StepView) -> Found | None:
    push = view.with_.get("push", "").strip().lower()
    outputs = view.with_.get("outputs", "")
    if (push and push != "false") or "type=registry" in outputs or "push=true" in outputs:
        return Found(f"{view.uses} with push: {push or 'true'}")
    return None


def _cli_push(cmd: Command) -> bool:
    p = cmd.program
    if p in ("docker", "podman", "buildah", "nerdctl"):
        if cmd.has("push") or cmd.has("image", "push") or cmd.has("manifest", "push"):
            return True
        if (cmd.has("buildx", "build") or cmd.has("buildx", "bake") or cmd.has("build")) and (
            "--push" in cmd.argv or any("push=true" in w for w in cmd.argv)
        ):
            return True
        return cmd.has("buildx", "imagetools", "create")
    if p == "crane":
        return cmd.has("push") or cmd.has("append") or cmd.has("mutate")
    if p == "oras":
        return cmd.has("push")
    if p == "ko":
        return cmd.has("build") or cmd.has("publish") or cmd.has("resolve") or cmd.has("apply")
    return p == "jib"


ENTRIES = (
    Entry(
        id="docker-build-push-action",
        role=Role.PUBLISH,
        title="docker/build-push-action (and bake, depot)",
        what="Builds an image with BuildKit and, with `push: true` (or a registry output), "
             "pushes it.",
        reference="The action's `digest` output is the pushed image's digest; expose it as a "
                  "job output (`outputs: {digest: ${{ steps.<id>.outputs.digest }}}`).",
        verification="Promote and verify the digest, not the tags the action also pushed.",
        match=_action_pushes,
        actions=_BUILD_ACTIONS,
    ),
    Entry(
        id="registry-push",
        role=Role.PUBLISH,
        title="docker/podman/buildah push, buildx --push, imagetools create, crane/oras push, ko",
        what="A command that uploads an image (or a multi-platform index) to a registry.",
        reference="The pushed digest is printed by the tool or read back with `crane digest` / "
                  "`docker buildx imagetools inspect --format '{{json .Manifest.Digest}}'`; "
                  "write it to $GITHUB_OUTPUT and expose it as a job output.",
        verification="Promote and verify that digest.",
        match=on_commands(_cli_push),
        programs=frozenset({"docker", "podman", "buildah", "nerdctl", "crane", "oras", "ko", "jib"}),
    ),
)
