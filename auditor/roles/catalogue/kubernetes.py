"""Promote (and its own verification) on Kubernetes: kubectl, helm, argocd, flux."""

from __future__ import annotations

from auditor.kinds import Role
from auditor.roles.catalogue.base import Entry, image_in, on_commands
from auditor.roles.commands import Command

_KUBECTL = frozenset({"kubectl", "oc", "k"})


def _kubectl_promote(cmd: Command) -> bool:
    if cmd.program not in _KUBECTL:
        return False
    if cmd.has("set", "image") or cmd.has("rollout", "restart") or cmd.has("rollout", "undo"):
        return True
    if cmd.has("apply") or cmd.has("replace") or cmd.has("create", "deployment"):
        # `kubectl apply -f x --dry-run=client` changes nothing
        return not any(w.startswith("--dry-run") and not w.endswith("=none") for w in cmd.argv)
    return cmd.has("patch") and any("image" in w for w in cmd.argv)


def _kubectl_image(cmd: Command) -> str | None:
    if cmd.has("set", "image"):
        return image_in([w for w in cmd.positionals()[3:] if "=" in w])
    return image_in(cmd.argv[1:])


def _kubectl_verify(cmd: Command) -> bool:
    if cmd.program not in _KUBECTL:
        return False
    if cmd.has("rollout", "status"):
        return True
    return bool(cmd.has("wait") and any(w.startswith("--for") for w in cmd.argv))


def _helm_promote(cmd: Command) -> bool:
    return cmd.program == "helm" and (cmd.has("upgrade") or cmd.has("install") or cmd.has("rollback"))


def _helm_image(cmd: Command) -> str | None:
    for i, word in enumerate(cmd.argv):
        value = word.split("=", 1)[1] if word.startswith(("--set=", "--set-string=")) else (
            cmd.argv[i + 1] if word in ("--set", "--set-string") and i + 1 < len(cmd.argv) else None)
        if value is None:
            continue
        for part in value.split(","):
            key, _, val = part.partition("=")
            if "image" in key.lower() or key.lower().endswith(("tag", "digest", "version")):
                return f"{key}={val}"
    return None


def _helm_waits(cmd: Command) -> bool:
    return any(w in ("--atomic", "--wait", "--rollback-on-failure") or w.startswith(("--atomic=", "--wait="))
               for w in cmd.argv)  # fmt: skip


def _argocd_promote(cmd: Command) -> bool:
    return cmd.program == "argocd" and (
        cmd.has("app", "set") or cmd.has("app", "sync") or cmd.has("app", "create")
        or cmd.has("app", "rollback") or cmd.has("app", "patch")
    )


def _argocd_verify(cmd: Command) -> bool:
    return cmd.program == "argocd" and cmd.has("app", "wait")


def _flux_promote(cmd: Command) -> bool:
    return cmd.program == "flux" and (cmd.has("reconcile") or cmd.has("resume"))


ENTRIES = (
    Entry(
        id="kubectl-deploy",
        role=Role.PROMOTE,
        title="kubectl set image / apply / rollout restart / patch (and oc)",
        what="Changes what a Kubernetes cluster runs: a new image on a deployment, a manifest "
             "applied, a restart that pulls the tag again.",
        reference="`kubectl set image deploy/app app=REPO@${DIGEST}`, or an image set in the "
                  "manifest before `kubectl apply` (kustomize, envsubst, sed).",
        verification="`kubectl rollout status deploy/app --timeout=…` after it fails the step when "
                     "the new pods never become ready; a read-back of the running image "
                     "(`kubectl get deploy/app -o jsonpath=…`) compared with the digest.",
        match=on_commands(_kubectl_promote, image=_kubectl_image),
        programs=_KUBECTL,
    ),
    Entry(
        id="kubectl-rollout-status",
        role=Role.VERIFY,
        title="kubectl rollout status / kubectl wait --for",
        what="Waits for a rollout (or a condition) and fails when it does not complete.",
        reference="It watches the deployment the promote just changed.",
        verification="It is the verification: run it after the promote, with a `--timeout`.",
        match=on_commands(_kubectl_verify),
        programs=_KUBECTL,
    ),
    Entry(
        id="helm-upgrade",
        role=Role.PROMOTE,
        title="helm upgrade / install / rollback",
        what="Installs or upgrades a chart release in a cluster.",
        reference="`--set image.digest=${DIGEST}` (or `image.tag=…@sha256:…`), or a values file "
                  "written from the digest.",
        verification="`--atomic` or `--wait` makes helm wait for the release to be ready and fail "
                     "(and with --atomic roll back) otherwise; `helm test` after it.",
        match=on_commands(_helm_promote, image=_helm_image, verifies=_helm_waits),
        programs=frozenset({"helm"}),
    ),
    Entry(
        id="argocd-app",
        role=Role.PROMOTE,
        title="argocd app set / sync / create / rollback",
        what="Points an Argo CD application at a new revision or image and syncs it.",
        reference="`argocd app set APP --kustomize-image REPO@${DIGEST}` or a GitOps commit of "
                  "the digest that the sync then applies.",
        verification="`argocd app wait APP --health --timeout …` after the sync.",
        match=on_commands(_argocd_promote, image=lambda c: image_in(c.argv[3:])),
        programs=frozenset({"argocd"}),
    ),
    Entry(
        id="argocd-app-wait",
        role=Role.VERIFY,
        title="argocd app wait",
        what="Waits until an Argo CD application is synced and healthy, and fails otherwise.",
        reference="It watches the application the promote synced.",
        verification="It is the verification (with `--health` and a `--timeout`).",
        match=on_commands(_argocd_verify),
        programs=frozenset({"argocd"}),
    ),
    Entry(
        id="flux-reconcile",
        role=Role.PROMOTE,
        title="flux reconcile / resume",
        what="Makes Flux apply the latest revision (or image policy) to a cluster now.",
        reference="Flux image automation writes the new tag or digest to the config repository; "
                  "pin the image policy to digests (`reflect_digest`).",
        verification="`flux get kustomizations --status-selector ready=false` or "
                     "`kubectl wait --for=condition=ready kustomization/…`.",
        match=on_commands(_flux_promote),
        programs=frozenset({"flux"}),
        moves_artifact=False,
    ),
)
