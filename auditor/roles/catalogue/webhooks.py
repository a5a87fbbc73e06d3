"""Promote by calling a control plane or a deploy hook over HTTP.

The incident's own shape: the control plane's admin API moves a runtime pin
when it is POSTed a digest. Deploy hooks (Render, Coolify, Portainer,
Dokploy, a bespoke ``/deploy`` endpoint) do the same for a service. The
policy's ``roles.promote.endpoints`` add an organisation's own.
"""

from __future__ import annotations

import re

from auditor.kinds import Role
from auditor.roles.catalogue.base import Entry, Found, StepView, image_in
from auditor.roles.catalogue.examples import READ_BACK, pipeline
from auditor.roles.commands import Command

_CLIENTS = frozenset({"curl", "wget", "http", "https", "xh", "httpie"})
# A URL (or a variable holding one) that names a deploy: /deploy, /promote, /rollout,
# deploy hooks of hosted platforms, $DEPLOY_HOOK_URL, secrets.DEPLOY_WEBHOOK …
_DEPLOY_URL = re.compile(
    r"(?:https?://|\$\{?\{?\s*(?:secrets|vars|env)?\.?)[^\s\"']*?"
    r"(?:/promote\b|/deploy(?:ments?/trigger|/|\b)|/rollout\b|/redeploy\b|deploy[_-]?hook|"
    r"DEPLOY_?(?:HOOK|WEBHOOK|URL)|PROMOTE_?(?:URL|HOOK|WEBHOOK))",
    re.IGNORECASE,
)
# GitHub's own deployments API records a deployment; it does not make one.
_GITHUB_API = re.compile(r"api\.github\.com|/repos/[^/\s]+/[^/\s]+/deployments|GITHUB_API_URL", re.I)


# The words of a payload with JSON's quotes, braces and commas taken off, so that
# ``'{"image": "ghcr.io/acme/app:v1"}'`` offers ``ghcr.io/acme/app:v1`` to ``image_in``.
_PAYLOAD_WORD = re.compile(r"[^\s\"'{},]+")


def _webhook(cmd: Command) -> bool:
    if cmd.program not in _CLIENTS:
        return False
    text = " ".join(cmd.argv[1:])
    return _DEPLOY_URL.search(text) is not None and _GITHUB_API.search(text) is None


def _hook_action(view: StepView) -> Found | None:
    url = view.with_.get("url", "") or view.with_.get("webhook", "")
    if _DEPLOY_URL.search(url) and not _GITHUB_API.search(url):
        return Found(f"{view.uses} {url}".strip()[:120])
    return None


def _match(view: StepView) -> Found | None:
    for cmd in view.commands:
        if _webhook(cmd):
            payload = next((w for w in cmd.argv if "digest" in w.lower() or "image" in w.lower()), None)
            # a hook that is handed no image rebuilds or restarts what it knows: it moves a
            # built artifact only when the workflow pushed one before it (assign decides)
            image = image_in(_PAYLOAD_WORD.findall(" ".join(cmd.argv[1:]))) or payload
            return Found(cmd.text[:120], image, moves_artifact=payload is not None)
    return None

# -- examples -----------------------------------------------------------------------------

_HOOK = """
deploy:
  needs: publish
  runs-on: ubuntu-latest
  env:
    DEPLOY_HOOK_URL: ${{ secrets.RENDER_DEPLOY_HOOK_URL }}
    DIGEST: ${{ needs.publish.outputs.digest }}
  steps:
    - name: Deploy the image just pushed
      run: curl --fail-with-body -sS -X POST "$DEPLOY_HOOK_URL&imgURL=ghcr.io/acme/app@$DIGEST"
"""
_HOOK_BY_TAG = """
deploy:
  needs: publish
  runs-on: ubuntu-latest
  env:
    DEPLOY_HOOK_URL: ${{ secrets.RENDER_DEPLOY_HOOK_URL }}
  steps:
    - name: Redeploy (the service pulls ghcr.io/acme/app:latest)
      run: curl --fail-with-body -sS -X POST "$DEPLOY_HOOK_URL"
"""
_HTTP_ACTION = """
deploy:
  needs: publish
  runs-on: ubuntu-latest
  steps:
    - uses: fjogeleit/http-request-action@v1
      with:
        url: https://cp.example.com/api/deploy
        method: POST
        bearerToken: ${{ secrets.CP_DEPLOY_TOKEN }}
        data: '{"service": "app", "digest": "${{ needs.publish.outputs.digest }}"}'
"""


ENTRIES = (
    Entry(
        id="deploy-webhook",
        role=Role.PROMOTE,
        title="control-plane and deploy-hook calls (curl/wget to …/promote, …/deploy, a deploy hook)",
        what="An HTTP call that tells a control plane or hosting platform to run a new image.",
        reference="The digest in the request body or query (`-d \"{\\\"digest\\\": \\\"${DIGEST}\\\"}\"`).",
        verification="`curl --fail-with-body` (a 4xx/5xx must fail the step), then a read-back of "
                      "the pin compared with the digest, or a smoke test of the service.",
        match=_match,
        programs=_CLIENTS,
        bad=pipeline(_HOOK_BY_TAG),
        bad_rule="promote-not-pinned-to-digest",
        good=pipeline(_HOOK, READ_BACK),
    ),
    Entry(
        id="deploy-webhook-action",
        role=Role.PROMOTE,
        title="HTTP request actions calling a deploy hook",
        what="An action that sends an HTTP request to a deploy or promote endpoint.",
        reference="The digest in the request.",
        verification="The action must fail on a non-2xx answer; read the result back.",
        match=_hook_action,
        actions=frozenset({"fjogeleit/http-request-action", "joelwmale/webhook-action",
                           "distributhor/workflow-webhook"}),
        bad=pipeline(_HTTP_ACTION.replace('"digest": "${{ needs.publish.outputs.digest }}"',
                                          '"image": "ghcr.io/acme/app:latest"')),
        bad_rule="promote-not-pinned-to-digest",
        good=pipeline(_HTTP_ACTION, READ_BACK),
    ),
)
