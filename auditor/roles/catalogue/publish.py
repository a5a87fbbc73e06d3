"""Publish: the steps that push a built image to a registry."""

from __future__ import annotations

import re

from auditor.kinds import Role
from auditor.roles.catalogue.base import Entry, Found, StepView, on_commands
from auditor.roles.catalogue.examples import GHCR, publish, release
from auditor.roles.commands import Command

_BUILD_ACTIONS = frozenset({
    "docker/build-push-action", "docker/bake-action", "depot/build-push-action", "depot/bake-action",
})  # fmt: skip


_PUSH_ACTIONS = frozenset({
    "jerray/publish-docker-action", "elgohr/publish-docker-github-action",
    "mr-smithers-excellent/docker-build-push", "redhat-actions/push-to-registry",
})  # fmt: skip


def _push_action(view: StepView) -> Found | None:
    registry = view.with_.get("registry", "")
    if local_target(registry) or view.with_.get("push", "").strip().lower() == "false":
        return None
    return Found(f"{view.uses} {registry}".strip())


def _action_pushes(view: StepView) -> Found | None:
    push = view.with_.get("push", "").strip().lower()
    outputs = view.with_.get("outputs", "")
    if (push and push != "false") or "type=registry" in outputs or "push=true" in outputs:
        tags = [t.strip() for t in re.split(r"[\n,]", view.with_.get("tags", "")) if t.strip()]
        if tags and all(local_target(t) for t in tags):
            return None  # a registry on the runner (a service container, a kind cluster's)
        return Found(f"{view.uses} with push: {push or 'true'}")
    return None


# Where a push leaves no published artifact: a registry on the runner, a test cluster's, an
# ephemeral one (ttl.sh), or a file (buildah/podman push to an archive or a directory).
LOCAL_REGISTRY = re.compile(
    r"^(?:[a-z]+://)?(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\]|kind\.local|ko\.local|ttl\.sh|registry\.local)"
    r"(?::\d+)?(?:/|$)|^(?:oci-archive|docker-archive|oci|dir|containers-storage|docker-daemon):",
    re.IGNORECASE,
)


def local_target(ref: str | None) -> bool:
    return ref is not None and LOCAL_REGISTRY.search(ref) is not None


def _ko_local(cmd: Command) -> bool:
    repo = next((a.split("=", 1)[1] for a in cmd.assigns if a.startswith("KO_DOCKER_REPO=")), None)
    # --insecure-registry: a plain-HTTP registry, the one a test cluster runs
    return local_target(repo) or any(w in ("--local", "-L", "--push=false", "--insecure-registry")
                                     for w in cmd.argv)  # fmt: skip


def _cli_push(cmd: Command) -> bool:
    p = cmd.program
    if p in ("docker", "podman", "buildah", "nerdctl"):
        if cmd.has("push") or cmd.has("image", "push") or cmd.has("manifest", "push"):
            refs = cmd.positionals()[1 if cmd.has("push") else 2:]
            if p in ("buildah", "podman") and len(refs) == 2:
                refs = refs[1:]  # `buildah push IMAGE DESTINATION`
            return not refs or not all(local_target(r) for r in refs)
        if (cmd.has("buildx", "build") or cmd.has("buildx", "bake") or cmd.has("build")) and (
            "--push" in cmd.argv or any("push=true" in w for w in cmd.argv)
        ):
            tags = cmd.flags("-t", "--tag")
            return not tags or not all(local_target(t) for t in tags)
        return cmd.has("buildx", "imagetools", "create")
    if p == "crane":
        if cmd.has("append") or cmd.has("mutate"):
            target = cmd.flag("-t", "--tag", "--new_tag")
            return not local_target(target)
        return cmd.has("push") and not local_target(cmd.positionals()[2] if len(cmd.positionals()) > 2 else None)
    if p == "oras":
        return cmd.has("push")
    if p == "ko":
        return (cmd.has("build") or cmd.has("publish") or cmd.has("resolve") or cmd.has("apply")) and (
            not _ko_local(cmd))
    return p == "jib"


