"""Promote by moving a channel: registry retags and copies, make/nix/just promote targets.

A retag moves what consumers of a tag (``:stable``, ``:prod``) pull: it is a
promotion even when nothing is deployed, and by tag it promotes whatever the
source tag points to when it runs.
"""

from __future__ import annotations

from auditor.kinds import Role
from auditor.roles.catalogue.base import Entry, Found, StepView, on_commands
from auditor.roles.catalogue.examples import pipeline
from auditor.roles.catalogue.publish import local_target
from auditor.roles.commands import Command


def _destination(cmd: Command) -> str | None:
    words = cmd.positionals()
    skip = 3 if cmd.program == "regctl" else 2
    return words[skip] if len(words) > skip else None


def _crane(cmd: Command) -> bool:
    if cmd.program not in ("crane", "gcrane"):
        return False
    if cmd.has("tag"):
        return not local_target(cmd.positionals()[1] if len(cmd.positionals()) > 1 else None)
    return (cmd.has("copy") or cmd.has("cp")) and not local_target(_destination(cmd))


def _regctl(cmd: Command) -> bool:
    if cmd.program != "regctl":
        return False
    if cmd.has("image", "copy"):
        return not local_target(_destination(cmd))
    return cmd.has("image", "tag") or cmd.has("tag", "add")


_SKOPEO_VALUE_FLAGS = frozenset({
    "--src-creds", "--dest-creds", "--creds", "--authfile", "--src-authfile", "--dest-authfile",
    "--format", "-f", "--multi-arch", "--src-cert-dir", "--dest-cert-dir", "--retry-times",
    "--src-registry-token", "--dest-registry-token", "--sign-by", "--override-arch", "--override-os",
    "--src", "--dest", "--scoped", "--digestfile", "--additional-tag",
})  # fmt: skip


def _skopeo_refs(cmd: Command) -> list[str]:
    """``skopeo copy|sync [options] SOURCE DESTINATION``: the two references."""
    refs: list[str] = []
    skip = False
    for word in cmd.argv[2:]:
        if skip:
            skip = False
        elif word.startswith("-"):
            skip = word in _SKOPEO_VALUE_FLAGS
        else:
            refs.append(word)
    return refs[-2:] if len(refs) >= 2 else []


def _registry(ref: str) -> bool:
    """A registry reference (``docker://…``), or a variable that holds one."""
    return ref.startswith("docker://") or (ref.startswith("$") and ":" not in ref.lstrip("${"))


def _skopeo(cmd: Command) -> bool:
    if cmd.program != "skopeo" or not (cmd.has("copy") or cmd.has("sync")):
        return False
    refs = _skopeo_refs(cmd)
    # between two registries, not to or from an archive, a directory or the local daemon
    return len(refs) == 2 and all(_registry(r) for r in refs) and not local_target(
        refs[1].removeprefix("docker://"))


def _source(cmd: Command) -> str | None:
    words = cmd.positionals()
    skip = 2 if cmd.program == "regctl" or cmd.has("mutate") else 1
    return words[skip] if len(words) > skip else None


_TARGET_WORDS = ("promote", "promotion", "release-to", "rollout", "deploy")


def _promote_targets(cmd: Command) -> list[str]:
    if cmd.program in ("make", "gmake", "just", "task", "mage"):
        return [w for w in cmd.positionals() if "=" not in w and any(t in w.lower() for t in _TARGET_WORDS[:3])]
    if cmd.program == "nix" and (cmd.has("run") or cmd.has("build")):
        return [w for w in cmd.argv[2:] if "promot" in w.lower()]
    return []


# A target that names what it moves: images and artifacts move a build; a manifest target
# renders files (for a release pull request: not a deploy until merged and applied).
_ARTIFACT_TARGET = ("docker", "image", "container", "artifact", "oci", "chart")


def _target_match(view: StepView) -> Found | None:
    for cmd in view.commands:
        targets = _promote_targets(cmd)
        if not targets or all("manifest" in t.lower() for t in targets):
            continue
        moves = any(w in t.lower() for t in targets for w in _ARTIFACT_TARGET)
        image = next((w for w in cmd.argv if "=" in w), None)
        # `make promote` with nothing that names a build (a version tag moved, say) is
        # name-only: the fail-loud rules apply, the digest and verify rules do not
        return Found(cmd.text[:120], image, moves_artifact=moves or image is not None)
    return None


# -- examples -----------------------------------------------------------------------------


def _promote(steps: str, setup: str, env: str) -> str:
    return f"""
promote:
  needs: publish
  runs-on: ubuntu-latest
  env:
{env}  steps:
{setup}{steps}"""


