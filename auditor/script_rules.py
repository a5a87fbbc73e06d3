"""The ids of the three script rules and the kind of step-script result each reports.

``auditor.stepscripts`` (the analysis) and ``auditor.scripthits`` (the rules'
shared adapter) both name them. They live apart from the analysis so that
loading the rules (which every run does, one answered from the result cache
included) does not import the step-script analysis and the script parsers'
records with it.
"""

from __future__ import annotations

from typing import Literal

SWALLOWED = "swallowed-failure"
NOT_FOUND = "script-not-found"
PARSE_ERROR = "script-parse-error"

Kind = Literal["swallowed", "parse-error", "missing"]

#: The result kind each script rule reports.
KINDS: dict[str, Kind] = {SWALLOWED: "swallowed", PARSE_ERROR: "parse-error", NOT_FOUND: "missing"}
