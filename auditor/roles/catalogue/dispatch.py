"""Promote by dispatching a deploy workflow that is handed an image reference.

A release pipeline often ends by starting another workflow (in this or a
deployment repository) with the image to deploy. The dispatch is the promote
of this workflow: what it hands on is what gets deployed, and nothing here
sees whether the other workflow succeeded.
"""

from __future__ import annotations

import re

from auditor.kinds import Role
from auditor.roles.catalogue.base import Entry, Found, StepView, on_commands
from auditor.roles.catalogue.examples import READ_BACK, pipeline
from auditor.roles.commands import Command

# What is handed on names an image for certain, or (for a workflow named like a deploy) a
# version of one: `gh workflow run release.yml -f version=1.2` releases a package.
_IMAGE_WORD = re.compile(r"image|digest", re.IGNORECASE)
_ARTIFACT_WORD = re.compile(r"image|digest|tag|version|sha\b|ref\b", re.IGNORECASE)
_DEPLOY_NAME = re.compile(r"deploy|promot|rollout|release-to|\bcd\b", re.IGNORECASE)
# Targets that publish no runtime: docs and sites, package repositories, package managers.
_NOT_RUNTIME = re.compile(r"docs?\b|site|pages|package|homebrew|\bbrew|winget|chocolatey|\bsnap", re.I)
# The keys a dispatch always carries, which say nothing about what is handed on.
_ENVELOPE = frozenset({"ref", "owner", "repo", "workflow_id", "event_type", "client_payload", "inputs"})
_KEY = re.compile(r"""["']?([A-Za-z_][\w.-]*)["']?\s*:(?!//)""")
_FIELD_KEY = re.compile(r"^(?:inputs\[)?([A-Za-z_][\w.-]*)\]?=")
_DISPATCH_URL = re.compile(r"/dispatches\b")
_WORKFLOW_FILE = re.compile(r"/workflows/([^/\s\"']+)/dispatches")
_EVENT_TYPE = re.compile(r"""["']?(?:event_type|event-type|workflow_id)["']?\s*[:=]\s*["']?([\w./-]+)""")


def _hands_on_artifact(keys: list[str], target: str) -> bool:
    """The dispatch hands on an image (or, for a deploy target, a version of one)."""
    if _NOT_RUNTIME.search(target):
        return False
    names = " ".join(k for k in keys if k not in _ENVELOPE)
    return _IMAGE_WORD.search(names) is not None or (
        _ARTIFACT_WORD.search(names) is not None and _DEPLOY_NAME.search(target) is not None)


def _fields(cmd: Command) -> list[str]:
    return cmd.flags("-f", "-F", "--field", "--raw-field")


def _gh_workflow_run(cmd: Command) -> bool:
    if cmd.program != "gh" or not cmd.has("workflow", "run"):
        return False
    keys = [m.group(1) for f in _fields(cmd) if (m := _FIELD_KEY.match(f))]
    if "--json" in cmd.argv:
        keys += _KEY.findall(" ".join(cmd.argv))  # inputs as JSON on stdin or in a here-string
    target = cmd.positionals()[2] if len(cmd.positionals()) > 2 else ""
    return _hands_on_artifact(keys, target)


def _field(cmd: Command) -> str | None:
    for value in _fields(cmd):
        m = _FIELD_KEY.match(value)
        if m and m.group(1) not in _ENVELOPE and _ARTIFACT_WORD.search(m.group(1)):
            return value
    return None


_BODY_FLAGS = frozenset({"-d", "--data", "--data-raw", "--data-binary", "--json", "--body-data", "--post-data",
                         "--input"})  # fmt: skip
_BODY_PREFIXES = tuple(f"{f}=" for f in _BODY_FLAGS if f.startswith("--"))


