"""Promote on managed runtimes: ECS, Cloud Run, Azure, fly.io, kamal, ssh deploy actions."""

from __future__ import annotations

import re

from auditor.kinds import Role
from auditor.roles.catalogue.base import Entry, Found, StepView, image_in, on_commands
from auditor.roles.catalogue.examples import pipeline, publish, release
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


def _ssh_remote(view: StepView) -> Found | None:
    """``ssh HOST 'docker pull …'``, or ``ssh HOST bash <<EOF`` whose heredoc pulls or starts
    the image (the heredoc feeds the remote shell: its lines are the remote commands)."""
    for cmd in view.commands:
        if cmd.program != "ssh":
            continue
        remote = " ".join(cmd.argv[1:])
        found = _PULL_OR_UP.search(remote)
        if found is None and "<<" in remote and view.run is not None:
            found = _PULL_OR_UP.search(view.run)
            if found is not None:
                return Found(f"{cmd.text[:60]} … {found.group(0)}", image_in(view.run.split()))
        if found is not None:
            return Found(cmd.text[:120], image_in(cmd.argv[2:]))
    return None

# -- examples -----------------------------------------------------------------------------

_ECR = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app"
_AR = "europe-docker.pkg.dev/acme/app/app"
_ACR = "acme.azurecr.io/app"
_FLY = "registry.fly.io/acme-app"
_DIGEST_ENV = """\
  env:
    DIGEST: ${{ needs.publish.outputs.digest }}
"""


def _job(login: str, steps: str, env: str = "", oidc: bool = True) -> str:
    """The deploy job after publish: ``login`` (cloud credentials), then ``steps``."""
    permissions = "  permissions:\n    contents: read\n    id-token: write\n" if oidc else ""
    return f"""
deploy:
  needs: publish
  runs-on: ubuntu-latest
  environment: production
{permissions}{env}  steps:
    - uses: actions/checkout@v4
{login}{steps}"""


