"""Every shell detector is documented like a rule, and its documentation runs.

Each detector module's ``example`` must give exactly its own detector (and
nothing else), ``use_instead`` nothing at all, under the shell the detector
names; its summary is the one the catalogue (``auditor.scripts.issues``)
lists, so the two cannot drift.
"""

from __future__ import annotations

import pytest

from auditor.scripts.issues import DETECTORS as CATALOGUE
from auditor.scripts.shell import DETECTORS, Detector, analyse_shell
from auditor.scripts.shells import resolve_shell


@pytest.mark.parametrize("detector", DETECTORS, ids=[d.id for d in DETECTORS])
def test_example_fires_and_use_instead_is_clean(detector: Detector) -> None:
    spec = resolve_shell(detector.shell)
    example = analyse_shell(detector.example, spec)
    assert example.parse_error is None
    assert [i.detector for i in example.issues] == [detector.id], example.issues
    clean = analyse_shell(detector.use_instead, spec)
    assert clean.parse_error is None and clean.issues == (), clean.issues


@pytest.mark.parametrize("detector", DETECTORS, ids=[d.id for d in DETECTORS])
def test_documented(detector: Detector) -> None:
    assert CATALOGUE[detector.id] == detector.summary
    assert len(detector.what.split()) >= 20, "say what it reports and what it leaves alone"
    assert len(detector.why.split()) >= 12, "say why a platform engineer should care"
    module = __import__(detector.find.__module__, fromlist=["__doc__"])
    assert module.__doc__ and detector.id in module.__doc__


def test_every_shell_detector_id_is_in_the_catalogue_once() -> None:
    ids = [d.id for d in DETECTORS]
    assert len(set(ids)) == len(ids)
    shell_ids = {d for d in CATALOGUE if not d.startswith("py-") and d != "parse-error"}
    assert set(ids) == shell_ids
