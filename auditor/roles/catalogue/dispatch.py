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
from auditor.roles.commands import Command

# What is handed on names an image for certain, or (for a workflow named like a deploy) a
# version of one: `gh workflow run release.yml -f version=1.2` releases a package.
_IMAGE_WORD = re.compile(r"image|digest", re.IGNORECASE)
_ARTIFACT_WORD = re.compile(r"image|digest|tag|version|sha\b|ref\b", re.IGNORECASE)
_DEPLOY_NAME = re.compile(r"deploy|promot|rollout|release-to|\bcd\b", re.IGNORECASE)


def _hands_on_artifact(fields: str, target: str) -> bool:
    return _IMAGE_WORD.search(fields) is not None or (
        _ARTIFACT_WORD.search(fields) is not None and _DEPLOY_NAME.search(target) is not None)
_DISPATCH_URL = re.compile(r"/dispatches\b|/actions/workflows/[^/\s\"']+/dispatches")


def _gh_workflow_run(cmd: Command) -> bool:
    if cmd.program != "gh" or not cmd.has("workflow", "run"):
        return False
    fields = [cmd.argv[i + 1] for i, w in enumerate(cmd.argv[:-1]) if w in ("-f", "-F", "--field", "--raw-field")]
    fields += [w.split("=", 1)[1] for w in cmd.argv if w.startswith(("--field=", "--raw-field="))]
    names = " ".join(f.split("=", 1)[0] for f in fields)
    target = cmd.positionals()[2] if len(cmd.positionals()) > 2 else ""
    return _hands_on_artifact(names, target)


def _field(cmd: Command) -> str | None:
    for i, w in enumerate(cmd.argv[:-1]):
        if w in ("-f", "-F", "--field", "--raw-field") and _ARTIFACT_WORD.search(cmd.argv[i + 1].split("=", 1)[0]):
            return cmd.argv[i + 1]
    return None


def _rest_dispatch(cmd: Command) -> bool:
    if cmd.program not in ("curl", "gh", "wget", "http"):
        return False
    text = " ".join(cmd.argv)
    return _DISPATCH_URL.search(text) is not None and _hands_on_artifact(text, text)


def _github_script(view: StepView) -> Found | None:
    script = view.with_.get("script", "")
    if "createWorkflowDispatch" not in script and "createDispatchEvent" not in script:
        return None
    if not _hands_on_artifact(script, script):
        return None
    return Found(f"{view.uses}: createWorkflowDispatch")


def _dispatch_action(view: StepView) -> Found | None:
    payload = " ".join(view.with_.get(k, "") for k in ("client-payload", "inputs", "workflow_inputs"))
    target = " ".join(view.with_.get(k, "") for k in ("event-type", "workflow", "repository"))
    if not _hands_on_artifact(payload, target):
        return None
    return Found(f"{view.uses}", payload.strip()[:200] or None)


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
    ),
)
