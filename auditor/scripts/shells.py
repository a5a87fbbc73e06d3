"""Which interpreter runs a ``run:`` body, and with which failure semantics.

Whether ``cmd1; cmd2`` loses ``cmd1``'s failure, or ``curl … | jq`` loses
``curl``'s, depends only on the effective shell: its language and whether it
runs with errexit (``-e``) and pipefail. Those come from the ``shell:`` string
of the step (else ``defaults.run.shell`` of the job, then the workflow — the
caller picks the string; this module only interprets it):

=================================  ========  =======  ========
shell string                        language  errexit  pipefail
=================================  ========  =======  ========
*(none: runner default)*            bash      yes      **no**
``bash``                            bash      yes      yes
``sh``                              sh        yes      no
``python``                          python    n/a      n/a
``pwsh`` / ``powershell``           pwsh      n/a      n/a
``bash {0}`` (custom template)      bash      **no**   no
``bash -eo pipefail {0}``           bash      yes      yes
``sh -ex {0}``                      sh        yes      no
``/usr/bin/env bash -e {0}``        bash      yes      no
``python3 {0}``                     python    n/a      n/a
=================================  ========  =======  ========

The runner default is ``bash -e {0}`` on GitHub's Linux runners and
``sh -e {0}`` in act-based (Gitea/Forgejo) job containers: both mean errexit
without pipefail, which is what ``None`` resolves to (a Windows job's default
is pwsh; the caller, who knows ``runs-on``, passes ``"pwsh"`` there).

For languages that are not POSIX shells the two flags are meaningless and
are set to True, so no shell-specific claim (``no-errexit``, a masking
pipeline) can ever be derived from them. A shell string that cannot be
interpreted (an expression such as ``${{ matrix.shell }}``, ``cmd``, an
unknown program) resolves to ``other``, which is not analysed at all:
guessing would produce findings about code we do not understand.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

__all__ = ["ShellSpec", "resolve_shebang", "resolve_shell"]


@dataclass(frozen=True, slots=True)
class ShellSpec:
    """The effective shell of a body: ``language`` in bash/sh/python/pwsh/other."""

    language: str
    errexit: bool
    pipefail: bool


RUNNER_DEFAULT = ShellSpec("bash", True, False)
_BASH = ShellSpec("bash", True, True)
_SH = ShellSpec("sh", True, False)
_PYTHON = ShellSpec("python", True, True)
_PWSH = ShellSpec("pwsh", True, True)
_OTHER = ShellSpec("other", True, True)

_KEYWORDS = {
    "bash": _BASH,
    "sh": _SH,
    "python": _PYTHON,
    "pwsh": _PWSH,
    "powershell": _PWSH,
}

_SH_NAMES = {"sh", "dash", "ash", "busybox"}
_PY_PREFIXES = ("python", "pypy")


def _language(program: str) -> str:
    base = program.rsplit("/", 1)[-1].rsplit("\\", 1)[-1].lower()
    base = base.removesuffix(".exe")
    if base == "bash":
        return "bash"
    if base in _SH_NAMES:
        return "sh"
    if base.startswith(_PY_PREFIXES):
        return "python"
    if base in ("pwsh", "powershell"):
        return "pwsh"
    return "other"


def _split(template: str) -> list[str]:
    try:
        return shlex.split(template)
    except ValueError:  # unbalanced quotes in a hand-written template
        return template.split()


def _shell_flags(words: list[str], errexit: bool, pipefail: bool) -> tuple[bool, bool]:
    """Apply ``-e``/``+e``/``-o errexit``/``-o pipefail``/``-eo pipefail``... in order.

    Parsing stops at the script placeholder ``{0}``, at ``-c`` (what follows is
    the command string and its arguments) and at the first non-option word.
    Long options (``--noprofile``, ``--norc``) are skipped.
    """
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if word == "{0}" or word == "--" or word == "-" or not word or word[0] not in "-+":
            break
        if word.startswith("--"):
            continue
        on = word[0] == "-"
        for ch in word[1:]:
            if ch == "e":
                errexit = on
            elif ch == "c":
                return errexit, pipefail
            elif ch in "oO" and i < len(words):
                option = words[i]
                i += 1
                if ch == "o" and option == "errexit":
                    errexit = on
                elif ch == "o" and option == "pipefail":
                    pipefail = on
    return errexit, pipefail


def _from_words(words: list[str]) -> ShellSpec:
    # `/usr/bin/env [-S] [VAR=x] bash -e {0}`: the real program follows env.
    while words and words[0].rsplit("/", 1)[-1] == "env":
        words = words[1:]
        while words and (words[0].startswith("-") or "=" in words[0]):
            words = words[1:]
    if not words:
        return _OTHER
    language = _language(words[0])
    if language in ("bash", "sh"):
        errexit, pipefail = _shell_flags(words[1:], False, False)
        return ShellSpec(language, errexit, pipefail)
    return {"python": _PYTHON, "pwsh": _PWSH}.get(language, _OTHER)


def resolve_shell(shell: str | None) -> ShellSpec:
    """The effective shell of a ``shell:`` value (``None``: none was set anywhere).

    The keywords ``bash``, ``sh``, ``python``, ``pwsh`` and ``powershell`` mean
    the templates the runners document for them; anything else is a custom
    template (``bash {0}``, ``bash --noprofile --norc -eo pipefail {0}``) whose
    flags are read as bash would read them. Custom templates have *no* errexit
    unless they say so: that is exactly what makes ``bash {0}`` dangerous.
    """
    if shell is None:
        return RUNNER_DEFAULT
    text = shell.strip()
    if not text:
        return RUNNER_DEFAULT
    if "${{" in text:
        return _OTHER
    keyword = _KEYWORDS.get(text.lower())
    if keyword is not None:
        return keyword
    return _from_words(_split(text))


def resolve_shebang(text: str) -> ShellSpec | None:
    """The shell a script file runs with when executed directly (``./x.sh``), from its ``#!`` line.

    ``#!/usr/bin/env bash`` gives bash *without* errexit (a script starts
    with a fresh shell; the step's ``-e`` does not carry over), so a script
    must ``set -e`` itself. Returns None when there is no shebang, which the
    caller should treat as ``sh`` semantics without errexit (what execve's
    fallback and most shells do).
    """
    if not text.startswith("#!"):
        return None
    line = text[2:].split("\n", 1)[0].strip()
    words = line.split()
    # Linux passes everything after the interpreter as ONE argument, and
    # `env -S` splits it again; both end up as separate flags here.
    return _from_words(words) if words else None