def _rest_dispatch(cmd: Command) -> bool:
    if cmd.program not in ("curl", "gh", "wget", "http"):
        return False
    text = " ".join(cmd.argv)
    if _DISPATCH_URL.search(text) is None:
        return False
    # the body as written from its flag on (a quoted JSON body with spaces is split into words)
    at = next((i for i, w in enumerate(cmd.argv) if w in _BODY_FLAGS or w.startswith(_BODY_PREFIXES)), None)
    payload = " ".join(cmd.argv[at:]) if at is not None else ""
    keys = _KEY.findall(payload) + [m.group(1) for f in _fields(cmd) if (m := _FIELD_KEY.match(f))]
    workflow = _WORKFLOW_FILE.search(text)
    event = _EVENT_TYPE.search(payload) or _EVENT_TYPE.search(" ".join(cmd.flags("-f", "-F")))
    target = " ".join(g.group(1) for g in (workflow, event) if g is not None)
    return _hands_on_artifact(keys, target)


def _github_script(view: StepView) -> Found | None:
    script = view.with_.get("script", "")
    if "createWorkflowDispatch" not in script and "createDispatchEvent" not in script:
        return None
    event = _EVENT_TYPE.search(script)
    if not _hands_on_artifact(_KEY.findall(script), event.group(1) if event else ""):
        return None
    return Found(f"{view.uses}: createWorkflowDispatch")


_WAITING_ACTIONS = frozenset({"convictional/trigger-workflow-and-wait"})


def _dispatch_action(view: StepView) -> Found | None:
    payload = " ".join(view.with_.get(k, "") for k in ("client-payload", "inputs", "workflow_inputs",
                                                       "client_payload"))  # fmt: skip
    target = " ".join(view.with_.get(k, "") for k in ("event-type", "workflow", "workflow_file_name",
                                                      "repository", "repo"))  # fmt: skip
    if not _hands_on_artifact(_KEY.findall(payload), target):
        return None
    # trigger-and-wait fails the step when the started run fails (wait_workflow defaults to true)
    waits = view.uses in _WAITING_ACTIONS and view.with_.get("wait_workflow", "true").strip().lower() != "false"
    return Found(f"{view.uses}", payload.strip()[:200] or None, verifies=waits)


def _run_watch(cmd: Command) -> bool:
    return cmd.program == "gh" and cmd.has("run", "watch") and "--exit-status" in cmd.argv

# -- examples -----------------------------------------------------------------------------


def _dispatch(steps: str, env: str = "") -> str:
    return f"""
deploy:
  needs: publish
  runs-on: ubuntu-latest
  env:
    GH_TOKEN: ${{{{ secrets.DEPLOY_DISPATCH_TOKEN }}}}
{env}  steps:
{steps}"""


_DIGEST = "    DIGEST: ${{ needs.publish.outputs.digest }}\n"
_GH_RUN = """\
    - name: Start the deploy workflow with the digest
      run: gh workflow run deploy.yml -R acme/deployments -f digest="$DIGEST"
"""
_GH_RUN_BY_TAG = """\
    - name: Start the deploy workflow
      run: gh workflow run deploy.yml -R acme/deployments -f image=ghcr.io/acme/app:latest
"""
_GH_WATCH = """\
    - name: Wait for the deploy and fail with it
      run: |
        sleep 10
        run_id=$(gh run list -R acme/deployments --workflow deploy.yml -L 1 --json databaseId -q '.[0].databaseId')
        gh run watch "$run_id" -R acme/deployments --exit-status
"""
_REST = """\
    - name: Dispatch the deploy
      run: |
        curl --fail-with-body -sS -X POST -H "Authorization: Bearer $GH_TOKEN" \\
          https://api.github.com/repos/acme/deployments/dispatches \\
          -d '{"event_type":"deploy","client_payload":{"digest":"${{ needs.publish.outputs.digest }}"}}'
"""
_SCRIPT = """\
    - uses: actions/github-script@v7
      with:
        github-token: ${{ secrets.DEPLOY_DISPATCH_TOKEN }}
        script: |
          await github.rest.actions.createWorkflowDispatch({
            owner: 'acme',
            repo: 'deployments',
            workflow_id: 'deploy.yml',
            ref: 'main',
            inputs: { digest: '${{ needs.publish.outputs.digest }}' },
          })
"""
_PETER = """\
    - uses: peter-evans/repository-dispatch@v3
      with:
        token: ${{ secrets.DEPLOY_DISPATCH_TOKEN }}
        repository: acme/deployments
        event-type: deploy
        client-payload: '{"image": "ghcr.io/acme/app:latest"}'
"""
_TRIGGER_AND_WAIT = """\
    - uses: convictional/trigger-workflow-and-wait@v1.6.5
      with:
        owner: acme
        repo: deployments
        github_token: ${{ secrets.DEPLOY_DISPATCH_TOKEN }}
        workflow_file_name: deploy.yml
        client_payload: '{"digest": "${{ needs.publish.outputs.digest }}"}'
        wait_workflow: true
"""
_BY_TAG = "${{ needs.publish.outputs.digest }}"


