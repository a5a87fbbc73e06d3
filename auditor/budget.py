"""A per-file analysis budget (time and work), so one file never stops a whole scan.

The engine analyses each file inside ``limit(...)``. Whatever is still
exponential or quadratic somewhere (a rule, a script detector, a library)
then ends as a ``scan-incomplete`` finding for that file instead of a hang:

* **time**: a wall-clock alarm (``setitimer``/``SIGALRM``) raises
  ``BudgetExceeded`` in the analysing thread when the file has taken longer
  than ``seconds``. It works the same in-process (``--jobs 1``) and in the
  pool's forked workers, which are each the main thread of their process.
  Wall time rather than CPU time, so a wait (a pipe, a lock) is bounded too.
  Only a process's main thread can take signals; elsewhere (an embedding
  application's thread) the work bound below still applies.
* **work**: ``charge(units)`` counts deterministic work in the loops that are
  proportional to the input (parse walks, expression scans); past ``work``
  units the same exception is raised. Code anywhere may charge.

``BudgetExceeded`` derives from ``BaseException`` so that the many
``except Exception`` blocks in rules and libraries do not swallow it.
``critical()`` defers the alarm over a section that must not be cut in half
(the request/response protocol of a ``git cat-file --batch`` pipe): the
exception is raised when the section ends.

The bounds come from ``AUDITOR_FILE_SECONDS`` and ``AUDITOR_FILE_WORK`` (0 turns
that bound off), else from the policy's ``limits.max_file_seconds`` and
``limits.max_file_work``, else the defaults below. The slowest file of the 2,800 in ``../shared/corpus/wild``
takes 0.15 s, so the 10 s default leaves a wide margin on a loaded machine.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any

INCOMPLETE_RULE = "scan-incomplete"  # the rule id of what a scan could not check
DEFAULT_SECONDS = 10.0
DEFAULT_WORK = 200_000_000


class BudgetExceeded(BaseException):
    """The file being analysed used up its budget; ``str()`` says which bound and how much."""

    def __init__(self, what: str, limit: float) -> None:
        self.what = what  # "time", "work" (or "memory": the engine's name for a MemoryError)
        self.limit = limit
        unit = "s" if what == "time" else "units of work"
        super().__init__(f"{what}: more than {limit:g} {unit}")


@dataclass(frozen=True, slots=True)
class Limits:
    seconds: float = DEFAULT_SECONDS  # 0: no time bound
    work: int = DEFAULT_WORK  # 0: no work bound

    @classmethod
    def from_env(cls, seconds: float = 0, work: int = 0) -> Limits:
        """``AUDITOR_FILE_SECONDS`` / ``AUDITOR_FILE_WORK`` where set (the operator's word),
        else ``seconds`` / ``work`` where not 0 (the policy's ``limits``), else the defaults."""
        return cls(_env_number("AUDITOR_FILE_SECONDS", seconds or DEFAULT_SECONDS),
                   int(_env_number("AUDITOR_FILE_WORK", work or DEFAULT_WORK)))  # fmt: skip


def _env_number(name: str, default: float) -> float:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        return default
    return value if value >= 0 else default


class _Active:
    __slots__ = ("deferred", "left", "limits", "pending")

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.left = limits.work if limits.work > 0 else -1
        self.deferred = 0
        self.pending = False


_current: _Active | None = None


def charge(units: int) -> None:
    """Count ``units`` of work against the file being analysed (no-op outside ``limit``)."""
    active = _current
    if active is None or active.left < 0:
        return
    active.left -= units
    if active.left < 0:
        active.left = -1  # raised once; the handler of the first raise decides what follows
        raise BudgetExceeded("work", active.limits.work)


_rang: BudgetExceeded | None = None  # the bound that ran out in the current ``limit``, if any


def ran_out() -> BudgetExceeded | None:
    """The bound that ran out during the last ``limit`` body, even where library code
    caught the exception and failed later in another way (a half-built cache, a
    ``KeyError``): that failure is the budget's, not a bug of the file's analysis."""
    return _rang


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    global _rang
    active = _current
    if active is None:
        return  # the file finished between the alarm and its cancellation
    if active.deferred:
        active.pending = True
        return
    _rang = BudgetExceeded("time", active.limits.seconds)
    raise BudgetExceeded("time", active.limits.seconds)


@contextmanager
def limit(limits: Limits) -> Iterator[None]:
    """Run the body under ``limits``; raises ``BudgetExceeded`` when one runs out."""
    global _current
    if _current is not None:  # nested (a file analysed while analysing one): the outer rules
        yield
        return
    global _rang
    _rang = None
    active = _Active(limits)
    timer = limits.seconds > 0 and threading.current_thread() is threading.main_thread()
    previous: Any = None
    outer: tuple[float, float] = (0.0, 0.0)
    started = time.monotonic()
    if timer:
        previous = signal.signal(signal.SIGALRM, _on_alarm)
        outer = signal.setitimer(signal.ITIMER_REAL, limits.seconds)
    _current = active
    try:
        yield
    finally:
        _current = None
        if timer:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
            if outer[0] > 0:  # someone else's alarm was running: give back what is left of it
                left = outer[0] - (time.monotonic() - started)
                signal.setitimer(signal.ITIMER_REAL, max(left, 0.001), outer[1])


class critical:  # lower case: used as the function it was, ``with budget.critical():``
    """Defer a running budget's alarm until the body is done (then raise, if it rang).

    A class, not a ``@contextmanager``: every file read enters one, and a generator-based
    context manager costs several times as much to enter and leave."""

    __slots__ = ("active",)

    def __enter__(self) -> None:
        active = self.active = _current
        if active is not None:
            active.deferred += 1

    def __exit__(self, kind: object, value: object, tb: object) -> None:
        active = self.active
        if active is None:
            return
        active.deferred -= 1
        if kind is None and not active.deferred and active.pending:  # the body's own error first
            active.pending = False
            raise BudgetExceeded("time", active.limits.seconds)
