"""auditor: proves the invariants that keep a publish → promote → verify pipeline honest.

Data flows one way: sources → parse → model → graph → rules → findings → reports.

The version has one source, ``auditor/_version.py``, which setuptools also
reads for the package's metadata (``[tool.setuptools.dynamic]``), so
``auditor --version``, the JSON and SARIF reports, baselines and the cache keys
can never disagree with what pip installed (tests/install compares them).
"""

from auditor._version import __version__

__all__ = ["__version__"]
