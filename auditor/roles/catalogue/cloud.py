"""Promote on managed runtimes: ECS, Cloud Run, Azure, fly.io, kamal, ssh deploy actions."""

from __future__ import annotations

import re

from auditor.kinds import Role
from auditor.roles.catalogue.base import Entry, Found, StepView, image_in, on_commands
from auditor.roles.commands import Command

_PULL_OR_UP = re.compile(r"\bdocker(?:-compose|\s+compose)?\s+(?:pull|compose\s+up|up|run|stack\s+deploy)\b"
                         r"|\bkubectl\s+(?:apply|set\s+image|rollout)|\bhelm\s+upgrade")


def _ecs_cli(cmd: Command) -> bool:
    return cmd.program == "aws" and (cmd.has("ecs", "update-service") or cmd.has("ecs", "deploy")
                                     or cmd.has("deploy", "create-deployment"))  # fmt: skip


def _ecs_wait(cmd: Command) -> bool:
    return cmd.program == "aws" and cmd.has("ecs", "wait")


def _ecs_action(view: StepView) -> Found | None:
    waits = view.with_.get("wait-for-service-stability", "").strip().lower() == "true"
    return Found(view.uses or "", view.with_.get("task-definition"), waits)


def _gcloud_run(cmd: Command) -> bool:
    return cmd.program == "gcloud" and (
        cmd.has("run", "deploy") or cmd.has("run", "services", "update")
        or cmd.has("run", "services", "update-traffic") or cmd.has("beta", "run", "deploy")
        or cmd.has("app", "deploy") or cmd.has("functions", "deploy")
    )


def _gcloud_image(cmd: Command) -> str | None:
    return cmd.flag("--image")


def _cloudrun_action(view: StepView) -> Found | None:
    return Found(view.uses or "", view.with_.get("image"))


def _az(cmd: Command) -> bool:
    return cmd.program == "az" and (
        cmd.has("webapp", "deploy") or cmd.has("webapp", "config", "container", "set")
        or cmd.has("webapp", "up") or cmd.has("containerapp", "update") or cmd.has("containerapp", "up")
        or cmd.has("containerapp", "create") or cmd.has("functionapp", "deploy")
        or cmd.has("aks", "command", "invoke")
    )


def _az_image(cmd: Command) -> str | None:
    return cmd.flag("--image", "--container-image-name", "-i")


def _azure_action(view: StepView) -> Found | None:
    image = view.with_.get("images") or view.with_.get("imagetodeploy") or view.with_.get("image")
    return Found(view.uses or "", image)


def _fly(cmd: Command) -> bool:
    return cmd.program in ("fly", "flyctl") and (cmd.has("deploy") or cmd.has("image", "update")
                                                 or cmd.has("machine", "update"))  # fmt: skip


def _fly_action(view: StepView) -> Found | None:
    args = view.with_.get("args", "")
    return Found(f"{view.uses} {args}".strip(), None) if re.search(r"\bdeploy\b", args) else None


def _kamal(cmd: Command) -> bool:
    return cmd.program == "kamal" and (cmd.has("deploy") or cmd.has("redeploy") or cmd.has("rollback"))


def _ssh_action(view: StepView) -> Found | None:
    script = view.with_.get("script", "") + "\n" + view.with_.get("script_path", "")
    found = _PULL_OR_UP.search(script)
    if found is None:
        return None
    return Found(f"{view.uses}: {found.group(0)}", image_in(script.split()))


def _ssh_cli(cmd: Command) -> bool:
    return cmd.program == "ssh" and _PULL_OR_UP.search(" ".join(cmd.argv[1:])) is not None