_AWS = """\
    - uses: aws-actions/configure-aws-credentials@v4
      with:
        role-to-assume: arn:aws:iam::123456789012:role/deploy
        aws-region: eu-west-1
"""
_RENDER = f"""\
    - id: render
      uses: aws-actions/amazon-ecs-render-task-definition@v1
      with:
        task-definition: deploy/task-definition.json
        container-name: app
        image: {_ECR}@${{{{ needs.publish.outputs.digest }}}}
"""
_ECS_UPDATE = """\
    - name: Register the task definition and point the service at it
      env:
        TASK_DEFINITION: ${{ steps.render.outputs.task-definition }}
      run: |
        arn=$(aws ecs register-task-definition --cli-input-json "file://$TASK_DEFINITION" \\
          --query taskDefinition.taskDefinitionArn --output text)
        aws ecs update-service --cluster prod --service app --task-definition "$arn"
"""
_ECS_FORCE = """\
    - name: Redeploy the service
      run: aws ecs update-service --cluster prod --service app --force-new-deployment
"""
_ECS_WAIT = """\
    - name: Wait until the service is stable on the new task definition
      run: aws ecs wait services-stable --cluster prod --services app
"""
_ECS_ACTION = """\
    - uses: aws-actions/amazon-ecs-deploy-task-definition@v2
      with:
        task-definition: ${{ steps.render.outputs.task-definition }}
        service: app
        cluster: prod
        wait-for-service-stability: true
"""
_ECS_ACTION_STATIC = """\
    - uses: aws-actions/amazon-ecs-deploy-task-definition@v2
      with:
        task-definition: deploy/task-definition.json
        service: app
        cluster: prod
"""
_GCP = """\
    - uses: google-github-actions/auth@v2
      with:
        workload_identity_provider: projects/123456789/locations/global/workloadIdentityPools/ci/providers/github
        service_account: deploy@acme.iam.gserviceaccount.com
    - uses: google-github-actions/setup-gcloud@v2
"""
_RUN_DEPLOY = f"""\
    - name: Deploy the new revision
      run: gcloud run deploy app --region europe-west1 --image "{_AR}@$DIGEST"
"""
_RUN_SMOKE = """\
    - name: Smoke-test the service
      run: |
        url=$(gcloud run services describe app --region europe-west1 --format 'value(status.url)')
        curl --fail-with-body -sS "$url/healthz"
"""
_RUN_ACTION = f"""\
    - id: deploy
      uses: google-github-actions/deploy-cloudrun@v2
      with:
        service: app
        region: europe-west1
        image: {_AR}@${{{{ needs.publish.outputs.digest }}}}
"""
_RUN_ACTION_SMOKE = """\
    - name: Smoke-test the new revision
      run: curl --fail-with-body -sS "${{ steps.deploy.outputs.url }}/healthz"
"""
_AZURE = """\
    - uses: azure/login@v2
      with:
        client-id: ${{ vars.AZURE_CLIENT_ID }}
        tenant-id: ${{ vars.AZURE_TENANT_ID }}
        subscription-id: ${{ vars.AZURE_SUBSCRIPTION_ID }}
"""
_AZ_UPDATE = f"""\
    - name: Point the container app at the new image
      run: az containerapp update --name app --resource-group prod --image "{_ACR}@$DIGEST"
"""
_SMOKE = """\
    - name: Smoke-test the service
      run: curl --fail-with-body -sS --retry 5 --retry-all-errors https://app.example.com/healthz
"""
_WEBAPP = f"""\
    - uses: azure/webapps-deploy@v3
      with:
        app-name: acme-app
        images: {_ACR}@${{{{ needs.publish.outputs.digest }}}}
"""
_HEALTH = """\
    - uses: jtalk/url-health-check-action@v4
      with:
        url: https://acme-app.azurewebsites.net/healthz
        max-attempts: 10
        retry-delay: 10s
"""
_FLY_TOKEN = """\
  env:
    FLY_API_TOKEN: ${{ secrets.FLY_API_TOKEN }}
"""
_FLY_ENV = _FLY_TOKEN + "    DIGEST: ${{ needs.publish.outputs.digest }}\n"
_FLY_SETUP = """\
    - uses: superfly/flyctl-actions/setup-flyctl@master
"""
_FLY_DEPLOY = f"""\
    - name: Deploy
      run: flyctl deploy --image "{_FLY}@$DIGEST"
"""
_FLY_ACTION = f"""\
    - uses: superfly/flyctl-actions@1.5
      with:
        args: deploy --image {_FLY}@${{{{ needs.publish.outputs.digest }}}}
"""
_FLY_SMOKE = """\
    - name: Smoke-test the app
      run: curl --fail-with-body -sS https://acme-app.fly.dev/healthz
"""
_KAMAL_TOKEN = """\
  env:
    KAMAL_REGISTRY_PASSWORD: ${{ secrets.KAMAL_REGISTRY_PASSWORD }}
"""
_KAMAL_ENV = _KAMAL_TOKEN + "    DIGEST: ${{ needs.publish.outputs.digest }}\n"
_KAMAL_SETUP = """\
    - uses: webfactory/ssh-agent@v0.9.0
      with:
        ssh-private-key: ${{ secrets.DEPLOY_SSH_KEY }}
    - uses: ruby/setup-ruby@v1
      with:
        ruby-version: '3.3'
    - run: gem install kamal
"""
_KAMAL_BY_TAG = """\
    - name: Deploy
      run: kamal deploy --skip-push --version latest
"""
_KAMAL_DEPLOY = """\
    - name: Deploy the commit's image
      run: kamal deploy --skip-push --version "${{ github.sha }}"
    - name: Check the app runs the digest just pushed
      run: |
        running=$(curl --fail-with-body -sS https://app.example.com/up/digest)
        test "$running" = "$DIGEST"
"""
_SSH_ACTION = """\
    - uses: appleboy/ssh-action@v1
      with:
        host: app.example.com
        username: deploy
        key: ${{ secrets.DEPLOY_SSH_KEY }}
        script: |
          docker pull ghcr.io/acme/app@${{ needs.publish.outputs.digest }}
          APP_IMAGE=ghcr.io/acme/app@${{ needs.publish.outputs.digest }} docker compose up -d --wait
"""
_SSH_AGENT = """\
    - uses: webfactory/ssh-agent@v0.9.0
      with:
        ssh-private-key: ${{ secrets.DEPLOY_SSH_KEY }}
"""
_SSH_CLI = """\
    - name: Pull and restart on the server
      run: >-
        ssh deploy@app.example.com
        "docker pull ghcr.io/acme/app@$DIGEST && APP_IMAGE=ghcr.io/acme/app@$DIGEST docker compose up -d --wait"
"""
_BY_TAG = "@${{ needs.publish.outputs.digest }}"


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
        bad=pipeline(_job(_AWS, _ECS_FORCE), image=_ECR),
        bad_rule="promote-not-pinned-to-digest",
        good=pipeline(_job(_AWS, _RENDER + _ECS_UPDATE + _ECS_WAIT), image=_ECR),
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
        bad=pipeline(_job(_AWS, _ECS_ACTION_STATIC), image=_ECR),
        bad_rule="promote-not-pinned-to-digest",
        good=pipeline(_job(_AWS, _RENDER + _ECS_ACTION), image=_ECR),
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
        bad=pipeline(_job(_AWS, _RENDER + _ECS_UPDATE), image=_ECR),
        bad_rule="promote-without-verify",
        good=pipeline(_job(_AWS, _RENDER + _ECS_UPDATE + _ECS_WAIT), image=_ECR),
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
        bad=pipeline(_job(_GCP, _RUN_DEPLOY.replace('@$DIGEST"', ':latest"')), image=_AR),
        bad_rule="promote-not-pinned-to-digest",
        good=pipeline(_job(_GCP, _RUN_DEPLOY + _RUN_SMOKE, _DIGEST_ENV), image=_AR),
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
        bad=pipeline(_job(_GCP, _RUN_ACTION.replace(_BY_TAG, ":latest")), image=_AR),
        bad_rule="promote-not-pinned-to-digest",
        good=pipeline(_job(_GCP, _RUN_ACTION + _RUN_ACTION_SMOKE), image=_AR),
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
        bad=pipeline(_job(_AZURE, _AZ_UPDATE.replace('@$DIGEST"', ':latest"')), image=_ACR),
        bad_rule="promote-not-pinned-to-digest",
        good=pipeline(_job(_AZURE, _AZ_UPDATE + _SMOKE, _DIGEST_ENV), image=_ACR),
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
        bad=pipeline(_job(_AZURE, _WEBAPP.replace(_BY_TAG, ":latest")), image=_ACR),
        bad_rule="promote-not-pinned-to-digest",
        good=pipeline(_job(_AZURE, _WEBAPP + _HEALTH), image=_ACR),
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
        bad=pipeline(_job(_FLY_SETUP, _FLY_DEPLOY.replace('@$DIGEST"', ':latest"'), _FLY_TOKEN, oidc=False),
                     image=_FLY),
        bad_rule="promote-not-pinned-to-digest",
        good=pipeline(_job(_FLY_SETUP, _FLY_DEPLOY + _FLY_SMOKE, _FLY_ENV, oidc=False), image=_FLY),
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
        bad=pipeline(_job("", _FLY_ACTION.replace(_BY_TAG, ":latest"), _FLY_TOKEN, oidc=False), image=_FLY),
        bad_rule="promote-not-pinned-to-digest",
        good=pipeline(_job("", _FLY_ACTION + _FLY_SMOKE, _FLY_ENV, oidc=False), image=_FLY),
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
        bad=pipeline(_job(_KAMAL_SETUP, _KAMAL_BY_TAG, _KAMAL_TOKEN, oidc=False)),
        bad_rule="promote-not-pinned-to-digest",
        good=release(publish().replace(":latest", ":${{ github.sha }}"),
                     _job(_KAMAL_SETUP, _KAMAL_DEPLOY, _KAMAL_ENV, oidc=False)),
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
        bad=pipeline(_job("", _SSH_ACTION.replace(_BY_TAG, ":latest"), oidc=False)),
        bad_rule="promote-not-pinned-to-digest",
        good=pipeline(_job("", _SSH_ACTION + _SMOKE, oidc=False)),
    ),
    Entry(
        id="ssh-remote-deploy",
        role=Role.PROMOTE,
        title="ssh HOST 'docker pull … && docker compose up' (or a heredoc fed to the remote shell)",
        what="Runs the deploy on a server over ssh.",
        reference="The image in the remote command; pin it to the digest.",
        verification="A health check of the server after it that fails loud.",
        match=_ssh_remote,
        programs=frozenset({"ssh"}),
        bad=pipeline(_job(_SSH_AGENT, _SSH_CLI.replace("@$DIGEST", ":latest"), oidc=False)),
        bad_rule="promote-not-pinned-to-digest",
        good=pipeline(_job(_SSH_AGENT, _SSH_CLI + _SMOKE, _DIGEST_ENV, oidc=False)),
    ),
)
