"""The errors the CLI turns into a one-line message and exit status 2.

They live apart from the modules that raise them (``auditor.policy``,
``auditor.engine``), which load the YAML parser and the model: a command that
only needs to catch them, such as an ``auditor org`` answered from its
snapshot, does not have to load those.
"""

from __future__ import annotations

from auditor.findings import no_commands, one_line


def message_line(text: str) -> str:
    """The one escaping every one-line error the CLI prints goes through.

    ``text`` is shown on one line (``findings.one_line``: no raw control
    characters, newline as ``\\n``) that no CI runner reads as a workflow
    command (``findings.no_commands``): a policy error quotes keys and values
    from a pull request's ``.auditor.yml``, a git error quotes refs and URLs.
    """
    return no_commands(one_line(text))


def messages_of(exc: BaseException) -> tuple[str, ...]:
    """The lines to print for ``exc``: every error of a policy file (``PolicyError`` and
    the ``CheckError`` made of one carry ``messages``), else its one message."""
    messages = getattr(exc, "messages", None)
    return tuple(messages) if messages else (str(exc),)


class PolicyError(Exception):
    """A policy problem: ``messages`` holds one ``file:line: key: reason`` line per error
    (a policy file's errors are reported all at once), ``str()`` the first of them.

    ``located`` holds, per message, the 1-based (line, column, end line, end column)
    of what is wrong when the loader knows it, so an editor (``auditor lsp``) can
    underline the key instead of the whole line; ``where`` is the first message's.
    """

    def __init__(self, *messages: str, where: tuple[int, int, int, int] | None = None,
                 located: tuple[tuple[int, int, int, int] | None, ...] | None = None) -> None:  # fmt: skip
        super().__init__(*messages[:1])
        self.messages: tuple[str, ...] = messages or ("invalid policy",)
        if located is None:
            located = (where,) + (None,) * (len(self.messages) - 1)
        self.located = located

    @property
    def where(self) -> tuple[int, int, int, int] | None:
        return self.located[0] if self.located else None

    def __str__(self) -> str:
        return self.messages[0]


class InternalError(Exception):
    """A bug in auditor (or a custom rule) while scanning ``path``."""

    def __init__(self, path: str, exc: BaseException) -> None:
        super().__init__(f"internal error while scanning {path}: {type(exc).__name__}: {exc}")
        self.path = path
