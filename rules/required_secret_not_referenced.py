"""required-secret-not-referenced: a promote does not use the credentials promotion requires."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.access import secrets_read
from auditor.findings import Hit, hit
from auditor.known_actions import OIDC_ACTIONS
from auditor.model import Job, RunStep, Workflow
from auditor.rule import Rule, RuleContext


def _keyless(workflow: Workflow, job: Job) -> bool:
    """The job authenticates with OIDC (a cloud login action, or an explicit id-token grant).

    ``write-all`` grants id-token too, but as a side effect of granting
    everything, which says nothing about how the promote authenticates.
    """
    if any(s.uses is not None and s.uses.name in OIDC_ACTIONS
           for s in job.action_steps() if not isinstance(s, RunStep)):  # fmt: skip
        return True
    perms = job.permissions if job.permissions.declared else workflow.permissions
    return perms.kind == "scopes" and perms.level("id-token") == "write"


def check(ctx: RuleContext) -> Iterator[Hit]:
    facts = ctx.facts
    if facts is None or not facts.artifact_promotes:
        return
    policy = ctx.policy
    platform = {t.upper() for t in policy.platform_tokens}
    for job in facts.workflow.jobs:
        if job.id not in facts.artifact_promotes:
            continue
        names, anything = secrets_read(facts.refs, job)
        if anything:
            continue
        path = facts.describe_path(job.id)
        if policy.required_secrets:
            for secret in policy.required_secrets:
                if secret.upper() in names:
                    continue
                yield hit(
                    job.key,
                    f"promote job '{job.id}' (path {path}) never references secrets.{secret}, "
                    "which the policy requires for promotion (promote.required_secrets); "
                    f"authenticate the promote with `${{{{ secrets.{secret} }}}}` (in env, with "
                    "or the command)",
                    f"required:{secret}",
                    job=job.id,
                )
            continue
        real = [n for n in names if n not in platform]
        if real or _keyless(facts.workflow, job):
            continue
        used = sorted(n for n in names if n in platform)
        detail = (f"only the platform token ({', '.join(used)})" if used
                  else "no secret at all")  # fmt: skip
        yield hit(
            job.key,
            f"promote job '{job.id}' (path {path}) references {detail}, which cannot "
            "authorise a promotion on the control plane; pass the promotion credential "
            "(e.g. `${{ secrets.CP_ADMIN_API_TOKEN }}`) — or list the required ones in the "
            "policy's promote.required_secrets",
            "no-credential",
            job=job.id,
        )


RULE = Rule(
    id="required-secret-not-referenced",
    severity="error",
    summary="A promote job does not reference the secrets promotion requires.",
    what="""
For each artifact promote job: every secret in the policy's
`promote.required_secrets` must be referenced by the job — in `env`, `with`,
`run`, `secrets:` of a reusable call, or any expression (so
`cond && secrets.A || secrets.B` references both). Without that list, the
promote must reference at least one secret that is not a platform token
(`GITHUB_TOKEN`, `GITEA_TOKEN`, ...), or authenticate keylessly (OIDC cloud
login, `id-token: write`). `secrets: inherit` and dynamic `secrets[...]` count
as referencing everything.
""",
    why="""
A promote that carries no admin credential cannot change the control plane's
pin: its request is rejected, and unless everything else is fail-loud, that
rejection is silent. An empty secret is the empty string, silently, too.
""",
    example="""
  promote-pin:
    needs: publish
    env: {TOKEN: '${{ secrets.GITHUB_TOKEN }}'}
    steps: [{run: 'curl --fail -H "Authorization: Bearer $TOKEN" -X POST "$CP/promote"'}]
""",
    use_instead="""
  promote-pin:
    needs: publish
    env: {TOKEN: '${{ secrets.CP_ADMIN_API_TOKEN }}'}
    steps: [{run: 'curl --fail -H "Authorization: Bearer $TOKEN" -X POST "$CP/promote"'}]
""",
    check=check,
    tags=("promote", "secrets"),
)
