"""Promote (and its own verification) on Kubernetes: kubectl, helm, argocd, flux."""

from __future__ import annotations

from auditor.kinds import Role
from auditor.roles.catalogue.base import DIGEST_TEXT, Entry, Found, StepView, image_in, on_commands
from auditor.roles.catalogue.examples import pipeline
from auditor.roles.commands import Command

_KUBECTL = frozenset({"kubectl", "oc", "k"})
# What renders a manifest with the image the job chose, piped into `kubectl apply -f -`.
_RENDERERS = frozenset({"kustomize", "envsubst", "helm", "kbld", "ytt", "sed", "yq", "jsonnet", "cue"})


def _dry_run(cmd: Command) -> bool:
    return any(w.startswith("--dry-run") and not w.endswith("=none") for w in cmd.argv)


def _installs_config(cmd: Command) -> bool:
    """``kubectl apply`` of what is not a workload built here: a manifest from a URL (a
    third-party install), CRDs, or the output of another kubectl (``create ns x --dry-run
    -o yaml | kubectl apply -f -``, a secret copied between namespaces)."""
    if cmd.piped_from in _KUBECTL:
        return True
    sources = cmd.flags("-f", "--filename", "-k", "--kustomize")
    return bool(sources) and all(
        s.startswith(("http://", "https://")) or "crd" in s.lower() for s in sources
    )


def _renders_image(cmd: Command) -> bool:
    """The command writes an image into a manifest (``kustomize edit set image``, ``envsubst``,
    ``yq -i '.image…'``, ``sed -i 's|image: …|'``)."""
    p = cmd.program
    if p == "kustomize":
        return cmd.has("edit", "set", "image")
    if p == "envsubst":
        return True
    return p in ("sed", "yq") and any(("image" in w or "tag" in w) for w in cmd.argv[1:]) and any(
        w == "-i" or w.startswith("-i") or w == "--inplace" for w in cmd.argv[1:])


def _kubectl_deploy(view: StepView) -> Found | None:
    rendered = False
    for cmd in view.commands:
        if cmd.program not in _KUBECTL:
            rendered = rendered or _renders_image(cmd)
            continue
        if cmd.program not in _KUBECTL:
            continue
        if cmd.has("set", "image") or (cmd.has("patch") and any("image" in w for w in cmd.argv)):
            return Found(cmd.text[:120], _kubectl_image(cmd))
        if cmd.has("rollout", "restart") or cmd.has("rollout", "undo") or cmd.has("rollout", "latest"):
            return Found(cmd.text[:120])
        if cmd.has("create", "deployment") and not _dry_run(cmd):
            return Found(cmd.text[:120], cmd.flag("--image"))
        if (cmd.has("apply") or cmd.has("replace")) and not _dry_run(cmd) and not _installs_config(cmd):
            # a manifest as it is in the repository moves no new artifact by itself; it does
            # when the job renders the image into it (kustomize, envsubst, helm template …)
            moves = rendered or cmd.piped_from in _RENDERERS or DIGEST_TEXT.search(cmd.text) is not None
            return Found(cmd.text[:120], image_in(cmd.argv[1:]), moves_artifact=moves)
    return None


def _kubectl_image(cmd: Command) -> str | None:
    if cmd.has("set", "image"):
        return image_in([w for w in cmd.positionals()[3:] if "=" in w])
    return image_in(cmd.argv[1:])


def _kubectl_verify(cmd: Command) -> bool:
    if cmd.program not in _KUBECTL:
        return False
    if cmd.has("rollout", "status"):
        return True
    if not cmd.has("wait"):
        return False
    condition = cmd.flag("--for") or ""
    # waiting for nodes (the cluster itself) or for a deletion checks no rollout
    targets = [w.lower() for w in cmd.positionals()[1:]]
    return bool(condition) and condition != "delete" and not any(
        t.startswith(("node", "nodes", "no/")) or t in ("no",) for t in targets)


def _helm_promote(cmd: Command) -> bool:
    return cmd.program == "helm" and (cmd.has("upgrade") or cmd.has("install") or cmd.has("rollback")) and (
        not _dry_run(cmd))