ENTRIES = (
    Entry(
        id="aws-ecs-deploy",
        role=Role.PROMOTE,
        title="aws ecs update-service / aws-actions/amazon-ecs-deploy-task-definition",
        what="Points an ECS service at a new task definition (or forces a new deployment).",
        reference="The task definition's image, usually rendered by "
                  "`aws-actions/amazon-ecs-render-task-definition` with `image: REPO@${DIGEST}`.",
        verification="`wait-for-service-stability: true` on the deploy action, or "
                     "`aws ecs wait services-stable` after `update-service`.",
        match=on_commands(_ecs_cli, image=lambda c: c.flag("--task-definition")),
        programs=frozenset({"aws"}),
    ),
    Entry(
        id="amazon-ecs-deploy-task-definition",
        role=Role.PROMOTE,
        title="aws-actions/amazon-ecs-deploy-task-definition",
        what="Registers a task definition and updates the ECS service to it.",
        reference="The `task-definition` file, rendered with the image digest.",
        verification="`wait-for-service-stability: true` makes the step wait and fail if the "
                     "service does not become stable.",
        match=_ecs_action,
        actions=frozenset({"aws-actions/amazon-ecs-deploy-task-definition",
                           "aws-actions/amazon-ecs-deploy-express-service"}),
    ),
    Entry(
        id="aws-ecs-wait",
        role=Role.VERIFY,
        title="aws ecs wait services-stable",
        what="Waits until the ECS service's deployment is stable and fails after the timeout.",
        reference="It watches the service the promote updated.",
        verification="It is the verification.",
        match=on_commands(_ecs_wait),
        programs=frozenset({"aws"}),
    ),
    Entry(
        id="gcloud-run-deploy",
        role=Role.PROMOTE,
        title="gcloud run deploy / services update (and app/functions deploy)",
        what="Deploys a new revision to Cloud Run (or App Engine, Cloud Functions).",
        reference="`--image REPO@${DIGEST}`.",
        verification="A smoke test of the service URL that fails loud, or a read-back of the "
                     "revision's image (`gcloud run services describe … --format=…`).",
        match=on_commands(_gcloud_run, image=_gcloud_image),
        programs=frozenset({"gcloud"}),
    ),
    Entry(
        id="deploy-cloudrun-action",
        role=Role.PROMOTE,
        title="google-github-actions/deploy-cloudrun",
        what="Deploys an image to a Cloud Run service.",
        reference="`image: REPO@${DIGEST}`.",
        verification="A smoke test of its `url` output that fails loud.",
        match=_cloudrun_action,
        actions=frozenset({"google-github-actions/deploy-cloudrun", "google-github-actions/deploy-appengine"}),
    ),
    Entry(
        id="azure-deploy",
        role=Role.PROMOTE,
        title="az webapp / containerapp (and azure/webapps-deploy, container-apps-deploy, k8s-deploy)",
        what="Deploys an image to Azure App Service, Container Apps or AKS.",
        reference="`--image REPO@${DIGEST}` / the action's `images:` input.",
        verification="A smoke test of the app URL that fails loud; `azure/k8s-deploy` waits for "
                     "the rollout itself.",
        match=on_commands(_az, image=_az_image),
        programs=frozenset({"az"}),
    ),
    Entry(
        id="azure-deploy-action",
        role=Role.PROMOTE,
        title="azure/webapps-deploy, azure/container-apps-deploy-action, azure/k8s-deploy",
        what="Deploys an image to Azure App Service, Container Apps or AKS.",
        reference="The action's `images:` (or `imageToDeploy:`) input.",
        verification="A smoke test of the app URL that fails loud.",
        match=_azure_action,
        actions=frozenset({"azure/webapps-deploy", "azure/container-apps-deploy-action",
                           "azure/k8s-deploy", "azure/functions-action"}),
    ),
    Entry(
        id="fly-deploy",
        role=Role.PROMOTE,
        title="fly deploy / flyctl deploy (and superfly/flyctl-actions)",
        what="Deploys an app to fly.io.",
        reference="`--image REPO@${DIGEST}`, or fly builds the image itself.",
        verification="fly waits for health checks unless `--detach`; a smoke test of the app URL.",
        match=on_commands(_fly, image=lambda c: c.flag("--image", "-i")),
        programs=frozenset({"fly", "flyctl"}),
    ),
    Entry(
        id="flyctl-action",
        role=Role.PROMOTE,
        title="superfly/flyctl-actions with `args: deploy`",
        what="Runs `flyctl deploy` through the action.",
        reference="`--image REPO@${DIGEST}` in `args`.",
        verification="A smoke test of the app URL that fails loud.",
        match=_fly_action,
        actions=frozenset({"superfly/flyctl-actions"}),
    ),
    Entry(
        id="kamal-deploy",
        role=Role.PROMOTE,
        title="kamal deploy / redeploy / rollback",
        what="Deploys containers to servers with kamal.",
        reference="`kamal deploy --version=${DIGEST}` or the image kamal builds and pushes.",
        verification="kamal waits for the health check of the new container; a smoke test after it.",
        match=on_commands(_kamal, image=lambda c: c.flag("--version")),
        programs=frozenset({"kamal"}),
    ),
    Entry(
        id="ssh-deploy",
        role=Role.PROMOTE,
        title="ssh deploy actions (appleboy/ssh-action …) and ssh running docker pull / compose up",
        what="Logs in to a server and pulls or starts the new image there.",
        reference="The image in the remote script; pin it: `docker pull REPO@${DIGEST}`.",
        verification="A health check of the server after the script (curl --fail), or "
                     "`docker inspect` of the running container compared with the digest.",
        match=_ssh_action,
        actions=frozenset({"appleboy/ssh-action", "garygrossgarten/github-action-ssh",
                           "fifsky/ssh-action", "cross-the-world/ssh-scp-ssh-pipelines"}),
    ),
    Entry(
        id="ssh-remote-deploy",
        role=Role.PROMOTE,
        title="ssh HOST 'docker pull … && docker compose up'",
        what="Runs the deploy on a server over ssh.",
        reference="The image in the remote command; pin it to the digest.",
        verification="A health check of the server after it that fails loud.",
        match=on_commands(_ssh_cli, image=lambda c: image_in(c.argv[2:])),
        programs=frozenset({"ssh"}),
    ),
)
