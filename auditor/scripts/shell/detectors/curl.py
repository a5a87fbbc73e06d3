"""``curl-without-fail``: curl exits 0 on HTTP 4xx/5xx unless told to fail or its status is tested."""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from auditor.scripts.issues import ScriptIssue
from auditor.scripts.shell.body import Body
from auditor.scripts.shell.commands import Cmd, is_python, may_run
from auditor.scripts.shell.consumers import validates_content
from auditor.scripts.shell.detectors.base import Detector
from auditor.scripts.shell.downloads import Consumers, curl_flags, curl_output_keys, curl_writes
from auditor.scripts.shell.source import norm
from auditor.scripts.shell.tree import Rec, is_condition, is_statement, statement_of
from auditor.scripts.shell.words import loose

__all__ = ["DETECTOR"]

_SCRIPT_RUNNERS = frozenset({"bash", "sh", "dash", "zsh", "ash", "ksh", "source", "."})


def find(body: Body) -> Iterator[ScriptIssue]:
    t = body.t
    src = body.src
    consumers: Consumers | None = None
    for rec in t.commands:
        if not may_run(rec, b"curl"):
            continue
        cmd = body.cmd(rec.node)
        if cmd is None or cmd.base != "curl":
            continue
        verdict = curl_flags(src, cmd)
        if verdict == "ok":
            continue
        if _output_checked(body, rec, verdict == "code"):
            continue
        if verdict == "plain":
            if not curl_writes(cmd) and is_condition(t, statement_of(t, rec.node)):
                continue  # `until curl -s localhost:8080/health`: a reachability probe; the status is the decision
            if rec.depth and body.substitution_tested(rec.node, "checked", rec.sub):
                continue  # `v=$(curl -s … | jq -r .v)` then `[ -z "$v" ] && exit 1`: a failure leaves no value
            if _run_as_script(body, rec):
                continue  # `bash <(curl -sL …/get.sh)`: an error page is not a script; bash fails on it
            keys = curl_output_keys(t, rec.node, cmd)
            if keys:
                if consumers is None:
                    consumers = Consumers(t)
                if consumers.read_after(keys, rec.node.end_byte, loose(src, cmd.name_node)):
                    continue  # `curl -sLo x.tgz URL` then `tar xf x.tgz`: an error page fails the consumer
        if verdict == "code":
            message = (
                "`curl` writes `%{http_code}` but the code is never tested, and curl itself exits 0 on HTTP "
                '4xx/5xx; compare it (`[ "$code" = 200 ] || exit 1`) or add `--fail`.'
            )
        else:
            message = (
                "`curl` exits 0 on HTTP 4xx/5xx unless told otherwise, so a 403 or 500 passes silently; add "
                "`--fail` (`-f`, or `--fail-with-body` to keep the error body), or capture "
                "`-w '%{http_code}'` and test it."
            )
        yield body.issue("curl-without-fail", message, cmd.name_node, rec.node, norm(src.orig(rec.node)))


def _output_checked(body: Body, rec: Rec, has_code: bool) -> bool:
    """Whether curl's output is validated: piped into a content test, or its status code tested."""
    t = body.t
    node: Node = rec.node
    parent = t.parent(node)
    while parent is not None and parent.type == "redirected_statement":
        node, parent = parent, t.parent(parent)
    if parent is not None and parent.type == "pipeline":
        elements = [c for c in t.children(parent) if is_statement(c)]
        if elements and elements[-1] != node and (has_code or validates_content(body.src, elements[-1])):
            return True
    return has_code and body.substitution_tested(rec.node, "any", rec.sub)


def _run_as_script(body: Body, rec: Rec) -> bool:
    """``bash <(curl …)``, ``source <(curl …)``, ``python3 <(curl …)``: the download is the script run."""
    sub = rec.sub
    if sub is None or sub.type != "process_substitution":
        return False
    owner = body.t.parent(sub)
    if owner is None or owner.type != "command":
        return False
    runner: Cmd | None = body.cmd(owner)
    if runner is None or not (runner.base in _SCRIPT_RUNNERS or is_python(runner.base)):
        return False
    for arg, val in zip(runner.args, runner.vals, strict=True):
        if arg == sub:
            return True
        if val is None or not val.startswith("-"):
            return False  # the script comes first; a later `<(…)` is an argument of it
    return False


DETECTOR = Detector(
    id="curl-without-fail",
    summary="curl exits 0 on HTTP 4xx/5xx unless given `--fail` or its `%{http_code}` is tested",
    what="""
`curl` without `-f`/`--fail`/`--fail-with-body` (short flags may be
combined: `-fsSL`), unless its result is checked another way:
`-w '%{http_code}'` captured (`code=$(curl …)`, possibly through derived
variables) and that value tested (`if`/`while` condition, `[`, `[[`,
`test`, `case`, `(( ))`); the body captured and then tested for emptiness or
compared with an expected value (`v=$(curl -s … | jq -r .v)` +
`[ -n "$v" ] || exit 1`); the body piped into a command that rejects an error
page (`grep`, `jq -e`, `tar x`, `gunzip`, `sh`, `python`…), run as a script
(`bash <(curl …)`), or saved (`-o f`, `-O`, `-J`, `> f`) and then read by
one (`tar`, `unzip`, `gpg`, `dpkg`, `bash f`, `./f`, `sha256sum -c`…),
matching the file by its name even when that name holds variables
(`-LO ".../tool-${V}.zip"` + `unzip tool-${V}.zip`). A read-only curl (no
`-X POST`/`-d`/`-F`/`-T`) in an `if`/`while`/`until` condition is a probe
(`until curl -s localhost:8080/health`) and is not reported; a POST in a
condition still is, since a 403 passes the test. Not reported when flags
come from an unquoted option variable (`$CURL_OPTS`, `"${args[@]}"`, an
unquoted `${{ }}`) or a config file (`-K`), which may hold `--fail`. `wget`
fails on HTTP errors and is fine.
""",
    why="""
The incident's promotion was a `curl -sS -X POST`: the token lacked the
permission, the API answered 403, curl exited 0, and the run was green for
weeks.
""",
    example='curl -sS -X POST -H "Authorization: Bearer $TOKEN" "$CP_URL/promote" -d "$DIGEST"\n',
    use_instead='curl --fail-with-body -sS -X POST -H "Authorization: Bearer $TOKEN" "$CP_URL/promote" -d "$DIGEST"\n',
    find=find,
)
