"""auditor: proves the invariants that keep a publish → promote → verify pipeline honest.

Data flows one way: sources → parse → model → graph → rules → findings → reports.

The version has one source, pyproject.toml's ``version``: it is read here from
the installed distribution's metadata, so ``auditor --version``, the JSON and
SARIF reports, baselines and the cache keys can never disagree with what pip
installed (a test compares it with pyproject.toml).
"""

from importlib.metadata import PackageNotFoundError, version


def _installed_version() -> str:
    """The installed distribution's version; ``0+unknown`` for a never-installed checkout."""
    try:
        return version("auditor")
    except PackageNotFoundError:  # imported from a source tree that pip never installed
        return "0+unknown"


__version__ = _installed_version()
