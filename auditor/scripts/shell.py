"""Fail-loud analysis of shell bodies (bash / POSIX sh) on tree-sitter-bash parse trees.

Why a parse tree and not regexes: whether ``|| true`` swallows anything
depends on what sits on its left (a test is control flow, ``curl`` is a lost
403), whether a ``curl`` is guarded depends on where its ``%{http_code}``
goes, and whether a command's failure counts depends on its place in
``if``/``&&``/pipelines. A tree answers those questions; a regex guesses.

Entry points
------------
:func:`analyse_shell` runs every detector and also returns the repository
scripts the body runs, its ``$GITHUB_OUTPUT`` writes and its embedded
Python. :func:`github_output_writes` returns only the output writes, and is
cheap when the body does not mention ``GITHUB_OUTPUT``/``set-output``.

Offsets
-------
Every offset is a 0-based *character* offset into the text passed in.
``${{ … }}`` expressions are replaced by same-length runs of ``_`` before
parsing, so the parse sees a plain word where the runner will substitute a
value, and every column stays exact (an unterminated ``${{`` is left as is).

Detectors (ids are stable)
--------------------------
``or-true``
    ``cmd || true`` (also ``|| :``, ``|| /bin/true``, ``|| echo …``,
    ``|| printf …``, ``|| exit 0``, ``|| return 0``, ``|| continue`` and a
    ``{ …; }`` group made only of those) where ``cmd`` *can fail
    meaningfully* (see below). ``|| exit 1``, ``|| exit``, ``|| false`` and
    ``|| { …; exit 1; }`` fail loud and are fine; a test on the left
    (``[ … ] || …``) is control flow. Not reported either when the outcome
    is recorded for a later step (``|| echo "ok=false" >> "$GITHUB_OUTPUT"``)
    or when the fallback only gives a value that is then tested
    (``code=$(curl … || echo 000)`` + ``[ "$code" = 200 ]``).
``set-plus-e``
    ``set +e`` (``+o errexit``, ``+eu``…) while errexit is on, reported once
    where it appears when the region up to the next ``set -e`` runs a
    command that can fail meaningfully and never reads ``$?`` or
    ``PIPESTATUS`` (reading them is how correct code captures a status).
    The other detectors do not report again inside a reported region.
``set-plus-pipefail``
    ``set +o pipefail`` while pipefail is on, when a pipeline after it (up to
    ``set -o pipefail``) would mask a failure and ``PIPESTATUS`` is not read.
``trap-err-ignored``
    ``trap '' ERR``.
``curl-without-fail``
    ``curl`` without ``-f``/``--fail``/``--fail-with-body`` (short flags may
    be combined: ``-fsSL``), unless ``-w '%{http_code}'`` is captured
    (``code=$(curl …)``, possibly via derived variables) and that value is
    tested (``if``/``while`` condition, ``[``, ``[[``, ``test``, ``case``,
    ``(( ))``), or the body is checked by what follows: piped into a content
    test or a consumer that rejects an error page (``grep``, ``jq -e``,
    ``tar x``, ``sh``, ``python``…), or saved (``-o f``, ``-O``, ``> f``) and
    then read by one (``tar``, ``unzip``, ``gpg``, ``dpkg``, ``bash f``,
    ``sha256sum -c``, ``./f``…). A read-only curl (no ``-X POST``/``-d``/
    ``-F``/``-T``) in an ``if``/``while``/``until`` condition is a probe
    (``until curl -s localhost:8080/health``) and is not reported; a POST in
    a condition still is, since a 403 passes the test. Not reported when
    flags come from an unquoted option variable (``$CURL_OPTS``,
    ``"${args[@]}"``, an unquoted ``${{ }}``) or a config file (``-K``),
    which may hold ``--fail``. ``wget`` fails on HTTP errors and is fine.
``pipeline-masks-failure``
    with pipefail off (the spec says so and no ``set -o pipefail`` came
    earlier), a pipeline whose non-last command can fail meaningfully, unless
    the last command turns empty input into a failure (``grep`` without
    ``-v``/``-c``, ``jq -e``, ``tar x``, ``apt-key add``, ``gpg --import``,
    ``… --password-stdin``), ``PIPESTATUS`` is read afterwards, or the
    pipeline's output is captured and tested for emptiness
    (``v=$(curl … | jq …)`` + ``[ -n "$v" ] || exit 1``).
``masked-substitution``
    ``local/export/declare/readonly/typeset x=$(cmd)``, and ``$(cmd)`` in
    the arguments, environment prefix, heredoc or ``for`` list of another
    command (``echo "d=$(crane digest …)"``), where ``cmd`` can fail
    meaningfully, and the lost value matters: the outer command prints it
    (``echo``, ``printf``, ``cat``, ``tee``) or can fail meaningfully itself,
    and a ``for`` loop's body can (``docker logs "$(docker ps -q)"`` is
    housekeeping). A plain ``x=$(cmd)`` keeps ``cmd``'s status and is fine;
    so is a substitution inside a test (``[ "$(cmd)" = ok ]``, ``case``),
    whose empty result fails the test.
``no-errexit``
    the shell runs without ``-e`` (a custom template such as ``bash {0}``)
    and the body does not turn it on before a command that can fail
    meaningfully, in a position where its failure is then ignored (not the
    final command, not in a condition, not left of ``||``). One issue at
    offset 0, naming the first such command.
``parse-error``
    ``ShellReport.parse_error`` when tree-sitter found a syntax error. The
    top-level statements that contain the error are skipped; the others are
    still analysed, and ``no-errexit`` (which needs the whole body) is not.

Which commands "can fail meaningfully" (the noise decision)
-----------------------------------------------------------
The detectors only care about commands whose silent failure loses a
release: it is an allowlist, so everything not listed (``rm``, ``mkdir``,
``kill``, ``grep``, ``diff``, ``cat``, ``date``, ``basename``, ``git
rev-parse``, ``jq`` …) is never reported, and ``rm -f x || true`` style
cleanup on a correct pipeline stays silent. Listed:

* network clients: ``curl``, ``wget``, httpie/``xh``, ``ssh``, ``scp``,
  ``rsync``…;
* registry tools (``docker``, ``podman``, ``buildah``, ``crane``,
  ``skopeo``, ``oras``, ``regctl``, ``cosign``…), except their cleanup and
  idempotent-setup subcommands (``rm``, ``rmi``, ``stop``, ``kill``,
  ``prune``, ``logout``, ``login``, ``pull`` — cache warming —, ``inspect``,
  ``network``/``volume``, ``buildx create``…) after ``||``;
* forge and cluster CLIs by subcommand: ``gh api``/``gh release
  create|upload|edit``/``gh workflow run``/``gh pr merge``…; ``kubectl
  apply|set|patch|replace|rollout|scale|wait…``; ``helm
  upgrade|install|push|rollback…``; ``terraform/tofu apply``; ``pulumi up``;
  ``git push`` (not ``--delete``);
* cloud CLIs (``aws``, ``gcloud``, ``az``, ``doctl``, ``fly``, ``vercel``,
  ``wrangler``…) when a subcommand word is a write verb (``deploy``,
  ``update``, ``put``, ``cp``, ``sync``, ``push``, ``publish``…) and none is a
  read/cleanup verb (``get``, ``describe``, ``list``, ``delete``, ``create``
  — usually "create if missing" —, ``login``…);
* release tools (``twine``, ``goreleaser``, ``semantic-release``,
  ``ansible-playbook``…) and package managers / task runners when a
  subcommand says publish (``npm publish``, ``make deploy``, ``cargo
  publish``, ``mvn deploy``, ``npm run release``…);
* scripts: interpreters running code (``python x.py``, ``python -c``,
  ``node x.js``, ``bash x.sh``…, not ``--version`` or ``python -m pip``) and
  repository paths run directly (``./x``, ``scripts/x``,
  ``${{ github.action_path }}/x.sh``).

Inside ``$(...)`` and on the left of ``|`` the read side matters too (an
empty digest flows on), so there every subcommand of the registry, forge,
cluster and cloud tools counts, plus ``git fetch|pull|clone|ls-remote|push``.

Wrappers (``sudo``, ``env``, ``time``, ``timeout``, ``nohup``, ``exec``,
``xargs``, ``npx``, ``poetry run``, ``uv run``, ``bundle exec``…) are looked
through.
"""

from __future__ import annotations

import bisect
import itertools
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from tree_sitter import Language, Node, Parser, Query, QueryCursor, Tree

from auditor.scripts.issues import InlinePython, OutputWrite, ScriptCall, ScriptIssue, ShellReport
from auditor.scripts.shells import ShellSpec

__all__ = ["analyse_shell", "blank_expressions", "github_output_writes"]

# --------------------------------------------------------------------------- parser

_LOCAL = threading.local()
_LANGUAGE: Language | None = None
_LANGUAGE_LOCK = threading.Lock()


def _parser() -> Parser:
    """One parser per thread: tree-sitter parsers are not safe to share across threads."""
    global _LANGUAGE
    parser: Parser | None = getattr(_LOCAL, "parser", None)
    if parser is None:
        with _LANGUAGE_LOCK:
            if _LANGUAGE is None:
                import tree_sitter_bash

                _LANGUAGE = Language(tree_sitter_bash.language())
        parser = Parser(_LANGUAGE)
        _LOCAL.parser = parser
    return parser


# --------------------------------------------------------------------------- source text


