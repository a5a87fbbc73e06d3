"""Text matchers the role catalogue is made of: shell commands, endpoints, names.

Each works on a step's ``run:`` text with line continuations joined and
comment lines blanked (``shell_text``), so a command split over lines or
commented out is read as the shell would read it.
"""

from __future__ import annotations

import functools
import re

_CONTINUATION = re.compile(r"\\\r?\n")
_COMMENT_LINE = re.compile(r"^[ \t]*#.*$", re.MULTILINE)
CMD = r"(?:^|[\s;&|(`{]|\$\()(?:sudo\s+)?"
_PUBLISH_RUN = re.compile(
    CMD
    + r"""(?:
        (?:docker|podman|buildah)\s+(?:image\s+|manifest\s+)?push\b
      | (?:docker\s+)?buildx\s+(?:build|bake)\b[^\n;&|]*\s--push\b
      | docker\s+build\b[^\n;&|]*\s--push\b
      | (?:docker\s+)?buildx\s+imagetools\s+create\b
      | crane\s+(?:push|copy|cp)\b
      | skopeo\s+copy\b
      | oras\s+push\b
    )""",
    re.VERBOSE | re.MULTILINE,
)
_HTTP_CLIENT = re.compile(
    CMD + r"(?:curl|wget|http|https|xh|Invoke-WebRequest|Invoke-RestMethod|iwr|irm)\b"
    r"|\brequests\.(?:get|post|put|patch)\b|\bhttpx\.|\burlopen\(|\bfetch\(|\baxios\b",
    re.MULTILINE,
)
_WORD_STOP = " \t\n\"'()<>|;&`,"
_FILE_SUFFIX = re.compile(r"\.(?:sh|bash|py|js|mjs|ts|rb|pl|ps1|ya?ml|json|md|txt)$", re.I)
# Every alternative of _PUBLISH_RUN needs one of these words. The pattern starts
# with an alternation, which the regex engine retries at every offset of every
# ``run:`` body; this C-speed screen skips the bodies that cannot match (most).
_PUBLISH_WORDS = ("push", "imagetools", "crane", "skopeo")


@functools.lru_cache(maxsize=256)
def _compile(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in patterns)


# The policy's pattern tuples live as long as the scan, and every step of every workflow
# asks for them: looked up by identity first, since hashing a tuple of strings is not
# cached. Names repeat across steps and files ("Checkout", "Set up Node"), so what a
# pattern tuple says of a name is remembered beside its compiled patterns.
_Compiled = tuple[tuple[str, ...], tuple[re.Pattern[str], ...], dict[str, str | None]]
_BY_IDENTITY: dict[int, _Compiled] = {}
_MEMO_SIZE = 20_000


def _entry(patterns: tuple[str, ...]) -> _Compiled:
    found = _BY_IDENTITY.get(id(patterns))
    if found is not None and found[0] is patterns:
        return found
    if len(_BY_IDENTITY) > 256:
        _BY_IDENTITY.clear()
    made: _Compiled = (patterns, _compile(patterns), {})  # the tuple is kept: its id is not reused
    _BY_IDENTITY[id(patterns)] = made
    return made


def compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return _entry(patterns)[1]


def matching(patterns: tuple[str, ...], text: str | None) -> str | None:
    """The first of ``patterns`` that ``text`` matches (a policy name pattern), or None."""
    if not text:
        return None
    _same, regexes, memo = _entry(patterns)
    if text in memo:
        return memo[text]
    found = None
    for source, pattern in zip(patterns, regexes, strict=True):
        if pattern.search(text):
            found = source
            break
    if len(memo) > _MEMO_SIZE:
        memo.clear()
    memo[text] = found
    return found


def shell_text(run: str) -> str:
    """A ``run:`` body with line continuations joined and comment lines blanked."""
    return _COMMENT_LINE.sub("", _CONTINUATION.sub(" ", run))


def publishes_in_run(run: str) -> str | None:
    """The push command a shell body runs (``docker push …``), or None."""
    if not any(word in run for word in _PUBLISH_WORDS):
        return None
    match = _PUBLISH_RUN.search(shell_text(run))
    return " ".join(match.group(0).split()) if match else None


def _word_at(text: str, start: int, end: int) -> str:
    left = start
    while left > 0 and text[left - 1] not in _WORD_STOP:
        left -= 1
    right = end
    while right < len(text) and text[right] not in _WORD_STOP:
        right += 1
    return text[left:right]


def _url_like(word: str) -> bool:
    if _FILE_SUFFIX.search(word):
        return False
    return "://" in word or word.startswith(("$", "http")) or "}}/" in word


def _any_search(patterns: tuple[re.Pattern[str], ...], text: str) -> bool:
    # a plain loop: every run: body of every step passes here, and any() over a
    # generator costs a frame per call
    for pattern in patterns:  # noqa: SIM110
        if pattern.search(text) is not None:
            return True
    return False


def endpoint_call(text: str, patterns: tuple[str, ...], *, need_client: bool = True) -> str | None:
    """The URL in ``text`` (a shell body or a ``with`` value) that matches one of ``patterns``."""
    if not patterns:
        return None
    regexes = compiled(patterns)
    continued = "\\\n" in text or "\\\r\n" in text
    if not continued and not _any_search(regexes, text):
        # No match anywhere in the raw text, and no line continuation whose
        # joining could make one: nothing to find (the usual case, and cheap).
        return None
    body = shell_text(text) if need_client else text
    if continued and not _any_search(regexes, body):
        return None  # joined, still no match: the client test below would be wasted
    if need_client and _HTTP_CLIENT.search(body) is None:
        return None
    for pattern in regexes:
        for match in pattern.finditer(body):
            word = _word_at(body, match.start(), match.end())
            if _url_like(word):
                return word
    return None


def runs_script(run: str, scripts: tuple[str, ...]) -> str | None:
    """The first of ``scripts`` (repository paths) that the ``run:`` body mentions."""
    for script in scripts:
        path = script[2:] if script.startswith("./") else script
        if path and path in run:
            return script
    return None
