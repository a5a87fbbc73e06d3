"""What a job can read: the secrets it names, and whether it holds the platform token.

A promote authenticates with something; these answer "with what" from the
reference index, counting workflow-level ``env`` (every job sees it),
``secrets: inherit`` and dynamic ``secrets[...]`` (both: any secret).
"""

from __future__ import annotations

from auditor.model import Job
from auditor.policy import Policy
from auditor.refindex import Ref, RefIndex


def secrets_read(index: RefIndex, job: Job) -> tuple[dict[str, Ref], bool]:
    """Secrets ``job`` reads by name (upper-cased name → first reference), and whether it
    may read any secret at all."""
    names: dict[str, Ref] = {}
    anything = job.secrets is not None and job.secrets.inherit
    for ref in (*index.of_job(None), *index.of_job(job.id)):
        if ref.ref.context != "secrets":
            continue
        if ref.job is None and not ref.key.startswith("env"):
            continue
        name = ref.ref.part(0)
        if name is None:
            if not ref.ref.path or ref.ref.dynamic:
                anything = True  # toJSON(secrets), secrets[expr]
            continue
        names.setdefault(name.upper(), ref)
    return names, anything


def is_platform_token(ref: Ref, policy: Policy) -> bool:
    r = ref.ref
    if r.context == "secrets":
        name = r.part(0)
        return name is not None and name.upper() in {t.upper() for t in policy.platform_tokens}
    return r.context in ("github", "gitea", "forgejo") and r.path == ("token",)
