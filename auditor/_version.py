"""The version of auditor, in one place.

setuptools reads it from here at build time (``[tool.setuptools.dynamic]`` in
pyproject.toml), so the package's metadata, ``auditor --version``, the reports,
baselines and cache keys all carry the same string. It is a constant, not a
read of the installed metadata: ``importlib.metadata`` (and the ``email``
parser it pulls in) cost about 35 ms on every start-up, a seventh of a warm run.
"""

__version__ = "0.1.0"
