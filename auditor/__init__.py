"""auditor: proves the invariants that keep a publish → promote → verify pipeline honest.

Data flows one way: sources → parse → model → graph → rules → findings → reports.
"""

__version__ = "0.1.0"
