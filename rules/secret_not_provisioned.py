"""secret-not-provisioned: a workflow references a secret the inventory does not list."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.findings import Hit, hit_in
from auditor.rule import Rule, RuleContext

_BUILTIN = frozenset({"GITHUB_TOKEN", "GITEA_TOKEN", "FORGEJO_TOKEN"})


def check(ctx: RuleContext) -> Iterator[Hit]:
    inventory = ctx.policy.secrets_inventory
    facts = ctx.facts
    if inventory is None or facts is None:
        return
    workflow = facts.workflow
    known = {n.upper() for n in inventory} | _BUILTIN
    known |= {t.upper() for t in ctx.policy.platform_tokens}
    if workflow.call_secrets is not None:
        known |= {k.upper() for k in workflow.call_secrets}  # passed by the caller
    for r in facts.refs:
        if r.ref.context != "secrets":
            continue
        name = r.ref.part(0)
        if name is None or name.upper() in known:
            continue
        yield hit_in(
            r.scalar, r.ref.start, r.ref.end,
            f"secrets.{name} is not in the secrets inventory "
            f"({ctx.policy.source or 'policy'}: secrets.inventory); a missing secret is the "
            "empty string at run time, silently — provision it (and add it to the inventory) "
            "or fix the name",
            f"{name.upper()}",
            job=r.job.id if r.job is not None else None,
            step=r.step,
        )  # fmt: skip


RULE = Rule(
    id="secret-not-provisioned",
    severity="error",
    summary="A referenced secret is not in the policy's secrets inventory.",
    what="""
With `secrets.inventory` in the policy (a list of names, or a file of one name
a line), reports every `secrets.NAME` reference whose name is not in it.
Platform tokens are always provisioned; in a reusable workflow, the secrets it
declares under `on.workflow_call.secrets` come from the caller and are
skipped. Names compare case-insensitively, as the runner does.
""",
    why="""
A secret that does not exist evaluates to the empty string without any error:
the promote sends an empty bearer token, gets a 401 and — if anything swallows
it — the run stays green.
""",
    example="""
# secrets.txt lists CP_ADMIN_API_TOKEN
env: {TOKEN: '${{ secrets.CP_ADMIN_TOKEN }}'}
""",
    use_instead="""
env: {TOKEN: '${{ secrets.CP_ADMIN_API_TOKEN }}'}
""",
    check=check,
    tags=("secrets",),
)
