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
from auditor.roles.catalogue.examples import pipeline, release
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

# -- examples -----------------------------------------------------------------------------

_BUMP = """
deploy:
  needs: publish
  runs-on: ubuntu-latest
  env:
    DIGEST: ${{ needs.publish.outputs.digest }}
  steps:
    - uses: actions/checkout@v4
      with:
        repository: acme/deployments
        token: ${{ secrets.DEPLOYMENTS_REPO_TOKEN }}
    - name: Bump the image in the production overlay
      working-directory: overlays/prod
      run: |
        kustomize edit set image "app=ghcr.io/acme/app@$DIGEST"
        git config user.name release-bot
        git config user.email release-bot@acme.example
        git commit -am "app: deploy $DIGEST"
        git push
"""
_BUMP_BY_TAG = _BUMP.replace("""  env:
    DIGEST: ${{ needs.publish.outputs.digest }}
""", "").replace('"app=ghcr.io/acme/app@$DIGEST"', "app=ghcr.io/acme/app:${{ github.sha }}").replace(
    '"app: deploy $DIGEST"', '"app: deploy ${{ github.sha }}"')
_VERIFY = """
verify:
  needs: [publish, deploy]
  runs-on: ubuntu-latest
  env:
    DIGEST: ${{ needs.publish.outputs.digest }}
  steps:
    - uses: azure/k8s-set-context@v4
      with:
        method: kubeconfig
        kubeconfig: ${{ secrets.KUBE_CONFIG }}
    - name: Wait for Argo CD to roll it out, then read the running image back
      run: |
        kubectl rollout status deployment/app -n prod --timeout=10m
        running=$(kubectl get deployment/app -n prod -o jsonpath='{.spec.template.spec.containers[0].image}')
        test "$running" = "ghcr.io/acme/app@$DIGEST"
"""
_TAG_MOVE = """
move-stable-tag:
  runs-on: ubuntu-latest
  permissions:
    contents: write
  steps:
    - uses: actions/checkout@v4
    - name: Move the stable tag to this commit
      continue-on-error: true
      run: |
        git tag -f stable
        git push -f origin stable
"""


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
        bad=pipeline(_BUMP_BY_TAG),
        bad_rule="promote-not-pinned-to-digest",
        good=pipeline(_BUMP, _VERIFY),
    ),
    Entry(
        id="git-push",
        role=None,
        title="git push (what a GitOps image bump needs to take effect)",
        what="Pushes commits or tags. On its own it is not a promote (a branch merge or a tag "
             "move is name-only at most); after an image bump it makes the bump the deploy.",
        reference="It moves commits and tags, not images: the image a GitOps commit names is "
                  "what the `gitops-image-bump` entry reads.",
        verification="Nothing to verify for a tag move; for a GitOps bump, the bump's verification.",
        match=_push,
        programs=frozenset({"git"}),
        tags=("git-push",),
        bad=release(_TAG_MOVE),
        bad_rule="",
        good=release(_TAG_MOVE.replace("      continue-on-error: true\n", "")),
    ),
)
