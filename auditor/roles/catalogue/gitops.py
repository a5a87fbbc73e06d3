"""Promote through Git: image bumps committed to a configuration repository.

In GitOps the deploy is a commit: ``kustomize edit set image`` (or ``yq``/``sed``
on a manifest or values file) followed by ``git push``. What the commit names
is what the cluster will run, so a tag there promotes whatever it points to
when the controller pulls.
"""

from __future__ import annotations

import re

from auditor.kinds import Role
from auditor.roles.catalogue.base import Entry, Found, StepView, image_in
from auditor.roles.commands import Command

_IMAGE_EDIT = re.compile(r"image|tag|digest|newTag|newName", re.IGNORECASE)


def _kustomize(cmd: Command) -> bool:
    return cmd.program == "kustomize" and cmd.has("edit", "set", "image")


def _manifest_edit(cmd: Command) -> bool:
    if cmd.program == "yq":
        return any(_IMAGE_EDIT.search(w) for w in cmd.argv[1:]) and ("-i" in cmd.argv or "--inplace" in cmd.argv)
    if cmd.program == "sed":
        return ("-i" in cmd.argv or any(w.startswith("-i") for w in cmd.argv)) and any(
            re.search(r"image:|newTag|tag:", w) for w in cmd.argv[1:])
    return False


def _git_push(cmd: Command) -> bool:
    return cmd.program == "git" and cmd.has("push")


def _gitops(view: StepView) -> Found | None:
    edits = [c for c in view.commands if _kustomize(c) or _manifest_edit(c)]
    if not edits:
        return None
    edit = edits[0]
    return Found(edit.text[:120], image_in(edit.positionals()[3:] if _kustomize(edit) else edit.argv[1:]))


def _push(view: StepView) -> Found | None:
    pushes = [c for c in view.commands if _git_push(c)]
    return Found(pushes[0].text[:120]) if pushes else None


ENTRIES = (
    Entry(
        id="gitops-image-bump",
        role=Role.PROMOTE,
        title="kustomize edit set image / yq or sed on image tags, then git push",
        what="Writes a new image into a manifest, kustomization or values file; the commit that "
             "is pushed is the deploy (a GitOps controller applies it).",
        reference="`kustomize edit set image app=REPO@${DIGEST}` (a digest, not `:latest` or a "
                  "tag that can move).",
        verification="After the push, wait for the controller and read the deployed image back "
                     "(`argocd app wait`, `kubectl rollout status`, `flux get …`), or verify the "
                     "committed manifest names the digest.",
        match=_gitops,
        programs=frozenset({"kustomize", "yq", "sed"}),
        tags=("needs-git-push",),
    ),
    Entry(
        id="git-push",
        role=None,
        title="git push (what a GitOps image bump needs to take effect)",
        what="Pushes commits or tags. On its own it is not a promote (a branch merge or a tag "
             "move is name-only at most); after an image bump it makes the bump the deploy.",
        reference="-",
        verification="-",
        match=_push,
        programs=frozenset({"git"}),
        tags=("git-push",),
    ),
)