ENTRIES = (
    Entry(
        id="gh-workflow-run",
        role=Role.PROMOTE,
        title="gh workflow run DEPLOY -f image=…",
        what="Starts a deploy workflow and hands it the image (or version) to deploy.",
        reference="`-f digest=${DIGEST}` (not a tag).",
        verification="`gh run watch --exit-status` on the started run, or a verify job that reads "
                     "the deployed state back.",
        match=on_commands(_gh_workflow_run, image=_field),
        programs=frozenset({"gh"}),
        bad=pipeline(_dispatch(_GH_RUN_BY_TAG)),
        bad_rule="promote-not-pinned-to-digest",
        good=pipeline(_dispatch(_GH_RUN + _GH_WATCH, _DIGEST)),
    ),
    Entry(
        id="repository-dispatch",
        role=Role.PROMOTE,
        title="repository_dispatch / workflow_dispatch through the REST API",
        what="POSTs a dispatch event with the image to deploy in its payload.",
        reference="`client_payload.digest` (not a tag).",
        verification="Watch the started run, or read the deployed state back.",
        match=on_commands(_rest_dispatch),
        programs=frozenset({"curl", "gh", "wget", "http"}),
        bad=pipeline(_dispatch(_REST.replace('"digest":"' + _BY_TAG, '"image":"ghcr.io/acme/app:latest'))),
        bad_rule="promote-not-pinned-to-digest",
        good=pipeline(_dispatch(_REST), READ_BACK),
    ),
    Entry(
        id="create-workflow-dispatch",
        role=Role.PROMOTE,
        title="actions/github-script createWorkflowDispatch / createDispatchEvent",
        what="Dispatches a deploy workflow from a script, with the image in its inputs.",
        reference="The dispatched `inputs` carry the digest.",
        verification="Watch the started run, or read the deployed state back.",
        match=_github_script,
        actions=frozenset({"actions/github-script"}),
        bad=pipeline(_dispatch(_SCRIPT.replace("digest: '" + _BY_TAG, "image: 'ghcr.io/acme/app:latest"))),
        bad_rule="promote-not-pinned-to-digest",
        good=pipeline(_dispatch(_SCRIPT), READ_BACK),
    ),
    Entry(
        id="dispatch-action",
        role=Role.PROMOTE,
        title="peter-evans/repository-dispatch, benc-uk/workflow-dispatch …",
        what="Dispatch actions that start a deploy workflow with the image in the payload.",
        reference="The `client-payload`/`inputs` carry the digest.",
        verification="Watch the started run, or read the deployed state back.",
        match=_dispatch_action,
        actions=frozenset({"peter-evans/repository-dispatch", "benc-uk/workflow-dispatch",
                           "the-actions-org/workflow-dispatch", "convictional/trigger-workflow-and-wait",
                           "lasith-kg/dispatch-workflow"}),
        bad=pipeline(_dispatch(_PETER)),
        bad_rule="promote-not-pinned-to-digest",
        good=pipeline(_dispatch(_TRIGGER_AND_WAIT)),
    ),
    Entry(
        id="gh-run-watch",
        role=Role.VERIFY,
        title="gh run watch --exit-status",
        what="Waits for a workflow run (the deploy just dispatched) and fails when it fails.",
        reference="The run the dispatch started (`gh run list --workflow deploy.yml -L1 --json "
                  "databaseId`).",
        verification="It is the verification of a dispatch: the deploy's own failure fails this "
                     "workflow; the deploy workflow should read its result back.",
        match=on_commands(_run_watch),
        programs=frozenset({"gh"}),
        bad=pipeline(_dispatch(_GH_RUN, _DIGEST)),
        bad_rule="promote-without-verify",
        good=pipeline(_dispatch(_GH_RUN + _GH_WATCH, _DIGEST)),
    ),
)
