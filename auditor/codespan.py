"""CommonMark inline code spans that show their text literally, backticks included.

A code span ends at the first run of backticks as long as the one that opened
it, so text holding backticks (a shell snippet with `` `date` ``, a file named
``a`b.yml``) needs a longer fence; and a span whose text begins or ends with a
backtick needs a space inside each fence, which the parser strips again
(CommonMark 0.31, "Code spans"). Both the Markdown report and the rule
documentation (``auditor explain``, SARIF help) build spans from text they do not
control, so the one rule lives here, below both.
"""

from __future__ import annotations

import re

_TICK_RUNS = re.compile(r"`+")


def code_span(text: str) -> str:
    """``text`` as one inline code span (one line expected; the caller flattens it).

    The fence is one backtick longer than the longest run inside; a space pads
    each side when ``text`` starts or ends with a backtick, or when it starts and
    ends with a space (the parser strips exactly one from each side then).
    Empty text has no span in CommonMark, so it is shown as one space.
    """
    if not text:
        text = " "
    longest = max((len(m) for m in _TICK_RUNS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    ends = (text[0], text[-1])
    pad = " " if "`" in ends or (ends == (" ", " ") and text.strip(" ")) else ""
    return f"{fence}{pad}{text}{pad}{fence}"