def _expression_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the ``${{ … }}`` expressions in ``text``.

    Single-quoted string literals inside an expression may contain ``}}``;
    they are skipped. An unterminated ``${{`` ends the scan (left as is).
    """
    spans: list[tuple[int, int]] = []
    find = text.find
    pos = find("${{")
    n = len(text)
    while pos != -1:
        i = pos + 3
        end = -1
        while i < n:
            ch = text[i]
            if ch == "'":
                close = find("'", i + 1)
                if close == -1:
                    break
                i = close + 1
                continue
            if ch == "}" and i + 1 < n and text[i + 1] == "}":
                end = i + 2
                break
            i += 1
        if end == -1:
            break
        spans.append((pos, end))
        pos = find("${{", end)
    return spans


def blank_expressions(text: str) -> str:
    """``text`` with every ``${{ … }}`` replaced by a same-length run of ``_``.

    ``_`` runs are a plain word to the shell (and an identifier to Python), so
    they cannot break the quoting around them, and every offset is preserved.
    """
    spans = _expression_spans(text)
    if not spans:
        return text
    parts: list[str] = []
    last = 0
    for start, end in spans:
        parts.append(text[last:start])
        parts.append("_" * (end - start))
        last = end
    parts.append(text[last:])
    return "".join(parts)


_SURROGATES = re.compile("[\ud800-\udfff]")
_NON_ASCII = re.compile("[^\x00-\x7f]")


class _Source:
    """The analysed text, the blanked text the parser saw, and byte↔character offsets."""

    __slots__ = ("_cum", "_starts", "ascii", "data", "expr_bytes", "original", "text")

    def __init__(self, original: str) -> None:
        self.original = original
        text = blank_expressions(original)
        if not text.isascii():
            text = _SURROGATES.sub("\ufffd", text)  # lone surrogates cannot be encoded
        self.text = text
        self.data = text.encode("utf-8")
        self.ascii = len(self.data) == len(text)
        self._starts: list[int] = []
        self._cum: list[int] = []
        if not self.ascii:
            extra = 0
            for m in _NON_ASCII.finditer(text):
                i = m.start()
                width = len(m.group().encode("utf-8")) - 1
                self._starts.append(i + extra)
                extra += width
                self._cum.append(extra)
        self.expr_bytes: list[tuple[int, int]] = [(self.byte(s), self.byte(e)) for s, e in _expression_spans(original)]

    def char(self, byte: int) -> int:
        """Character offset of a byte offset that starts a character."""
        if self.ascii:
            return byte
        k = bisect.bisect_left(self._starts, byte)
        return byte - (self._cum[k - 1] if k else 0)

    def byte(self, char: int) -> int:
        if self.ascii:
            return char
        # Non-ASCII characters before `char`: those whose char index < char.
        lo, hi = 0, len(self._starts)
        while lo < hi:
            mid = (lo + hi) // 2
            ci = self._starts[mid] - (self._cum[mid - 1] if mid else 0)
            if ci < char:
                lo = mid + 1
            else:
                hi = mid
        return char + (self._cum[lo - 1] if lo else 0)

    def span(self, node: Node) -> tuple[int, int]:
        return self.char(node.start_byte), self.char(node.end_byte)

    def src(self, node: Node) -> str:
        """The blanked text of ``node`` (what the parser saw)."""
        if self.ascii:
            return self.text[node.start_byte : node.end_byte]
        return self.data[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def orig(self, node: Node) -> str:
        """The original text of ``node`` (``${{ }}`` intact)."""
        s, e = self.span(node)
        return self.original[s:e]

    def has_expr(self, node: Node) -> bool:
        """Whether ``node`` overlaps a ``${{ }}`` expression (its value is unknown here)."""
        if not self.expr_bytes:
            return False
        s, e = node.start_byte, node.end_byte
        return any(a < e and s < b for a, b in self.expr_bytes)


def _norm(text: str, limit: int = 60) -> str:
    """A short, whitespace-normalised excerpt: stable across reformatting and line moves."""
    text = " ".join(text.replace("\\\n", " ").split())
    return text if len(text) <= limit else text[:limit].rstrip() + "..."


# --------------------------------------------------------------------------- collection

_SUBSTITUTIONS = frozenset({"command_substitution", "process_substitution"})
_LEAVES = frozenset({"word", "raw_string", "number", "comment", "string_content", "heredoc_content"})

# One query collects every node kind the detectors look at, in C: much cheaper
# than visiting each node from Python. Context that only some detectors need
# (is this command in a condition? is it the last one?) is computed lazily, by
# climbing parents, for the few nodes that ask.
_QUERY_SOURCE = """
(command) @command
(list) @list
(pipeline) @pipeline
(declaration_command) @declaration
(command_substitution) @substitution
(process_substitution) @substitution
(file_redirect) @redirect
(heredoc_redirect) @heredoc
(variable_assignment) @assignment
(for_statement) @for
(comment) @comment
(special_variable_name) @special
((variable_name) @pipestatus (#eq? @pipestatus "PIPESTATUS"))
"""
_QUERY: Query | None = None


def _query() -> Query:
    global _QUERY
    if _QUERY is None:
        _parser()  # makes sure the language is loaded
        assert _LANGUAGE is not None
        _QUERY = Query(_LANGUAGE, _QUERY_SOURCE)
    return _QUERY


@dataclass(slots=True)
class _Rec:
    """A node of interest and its ``depth``: how many ``$(...)``/``<(...)`` it sits in.

    A command at depth > 0 runs in a subshell: its failure is the
    substitution's business, and ``set -e`` does not reach into it.
    """

    node: Node
    depth: int
    name: bytes = b""  # commands: the raw text of the command name (b"" when there is none)

    def runs(self, program: bytes) -> bool:
        """Cheap pre-filter: may this command run ``program``, directly, by path, or via a wrapper?"""
        name = self.name
        if name == program or name.endswith(b"/" + program):
            return True
        return name in _WRAPPER_BYTES and program in (self.node.text or b"")


@dataclass(slots=True)
class _Tree:
    src: _Source
    tree: Tree
    error: Node | None
    commands: list[_Rec] = field(default_factory=list)
    command_starts: list[int] = field(default_factory=list)
    lists: list[_Rec] = field(default_factory=list)
    pipelines: list[_Rec] = field(default_factory=list)
    declarations: list[_Rec] = field(default_factory=list)
    substitutions: list[_Rec] = field(default_factory=list)
    redirects: list[_Rec] = field(default_factory=list)  # file_redirect
    heredocs: list[_Rec] = field(default_factory=list)  # heredoc_redirect
    assignments: list[Node] = field(default_factory=list)
    fors: list[_Rec] = field(default_factory=list)
    comments: list[Node] = field(default_factory=list)
    status_reads: list[int] = field(default_factory=list)  # byte offsets of $? and PIPESTATUS
    pipestatus_reads: list[int] = field(default_factory=list)
    cmd_cache: dict[tuple[int, int], _Cmd | None] = field(default_factory=dict)
    context_cache: dict[tuple[int, int, str], _Context] | None = None

    def context(self, node: Node) -> _Context:
        """Where ``node`` (a command or assignment of the top shell) sits, as far as failure goes."""
        if self.context_cache is None:
            self.context_cache = _contexts(self.tree.root_node)
        found = self.context_cache.get((node.start_byte, node.end_byte, node.type))
        return found if found is not None else _Context(True, True, False)  # unknown: claim nothing


def _first_error(root: Node) -> Node | None:
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            return node
        if node.has_error:
            stack.extend(reversed(node.children))
    return None


def _by_start(nodes: Iterable[Node]) -> list[Node]:
    return sorted(nodes, key=lambda n: (n.start_byte, -n.end_byte))


def _collect(t: _Tree, roots: Sequence[Node]) -> None:
    """File the nodes of interest by kind, in document order, with their substitution depth."""
    found: dict[str, list[Node]] = {}
    cursor = QueryCursor(_query())
    for root in roots:
        for name, nodes in cursor.captures(root).items():
            found.setdefault(name, []).extend(nodes)
    subs = _by_start(found.get("substitution", ()))
    sub_ranges = [(n.start_byte, n.end_byte) for n in subs]

    def with_depth(nodes: Iterable[Node]) -> list[_Rec]:
        """Depth by a sweep over the (sorted) substitution ranges."""
        out: list[_Rec] = []
        open_ends: list[int] = []
        k = 0
        for node in _by_start(nodes):
            start = node.start_byte
            while k < len(sub_ranges) and sub_ranges[k][0] < start:
                while open_ends and open_ends[-1] <= sub_ranges[k][0]:
                    open_ends.pop()
                open_ends.append(sub_ranges[k][1])
                k += 1
            while open_ends and open_ends[-1] <= start:
                open_ends.pop()
            out.append(_Rec(node, len(open_ends)))
        return out

    t.commands = with_depth(found.get("command", ()))
    for rec in t.commands:
        name_node = rec.node.child_by_field_name("name")
        if name_node is not None:
            rec.name = name_node.text or b""
    t.command_starts = [r.node.start_byte for r in t.commands]
    t.lists = with_depth(found.get("list", ()))
    t.pipelines = with_depth(found.get("pipeline", ()))
    t.declarations = with_depth(found.get("declaration", ()))
    # A substitution's own depth counts itself: the commands inside it are at that depth.
    t.substitutions = [_Rec(r.node, r.depth + 1) for r in with_depth(subs)]
    t.redirects = with_depth(found.get("redirect", ()))
    t.heredocs = with_depth(found.get("heredoc", ()))
    t.fors = with_depth(found.get("for", ()))
    t.assignments = _by_start(found.get("assignment", ()))
    t.comments = _by_start(found.get("comment", ()))
    t.pipestatus_reads = sorted(n.start_byte for n in found.get("pipestatus", ()))
    specials = [n.start_byte for n in found.get("special", ()) if n.text == b"?"]
    t.status_reads = sorted(specials + t.pipestatus_reads)


def _is_statement(node: Node) -> bool:
    return node.is_named and node.type != "comment"


@dataclass(slots=True)
class _Context:
    """Where a command sits, as far as failure goes.

    ``cond``: a failure does not trip ``set -e`` (if/while condition, left of
    ``&&``/``||``, after ``!``). ``handled``: a failure is acted on even
    without ``-e`` (condition, left of ``||``, ``!``, non-last of a
    pipeline). ``final``: its status may become the status of the whole body.
    """

    cond: bool = False
    handled: bool = False
    final: bool = True


# Statement-level node kinds the context pass descends into; everything else
# (words, a command's arguments, `$(...)`) either holds no statement of the top
# shell or is a leaf for this purpose.
_STRUCTURE = frozenset(
    {
        "program", "compound_statement", "subshell", "do_group", "else_clause", "elif_clause", "if_statement",
        "while_statement", "for_statement", "c_style_for_statement", "case_statement", "case_item", "list",
        "pipeline", "negated_command", "redirected_statement", "function_definition", "variable_assignments",
    }
)  # fmt: skip


def _contexts(root: Node) -> dict[tuple[int, int, str], _Context]:
    """The context of every command and assignment statement of the top shell, in one top-down pass.

    Climbing from each node instead would be quadratic twice over (tree-sitter
    finds a node's parent by descending from the root): a 5 000-link
    ``a || b || …`` chain must not take minutes.
    """
    out: dict[tuple[int, int, str], _Context] = {}
    stack: list[tuple[Node, _Context]] = [(root, _Context())]
    while stack:
        node, ctx = stack.pop()
        kind = node.type
        if kind not in _STRUCTURE:
            out[(node.start_byte, node.end_byte, kind)] = ctx
            continue
        children = node.children
        named = [c for c in children if c.is_named and c.type != "comment"]

        def push(child: Node, cond: bool = ctx.cond, handled: bool = ctx.handled, final: bool = ctx.final) -> None:
            stack.append((child, _Context(cond, handled, final)))

        if kind in ("program", "compound_statement", "subshell", "do_group", "else_clause"):
            for i, c in enumerate(named):
                push(c, final=ctx.final and i == len(named) - 1)
        elif kind == "list":
            op = next((c.type for c in children if c.type in ("&&", "||")), "&&")
            for i, c in enumerate(named):
                if i == 0:
                    push(c, cond=True, handled=ctx.handled or op == "||", final=ctx.final and op == "&&")
                elif i == len(named) - 1:
                    push(c)
                else:
                    push(c, final=False)
        elif kind == "pipeline":
            for i, c in enumerate(named):
                last = i == len(named) - 1
                push(c, handled=ctx.handled or not last, final=ctx.final and last)
        elif kind == "negated_command":
            for c in named:
                push(c, cond=True, handled=True)
        elif kind in ("if_statement", "elif_clause"):
            in_condition = True
            body: list[Node] = []
            for c in children:
                if c.type == "then":
                    in_condition = False
                elif c.type in ("elif_clause", "else_clause"):
                    push(c)
                elif c.is_named and c.type != "comment":
                    if in_condition:
                        push(c, cond=True, handled=True, final=False)
                    else:
                        body.append(c)
            for i, c in enumerate(body):
                push(c, final=ctx.final and i == len(body) - 1)
        elif kind == "while_statement":
            # A loop's status is its last iteration's: earlier failures are lost.
            for c in named:
                if c.type == "do_group":
                    push(c, final=False)
                else:
                    push(c, cond=True, handled=True, final=False)
        elif kind == "case_item":
            after = False
            body = []
            for c in children:
                if c.type == ")":
                    after = True
                elif after and c.is_named and c.type != "comment":
                    body.append(c)
            for i, c in enumerate(body):
                push(c, final=ctx.final and i == len(body) - 1)
        elif kind in ("for_statement", "c_style_for_statement"):
            for c in named:
                push(c, final=False)
        else:  # case_statement, redirected_statement, function_definition, variable_assignments
            for c in named:
                push(c)
    return out


_PARSE_CACHE_SIZE = 32


@lru_cache(maxsize=_PARSE_CACHE_SIZE)
def _parse(text: str) -> _Tree:
    """Parse and collect ``text`` once; the rule engine asks for outputs and issues of the same body."""
    src = _Source(text)
    tree = _parser().parse(src.data)
    root = tree.root_node
    error = _first_error(root) if root.has_error else None
    t = _Tree(src, tree, error)
    if error is None:
        _collect(t, [root])
    else:
        _collect(t, [c for c in root.children if c.is_named and not c.has_error and not c.is_error])
    return t


# --------------------------------------------------------------------------- words and commands


def _unescape_word(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text) if "\\" in text else text


def _static(src: _Source, node: Node) -> str | None:
    """The literal value of a word-like node, or None when it depends on run time."""
    kind = node.type
    if src.expr_bytes and src.has_expr(node):
        return None
    if kind == "word" or kind == "number":
        return _unescape_word(src.src(node))
    if kind == "raw_string":
        return src.src(node)[1:-1]
    if kind == "string":
        parts: list[str] = []
        for c in node.named_children:
            if c.type != "string_content":
                return None
            parts.append(re.sub(r'\\([$`"\\\n])', r"\1", src.src(c)))
        return "".join(parts)
    if kind == "ansi_c_string":
        return src.src(node)[2:-1]
    if kind == "concatenation":
        pieces = [_static(src, c) for c in node.named_children]
        if any(p is None for p in pieces):
            return None
        return "".join(p for p in pieces if p is not None)
    return None


@dataclass(slots=True)
class _Cmd:
    """A simple command after looking through wrappers (``sudo``, ``env``, ``xargs``…)."""

    node: Node
    name_node: Node
    name: str | None  # as written; None when computed at run time
    base: str  # lower-cased basename ('' when unknown)
    args: list[Node]
    vals: list[str | None]

    def positionals(self, limit: int = 4, skip: frozenset[str] = frozenset()) -> list[str]:
        out: list[str] = []
        it = iter(zip(self.args, self.vals, strict=True))
        for _node, val in it:
            if val is None:
                continue
            if val.startswith("-"):
                if val in skip:
                    next(it, None)
                continue
            out.append(val.lower())
            if len(out) >= limit:
                break
        return out

    def has_flag(self, *flags: str) -> bool:
        return any(v in flags for v in self.vals if v is not None)


def _basename(name: str) -> str:
    return name.rsplit("/", 1)[-1].lower()


# Options (of the wrapper itself) that take a value.
_WRAPPER_VALUE_OPTS: dict[str, frozenset[str]] = {
    "sudo": frozenset({"-u", "-g", "-C", "-h", "-p", "-U", "-r", "-t", "-T", "-D", "-R"}),
    "doas": frozenset({"-u", "-C"}),
    "env": frozenset({"-u", "-C", "-S", "--unset", "--chdir", "--split-string"}),
    "nice": frozenset({"-n", "--adjustment"}),
    "ionice": frozenset({"-c", "-n", "-p"}),
    "timeout": frozenset({"-s", "-k", "--signal", "--kill-after"}),
    "exec": frozenset({"-a"}),
    "xargs": frozenset(
        {"-I", "-n", "-P", "-L", "-d", "-s", "-E", "-a", "-e", "--max-args", "--max-procs", "--delimiter"}
    ),
    "npx": frozenset({"-p", "--package", "-c", "--call"}),
    "pnpx": frozenset({"-p", "--package"}),
    "bunx": frozenset({"-p", "--package"}),
    "uvx": frozenset({"--from", "--with", "-p", "--python"}),
    "time": frozenset({"-f", "-o", "--format", "--output"}),
    "stdbuf": frozenset({"-i", "-o", "-e"}),
}
_WRAPPERS = frozenset(_WRAPPER_VALUE_OPTS) | frozenset({"nohup", "command", "caffeinate", "dotenv", "unbuffer"})
_WRAPPER_BYTES = frozenset(w.encode() for w in _WRAPPERS) | {b"/usr/bin/env", b"/usr/bin/time"}
_RUN_WRAPPERS = {
    "poetry": "run",
    "uv": "run",
    "pdm": "run",
    "pipenv": "run",
    "hatch": "run",
    "pipx": "run",
    "rye": "run",
    "bundle": "exec",
    "npm": "exec",
    "pnpm": "exec",
    "yarn": "dlx",
}


def _command(src: _Source, node: Node) -> _Cmd | None:
    """The effective command of a ``command`` node, wrappers looked through."""
    name_node = node.child_by_field_name("name")
    if name_node is None:
        return None
    args = node.children_by_field_name("argument")
    words = [name_node.named_children[0] if name_node.named_child_count == 1 else name_node, *args]
    vals = [_static(src, w) for w in words]
    i = 0
    for _ in range(6):  # wrappers nest rarely; bounded anyway
        name = vals[i]
        if name is None:
            break
        base = _basename(name)
        if base in _WRAPPERS:
            if base == "command" and any(v in ("-v", "-V") for v in vals[i + 1 : i + 2]):
                break
            value_opts = _WRAPPER_VALUE_OPTS.get(base, frozenset())
            j = i + 1
            seen_duration = base != "timeout"
            while j < len(vals):
                v = vals[j]
                if v is None:
                    break
                if v.startswith("-"):
                    j += 2 if v in value_opts else 1
                    continue
                if base == "env" and "=" in v:
                    j += 1
                    continue
                if not seen_duration:
                    seen_duration = True
                    j += 1
                    continue
                break
            if j >= len(vals):
                break
            i = j
            continue
        sub = _RUN_WRAPPERS.get(base)
        if sub is not None and i + 1 < len(vals) and vals[i + 1] == sub:
            j = i + 2
            while j < len(vals) and (vals[j] or "").startswith("-"):
                j += 1
            if j >= len(vals):
                break
            i = j
            continue
        break
    name = vals[i]
    base = _basename(name) if name is not None else ""
    return _Cmd(node, words[i], name, base, words[i + 1 :], vals[i + 1 :])


def _cmd_of(t: _Tree, node: Node) -> _Cmd | None:
    """:func:`_command`, memoised per parse (several detectors ask about the same command)."""
    key = (node.start_byte, node.end_byte)
    cache = t.cmd_cache
    if key in cache:
        return cache[key]
    cmd = cache[key] = _command(t.src, node)
    return cmd


def _command_of(src: _Source, node: Node) -> _Cmd | None:
    """The command of a statement node (looking through a redirection)."""
    while node.type == "redirected_statement":
        body = node.child_by_field_name("body")
        if body is None:
            return None
        node = body
    if node.type != "command":
        return None
    return _command(src, node)


# --------------------------------------------------------------------------- "can fail meaningfully"

_NETWORK = frozenset({"curl", "wget", "http", "https", "xh", "httpie", "ssh", "scp", "sftp", "rsync", "lftp", "ftp"})
_REGISTRY = frozenset(
    {"docker", "podman", "nerdctl", "buildah", "crane", "gcrane", "skopeo", "oras", "regctl", "cosign", "notation"}
    | {"ko"}
)
_REGISTRY_BENIGN = frozenset(
    {
        "rm", "rmi", "stop", "kill", "prune", "logout", "login", "pull", "inspect", "ls", "ps", "images", "network",
        "volume", "delete", "digest", "version", "info", "untag", "wait", "logs", "top", "context", "use", "du",
        "system", "stats", "events", "df", "config", "catalog", "discover", "list", "search", "tree", "auth", "help",
        "history", "port", "diff", "unpause", "pause", "restart",
    }
)  # fmt: skip
_DOCKER_GLOBAL_VALUE_OPTS = frozenset({"--context", "-c", "--config", "-H", "--host", "-l", "--log-level"})
_GH = frozenset({"gh", "glab", "tea", "hub"})
_GH_WRITES = frozenset(
    {
        ("release", "create"), ("release", "upload"), ("release", "edit"), ("workflow", "run"), ("pr", "merge"),
        ("secret", "set"), ("variable", "set"), ("run", "rerun"), ("release", "new"),
    }
)  # fmt: skip
_KUBE = frozenset({"kubectl", "oc", "kubecolor"})
_KUBE_WRITES = frozenset({"apply", "replace", "patch", "set", "rollout", "scale", "wait", "run", "exec", "cp"})
_HELM_WRITES = frozenset({"upgrade", "install", "push", "rollback", "test", "package", "cm-push"})
_IAC = {"terraform": {"apply", "import"}, "tofu": {"apply", "import"}, "terragrunt": {"apply", "run-all"}}
_PULUMI_WRITES = frozenset({"up", "update", "deploy"})
_CLOUD = frozenset(
    {
        "aws", "gcloud", "gsutil", "az", "doctl", "flyctl", "fly", "heroku", "vercel", "netlify", "wrangler",
        "firebase", "argocd", "flux", "vault", "jf", "jfrog", "s3cmd", "rclone", "mc", "eksctl", "ecs-cli", "sam",
        "cdk", "serverless", "sls", "railway", "render", "kamal", "dokku", "bq", "oci", "ibmcloud",
    }
)  # fmt: skip
_WRITE_VERBS = frozenset(
    {
        "deploy", "update", "put", "push", "cp", "sync", "mv", "publish", "upload", "promote", "invoke", "start",
        "apply", "set", "tag", "import", "release", "copy", "submit", "register", "add", "replace", "write",
        "reconcile", "rollout", "patch", "scale", "restart", "run", "send", "u", "dp", "bp",
    }
)  # fmt: skip
_READ_VERBS = frozenset(
    {
        "delete", "remove", "rm", "describe", "get", "list", "ls", "wait", "login", "logout", "create", "show",
        "view", "status", "help", "version", "auth", "config", "configure", "whoami", "info", "inspect", "logs",
        "cat", "tail", "download", "head", "check", "validate", "lint", "plan", "init", "stat",
    }
)  # fmt: skip
_ALWAYS = frozenset(
    {"twine", "goreleaser", "semantic-release", "ghr", "ansible", "ansible-playbook", "release-it", "lerna"}
    | {"changeset"}
)
_PUBLISH_TOOLS = frozenset(
    {
        "npm", "yarn", "pnpm", "bun", "cargo", "gem", "poetry", "uv", "flit", "hatch", "pdm", "dotnet", "nuget",
        "mvn", "gradle", "make", "just", "task", "sbt", "lein", "mix", "rake", "bundle", "deno", "jreleaser",
        "maturin", "vsce", "ovsx", "helmfile", "skaffold", "tilt", "earthly", "bazel", "bazelisk", "nx", "turbo",
    }
)  # fmt: skip
_PUBLISH_RE = re.compile(r"deploy|publish|release|push|promote|upload")
_INTERPRETERS = frozenset(
    {"node", "nodejs", "ruby", "perl", "php", "bash", "sh", "zsh", "dash", "ksh", "pwsh", "rscript"}
)
_VERSION_FLAGS = frozenset({"--version", "-V", "-v", "--help", "-h", "-version"})
_PY_BENIGN_MODULES = frozenset({"pip", "venv", "ensurepip", "site", "http.server", "json.tool", "virtualenv", "pipx"})
_GIT_READ = frozenset({"push", "fetch", "pull", "clone", "ls-remote"})


def _is_python(base: str) -> bool:
    return base.startswith(("python", "pypy")) and not base.endswith(("-config", "-dbg"))


def _is_repo_path(name: str) -> bool:
    """A command run by path from the work tree (``./x``, ``scripts/x``), not a system binary."""
    return "/" in name and not name.startswith(("/", "~")) and "://" not in name


def _can_fail(cmd: _Cmd, reads: bool) -> bool:
    """Whether a failure of ``cmd`` would lose something that matters (see the module docs).

    ``reads``: also count read-only calls of remote tools (inside ``$(...)``
    and on the left of a pipe, where an empty result flows on).
    """
    name, base = cmd.name, cmd.base
    if name is None:
        text = cmd.name_node.text or b""
        # `"$GITHUB_ACTION_PATH/run.sh"`, `${{ github.action_path }}/x.sh`: a script by path.
        return b"/" in text and not text.startswith(b"/")
    first = next((v for v in cmd.vals if v is not None), None)
    if first in ("version", "help", "--version", "--help", "-h", "-V"):
        return False
    if base in _NETWORK:
        return not cmd.has_flag("--version", "-V", "--help", "-h")
    if base in _REGISTRY:
        pos = cmd.positionals(3, _DOCKER_GLOBAL_VALUE_OPTS)
        if not pos or pos[0] in ("version", "help", "info") or cmd.has_flag("--version", "--help"):
            return False
        if reads:
            return True
        for i, word in enumerate(pos):
            if word in _REGISTRY_BENIGN:
                return False
            if word == "create" and (i == 0 or pos[i - 1] not in ("manifest", "imagetools")):
                return False
        return True
    if base in _GH:
        pos = cmd.positionals(2)
        if not pos or pos[0] in ("version", "help", "--version"):
            return False
        if reads or pos[0] == "api":
            return True
        if cmd.has_flag("--disable-auto", "--auto"):
            return False  # toggles auto-merge: a setting, not the merge
        return len(pos) >= 2 and (pos[0], pos[1]) in _GH_WRITES
    if base in _KUBE:
        pos = cmd.positionals(1)
        return bool(pos) and (reads or pos[0] in _KUBE_WRITES) and pos[0] not in ("version", "help")
    if base == "helm":
        pos = cmd.positionals(2)
        return bool(pos) and (reads or pos[0] in _HELM_WRITES) and pos[0] not in ("version", "help")
    if base in _IAC:
        pos = cmd.positionals(3)
        return bool(pos) and (reads or any(p in _IAC[base] for p in pos)) and pos[0] not in ("version", "fmt")
    if base == "pulumi":
        pos = cmd.positionals(2)
        return bool(pos) and (reads or pos[0] in _PULUMI_WRITES)
    if base in _CLOUD:
        pos = cmd.positionals(4)
        if not pos or cmd.has_flag("--version", "--help"):
            return False
        if reads:
            return pos[0] not in ("version", "help", "configure", "config")
        parts = {p for word in pos for p in re.split(r"[-:_]", word)}
        if parts & _READ_VERBS:
            return False
        return bool(parts & _WRITE_VERBS)
    if base in _ALWAYS:
        return not cmd.has_flag(*_VERSION_FLAGS)
    if base == "git":
        pos = cmd.positionals(1, frozenset({"-C", "-c", "--git-dir", "--work-tree"}))
        if not pos:
            return False
        if pos[0] == "push":
            return not cmd.has_flag("--delete", "-d") and not any(v is not None and v.startswith(":") for v in cmd.vals)
        return reads and pos[0] in _GIT_READ
    if base in _PUBLISH_TOOLS or base in ("mvnw", "gradlew"):
        return any(_PUBLISH_RE.search(p) for p in cmd.positionals(4))
    if _is_python(base):
        vals = cmd.vals
        if not vals:
            return False  # a REPL with no input: nothing runs
        first = vals[0]
        if first in _VERSION_FLAGS:
            return False
        if "-m" in vals:
            k = vals.index("-m")
            module = vals[k + 1] if k + 1 < len(vals) else None
            return module not in _PY_BENIGN_MODULES
        return True
    if base in _INTERPRETERS:
        return bool(cmd.vals) and cmd.vals[0] not in _VERSION_FLAGS
    if base in ("java",):
        return "-jar" in cmd.vals
    if base == "go":
        return cmd.positionals(1) == ["run"]
    if _is_repo_path(name):
        return True
    return name.endswith((".sh", ".py", ".bash", ".js", ".rb", ".pl"))


# --------------------------------------------------------------------------- analysis


@dataclass(slots=True)
class _Event:
    byte: int
    option: str  # 'errexit' | 'pipefail'
    on: bool
    node: Node


def _set_events(t: _Tree) -> list[_Event]:
    """``set -e``/``+e``/``-o pipefail``… in document order (top shell only, not ``$(...)``)."""
    events: list[_Event] = []
    src = t.src
    for rec in t.commands:
        if rec.depth or rec.name != b"set":
            continue
        node = rec.node
        vals = [_static(src, a) for a in node.children_by_field_name("argument")]
        i = 0
        while i < len(vals):
            v = vals[i]
            i += 1
            if v is None or v == "--" or len(v) < 2 or v[0] not in "-+":
                break
            on = v[0] == "-"
            for ch in v[1:]:
                if ch == "e":
                    events.append(_Event(node.start_byte, "errexit", on, node))
                elif ch == "o" and i < len(vals):
                    opt = vals[i]
                    i += 1
                    if opt in ("errexit", "pipefail"):
                        events.append(_Event(node.start_byte, opt, on, node))
    return events


def _any_in(sorted_offsets: Sequence[int], start: int, stop: int) -> bool:
    """Whether a sorted list holds an offset in ``[start, stop)``."""
    k = bisect.bisect_left(sorted_offsets, start)
    return k < len(sorted_offsets) and sorted_offsets[k] < stop


class _States:
    """Whether an option is on just before an offset, from the ``set`` events (sorted once, queried often)."""

    def __init__(self, events: Sequence[_Event], option: str, initial: bool) -> None:
        relevant = [e for e in events if e.option == option]
        self.offsets = [e.byte for e in relevant]
        self.values = [e.on for e in relevant]
        self.initial = initial

    def at(self, byte: int) -> bool:
        k = bisect.bisect_left(self.offsets, byte)
        return self.values[k - 1] if k else self.initial


@dataclass(slots=True)
class _Analysis:
    t: _Tree
    spec: ShellSpec
    issues: list[ScriptIssue] = field(default_factory=list)
    # Byte regions already reported as a whole (`set +e`, `set +o pipefail`), one
    # sorted, non-overlapping list per option.
    quiet: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    _tested: dict[str, set[str]] = field(default_factory=dict)

    # ---- helpers

    def cmd(self, node: Node) -> _Cmd | None:
        return _cmd_of(self.t, node)

    def commands_in(self, node: Node, depth: int) -> Iterator[_Rec]:
        """Commands inside ``node`` at substitution depth ``depth`` (document order)."""
        t = self.t
        lo = bisect.bisect_left(t.command_starts, node.start_byte)
        hi = bisect.bisect_left(t.command_starts, node.end_byte)
        for rec in t.commands[lo:hi]:
            if rec.depth == depth and rec.node.end_byte <= node.end_byte:
                yield rec

    def failing_in(self, node: Node, depth: int, reads: bool) -> _Cmd | None:
        for rec in self.commands_in(node, depth):
            cmd = self.cmd(rec.node)
            if cmd is not None and _can_fail(cmd, reads):
                return cmd
        return None

    def is_quiet(self, byte: int) -> bool:
        for regions in self.quiet.values():
            k = bisect.bisect_right(regions, (byte, len(self.t.src.data) + 1)) - 1
            if k >= 0 and regions[k][0] <= byte < regions[k][1]:
                return True
        return False

    def add(self, detector: str, message: str, start_node: Node, end_node: Node, subject: str) -> None:
        src = self.t.src
        self.issues.append(
            ScriptIssue(detector, message, src.char(start_node.start_byte), src.char(end_node.end_byte), subject)
        )

    def short(self, cmd: _Cmd) -> str:
        return _norm(self.t.src.orig(cmd.node), 40)

    # ---- detectors

    def set_regions(self, events: list[_Event]) -> None:
        t = self.t
        end_of_text = len(t.src.data)
        for option, initial in (("errexit", self.spec.errexit), ("pipefail", self.spec.pipefail)):
            state = initial
            relevant = [e for e in events if e.option == option]
            for k, e in enumerate(relevant):
                if state and not e.on:
                    stop = next((f.byte for f in relevant[k + 1 :] if f.on), end_of_text)
                    if option == "errexit":
                        self._set_plus_e(e, stop)
                    else:
                        self._set_plus_pipefail(e, stop)
                state = e.on

    def _set_plus_e(self, e: _Event, stop: int) -> None:
        t = self.t
        if _any_in(t.status_reads, e.byte, stop):
            return  # the region captures `$?` / PIPESTATUS: a deliberate, handled status
        lo = bisect.bisect_left(t.command_starts, e.node.end_byte)
        hi = bisect.bisect_left(t.command_starts, stop)
        for rec in t.commands[lo:hi]:
            anchor = rec.node
            if rec.depth == 1:
                # `out=$(cmd)` hands cmd's status to the assignment, which errexit would act on.
                sub = _enclosing_substitution(rec.node)
                assignment = _plain_assignment_of(sub) if sub is not None else None
                if assignment is None or self.substitution_tested(rec.node):
                    continue  # `code=$(curl …)` then `[ "$code" = 200 ]`: the failure becomes a tested value
                anchor = assignment
            elif rec.depth:
                continue
            if self.t.context(anchor).cond:
                continue
            cmd = self.cmd(rec.node)
            if cmd is not None and _can_fail(cmd, False):
                self.quiet.setdefault("errexit", []).append((e.byte, stop))
                self.add(
                    "set-plus-e",
                    f"`set +e` turns errexit off, so a failure of `{self.short(cmd)}` (and of every command until "
                    "`set -e`) is ignored and the step still succeeds; keep errexit on and handle an expected "
                    "failure explicitly (`if ! cmd; then …; exit 1; fi`), or read `$?` right after the command.",
                    e.node,
                    e.node,
                    _norm(t.src.orig(e.node)) + " / " + _norm(t.src.orig(cmd.node), 40),
                )
                return

    def _set_plus_pipefail(self, e: _Event, stop: int) -> None:
        t = self.t
        if _any_in(t.pipestatus_reads, e.byte, stop):
            return
        starts = [r.node.start_byte for r in t.pipelines]
        for rec in t.pipelines[bisect.bisect_left(starts, e.node.end_byte) : bisect.bisect_left(starts, stop)]:
            masked = self.masked_in_pipeline(rec)
            if masked is None:
                continue
            self.quiet.setdefault("pipefail", []).append((e.byte, stop))
            self.add(
                "set-plus-pipefail",
                f"`set +o pipefail` makes `{_norm(t.src.orig(rec.node), 40)}` report only its last command, "
                f"so a failure of `{self.short(masked)}` is lost; keep pipefail on.",
                e.node,
                e.node,
                _norm(t.src.orig(e.node)) + " / " + _norm(t.src.orig(rec.node), 40),
            )
            return

    def trap_err(self) -> None:
        src = self.t.src
        for rec in self.t.commands:
            if rec.name != b"trap":
                continue
            node = rec.node
            vals = [_static(src, a) for a in node.children_by_field_name("argument")]
            if vals and vals[0] == "--":
                vals = vals[1:]
            if len(vals) >= 2 and vals[0] == "" and any(v is not None and v.upper() in ("ERR", "SIGERR") for v in vals):
                self.add(
                    "trap-err-ignored",
                    "`trap '' ERR` ignores the ERR condition that failure handling relies on; remove it.",
                    node,
                    node,
                    _norm(src.orig(node)),
                )

    def or_true(self) -> None:
        src = self.t.src
        for rec in self.t.lists:
            node = rec.node
            children = node.children
            if not any(c.type == "||" for c in children):
                continue
            named = [c for c in children if _is_statement(c)]
            if len(named) < 2:
                continue
            left, right = named[0], named[-1]
            swallow = self._swallower(right)
            if swallow is None or self.is_quiet(node.start_byte):
                continue
            parent = node.parent
            if parent is not None and parent.type == "list" and any(c.type == "&&" for c in parent.children):
                after = [c for c in parent.children if _is_statement(c)][-1]
                if after != node and _fails(src, after):
                    continue  # `cmd || echo … && exit 1`: it still fails
            cmd = self.failing_in(left, rec.depth, reads=False)
            if cmd is None or (rec.depth and self.substitution_tested(node)):
                continue
            if _records_outcome(src, right) or _records_outcome(src, _statement_of(node)):
                continue  # `… || echo "ok=false" >> "$GITHUB_OUTPUT"`: a later step decides on the value
            self.add(
                "or-true",
                f"`|| {swallow}` discards the failure of `{self.short(cmd)}`, so the step succeeds when it fails; "
                "drop the fallback and let it fail, or handle the error and `exit 1`.",
                node,
                node,
                _norm(src.orig(cmd.node)) + " || " + _norm(src.orig(right), 20),
            )

    def _swallower(self, node: Node) -> str | None:
        """What a right-hand side of ``||`` does if it swallows the failure, else None."""
        src = self.t.src
        while node.type == "redirected_statement":
            body = node.child_by_field_name("body")
            if body is None:
                return None
            node = body
        if node.type in ("compound_statement", "subshell"):
            statements = [c for c in node.children if _is_statement(c)]
            if not statements:
                return None
            kinds = [self._swallower(s) for s in statements]
            if any(k is None for k in kinds):
                return None
            return _norm(src.orig(node), 30)
        if node.type == "variable_assignment":
            return None
        if node.type != "command":
            return None
        name = node.child_by_field_name("name")
        if name is None:
            return None
        word = _static(src, name.named_children[0]) if name.named_child_count == 1 else None
        if word is None:
            return None
        vals = [_static(src, a) for a in node.children_by_field_name("argument")]
        if word in ("true", ":", "/bin/true", "/usr/bin/true"):
            return word
        if word in ("echo", "printf"):
            return _norm(src.orig(node), 30)
        if word in ("exit", "return"):
            return f"{word} 0" if vals[:1] == ["0"] else None
        if word in ("continue", "break"):
            return word
        return None

    def masked_in_pipeline(self, rec: _Rec) -> _Cmd | None:
        """The command whose failure ``rec``'s pipeline would hide without pipefail, if any."""
        node = rec.node
        elements = [c for c in node.children if _is_statement(c)]
        if node.children and node.children[0].type in ("|", "|&"):
            # `cmd <<EOF | next`: tree-sitter hangs the pipe under the heredoc.
            owner = node.parent.parent if node.parent is not None else None
            body = owner.child_by_field_name("body") if owner is not None else None
            if body is None:
                return None
            elements = [body, *elements]
        if len(elements) < 2 or _propagates_empty(self.t.src, elements[-1]):
            return None
        for element in elements[:-1]:
            cmd = self.failing_in(element, rec.depth, reads=True)
            if cmd is not None:
                return cmd
        return None

    def pipelines(self, events: list[_Event]) -> None:
        t = self.t
        pipefail = _States(events, "pipefail", self.spec.pipefail)
        for rec in t.pipelines:
            node = rec.node
            if self.is_quiet(node.start_byte):
                continue
            if pipefail.at(node.start_byte):
                continue
            if t.pipestatus_reads and t.pipestatus_reads[-1] >= node.start_byte:
                continue
            cmd = self.masked_in_pipeline(rec)
            if cmd is None:
                continue
            if rec.depth and self.substitution_tested(node, emptiness=True):
                continue  # `v=$(curl … | jq …)` then `[ -z "$v" ] && exit 1`: an empty value fails loud
            self.add(
                "pipeline-masks-failure",
                f"without pipefail `{_norm(t.src.orig(node), 50)}` succeeds when `{self.short(cmd)}` fails (only the "
                "last command's status counts); add `set -o pipefail` (or use `shell: bash`), or split the pipeline.",
                cmd.node,
                node,
                _norm(t.src.orig(node)),
            )

    def curl(self) -> None:
        src = self.t.src
        for rec in self.t.commands:
            if not rec.runs(b"curl"):
                continue
            cmd = self.cmd(rec.node)
            if cmd is None or cmd.base != "curl":
                continue
            verdict = _curl_flags(src, cmd)
            if verdict == "ok":
                continue
            if self._curl_output_checked(rec, cmd, verdict == "code"):
                continue
            if verdict == "plain" and not _curl_writes(cmd) and _is_condition(_statement_of(rec.node)):
                continue  # `until curl -s localhost:8080/health`: a reachability probe; the status is the decision
            if verdict == "plain" and self._download_consumed(rec, cmd):
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
            self.add("curl-without-fail", message, cmd.name_node, rec.node, _norm(src.orig(rec.node)))

    def _download_consumed(self, rec: _Rec, cmd: _Cmd) -> bool:
        """Whether the file curl writes is then read by a command that fails on an HTML error page."""
        names = _curl_output_files(self.t.src, rec.node, cmd)
        if not names:
            return False
        t = self.t
        for later in t.commands[bisect.bisect_left(t.command_starts, rec.node.end_byte) :]:
            other = self.cmd(later.node)
            if other is None or other.name is None:
                continue
            if _basename(other.name) in names and other.name != cmd.name:
                return True  # `./installer.sh` downloaded, then run
            consumer = other.base
            if _is_python(consumer) or consumer in _FILE_CONSUMERS:
                values = [v for v in other.vals if v is not None]
            elif consumer in _CHECKSUMS and other.has_flag("-c", "--check"):
                statement = _statement_of(later.node)
                values = (t.src.src(statement)).split()
            else:
                continue
            if any(v.rsplit("/", 1)[-1] in names for v in values):
                return True
        return False

    def _curl_output_checked(self, rec: _Rec, cmd: _Cmd, has_code: bool) -> bool:
        """Whether curl's output is validated: piped into a content test, or its status code tested."""
        node = rec.node
        parent = node.parent
        while parent is not None and parent.type == "redirected_statement":
            node, parent = parent, parent.parent
        if parent is not None and parent.type == "pipeline":
            elements = [c for c in parent.children if _is_statement(c)]
            if elements and elements[-1] != node and (has_code or _validates_content(self.t.src, elements[-1])):
                return True
        return has_code and self.substitution_tested(rec.node)

    def substitution_tested(self, node: Node, emptiness: bool = False) -> bool:
        """Whether the ``$(...)`` around ``node`` produces a value that is then tested.

        ``code=$(curl -w '%{http_code}' …)`` + ``[ "$code" = 200 ]``, or
        ``out=$(cmd || echo 000)`` + a test of ``$out``: the failure becomes a
        value, and the test acts on it. With ``emptiness``, only a test for an
        empty value counts (``[ -z "$v" ]``, ``[ -n "$v" ]``): what recovers a
        failure whose only trace is missing output (``v=$(curl … | jq …)``),
        where ``[ "$v" != "$old" ]`` could just as well send it down the happy path.
        """
        up: Node | None = node
        for _ in range(_CLIMB):
            if up is None or up.type in _SUBSTITUTIONS or up.type == "program":
                break
            up = up.parent
        if up is None or up.type not in _SUBSTITUTIONS:
            return False
        holder = up.parent
        while holder is not None and holder.type in ("string", "concatenation"):
            holder = holder.parent
        if holder is None:
            return False
        if holder.type == "variable_assignment":
            var = holder.child_by_field_name("name")
            return var is not None and self._tested_var((var.text or b"").decode(), emptiness)
        if emptiness:
            return holder.type == "unary_expression" and _emptiness_operator(holder)
        return _in_test(holder)

    def _tested_var(self, name: str, emptiness: bool = False) -> bool:
        """Whether ``name``'s value reaches a test, directly or through variables derived from it.

        ``code=$(tail -n1 <<<"$resp")`` then ``[ "$code" = 200 ]`` tests
        ``resp`` too. The closure is computed once per body, backwards from the
        tested variables (bounded rounds: no blow-up on hostile input).
        """
        key = "empty" if emptiness else "any"
        if key not in self._tested:
            tested = _tested_variables(self.t, emptiness)
            src = self.t.src
            flows: list[tuple[str, set[str]]] = []
            for a in self.t.assignments:
                target = a.child_by_field_name("name")
                value = a.child_by_field_name("value")
                if target is not None and value is not None:
                    flows.append(((target.text or b"").decode(), _references(src, value)))
            for _ in range(8):
                grown = {ref for target, refs in flows if target in tested for ref in refs} - tested
                if not grown:
                    break
                tested |= grown
            self._tested[key] = tested
        return name in self._tested[key]

    def substitutions(self) -> None:
        """``masked-substitution``: walk from each ``$(...)`` that runs a command that can fail to its consumer."""
        t = self.t
        src = t.src
        reported: set[int] = set()
        for sub in t.substitutions:
            node = sub.node
            if node.type != "command_substitution":
                continue
            cmd = self.failing_in(node, sub.depth, reads=True)
            if cmd is None:
                continue
            consumer = _consumer(node)
            if consumer is None or consumer.start_byte in reported or self.is_quiet(consumer.start_byte):
                continue
            kind = consumer.type
            if kind == "declaration_command":
                keyword = consumer.children[0].type if consumer.children else "local"
                assignment = node.parent
                while assignment is not None and assignment.type != "variable_assignment":
                    assignment = assignment.parent
                var = assignment.child_by_field_name("name") if assignment is not None else None
                var_name = src.src(var) if var is not None else "x"
                message = (
                    f"`{keyword} {var_name}=$(…)` returns the status of `{keyword}`, not of `{self.short(cmd)}`, so "
                    f"its failure is ignored; declare first (`{keyword} {var_name}`), then assign "
                    f"(`{var_name}=$(…)`)."
                )
                start = consumer
            elif kind == "for_statement":
                body = consumer.child_by_field_name("body")
                if body is None or self.failing_in(body, sub.depth - 1, reads=False) is None:
                    continue  # a loop that only inspects or cleans up
                message = (
                    f"the status of `{self.short(cmd)}` in the `for` list is discarded, so its failure is "
                    "ignored and the loop runs over nothing; assign the list first (`v=$(…)`)."
                )
                start = node
            else:
                outer = self.cmd(consumer)
                if outer is None or outer.base in ("[", "test", "exit", "return"):
                    continue
                # Only where the lost value matters: it is printed (to $GITHUB_OUTPUT, a
                # file, the log) or handed to a command that itself can fail meaningfully.
                # `docker logs "$(docker ps -q)"` or `docker rmi $(docker images -q)` is
                # housekeeping.
                if outer.base not in _PRINTERS and not _can_fail(outer, False):
                    continue
                message = (
                    f"the status of `{self.short(cmd)}` inside `$(…)` is discarded by "
                    f"`{_norm(src.orig(consumer), 30)}`, so its failure is ignored; assign it first "
                    '(`v=$(…)`, which fails the step under `-e`), then use `"$v"`.'
                )
                start = node
            reported.add(consumer.start_byte)
            self.add("masked-substitution", message, start, start, _norm(src.orig(consumer)))

    def no_errexit(self, events: list[_Event]) -> None:
        if self.spec.errexit or self.t.error is not None:
            return
        errexit = _States(events, "errexit", False)
        for rec in self.t.commands:
            if rec.depth or errexit.at(rec.node.start_byte):
                continue
            cmd = self.cmd(rec.node)
            if cmd is None or not _can_fail(cmd, False):
                continue
            ctx = self.t.context(rec.node)
            if ctx.handled or ctx.final:
                continue
            text = self.t.src.original
            first_line_end = text.find("\n")
            end = len(text) if first_line_end == -1 else first_line_end
            self.issues.append(
                ScriptIssue(
                    "no-errexit",
                    f"this shell runs without `-e`, so a failure of `{self.short(cmd)}` is ignored and the step goes "
                    "on to succeed; start the body with `set -euo pipefail` (or use `shell: bash`).",
                    0,
                    max(end, 0),
                    "no-errexit",
                )
            )
            return


def _enclosing_substitution(node: Node) -> Node | None:
    up = node.parent
    while up is not None and up.type not in _SUBSTITUTIONS:
        if up.type == "program":
            return None
        up = up.parent
    return up


def _plain_assignment_of(sub: Node) -> Node | None:
    """The statement ``x=$(cmd)`` (also quoted) whose value is ``sub``: it keeps ``cmd``'s status."""
    up = sub.parent
    while up is not None and up.type in ("string", "concatenation"):
        up = up.parent
    if up is None or up.type != "variable_assignment":
        return None
    owner = up.parent
    return None if owner is None or owner.type in ("declaration_command", "command") else up


def _consumer(sub: Node) -> Node | None:
    """What takes the value of the ``$(...)`` ``sub`` when that discards its status.

    A ``declaration_command`` (``local x=$(…)``), a ``command`` using it as an
    argument, environment prefix or heredoc line, or a ``for_statement``
    list. None when the status survives (a plain ``x=$(…)``) or the value is
    tested (``[ "$(…)" = ok ]``, ``case $(…) in``), where an empty result
    fails the test.
    """
    child = sub
    up = sub.parent
    while up is not None:
        kind = up.type
        if kind in ("string", "concatenation", "expansion", "heredoc_body"):
            pass
        elif kind == "variable_assignment":
            owner = up.parent
            if owner is not None and owner.type in ("declaration_command", "command"):
                return owner
            return None  # `x=$(cmd)` keeps cmd's status
        elif kind == "command":
            name = up.child_by_field_name("name")
            if name is not None and name.start_byte <= child.start_byte < name.end_byte:
                return None  # `$(cmd) args`: runs the output; its status is the step's
            return up
        elif kind == "heredoc_redirect":
            owner = up.parent
            body = owner.child_by_field_name("body") if owner is not None else None
            return body if body is not None and body.type == "command" else None
        elif kind == "for_statement":
            return up
        else:
            return None  # a test, a redirect target, arithmetic...: not masked, or not our business
        child, up = up, up.parent
    return None


def _records_outcome(src: _Source, node: Node) -> bool:
    """Whether ``node`` writes to ``$GITHUB_OUTPUT``/``$GITHUB_ENV`` (a redirect or ``tee``)."""
    text = src.src(node)
    if "GITHUB_OUTPUT" not in text and "GITHUB_ENV" not in text:
        return False
    return re.search(r"(>>?|\btee\b[^|;&\n]*)\s*\"?\$\{?GITHUB_(OUTPUT|ENV)\b", text) is not None


def _fails(src: _Source, node: Node) -> bool:
    """Whether a statement always fails loud: ``exit N`` (N≠0), ``false``, ``return N``, or a group ending so."""
    while node.type == "redirected_statement":
        body = node.child_by_field_name("body")
        if body is None:
            return False
        node = body
    if node.type in ("compound_statement", "subshell"):
        statements = [c for c in node.children if _is_statement(c)]
        return bool(statements) and _fails(src, statements[-1])
    if node.type != "command":
        return False
    name = node.child_by_field_name("name")
    word = _static(src, name.named_children[0]) if name is not None and name.named_child_count == 1 else None
    if word == "false":
        return True
    if word in ("exit", "return"):
        vals = [_static(src, a) for a in node.children_by_field_name("argument")]
        return bool(vals) and vals[0] != "0"
    return False


_GREP = frozenset({"grep", "egrep", "fgrep", "rg", "ag"})
_PRINTERS = frozenset({"echo", "printf", "cat", "tee", "envsubst"})
_CHECKSUMS = frozenset({"sha256sum", "sha512sum", "sha1sum", "shasum", "md5sum", "b2sum"})
_STDIN_RUNNERS = frozenset({"sh", "bash", "dash", "zsh", "ash"})


def _validates_content(src: _Source, node: Node) -> bool:
    """Whether the last command of a pipeline fails on an HTTP error body (curl without --fail).

    Everything that fails on empty input does, and so do shells and Python
    reading a script from stdin: ``404: Not Found`` is not a valid program.
    """
    if _propagates_empty(src, node):
        return True
    cmd = _command_of(src, node)
    if cmd is None:
        return False
    if cmd.base in _STDIN_RUNNERS or _is_python(cmd.base):
        return all(v is not None and (v.startswith("-") or v == "") for v in cmd.vals[:1])
    return False


def _propagates_empty(src: _Source, node: Node) -> bool:
    """Whether the last command of a pipeline fails when its input is empty or wrong.

    If it does, a failure on the left of the pipe surfaces anyway: ``grep``
    (not ``-v``/``-c``/``-L``), ``jq -e``, ``tar x``, ``docker load``,
    ``kubectl apply -f -``, ``sha256sum -c``, ``apt-key add``, ``gpg --import``,
    ``… --password-stdin``.
    """
    cmd = _command_of(src, node)
    if cmd is None:
        return False
    if cmd.base in ("tar", "bsdtar", "gtar"):
        first = next((v for v in cmd.vals if v is not None), "")
        return (
            first in ("--extract", "--get")
            or (not first.startswith("--") and "x" in first)
            or any(v in ("-x", "--extract") for v in cmd.vals)
        )
    if cmd.base in _CHECKSUMS:
        return any(v in ("-c", "--check") for v in cmd.vals)
    if cmd.base in ("docker", "podman") and cmd.positionals(2)[:1] == ["load"]:
        return True
    if cmd.base == "apt-key" and cmd.positionals(1) == ["add"]:
        return True  # "no valid OpenPGP data found"
    if cmd.base in ("gpg", "gpg2") and cmd.has_flag("--import", "--dearmor", "--dearmour"):
        return True
    if cmd.base in _KUBE and cmd.positionals(1)[:1] in (["apply"], ["create"], ["replace"]):
        return True
    if cmd.base in _GREP:
        for v in cmd.vals:
            if v is None or not v.startswith("-"):
                continue
            if v in ("--invert-match", "--count", "--files-without-match"):
                return False
            if not v.startswith("--") and any(ch in v for ch in "vcL"):
                return False
        return True
    if cmd.base in ("jq", "yq", "gojq"):
        return any(
            v is not None and (v == "--exit-status" or (v.startswith("-") and not v.startswith("--") and "e" in v))
            for v in cmd.vals
        )
    return any(v == "--password-stdin" for v in cmd.vals)


_CURL_SHORT_WITH_VALUE = frozenset("AbcCdDeEFHKmoPQrtTuUwxXyYz")
_CURL_OPTIONS_VAR = re.compile(r"(?i)opt|flag|arg|param|curl")
_ARRAY_EXPANSION = re.compile(r"\$\{?[@*]|\[[@*]\]")


def _curl_flags(src: _Source, cmd: _Cmd) -> str:
    """'ok' (fails on HTTP errors, or cannot tell), 'code' (writes %{http_code}) or 'plain'."""
    it = iter(zip(cmd.args, cmd.vals, strict=True))
    write_out = False
    for node, val in it:
        if val is None:
            text = src.src(node)
            if _ARRAY_EXPANSION.search(text):
                return "ok"  # "${args[@]}" / "$@": may carry --fail
            if node.type in ("simple_expansion", "expansion") and _CURL_OPTIONS_VAR.search(text):
                return "ok"
            whole = src.orig(node)
            if node.type == "word" and whole.startswith("${{") and whole.endswith("}}"):
                return "ok"  # an unquoted ${{ }} word may expand to flags
            continue
        if val.startswith("--"):
            if val in ("--fail", "--fail-with-body"):
                return "ok"
            if val in ("--version", "--help", "--manual", "--config"):
                return "ok"
            if val == "--write-out":
                nxt = next(it, None)
                write_out = write_out or (nxt is not None and _writes_code(src, nxt[0], nxt[1]))
            continue
        if val.startswith("-") and len(val) > 1:
            for k, ch in enumerate(val[1:], start=1):
                if ch == "f":
                    return "ok"
                if ch in "VhMK":
                    return "ok"
                if ch in _CURL_SHORT_WITH_VALUE:
                    rest = val[k + 1 :]
                    if ch == "w":
                        if rest:
                            write_out = write_out or "http_code" in rest or "response_code" in rest
                        else:
                            nxt = next(it, None)
                            write_out = write_out or (nxt is not None and _writes_code(src, nxt[0], nxt[1]))
                    elif not rest:
                        next(it, None)
                    break
    return "code" if write_out else "plain"


_CURL_DATA = frozenset(
    {"-d", "--data", "--data-raw", "--data-binary", "--data-urlencode", "--data-ascii", "-F", "--form"}
    | {"--form-string", "-T", "--upload-file", "--json"}
)


def _curl_writes(cmd: _Cmd) -> bool:
    """Whether curl sends something (a method other than GET/HEAD, a body, an upload)."""
    vals = cmd.vals
    for i, v in enumerate(vals):
        if v is None:
            continue
        if v in _CURL_DATA or v.startswith(("--data", "--form", "--json")):
            return True
        if v in ("-X", "--request"):
            method = vals[i + 1] if i + 1 < len(vals) else None
            return method is None or method.upper() not in ("GET", "HEAD")
        if v.startswith("-") and not v.startswith("--"):
            for k, ch in enumerate(v[1:], start=1):
                if ch in "dFT":
                    return True
                if ch == "X":
                    method = v[k + 1 :] or (vals[i + 1] if i + 1 < len(vals) else None)
                    return method is None or method.upper() not in ("GET", "HEAD")
                if ch in _CURL_SHORT_WITH_VALUE:
                    break
    return False


def _curl_output_files(src: _Source, node: Node, cmd: _Cmd) -> set[str]:
    """Base names of the files curl writes: ``-o f``, ``--output f``, ``-O`` (the URL's name), ``> f``."""
    names: set[str] = set()
    vals = cmd.vals
    remote_name = False
    for i, v in enumerate(vals):
        if v is None:
            continue
        if v in ("-o", "--output") and i + 1 < len(vals) and vals[i + 1]:
            names.add((vals[i + 1] or "").rsplit("/", 1)[-1])
        elif v in ("-O", "--remote-name"):
            remote_name = True
        elif v.startswith("-") and not v.startswith("--"):
            for k, ch in enumerate(v[1:], start=1):
                if ch == "O":
                    remote_name = True
                if ch in _CURL_SHORT_WITH_VALUE:
                    if ch == "o":
                        value = v[k + 1 :] or (vals[i + 1] if i + 1 < len(vals) else None) or ""
                        names.add(value.rsplit("/", 1)[-1])
                    break
    if remote_name:
        for v in vals:
            if v is not None and "://" in v:
                names.add(v.split("?", 1)[0].split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1])
    parent = node.parent
    if parent is not None and parent.type == "redirected_statement":
        for redirect in parent.children_by_field_name("redirect"):
            if redirect.type != "file_redirect" or redirect.child_by_field_name("descriptor") is not None:
                continue
            dest = redirect.child_by_field_name("destination")
            target = _static(src, dest) if dest is not None else None
            if target and any(c.type in (">", ">|") for c in redirect.children):
                names.add(target.rsplit("/", 1)[-1])
    names.discard("")
    names.discard("null")
    return names


# Commands that fail on an HTML error page where they expect an archive, a
# package, a key or a script.
_FILE_CONSUMERS = frozenset(
    {"tar", "bsdtar", "gtar", "unzip", "gunzip", "gzip", "bunzip2", "7z", "7za", "xz", "unxz", "zstd", "gpg"}
    | {"dpkg", "rpm", "apt", "apt-get", "install", "bash", "sh", "source", ".", "cosign", "jq"}
)


def _writes_code(src: _Source, node: Node, val: str | None) -> bool:
    text = val if val is not None else src.src(node)
    return "http_code" in text or "response_code" in text or text.startswith("@")


def _references(src: _Source, node: Node) -> set[str]:
    """Variable names expanded anywhere under ``node``."""
    names: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "variable_name":
            names.add((n.text or b"").decode())
            continue
        if n.type in _LEAVES:
            continue
        stack.extend(n.named_children)
    return names


def _in_test(node: Node) -> bool:
    """Whether ``node`` sits in a test: ``[``/``[[``/``test``, ``case`` subject, ``(( ))``, a condition."""
    up: Node | None = node
    while up is not None:
        kind = up.type
        if kind in ("test_command", "case_statement", "arithmetic_expansion"):
            return True
        if kind == "compound_statement" and up.children and up.children[0].type == "((":
            return True
        if kind == "command":
            name = up.child_by_field_name("name")
            if name is not None and name.text in (b"[", b"test"):
                return True
            return _is_condition(up)
        if kind in ("program", "do_group", "function_definition") or kind in _SUBSTITUTIONS:
            return False
        up = up.parent
    return False


def _statement_of(node: Node) -> Node:
    """``node``, or the redirected statement / pipeline it is the body or an element of."""
    up = node.parent
    for _ in range(_CLIMB):
        if up is None or up.type not in ("redirected_statement", "pipeline"):
            break
        node, up = up, up.parent
    return node


# Upward walks stop after this many steps: tree-sitter finds a parent by
# descending from the root, so an unbounded climb in a hostile, deeply nested
# body would be quadratic. Real conditions and substitutions are shallow.
_CLIMB = 32


def _is_condition(node: Node) -> bool:
    """Whether the statement ``node`` is (part of) an ``if``/``elif``/``while``/``until`` condition."""
    child = node
    up = node.parent
    for _ in range(_CLIMB):
        if up is None or up.type not in ("list", "pipeline", "negated_command", "redirected_statement"):
            break
        child, up = up, up.parent
    if up is None or up.type not in ("if_statement", "elif_clause", "while_statement"):
        return False
    for c in up.children:
        if c.type in ("then", "do_group"):
            return False
        if c == child:
            return True
    return False


def _emptiness_operator(node: Node) -> bool:
    op = node.child_by_field_name("operator")
    return op is not None and op.text in (b"-z", b"-n")


def _tested_variables(t: _Tree, emptiness: bool = False) -> set[str]:
    """Names of variables read by a test anywhere in the body (``emptiness``: by ``-z``/``-n`` only)."""
    names: set[str] = set()
    src = t.src
    stack: list[tuple[Node, bool]] = [(t.tree.root_node, False)]
    while stack:
        node, testing = stack.pop()
        kind = node.type
        if kind == "variable_name":
            if testing:
                names.add((node.text or b"").decode())
            continue
        if kind in _LEAVES:
            continue
        if emptiness:
            if kind == "unary_expression" and _emptiness_operator(node):
                testing = True
            elif kind == "command":
                name = node.child_by_field_name("name")
                if name is not None and name.text in (b"[", b"test"):
                    args = node.children_by_field_name("argument")
                    for op, operand in itertools.pairwise(args):
                        if op.text in (b"-z", b"-n"):
                            names |= _references(src, operand)
            stack.extend((c, testing) for c in node.named_children)
            continue
        if kind in ("test_command", "arithmetic_expansion") or (
            kind == "compound_statement" and node.children and node.children[0].type == "(("
        ):
            testing = True
        elif kind == "command":
            name = node.child_by_field_name("name")
            if name is not None and name.text in (b"[", b"test"):
                testing = True
        elif kind == "case_statement":
            value = node.child_by_field_name("value")
            if value is not None:
                names |= _references(src, value)
        elif kind in ("if_statement", "elif_clause", "while_statement"):
            for c in node.children:
                if c.type in ("then", "do_group"):
                    break
                if c.is_named:
                    names |= _references(src, c)
        stack.extend((c, testing) for c in node.named_children)
    return names


# --------------------------------------------------------------------------- calls and inline python

_SKIP_DIRS = ("node_modules/", ".venv/", "venv/", "target/", "dist/")
_SHELL_VALUE_OPTS = frozenset({"-o", "+o", "-O", "+O", "--rcfile", "--init-file"})
_PY_VALUE_OPTS = frozenset({"-W", "-X", "-Q"})


def _callable_path(path: str) -> bool:
    if not path or path.startswith(("/", "~", "-")) or "://" in path or "$" in path:
        return False
    if path.endswith("/bin/activate") or "/bin/activate." in path:
        return False
    bare = path.removeprefix("./")
    return not bare.startswith(_SKIP_DIRS)


def _script_arg(cmd: _Cmd, value_opts: frozenset[str], stop: frozenset[str]) -> int | None:
    """Index in ``cmd.args`` of the script an interpreter runs, or None (inline code, module, stdin)."""
    i = 0
    while i < len(cmd.vals):
        v = cmd.vals[i]
        if v is None:
            return None
        if v in stop:
            return None
        if v.startswith(("-", "+")) and v != "-":
            if v in value_opts:
                i += 2
                continue
            # `-c` may be combined: `bash -ec 'cmd'`, `python -Bc '...'`.
            if not v.startswith("--") and any(ch in v for ch in "cm"):
                return None
            i += 1
            continue
        if v == "-":
            return None
        return i
    return None


_CALLERS = (
    frozenset({b"bash", b"sh", b"dash", b"ash", b"source", b"."})
    | {w.encode() for w in _WRAPPERS}
    | {w.encode() for w in _RUN_WRAPPERS}
)


def _may_call(text: bytes) -> bool:
    """Cheap pre-filter on the raw command name: could this command run a script or Python?"""
    if b"/" in text or b"$" in text:
        return True
    return text in _CALLERS or text.startswith((b"python", b"pypy"))


def _produced_files(t: _Tree) -> dict[str, int]:
    """Base names of files the body itself writes (downloads, ``> file``), with where they are first written.

    ``curl -sSLO https://…/install.sh`` then ``bash install.sh`` runs a file
    that is not in the repository: it is not a script call to look for.
    """
    src = t.src
    produced: dict[str, int] = {}

    def add(name: str, node: Node) -> None:
        if name:
            produced.setdefault(name, src.char(node.start_byte))

    for rec in t.commands:
        if rec.runs(b"curl") or rec.runs(b"wget"):
            cmd = _cmd_of(t, rec.node)
            if cmd is not None and cmd.base == "curl":
                for name in _curl_output_files(src, rec.node, cmd):
                    add(name, rec.node)
            elif cmd is not None and cmd.base == "wget":
                for i, v in enumerate(cmd.vals):
                    if v in ("-O", "--output-document") and i + 1 < len(cmd.vals):
                        add((cmd.vals[i + 1] or "").rsplit("/", 1)[-1], rec.node)
                    elif v is not None and v.startswith("--output-document="):
                        add(v.split("=", 1)[1].rsplit("/", 1)[-1], rec.node)
                    elif v is not None and "://" in v:
                        add(v.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1], rec.node)
    for rec in t.redirects:
        dest = rec.node.child_by_field_name("destination")
        if dest is not None and any(c.type in (">", ">>", ">|") for c in rec.node.children):
            target = _static(src, dest)
            if target:
                add(target.rsplit("/", 1)[-1], rec.node)
    return produced


def _calls_and_inline(t: _Tree) -> tuple[list[ScriptCall], list[InlinePython]]:
    src = t.src
    calls: list[ScriptCall] = []
    inline: list[InlinePython] = []
    for rec in t.commands:
        if not _may_call(rec.name):
            continue
        cmd = _cmd_of(t, rec.node)
        if cmd is None:
            continue
        base, name = cmd.base, cmd.name
        if name is None:
            continue
        interpreter: str | None = None
        index: int | None = None
        if base in ("bash", "sh", "dash", "ash"):
            interpreter = "bash" if base == "bash" else "sh"
            index = _script_arg(cmd, _SHELL_VALUE_OPTS, frozenset({"-c"}))
        elif base in ("source", "."):
            interpreter = "source"
            index = 0 if cmd.args else None
        elif _is_python(base):
            interpreter = "python"
            index = _script_arg(cmd, _PY_VALUE_OPTS, frozenset({"-c", "-m"}))
            code = _inline_python(src, cmd)
            if code is not None:
                inline.append(code)
        elif _is_repo_path(name):
            if _callable_path(name):
                s, e = src.span(cmd.name_node)
                calls.append(ScriptCall(name, "exec", s, e))
            continue
        if interpreter is None or index is None:
            continue
        path = cmd.vals[index]
        if path is None or not _callable_path(path):
            continue
        s, e = src.span(cmd.args[index])
        calls.append(ScriptCall(path, interpreter, s, e))
    if calls:
        produced = _produced_files(t)
        calls = [c for c in calls if produced.get(c.path.rsplit("/", 1)[-1], len(src.original)) >= c.start]
    # `cat <<EOF | python3`: the pipe hangs under the heredoc.
    for rec in t.heredocs:
        for child in rec.node.named_children:
            if child.type != "pipeline":
                continue
            first = next((c for c in child.named_children if c.type == "command"), None)
            if first is None:
                continue
            cmd = _cmd_of(t, first)
            if cmd is not None and _is_python(cmd.base) and all(v in ("-", "-u", "-B") for v in cmd.vals):
                body = next((c for c in rec.node.named_children if c.type == "heredoc_body"), None)
                if body is not None:
                    inline.append(_heredoc_code(src, rec.node, body))
    return calls, inline


def _blank(text: list[str], start: int, end: int) -> None:
    for k in range(start, end):
        if text[k] != "\n":
            text[k] = "_"


def _heredoc_code(src: _Source, heredoc: Node, body: Node) -> InlinePython:
    start, end = src.span(body)
    # `<<-EOF` bodies: tree-sitter starts the body after the first line's tabs;
    # take them back so every line keeps its indentation (the Python analyser
    # copes with uniformly indented code, not with a first line that lost it).
    line_start = src.text.rfind("\n", 0, start) + 1
    if line_start < start and src.text[line_start:start].strip("\t") == "":
        start = line_start
    chars = list(src.text[start:end])
    opener = next((c for c in heredoc.children if c.type == "heredoc_start"), None)
    quoted = opener is not None and any(q in src.src(opener) for q in "'\"\\")
    if not quoted:
        for child in body.named_children:
            if child.type != "heredoc_content":
                s, e = src.span(child)
                _blank(chars, s - start, e - start)
        _unescape_in_place(chars, "$`\\")
    return InlinePython("".join(chars), start)


def _unescape_in_place(chars: list[str], escapable: str) -> None:
    """``\\"`` → ``" `` (same length): what the shell passes on, then a blank.

    The blank goes after the character so that a string prefix stays glued to
    its quote (``r\\"…\\"`` → ``r"… " ``).
    """
    k = 0
    while k < len(chars) - 1:
        if chars[k] == "\\" and chars[k + 1] in escapable:
            chars[k] = chars[k + 1]
            chars[k + 1] = " "
            k += 2
        else:
            k += 1


def _code_argument(src: _Source, node: Node) -> InlinePython | None:
    """The Python code of a ``-c`` argument, with shell quoting blanked out (same length)."""
    if node.type == "raw_string":
        s, e = src.span(node)
        return InlinePython(src.text[s + 1 : e - 1], s + 1)
    if node.type == "string":
        s, e = src.span(node)
        chars = list(src.text[s + 1 : e - 1])
        for child in node.named_children:
            if child.type != "string_content":
                cs, ce = src.span(child)
                _blank(chars, cs - s - 1, ce - s - 1)
        _unescape_in_place(chars, '$`"\\')
        return InlinePython("".join(chars), s + 1)
    return None


def _inline_python(src: _Source, cmd: _Cmd) -> InlinePython | None:
    """The code of ``python -c '…'``, or of a heredoc fed to ``python -`` / ``python3 <<'PY'``."""
    vals = cmd.vals
    k = 0
    while k < len(vals):
        v = vals[k]
        if v is None:
            return None
        if v == "-":
            break  # the program comes from stdin; what follows are its arguments
        if v.startswith("--"):
            k += 1
            continue
        if v.startswith("-"):
            if v in _PY_VALUE_OPTS:
                k += 2
                continue
            if "c" in v[1:]:
                return _code_argument(src, cmd.args[k + 1]) if k + 1 < len(vals) else None
            if "m" in v[1:]:
                return None
            k += 1
            continue
        return None  # a script file
    parent = cmd.node.parent
    if parent is None or parent.type != "redirected_statement":
        return None
    for redirect in parent.children_by_field_name("redirect"):
        if redirect.type == "heredoc_redirect":
            body = next((c for c in redirect.named_children if c.type == "heredoc_body"), None)
            if body is not None:
                return _heredoc_code(src, redirect, body)
    return None


# --------------------------------------------------------------------------- $GITHUB_OUTPUT

_SET_OUTPUT = re.compile(r"::set-output\s+name=([^:\s]*)::")
_ECHO_FLAGS = re.compile(r"-[neE]+")
_OUTPUT_LINE = re.compile(r"[ \t]*((?:\$\{\{.*?\}\}|[^\s=<])+)[ \t]*(<<|=)")


def _output_vars(t: _Tree) -> set[str]:
    """``GITHUB_OUTPUT`` and the variables assigned from it (``out=$GITHUB_OUTPUT``)."""
    names = {"GITHUB_OUTPUT"}
    src = t.src
    for a in t.assignments:
        value = a.child_by_field_name("value")
        target = a.child_by_field_name("name")
        if value is None or target is None:
            continue
        if _is_output_target(src.src(value), names):
            names.add(src.src(target))
    return names


_TARGET = re.compile(r'"?\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?"?')


def _is_output_target(text: str, names: set[str]) -> bool:
    m = _TARGET.fullmatch(text.strip())
    return m is not None and m.group(1) in names


@dataclass(slots=True)
class _Line:
    text: str  # original text (``${{ }}`` intact) or an evaluated echo/printf line
    offset: int | None  # character offset of text[0] when the line is verbatim source
    search_from: int  # where to look for a name when offset is None
    fallback: tuple[int, int]


def _loose(src: _Source, node: Node) -> str:
    """The original text of a word with its quotes dropped: ``"x=$v"`` → ``x=$v``."""
    kind = node.type
    if kind == "concatenation":
        return "".join(_loose(src, c) for c in node.children)
    text = src.orig(node)
    if kind == "string" and len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return text[1:-1]
    if kind == "raw_string" and len(text) >= 2:
        return text[1:-1]
    return text


def _emitted_lines(src: _Source, cmd: _Cmd) -> list[_Line] | None:
    """What ``echo``/``printf`` print, line by line (None: not an echo/printf)."""
    args, vals = cmd.args, cmd.vals
    fallback = src.span(cmd.node)
    if cmd.base == "echo":
        k = 0
        interpret = False
        while k < len(vals) and vals[k] is not None and _ECHO_FLAGS.fullmatch(vals[k] or ""):
            interpret = interpret or "e" in (vals[k] or "")
            k += 1
        pieces = [vals[i] if vals[i] is not None else _loose(src, args[i]) for i in range(k, len(args))]
        text = " ".join(p for p in pieces if p is not None)
        if interpret:
            text = text.replace("\\n", "\n")
        start = src.char(args[k].start_byte) if k < len(args) else fallback[0]
    elif cmd.base == "printf":
        if not args:
            return []
        k = 0
        if vals[0] == "-v":
            return []  # printf -v var: writes a variable, not stdout
        if vals[0] == "--":
            k = 1
        if k >= len(args):
            return []
        fmt = vals[k]
        if fmt is None:
            fmt = _loose(src, args[k])
        rest: list[str] = []
        for i in range(k + 1, len(args)):
            val = vals[i]
            rest.append(val if val is not None else _loose(src, args[i]))
        it = iter(rest)

        def fill(m: re.Match[str]) -> str:
            if m.group() == "%%":
                return "%"
            return next(it, "")

        text = re.sub(r"%%|%[-+ #0-9.]*[a-zA-Z]", fill, fmt or "").replace("\\n", "\n")
        start = src.char(args[k].start_byte)
    else:
        return None
    return [_Line(line, None, start, fallback) for line in text.split("\n")]


def _heredoc_lines(src: _Source, body: Node) -> list[_Line]:
    s, e = src.span(body)
    text = src.original[s:e]
    lines: list[_Line] = []
    pos = s
    for line in text.split("\n"):
        lines.append(_Line(line, pos, pos, (pos, pos + len(line))))
        pos += len(line) + 1
    return lines


def _writer_lines(t: _Tree, stmt: Node, body: Node | None = None) -> list[_Line]:
    """Lines written by the statement ``stmt`` (redirected to, or piped into, the output).

    ``body``: the part of ``stmt`` whose commands write (default: all of it);
    heredocs are looked for in all of ``stmt``.
    """
    src = t.src
    lines: list[_Line] = []
    scope = body if body is not None else stmt
    lo = bisect.bisect_left(t.command_starts, scope.start_byte)
    hi = bisect.bisect_left(t.command_starts, scope.end_byte)
    base_depth = next((r.depth for r in t.commands[lo:hi]), 0)
    heredoc_bodies: dict[int, Node] = {}
    for rec in t.heredocs:
        if stmt.start_byte <= rec.node.start_byte < stmt.end_byte:
            body = next((c for c in rec.node.named_children if c.type == "heredoc_body"), None)
            owner = rec.node.parent
            if body is not None and owner is not None:
                inner = owner.child_by_field_name("body")
                if inner is not None:
                    heredoc_bodies[inner.start_byte] = body
    for rec in t.commands[lo:hi]:
        if rec.depth != base_depth or rec.node.end_byte > scope.end_byte:
            continue
        cmd = _cmd_of(t, rec.node)
        if cmd is None:
            continue
        emitted = _emitted_lines(src, cmd)
        if emitted is not None:
            lines.extend(emitted)
            continue
        body = heredoc_bodies.get(rec.node.start_byte)
        if body is not None and cmd.base in ("cat", "tee", "envsubst"):
            lines.extend(_heredoc_lines(src, body))
    return lines


def _output_writes(t: _Tree) -> tuple[OutputWrite, ...]:
    src = t.src
    writes: list[OutputWrite] = []
    text = src.original
    if "GITHUB_OUTPUT" in text:
        names = _output_vars(t)
        batches: list[tuple[int, list[_Line]]] = []
        for rec in t.redirects:
            redirect = rec.node
            dest = redirect.child_by_field_name("destination")
            if dest is None or not any(c.type in (">>", ">", ">|") for c in redirect.children):
                continue
            if not _is_output_target(src.src(dest), names):
                continue
            owner = redirect.parent
            if owner is not None and owner.type == "heredoc_redirect":
                owner = owner.parent
            if owner is None or owner.type != "redirected_statement":
                continue
            body = owner.child_by_field_name("body")
            if body is None:
                continue
            # tree-sitter hangs `a && echo x=1 >> "$GITHUB_OUTPUT"`'s redirect on the whole
            # list; bash binds it to the last command only.
            while body.type in ("list", "pipeline"):
                elements = [c for c in body.named_children if c.type != "comment"]
                if not elements:
                    break
                body = elements[-1]
            batches.append((owner.start_byte, _writer_lines(t, owner, body)))
        for rec in t.commands:
            if not rec.runs(b"tee"):
                continue
            cmd = _cmd_of(t, rec.node)
            if cmd is None or cmd.base != "tee":
                continue
            if not any(_is_output_target(src.src(a), names) for a in cmd.args):
                continue
            node = rec.node
            parent = node.parent
            lines: list[_Line] = []
            if parent is not None and parent.type == "redirected_statement":
                lines.extend(_writer_lines(t, parent))
                node = parent
                parent = node.parent
            if parent is not None and parent.type == "pipeline":
                for element in parent.children:
                    if element == node:
                        break
                    if _is_statement(element):
                        lines.extend(_writer_lines(t, element))
            batches.append((rec.node.start_byte, lines))
        batches.sort(key=lambda b: b[0])
        pending: str | None = None
        for _, lines in batches:
            for line in lines:
                if pending is not None:
                    if line.text.strip() == pending:
                        pending = None
                    continue
                m = _OUTPUT_LINE.match(line.text)
                if m is None:
                    continue
                name = m.group(1)
                if m.group(2) == "<<":
                    pending = line.text[m.end() :].strip()
                    if not pending:
                        pending = None
                if line.offset is not None:
                    s = line.offset + m.start(1)
                    writes.append(OutputWrite(name, s, s + len(name), False))
                    continue
                found = text.find(name, line.search_from, line.fallback[1])
                if found == -1:
                    writes.append(OutputWrite(name, line.fallback[0], line.fallback[1], False))
                else:
                    writes.append(OutputWrite(name, found, found + len(name), False))
                    line.search_from = found + len(name)
    if "set-output" in text:
        comments = [src.span(c) for c in t.comments]
        for m in _SET_OUTPUT.finditer(text):
            s = m.start(1)
            if any(a <= m.start() < b for a, b in comments):
                continue
            writes.append(OutputWrite(m.group(1), s, m.end(1), True))
    writes.sort(key=lambda w: w.start)
    return tuple(writes)


# --------------------------------------------------------------------------- entry points


def _parse_error(t: _Tree) -> ScriptIssue | None:
    node = t.error
    if node is None:
        return None
    src = t.src
    size = len(src.original)
    start = min(src.char(node.start_byte), size)
    end = min(max(src.char(node.end_byte), start + 1), size)
    if start == size and start > 0:
        start -= 1  # "missing token at the very end": point at the last character
    snippet = _norm(src.original[start : min(end, start + 40)], 30)
    if node.is_missing:
        what = f"something is missing before `{snippet}`" if snippet else "the code ends too early"
    else:
        what = f"unexpected `{snippet}`"
    return ScriptIssue(
        "parse-error",
        f"the shell code could not be parsed ({what}), so the statements around it were not analysed; fix "
        "the syntax or move the logic into a script file.",
        start,
        max(end, start),
        "parse-error:" + snippet,
    )


def analyse_shell(text: str, spec: ShellSpec) -> ShellReport:
    """Run every shell detector on ``text`` (a ``run:`` body or a script file).

    ``spec`` is the effective shell (:func:`auditor.scripts.shells.resolve_shell`).
    Bodies of other languages (``python``, ``pwsh``, ``other``) return an
    empty report: Python goes to :func:`auditor.scripts.python.analyse_python`;
    anything else is not understood, and guessing would only make noise.
    Never raises: a syntax error becomes ``parse_error``.
    """
    if spec.language not in ("bash", "sh") or not text.strip():
        return ShellReport()
    try:
        t = _parse(text)
        analysis = _Analysis(t, spec)
        events = _set_events(t)
        analysis.set_regions(events)
        analysis.trap_err()
        analysis.or_true()
        analysis.pipelines(events)
        analysis.curl()
        analysis.substitutions()
        analysis.no_errexit(events)
        calls, inline = _calls_and_inline(t)
        outputs = _output_writes(t)
    except RecursionError:  # pragma: no cover - the walk is iterative; a safety net only
        return ShellReport(parse_error=_internal_error(text))
    issues = sorted(_dedupe(analysis.issues), key=lambda i: (i.start, i.detector))
    return ShellReport(tuple(issues), tuple(calls), outputs, tuple(inline), _parse_error(t))


def _internal_error(text: str) -> ScriptIssue:
    return ScriptIssue(
        "parse-error",
        "the shell code is too deeply nested to analyse; it was skipped.",
        0,
        min(len(text), 1),
        "parse-error:nesting",
    )


def _dedupe(issues: Iterable[ScriptIssue]) -> list[ScriptIssue]:
    seen: set[tuple[str, int, int]] = set()
    out: list[ScriptIssue] = []
    for issue in issues:
        key = (issue.detector, issue.start, issue.end)
        if key not in seen:
            seen.add(key)
            out.append(issue)
    return out


def github_output_writes(text: str) -> tuple[OutputWrite, ...]:
    """The ``$GITHUB_OUTPUT`` writes (and deprecated ``::set-output`` commands) of a shell body.

    Cheap entry for the output-wiring rule: a body that mentions neither
    ``GITHUB_OUTPUT`` nor ``set-output`` returns ``()`` without parsing, and
    otherwise only the parse (shared with :func:`analyse_shell` through a
    small cache) and the output extraction run, not the detectors.
    """
    if "GITHUB_OUTPUT" not in text and "set-output" not in text:
        return ()
    try:
        return _output_writes(_parse(text))
    except RecursionError:  # pragma: no cover - safety net
        return ()
