"""Pausing Python's cyclic garbage collector around the analysis of one large text."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["PAUSE_COLLECTOR_AT", "collector_paused"]

#: Texts at least this long (characters) are analysed with the cyclic garbage collector paused.
PAUSE_COLLECTOR_AT = 32_768


@contextmanager
def collector_paused(size: int) -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a large body or script (``size`` characters) is analysed.

    The analyses allocate one object per tree node and create no reference
    cycles of their own (reference counting frees it all), but the collector's
    full passes walk every live object, and while the tree of a 60,000-line
    body grows they made the analysis measurably super-linear (a 4× larger
    shell body took 5-6× the time, 4.2-4.8× with the collector paused; libcst
    on 4× the Python, 5.2-5.4×, and 3.2-4.0× paused). Small texts, the usual
    case, are left alone. The collector is re-enabled only if it was enabled,
    and on every exit path.
    """
    if size < PAUSE_COLLECTOR_AT or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
