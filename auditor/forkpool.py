"""A pool of forked workers with nothing shared but one pair of pipes each.

Why not ``multiprocessing.Pool``: its workers share one task queue and one result
queue, each guarded by a lock that a process holds while it blocks on the pipe.
``Pool.terminate()`` (what leaving ``with Pool()`` on Ctrl-C does) takes the task
queue's lock, which an idle worker holds while it waits for a task that will never
come, and it kills workers that may be half-way through writing a result, which its
result thread then waits for ever to read. Either way ``auditor org`` interrupted at
the wrong moment hung instead of exiting 130 (seen in CI). A worker killed by the
kernel (out of memory) made ``Pool.imap`` wait for ever as well.

Here each worker has its own task pipe and result pipe and no lock, and ending the
pool is ``SIGKILL`` and ``waitpid``, which cannot hang. A worker whose pipe ends early
(it died) is an error naming its unit. Each worker holds ``DEPTH`` units at a time: the
one it works on and the next, already in its pipe, so it starts that one as soon as it
has sent a result instead of idling while the parent reads the result and merges it
(measured on the wild corpus with two workers: that wait was about 3% of a cold scan's
wall time). Units are small (a few indexes), so ``DEPTH`` of them always fit in a
pipe and the parent never blocks writing one; results may be of any size.

Workers are forked, so they inherit everything the parent loaded (modules, policies,
the work function's data); only units and results are pickled.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, Pipe, wait
from typing import Generic, TypeVar

U = TypeVar("U")
R = TypeVar("R")

DEPTH = 2  # units a worker holds at a time: the one it works on and the next


@dataclass(frozen=True)
class Died(Generic[U]):
    """What ``imap_unordered`` yields for a unit whose worker ended without sending its
    result (killed by the kernel when out of memory, say); a new worker takes its place."""

    unit: U
    status: str  # "was killed by SIGKILL", "exited with 1"


def can_fork() -> bool:
    return hasattr(os, "fork")


class _Worker(Generic[U]):
    def __init__(self, pid: int, tasks: Connection, results: Connection) -> None:
        self.pid = pid
        self.tasks = tasks
        self.results = results
        self.units: deque[U] = deque()  # sent and not answered yet: the first is being worked on
        self.reaped = False


def imap_unordered(
    work: Callable[[U], R], units: Iterable[U], workers: int
) -> Generator[R | Died[U], None, None]:
    """``work(unit)`` for every unit, in ``workers`` forked processes; results in the
    order they finish, and a ``Died`` for a unit whose worker died. Leaving the
    iterator early (an exception in the caller, a KeyboardInterrupt, ``close()``)
    kills the workers and waits for them."""
    pending: deque[U] = deque(units)
    pool: list[_Worker[U]] = []
    try:
        with _sigint_ignored_in_children():
            for _ in range(workers):
                pool.append(_fork(work, pool))
        for depth in range(1, DEPTH + 1):  # one unit to each worker, then the next: balanced when few
            for worker in pool:
                _top_up(worker, pending, depth)
        busy = {w.results: w for w in pool if w.units}
        for worker in pool:
            if not worker.units:
                worker.tasks.close()  # more workers than units: this one exits at once
        while busy:
            for conn in wait(list(busy)):
                worker = busy.pop(conn)  # type: ignore[call-overload]
                try:
                    result: R | Died[U] = worker.results.recv()
                    worker.units.popleft()
                except (EOFError, OSError):
                    result = Died(worker.units.popleft(), _status(worker))
                    pending.extendleft(reversed(worker.units))  # sent, never started: retried
                    worker.units.clear()
                    worker.tasks.close()
                    worker.results.close()
                    with _sigint_ignored_in_children():
                        worker = _fork(work, pool)  # its replacement
                    pool.append(worker)
                _top_up(worker, pending)
                if worker.units:
                    busy[worker.results] = worker
                else:
                    worker.tasks.close()  # nothing left for it: it reads end-of-file and exits
                yield result
    finally:
        _end(pool)


def _top_up(worker: _Worker[U], pending: deque[U], depth: int = DEPTH) -> None:
    """Send the worker pending units until it holds ``depth`` (or none are left)."""
    while pending and len(worker.units) < depth:
        unit = pending.popleft()
        worker.units.append(unit)
        worker.tasks.send(unit)


def _fork(work: Callable[[U], R], siblings: list[_Worker[U]]) -> _Worker[U]:
    tasks_in, tasks_out = Pipe(duplex=False)
    results_in, results_out = Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child (coverage does not follow os._exit)
        code = 1
        try:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # ignored here
            tasks_out.close()
            results_in.close()
            for sibling in siblings:  # else a sibling never reads end-of-file on its tasks
                sibling.tasks.close()
                sibling.results.close()
            code = _serve(work, tasks_in, results_out)
        finally:
            os._exit(code)  # never return into the parent's code, never flush its buffers
    tasks_in.close()
    results_out.close()
    return _Worker(pid, tasks_out, results_in)


def _serve(work: Callable[[U], R], tasks: Connection, results: Connection) -> int:  # pragma: no cover
    while True:
        try:
            unit = tasks.recv()
        except (EOFError, OSError):
            return 0
        results.send(work(unit))


def _status(worker: _Worker[U]) -> str:
    """How a worker whose pipe closed ended ("was killed by SIGKILL", "exited with 1")."""
    try:
        _, status = os.waitpid(worker.pid, 0)
    except ChildProcessError:
        return "ended"
    worker.reaped = True
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        return f"was killed by {name}"
    return f"exited with {os.WEXITSTATUS(status)}"


def _end(pool: list[_Worker[U]]) -> None:
    """Kill every worker still running and reap them all: nothing here can block for
    long (SIGKILL cannot be caught, a killed child is reaped at once)."""
    for worker in pool:
        with contextlib.suppress(OSError):
            worker.tasks.close()
        with contextlib.suppress(OSError):
            worker.results.close()
        if not worker.reaped:
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker.pid, signal.SIGKILL)
    for worker in pool:
        if not worker.reaped:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(worker.pid, 0)
            worker.reaped = True


@contextlib.contextmanager
def _sigint_ignored_in_children() -> Iterator[None]:
    """Fork with SIGINT ignored in the children from their first instruction (Ctrl-C
    reaches the whole process group; the parent's to handle, it ends the pool), while
    the parent keeps its handler: SIGINT is blocked meanwhile, so a Ctrl-C in that
    moment reaches the parent once the workers exist. A worker that took it would
    print its own traceback."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    old_handler = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old_handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