_TOKEN = "    REGISTRY_TOKEN: ${{ secrets.GHCR_PROMOTE_TOKEN }}\n"
_DIGEST = "    DIGEST: ${{ needs.publish.outputs.digest }}\n"
_CRANE_SETUP = """\
    - uses: imjasonh/setup-crane@v0.4
    - run: crane auth login ghcr.io -u release-bot -p "$REGISTRY_TOKEN"
"""
_CRANE_TAG = """\
    - name: Move the stable channel to the image just pushed
      run: crane tag "ghcr.io/acme/app@$DIGEST" stable
"""
_CRANE_BY_TAG = """\
    - name: Move the stable channel to latest
      run: crane tag ghcr.io/acme/app:latest stable
"""
_CRANE_CHECK = """\
    - name: Read the channel back
      run: |
        moved=$(crane digest ghcr.io/acme/app:stable)
        test "$moved" = "$DIGEST"
"""
_REGCTL_SETUP = """\
    - uses: regclient/actions/regctl-installer@main
    - run: regctl registry login ghcr.io -u release-bot -p "$REGISTRY_TOKEN"
"""
_REGCTL_COPY = """\
    - name: Copy the image to the prod repository
      run: regctl image copy "ghcr.io/acme/app@$DIGEST" ghcr.io/acme/app-prod:stable
"""
_REGCTL_CHECK = """\
    - name: Read the copy back
      run: |
        copied=$(regctl image digest ghcr.io/acme/app-prod:stable)
        test "$copied" = "$DIGEST"
"""
_SKOPEO_COPY = """\
    - name: Sync the release to the customer registry
      run: |
        skopeo copy --all --dest-creds "release-bot:$REGISTRY_TOKEN" \\
          "docker://ghcr.io/acme/app@$DIGEST" docker://registry.example.com/acme/app:stable
"""
_SKOPEO_BY_TAG = """\
    - name: Sync latest to the customer registry
      run: |
        skopeo copy --all --dest-creds "release-bot:$REGISTRY_TOKEN" \\
          docker://ghcr.io/acme/app:latest docker://registry.example.com/acme/app:latest
"""
_SKOPEO_CHECK = """\
    - name: Read the copy back
      run: |
        copied=$(skopeo inspect --creds "release-bot:$REGISTRY_TOKEN" --format '{{.Digest}}' \\
          docker://registry.example.com/acme/app:stable)
        test "$copied" = "$DIGEST"
"""
_MAKE_PROMOTE = """\
    - uses: actions/checkout@v4
    - name: Promote to the stable channel
      run: make promote CHANNEL=stable DIGEST="$DIGEST"
"""
_MAKE_BY_VERSION = """\
    - uses: actions/checkout@v4
    - name: Promote to the stable channel
      run: make promote CHANNEL=stable
"""
_CHANNEL_VERIFY = """
verify:
  needs: [publish, promote]
  runs-on: ubuntu-latest
  env:
    DIGEST: ${{ needs.publish.outputs.digest }}
  steps:
    - uses: imjasonh/setup-crane@v0.4
    - name: The stable channel names the digest just pushed
      run: |
        moved=$(crane digest ghcr.io/acme/app:stable)
        test "$moved" = "$DIGEST"
"""


ENTRIES = (
    Entry(
        id="crane-retag",
        role=Role.PROMOTE,
        title="crane tag / crane copy",
        what="Points a tag at an image, or copies an image to another repository or registry.",
        reference="`crane tag REPO@${DIGEST} stable` / `crane copy SRC@${DIGEST} DST:stable`.",
        verification="`crane digest DST:stable` read back and compared with the digest.",
        match=on_commands(_crane, image=_source),
        programs=frozenset({"crane", "gcrane"}),
        bad=pipeline(_promote(_CRANE_BY_TAG, _CRANE_SETUP, _TOKEN)),
        bad_rule="promote-not-pinned-to-digest",
        good=pipeline(_promote(_CRANE_TAG + _CRANE_CHECK, _CRANE_SETUP, _TOKEN + _DIGEST)),
    ),
    Entry(
        id="regctl-copy",
        role=Role.PROMOTE,
        title="regctl image copy / tag",
        what="Copies or retags an image between repositories and registries.",
        reference="`regctl image copy SRC@${DIGEST} DST:stable`.",
        verification="`regctl image digest DST:stable` compared with the digest.",
        match=on_commands(_regctl, image=_source),
        programs=frozenset({"regctl"}),
        bad=pipeline(_promote(_REGCTL_COPY.replace('"ghcr.io/acme/app@$DIGEST"', "ghcr.io/acme/app:latest"),
                              _REGCTL_SETUP, _TOKEN)),
        bad_rule="promote-not-pinned-to-digest",
        good=pipeline(_promote(_REGCTL_COPY + _REGCTL_CHECK, _REGCTL_SETUP, _TOKEN + _DIGEST)),
    ),
    Entry(
        id="skopeo-copy",
        role=Role.PROMOTE,
        title="skopeo copy / sync between registries",
        what="Copies an image from one registry (or repository) to another.",
        reference="`skopeo copy docker://SRC@${DIGEST} docker://DST:stable`.",
        verification="`skopeo inspect --format '{{.Digest}}' docker://DST:stable` compared with "
                     "the digest.",
        match=on_commands(_skopeo, image=lambda c: next(iter(_skopeo_refs(c)), None)),
        programs=frozenset({"skopeo"}),
        bad=pipeline(_promote(_SKOPEO_BY_TAG, "", _TOKEN)),
        bad_rule="promote-not-pinned-to-digest",
        good=pipeline(_promote(_SKOPEO_COPY + _SKOPEO_CHECK, "", _TOKEN + _DIGEST)),
    ),
    Entry(
        id="promote-target",
        role=Role.PROMOTE,
        title="make / just / task / nix targets named promote",
        what="A build-tool target whose name says it promotes (moves a version or image to a "
             "channel).",
        reference="Pass the digest or version explicitly (`make promote DIGEST=${DIGEST}`).",
        verification="A later step or job that reads the channel back and compares.",
        match=_target_match,
        programs=frozenset({"make", "gmake", "just", "task", "mage", "nix"}),
        bad=pipeline(_promote(_MAKE_BY_VERSION, "", _TOKEN)),
        bad_rule="promote-not-pinned-to-digest",
        good=pipeline(_promote(_MAKE_PROMOTE, "", _TOKEN + _DIGEST), _CHANNEL_VERIFY),
    ),
)