# The deploy job every publish example feeds: a pinned `kubectl set image`, then rollout status.
_DEPLOY = """
deploy:
  needs: publish
  runs-on: ubuntu-latest
  environment: production
  steps:
    - uses: azure/k8s-set-context@v4
      with:
        method: kubeconfig
        kubeconfig: ${{ secrets.KUBE_CONFIG }}
    - name: Roll out the image just pushed
      run: |
        kubectl set image deployment/app app=ghcr.io/acme/app@${{ needs.publish.outputs.digest }}
        kubectl rollout status deployment/app --timeout=5m
"""
# ... and the same deploy, by tag, when the publish job exposes no digest
_DEPLOY_BY_TAG = _DEPLOY.replace("@${{ needs.publish.outputs.digest }}", ":latest")

_CLI_PUBLISH = """
publish:
  runs-on: ubuntu-latest
  permissions:
    contents: read
    packages: write
  steps:
    - uses: actions/checkout@v4
    - uses: docker/login-action@v3
      with:
        registry: ghcr.io
        username: ${{ github.actor }}
        password: ${{ secrets.GITHUB_TOKEN }}
    - uses: imjasonh/setup-crane@v0.4
    - name: Build and push
      run: |
        docker build -t ghcr.io/acme/app:latest .
        docker push ghcr.io/acme/app:latest
"""
_CLI_PUBLISH_DIGEST = _CLI_PUBLISH.replace("""  steps:
""", """  outputs:
    digest: ${{ steps.push.outputs.digest }}
  steps:
""").replace("""    - name: Build and push
      run: |
        docker build -t ghcr.io/acme/app:latest .
        docker push ghcr.io/acme/app:latest
""", """    - name: Build and push
      id: push
      run: |
        docker build -t ghcr.io/acme/app:latest .
        docker push ghcr.io/acme/app:latest
        digest=$(crane digest ghcr.io/acme/app:latest)
        echo "digest=$digest" >> "$GITHUB_OUTPUT"
""")

_ACTION_PUBLISH = """
publish:
  runs-on: ubuntu-latest
  permissions:
    contents: read
    packages: write
  steps:
    - uses: actions/checkout@v4
    - uses: redhat-actions/buildah-build@v2
      with:
        image: app
        tags: latest
        containerfiles: ./Containerfile
    - id: push
      uses: redhat-actions/push-to-registry@v2
      with:
        image: app
        tags: latest
        registry: ghcr.io/acme
        username: ${{ github.actor }}
        password: ${{ secrets.GITHUB_TOKEN }}
"""
_ACTION_PUBLISH_DIGEST = _ACTION_PUBLISH.replace("""  steps:
""", """  outputs:
    digest: ${{ steps.push.outputs.digest }}
  steps:
""", 1)

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
        bad=release(publish(GHCR, digest=False), _DEPLOY_BY_TAG),
        bad_rule="digest-not-exposed",
        good=release(publish(GHCR), _DEPLOY),
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
        bad=release(_CLI_PUBLISH, _DEPLOY_BY_TAG),
        bad_rule="digest-not-exposed",
        good=release(_CLI_PUBLISH_DIGEST, _DEPLOY),
    ),
    Entry(
        id="registry-push-action",
        role=Role.PUBLISH,
        title="push actions (redhat-actions/push-to-registry, elgohr/Publish-Docker-Github-Action …)",
        what="Actions that push an image (some build it first) to a registry.",
        reference="Their `digest` output (push-to-registry) or a `crane digest` of the pushed tag "
                  "afterwards; expose it as a job output.",
        verification="Promote and verify that digest.",
        match=_push_action,
        actions=_PUSH_ACTIONS,
        bad=release(_ACTION_PUBLISH, _DEPLOY_BY_TAG),
        bad_rule="digest-not-exposed",
        good=release(_ACTION_PUBLISH_DIGEST, _DEPLOY),
    ),
)
