"""Roles: which jobs and steps publish, promote and verify, and the promote paths.

- ``reasons``: why a job plays a role, as a structured ``RoleReason``;
- ``matchers``: the text matchers role decisions are made of;
- ``assign``: the role of every job and step of a workflow, and which
  promotes move an artifact;
- ``digests``: where a reference comes from, and which ones carry a digest;
- ``paths``: promote paths and how messages name them, linear in the graph.

``auditor.facts`` runs them once per workflow; rules read the result. The
package imports none of its modules itself: a rule that needs one small helper
(``matchers.shell_text``) must not pay for the catalogue's regexes, and a run
answered from the result cache imports none of them.
"""
