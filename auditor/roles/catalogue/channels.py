"""Promote by moving a channel: registry retags and copies, make/nix/just promote targets.

A retag moves what consumers of a tag (``:stable``, ``:prod``) pull: it is a
promotion even when nothing is deployed, and by tag it promotes whatever the
source tag points to when it runs.
"""

from __future__ import annotations

from auditor.kinds import Role
from auditor.roles.catalogue.base import Entry, on_commands
from auditor.roles.commands import Command


def _crane(cmd: Command) -> bool:
    return cmd.program in ("crane", "gcrane") and (
        cmd.has("tag") or cmd.has("copy") or cmd.has("cp") or cmd.has("mutate", "--tag"))


def _regctl(cmd: Command) -> bool:
    return cmd.program == "regctl" and (cmd.has("image", "copy") or cmd.has("image", "tag")
                                        or cmd.has("tag", "add"))  # fmt: skip


def _skopeo(cmd: Command) -> bool:
    if cmd.program != "skopeo" or not (cmd.has("copy") or cmd.has("sync")):
        return False
    refs = [w for w in cmd.positionals()[1:] if "://" in w]
    return len(refs) >= 2 and all(r.startswith(("docker://", "docker-daemon:")) or "://" in r for r in refs)


def _docker_tag_push(cmd: Command) -> bool:
    return cmd.program in ("docker", "podman") and cmd.has("tag")


def _source(cmd: Command) -> str | None:
    words = cmd.positionals()
    skip = 2 if cmd.program == "regctl" or cmd.has("mutate") else 1
    return words[skip] if len(words) > skip else None


_TARGET_WORDS = ("promote", "promotion", "release-to", "rollout", "deploy")


def _promote_target(cmd: Command) -> bool:
    if cmd.program in ("make", "gmake", "just", "task", "mage"):
        targets = [w for w in cmd.positionals() if "=" not in w]
        return any(any(t in target.lower() for t in _TARGET_WORDS[:3]) for target in targets)
    if cmd.program == "nix" and (cmd.has("run") or cmd.has("build")):
        return any("promot" in w.lower() for w in cmd.argv[2:])
    return False


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
    ),
    Entry(
        id="skopeo-copy",
        role=Role.PROMOTE,
        title="skopeo copy / sync between registries",
        what="Copies an image from one registry (or repository) to another.",
        reference="`skopeo copy docker://SRC@${DIGEST} docker://DST:stable`.",
        verification="`skopeo inspect --format '{{.Digest}}' docker://DST:stable` compared with "
                     "the digest.",
        match=on_commands(_skopeo, image=lambda c: next((w for w in c.positionals()[1:] if "://" in w), None)),
        programs=frozenset({"skopeo"}),
    ),
    Entry(
        id="promote-target",
        role=Role.PROMOTE,
        title="make / just / task / nix targets named promote",
        what="A build-tool target whose name says it promotes (moves a version or image to a "
             "channel).",
        reference="Pass the digest or version explicitly (`make promote DIGEST=${DIGEST}`).",
        verification="A later step or job that reads the channel back and compares.",
        match=on_commands(_promote_target, image=lambda c: next((w for w in c.argv if "=" in w), None)),
        programs=frozenset({"make", "gmake", "just", "task", "mage", "nix"}),
    ),
)