def _helm_moves(cmd: Command) -> bool:
    """A release whose image the command sets moves an artifact; one that only installs a
    chart (a third-party dependency, a chart whose values pin the image) does not by itself."""
    return _helm_image(cmd) is not None or DIGEST_TEXT.search(cmd.text) is not None


def _helm(view: StepView) -> Found | None:
    for cmd in view.commands:
        if _helm_promote(cmd):
            return Found(cmd.text[:120], _helm_image(cmd), _helm_waits(cmd), _helm_moves(cmd))
    return None


def _helm_test(cmd: Command) -> bool:
    return cmd.program == "helm" and cmd.has("test")


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
    for w in cmd.argv:
        if w in ("--atomic", "--wait", "--rollback-on-failure", "--wait-for-jobs"):
            return True
        if w.startswith(("--atomic=", "--wait=", "--rollback-on-failure=")):
            return w.split("=", 1)[1].lower() not in ("false", "0", "none")
    return False


def _argocd_promote(cmd: Command) -> bool:
    return cmd.program == "argocd" and (
        cmd.has("app", "set") or cmd.has("app", "sync") or cmd.has("app", "create")
        or cmd.has("app", "rollback") or cmd.has("app", "patch")
    )


def _argocd(view: StepView) -> Found | None:
    for cmd in view.commands:
        if _argocd_promote(cmd):
            # `app set --kustomize-image/--helm-set image…` moves an image; a bare sync applies
            # whatever the tracked revision says (the GitOps commit is the promote then)
            image = cmd.flag("--kustomize-image") or next(
                (v for v in cmd.flags("--helm-set", "--helm-set-string", "-p", "--parameter")
                 if "image" in v.lower() or "tag" in v.lower()), None)  # fmt: skip
            return Found(cmd.text[:120], image, moves_artifact=image is not None)
    return None


def _argocd_verify(cmd: Command) -> bool:
    return cmd.program == "argocd" and cmd.has("app", "wait")


def _flux_promote(cmd: Command) -> bool:
    return cmd.program == "flux" and (cmd.has("reconcile") or cmd.has("resume"))

# -- examples -----------------------------------------------------------------------------

_CONTEXT = """\
    - uses: azure/k8s-set-context@v4
      with:
        method: kubeconfig
        kubeconfig: ${{ secrets.KUBE_CONFIG }}
"""


def _deploy(steps: str, name: str = "deploy", env: str = "") -> str:
    """A deploy job after publish, with cluster credentials, running ``steps``."""
    return f"""
{name}:
  needs: publish
  runs-on: ubuntu-latest
  environment: production
{env}  steps:
{_CONTEXT}{steps}"""


