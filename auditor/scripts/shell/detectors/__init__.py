"""The shell detectors, one module each, in the order they run.

Each module defines ``DETECTOR``, a :class:`~.base.Detector`: its id (the
stable name findings, suppressions and baselines may use), its
documentation (what it reports, why that is bad, an example and what to
write instead, which the test suite runs), and ``find``, a pure function
from a :class:`~auditor.scripts.shell.body.Body` to the issues it finds.
"""

from __future__ import annotations

from auditor.scripts.shell.detectors import (
    curl,
    masked_substitution,
    no_errexit,
    or_true,
    pipeline,
    set_plus_e,
    set_plus_pipefail,
    trap_err,
)
from auditor.scripts.shell.detectors.base import Detector

__all__ = ["DETECTORS", "Detector"]

#: Every shell detector, in the order they run (the issues are sorted afterwards).
DETECTORS: tuple[Detector, ...] = (
    set_plus_e.DETECTOR,
    set_plus_pipefail.DETECTOR,
    trap_err.DETECTOR,
    or_true.DETECTOR,
    pipeline.DETECTOR,
    curl.DETECTOR,
    masked_substitution.DETECTOR,
    no_errexit.DETECTOR,
)
