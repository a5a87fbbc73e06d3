"""Roles: which jobs and steps publish, promote and verify, and the promote paths.

- ``reasons``: why a job plays a role, as a structured ``RoleReason``;
- ``matchers``: the text matchers role decisions are made of;
- ``assign``: the role of every job and step of a workflow, and which
  promotes move an artifact;
- ``digests``: where a reference comes from, and which ones carry a digest;
- ``paths``: promote paths and how messages name them, linear in the graph.

``auditor.facts`` runs them once per workflow; rules read the result.
"""

from auditor.kinds import Role
from auditor.roles.assign import RoleAssignment
from auditor.roles.reasons import RoleReason

PUBLISH, PROMOTE, VERIFY = Role.PUBLISH, Role.PROMOTE, Role.VERIFY

__all__ = ["PROMOTE", "PUBLISH", "VERIFY", "Role", "RoleAssignment", "RoleReason"]
