"""Precision on real repositories is a test: every finding has a verdict, no false one is back.

Reads ``../shared/corpus`` in place; skipped, with the reason, when it is not
beside this checkout. See ``tests/corpus/verdicts.py`` for the file and how to
update it.
"""

from __future__ import annotations

import collections

from tests.conftest import CORPUS, need_shared
from tests.corpus.verdicts import VERDICTS, load, scan


def test_every_corpus_finding_is_judged_and_none_judged_false_returns() -> None:
    corpus = need_shared(CORPUS)
    judged = {row.key: row for row in load()}
    assert judged, "tests/corpus/verdicts.tsv is empty"
    bad = [row for row in judged.values() if row.verdict not in VERDICTS or not row.why.strip()]
    assert not bad, f"rows without a verdict or a reason: {bad[:5]}"
    today = scan(corpus)
    counts = collections.Counter(row.key for row in today)
    unjudged = [row.key for row in today if row.key not in judged]
    assert not unjudged, f"{len(unjudged)} finding(s) have no verdict, e.g. {unjudged[:5]}"
    false = [judged[key] for key in counts if judged[key].verdict == "false"]
    assert not false, f"findings judged false are back: {false[:5]}"
    gone = [row for key, row in judged.items() if key not in counts]
    assert not gone, f"{len(gone)} verdict row(s) match no finding any more (remove them): {gone[:5]}"