_DIGEST_LINE = "    DIGEST: ${{ needs.publish.outputs.digest }}\n"
_DIGEST_ENV = "  env:\n" + _DIGEST_LINE
_SET_IMAGE = """\
    - name: Point the deployment at the new image
      run: kubectl set image deployment/app app=ghcr.io/acme/app@${{ needs.publish.outputs.digest }}
"""
_ROLLOUT = """\
    - name: Wait for the rollout
      run: kubectl rollout status deployment/app --timeout=5m
"""
_HELM_PINNED = """\
    - name: Upgrade the release
      run: |
        helm upgrade --install app ./charts/app --namespace prod \\
          --set image.repository=ghcr.io/acme/app --set image.digest="$DIGEST"
"""
_HELM_TEST = """\
    - name: Run the chart's tests against the release
      run: helm test app --namespace prod --timeout 5m
"""
_ARGO_ENV = """\
  env:
    DIGEST: ${{ needs.publish.outputs.digest }}
    ARGOCD_SERVER: argocd.example.com
    ARGOCD_AUTH_TOKEN: ${{ secrets.ARGOCD_AUTH_TOKEN }}
"""
_ARGO_SYNC = """\
    - name: Point the application at the image and sync
      run: |
        argocd app set app --kustomize-image "ghcr.io/acme/app@$DIGEST"
        argocd app sync app
"""
_ARGO_WAIT = """\
    - name: Wait until the application is synced and healthy
      run: argocd app wait app --sync --health --timeout 600
"""
_FLUX_BUMP = """\
    - uses: actions/checkout@v4
      with:
        repository: acme/fleet
        token: ${{ secrets.FLEET_REPO_TOKEN }}
    - name: Pin the digest in the fleet repository
      working-directory: apps/prod
      run: |
        kustomize edit set image "ghcr.io/acme/app@$DIGEST"
        git commit -am "app: deploy $DIGEST"
        git push
"""
_FLUX_RECONCILE = """\
    - name: Apply it now
      run: flux reconcile kustomization apps --with-source
"""
_FLUX_WAIT = """\
    - name: Wait until Flux reports the kustomization ready
      run: kubectl wait kustomization/apps -n flux-system --for=condition=ready --timeout=5m
"""


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
        match=_kubectl_deploy,
        programs=_KUBECTL | {"kustomize", "envsubst", "sed", "yq"},
        bad=pipeline(_deploy(_SET_IMAGE.replace("@${{ needs.publish.outputs.digest }}", ":latest"))),
        bad_rule="promote-not-pinned-to-digest",
        good=pipeline(_deploy(_SET_IMAGE + _ROLLOUT)),
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
        bad=pipeline(_deploy(_SET_IMAGE)),
        bad_rule="promote-without-verify",
        good=pipeline(_deploy(_SET_IMAGE + _ROLLOUT)),
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
        match=_helm,
        programs=frozenset({"helm"}),
        bad=pipeline(_deploy(_HELM_PINNED.replace('--set image.digest="$DIGEST"', "--set image.tag=latest"))),
        bad_rule="promote-not-pinned-to-digest",
        good=pipeline(_deploy(_HELM_PINNED.replace("--namespace prod", "--namespace prod --atomic --timeout 10m"),
                              env=_DIGEST_ENV)),
    ),
    Entry(
        id="helm-test",
        role=Role.VERIFY,
        title="helm test",
        what="Runs the chart's test hooks against the installed release and fails when one fails.",
        reference="It tests the release the promote just upgraded.",
        verification="It is a verification when the chart's tests check the running service (a "
                     "request to it, its reported version).",
        match=on_commands(_helm_test),
        programs=frozenset({"helm"}),
        bad=pipeline(_deploy(_HELM_PINNED, env=_DIGEST_ENV)),
        bad_rule="promote-without-verify",
        good=pipeline(_deploy(_HELM_PINNED + _HELM_TEST, env=_DIGEST_ENV)),
    ),
    Entry(
        id="argocd-app",
        role=Role.PROMOTE,
        title="argocd app set / sync / create / rollback",
        what="Points an Argo CD application at a new revision or image and syncs it.",
        reference="`argocd app set APP --kustomize-image REPO@${DIGEST}` or a GitOps commit of "
                  "the digest that the sync then applies.",
        verification="`argocd app wait APP --health --timeout …` after the sync.",
        match=_argocd,
        programs=frozenset({"argocd"}),
        bad=pipeline(_deploy(_ARGO_SYNC.replace("@$DIGEST", ":latest"), env=_ARGO_ENV.replace(_DIGEST_LINE, ""))),
        bad_rule="promote-not-pinned-to-digest",
        good=pipeline(_deploy(_ARGO_SYNC + _ARGO_WAIT, env=_ARGO_ENV)),
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
        bad=pipeline(_deploy(_ARGO_SYNC, env=_ARGO_ENV)),
        bad_rule="promote-without-verify",
        good=pipeline(_deploy(_ARGO_SYNC + _ARGO_WAIT, env=_ARGO_ENV)),
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
        bad=pipeline(_deploy(_FLUX_RECONCILE)),
        bad_rule="promote-not-pinned-to-digest",
        good=pipeline(_deploy(_FLUX_BUMP + _FLUX_RECONCILE + _FLUX_WAIT, env=_DIGEST_ENV)),
    ),
)
