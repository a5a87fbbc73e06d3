"""How a command ends when it cannot go on: one line on stderr and an exit status.

* ``fail``: an error the user can act on, exit 2; each message is one line,
  escaped by ``errors.message_line`` (messages quote policy keys, paths and
  git refs from the repository being scanned);
* ``unexpected``: what reached the top of a command: Ctrl-C is ``auditor:
  interrupted`` and exit 130, standard output that cannot be written (a full
  disk) an error and exit 2, anything else an internal error, exit 2. Never a
  traceback.
* a closed standard output (``auditor check . | head -c 0``: the reader went
  away) is no error: nothing is printed and the exit status is 141 (128 +
  SIGPIPE), what a shell shows for ``git log | head -c 0`` (git dies of the
  signal; measured with git 2.39). ripgrep exits 0 instead; 141 is chosen
  because a gate must not read a scan whose output was cut short as a pass
  (``set -o pipefail`` sees it), and because most Unix tools end that way.

``auditor.cli`` imports this module only when a command ends this way, so a
normal run does not load it.
"""

from __future__ import annotations

import errno
import sys
from typing import NoReturn

import click

from auditor.errors import message_line

# A write error that names no file is standard output's: every file auditor writes
# is named in its own errors (auditor.outputs).
EXIT_CLOSED_PIPE = 141  # 128 + SIGPIPE, as a shell reports git killed by the signal

_WRITE_ERRORS = frozenset({errno.EPIPE, errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})


def fail(*messages: str) -> NoReturn:
    """Exit 2 with one line per message on stderr."""
    for message in messages:
        click.echo(f"auditor: error: {message_line(message)}", err=True)
    sys.exit(2)


def unexpected(exc: BaseException) -> NoReturn:
    """One line for an exception no command handled, and the exit status that goes with it."""
    if caused_by_interrupt(exc):
        interrupted()
    if isinstance(exc, OSError) and stdout_failed(exc):
        if exc.errno == errno.EPIPE:
            sys.exit(EXIT_CLOSED_PIPE)  # the reader went away: quiet, as Unix tools are
        fail(f"cannot write standard output: {exc.strerror or exc}")
    click.echo(f"auditor: internal error: {message_line(f'{type(exc).__name__}: {exc}')}",
               err=True)  # fmt: skip
    sys.exit(2)


def interrupted() -> NoReturn:
    """Ctrl-C: one line, exit 130 (pool workers ignore SIGINT; the pool is terminated)."""
    click.echo("auditor: interrupted", err=True)
    exit_interrupted()


def exit_interrupted() -> NoReturn:
    """Exit 130 after a caught KeyboardInterrupt.

    CPython 3.11 remembers a KeyboardInterrupt that escaped an ``exec()`` of a
    string (``dataclasses`` builds methods that way while modules import) even
    when the program catches it later, and ``python -m`` then kills itself with
    SIGINT at exit instead of exiting 130. Running an empty ``exec`` resets it.
    """
    exec("")
    sys.exit(130)


def caused_by_interrupt(exc: BaseException) -> bool:
    """A KeyboardInterrupt, or one Python wrapped (``__set_name__`` failing in a class
    being made as a module imports is a RuntimeError whose cause is the interrupt)."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False


def stdout_failed(exc: OSError) -> bool:
    """Whether ``exc`` is standard output failing: what is still buffered for it cannot
    be flushed, or it is a write error that names no file. Standard output is then
    pointed at /dev/null, so exiting does not fail a second time."""
    try:
        sys.stdout.flush()
        failed = exc.filename is None and exc.errno in _WRITE_ERRORS
    except (OSError, ValueError, AttributeError):
        failed = True
    if failed:
        from auditor.outputs import abandon_stdout

        abandon_stdout()
    return failed
