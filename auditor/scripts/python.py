"""Fail-loud analysis of Python code (``shell: python`` bodies, inline ``python -c``/heredocs, scripts) with libcst.

A promotion written in Python swallows a 403 as easily as a shell one: an
``except Exception: pass``, a ``requests.post`` whose status nobody reads, a
``subprocess.run`` without ``check=True``. libcst gives a lossless tree with
exact positions (``MetadataWrapper`` + ``PositionProvider``), which are turned
into character offsets into the analysed code.

Detectors (ids are stable)
--------------------------
``py-broad-except``
    ``except:``, ``except Exception`` or ``except BaseException`` (also inside
    a tuple) whose body only passes, continues/breaks, returns nothing,
    assigns, or prints/logs (``print``, ``logging.*``, ``logger.*``,
    ``log.*``, ``warnings.warn``, ``traceback.print_exc``,
    ``sys.stderr.write``, ``click.echo``...). Not reported when the ``try``
    only imports (the optional-import idiom) or only cleans up
    (``os.remove``, ``shutil.rmtree``, ``x.close()``...), or when a
    ``continue`` hands over to a loop with an ``else:`` (a retry loop that
    fails after its last attempt).
``py-exit-zero-in-handler``
    ``sys.exit(0)``, ``sys.exit()``, ``sys.exit(None)``, ``exit(0)``,
    ``quit()``, ``os._exit(0)`` or ``raise SystemExit(0)`` as a statement of
    an ``except`` handler body (not one nested in an ``if``: a conditional
    exit is a decision, like a shell test). ``except KeyboardInterrupt`` is
    exempt.
``py-http-status-unchecked``
    ``requests``/``httpx`` calls (module functions, and methods of
    ``requests.Session()`` / ``httpx.Client()`` / ``httpx.AsyncClient()``
    objects bound by assignment or ``with``) whose response is discarded, or
    bound to a name that is never checked before it is rebound: a check is
    ``.raise_for_status()``, reading ``.status_code``/``.ok``/``.status``/
    ``.is_success``/``.is_error``..., or handing the response on (an argument
    other than to ``print``/logging, ``return``, a comparison or a truth
    test), where someone else may check it. ``.json()``, ``.text`` and the
    like are not checks. ``urllib.request.urlopen`` raises on HTTP errors
    and is fine.
``py-subprocess-unchecked``
    ``subprocess.run``/``call`` without ``check=True`` (a ``check=`` other
    than literal ``False``, or ``**kwargs``, counts as checking) whose result
    is discarded, or bound and never checked (``.returncode``,
    ``.check_returncode()``, ``.wait()``/``.poll()`` whose value is used, or
    handed on as above; for ``call``, which returns the code, any use).
    A ``Popen`` is reported only when bound and its code never read; a
    discarded ``Popen`` or one that is terminated/killed is a background
    process, not a step's work.
``py-os-system-ignored``
    ``os.system(...)`` as a statement.
``parse-error``
    the second element of :func:`analyse_python`'s result.

Names are resolved through the module's imports (``import requests as r``,
``from subprocess import run``), without scope analysis: good enough for
scripts, and much cheaper.

Bounded work on hostile input
-----------------------------
libcst's native parser overflows the C stack (a segfault, which no
``except`` catches) or goes super-linear on pathological nesting (thousands
of chained operators or calls). The code is therefore first parsed with
:mod:`ast` (C, with recursion guards), whose tree gives the nesting depth;
code nested deeper than :data:`MAX_DEPTH` is reported as a parse error
rather than handed to libcst. Code that :mod:`ast` rejects is only handed to
libcst (which knows newer syntax than the running interpreter) when a
tokenizer pass shows it is shallow and its logical lines short.

The same :mod:`ast` walk also tells whether libcst is needed at all: code
with no ``except`` and no call named like an HTTP verb, ``run``/``call``/
``Popen``/``system`` or an exit cannot trip a detector, and libcst (with
positions) costs about a second per 40 KB of code.
"""

from __future__ import annotations

import ast
import bisect
import io
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from auditor.scripts.collector import collector_paused
from auditor.scripts.issues import ScriptIssue

# libcst costs ~0.3 s to import, so it is imported inside the functions that
# need it: a scan with no Python in it never pays for it. Its nodes are typed
# `Any` here for the same reason.

__all__ = ["MAX_DEPTH", "analyse_python"]

#: Deepest :mod:`ast` nesting handed to libcst (deeper code is a parse error).
MAX_DEPTH = 100
_MAX_TOKENS_PER_LINE = 1500
_MAX_BRACKETS = 60

_HTTP_MODULES = ("requests", "httpx")
_HTTP_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request", "send", "stream"})
_HTTP_CLIENTS = frozenset(
    {"requests.Session", "requests.session", "requests.sessions.Session", "httpx.Client", "httpx.AsyncClient"}
)
_HTTP_CHECK_ATTRS = frozenset(
    {
        "raise_for_status", "status_code", "ok", "status", "is_success", "is_error", "is_client_error",
        "is_server_error", "reason", "reason_phrase", "code", "getcode",
    }
)  # fmt: skip
_SUBPROCESS_CHECK_ATTRS = frozenset({"returncode", "check_returncode", "wait", "poll"})
_BACKGROUND_ATTRS = frozenset({"terminate", "kill", "send_signal"})
_OUTPUT_CALLS = frozenset({"print", "pprint.pprint", "click.echo", "typer.echo", "warnings.warn"})
_LOG_OBJECTS = frozenset({"logging", "logger", "log", "LOG", "LOGGER", "_log", "_logger", "console", "rich"})
_NOTE_CALLS = frozenset(
    {"traceback.print_exc", "traceback.print_exception", "sys.stderr.write", "sys.stdout.write", "traceback.format_exc"}
)
_CLEANUP_CALLS = frozenset(
    {"os.remove", "os.unlink", "os.rmdir", "os.removedirs", "shutil.rmtree", "os.makedirs", "os.mkdir", "os.kill"}
)
_CLEANUP_METHODS = frozenset(
    {"close", "unlink", "rmdir", "terminate", "kill", "cleanup", "shutdown", "disconnect", "remove", "mkdir"}
)
_EXIT_CALLS = frozenset({"sys.exit", "exit", "quit", "os._exit", "builtins.exit"})


def _offsets(code: str) -> list[int]:
    """Start offset of every line (1-based line n starts at ``starts[n - 1]``)."""
    starts = [0]
    pos = code.find("\n")
    while pos != -1:
        starts.append(pos + 1)
        pos = code.find("\n", pos + 1)
    return starts


def _at(starts: Sequence[int], size: int, line: int, column: int) -> int:
    if line < 1:
        return 0
    if line > len(starts):
        return size
    return min(starts[line - 1] + max(column, 0), size)


def _parse_error(code: str, message: str, offset: int) -> ScriptIssue:
    offset = max(0, min(offset, len(code)))
    end = min(len(code), offset + 1)
    return ScriptIssue(
        "parse-error",
        f"the Python code could not be parsed ({message}), so it was not analysed.",
        offset,
        end,
        "parse-error:" + message[:40],
    )


_CANDIDATE_CALLS = _HTTP_METHODS | {"run", "call", "Popen", "system", "exit", "_exit", "quit"}


def _scan(tree: ast.AST) -> tuple[int, bool]:
    """Nesting depth (capped just past :data:`MAX_DEPTH`) and whether any detector could fire.

    The cheap :mod:`ast` walk decides whether the (much slower) libcst pass is
    needed at all: code without an ``except`` and without a call named like an
    HTTP verb, ``run``/``call``/``Popen``/``system`` or an exit has nothing to
    report.
    """
    deepest = 0
    candidates = False
    stack: list[tuple[ast.AST, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > deepest:
            deepest = depth
            if deepest > MAX_DEPTH:
                return deepest, candidates
        if not candidates:
            if isinstance(node, ast.ExceptHandler):
                candidates = True
            elif isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
                candidates = name in _CANDIDATE_CALLS
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest, candidates


def _shallow_tokens(code: str) -> bool:
    """Whether ``code`` is safe for libcst although :mod:`ast` rejected it (see the module docs)."""
    depth = 0
    count = 0
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type == tokenize.OP:
                if tok.string in "([{":
                    depth += 1
                    if depth > _MAX_BRACKETS:
                        return False
                elif tok.string in ")]}":
                    depth -= 1
            if tok.type == tokenize.NEWLINE:
                count = 0
            else:
                count += 1
                if count > _MAX_TOKENS_PER_LINE:
                    return False
    except (tokenize.TokenError, SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _preflight(code: str) -> tuple[str, int, ScriptIssue | None] | ScriptIssue | None:
    """Decide what libcst may parse: ``(code, shift, ast_error)``, a parse error, or None (nothing to find).

    ``shift`` is the length of a prefix added so that uniformly indented code
    (a heredoc inside an indented block, ``<<-EOF``) parses: offsets in the
    wrapped code minus ``shift`` are offsets in ``code``.
    """
    shift = 0
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        first = code.lstrip("\n")
        wrapped_tree: ast.Module | None = None
        if isinstance(exc, IndentationError) and first[:1] in (" ", "\t"):
            try:
                wrapped_tree = ast.parse("if True:\n" + code)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                wrapped_tree = None
        if wrapped_tree is None:
            starts = _offsets(code)
            offset = _at(starts, len(code), exc.lineno or 1, (exc.offset or 1) - 1)
            error = _parse_error(code, exc.msg or "syntax error", offset)
            if _shallow_tokens(code):
                return code, 0, error  # maybe newer syntax than this interpreter knows: let libcst decide
            return error
        tree, code, shift = wrapped_tree, "if True:\n" + code, len("if True:\n")
    except (ValueError, RecursionError, MemoryError) as exc:  # null bytes, absurd nesting
        return _parse_error(code, type(exc).__name__, 0)
    depth, candidates = _scan(tree)
    if depth > MAX_DEPTH:
        return _parse_error(code[shift:], "nested too deeply to analyse", 0)
    if not candidates:
        return None
    return code, shift, None


def analyse_python(code: str) -> tuple[tuple[ScriptIssue, ...], ScriptIssue | None]:
    """Run the Python detectors on ``code``: ``(issues, parse_error)``.

    Offsets are character offsets into ``code``. Never raises: code that
    cannot be parsed (or is too deeply nested to analyse safely) yields no
    issues and a ``parse-error`` issue.
    """
    if not code.strip():
        return (), None
    with collector_paused(len(code)):
        return _analyse(code)


def _analyse(code: str) -> tuple[tuple[ScriptIssue, ...], ScriptIssue | None]:
    pre = _preflight(code)
    if pre is None:
        return (), None
    if isinstance(pre, ScriptIssue):
        return (), pre
    wrapped, shift, ast_error = pre
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    try:
        module = cst.parse_module(wrapped)
    except cst.ParserSyntaxError as exc:
        if ast_error is not None:
            return (), ast_error  # Python's own message and position are the clearer ones
        starts = _offsets(wrapped)
        offset = _at(starts, len(wrapped), exc.raw_line, exc.raw_column) - shift
        return (), _parse_error(code, exc.message.split("\n", 1)[0][:80], offset)
    except Exception as exc:  # libcst raises assorted errors on odd input; never crash the scan
        return (), _parse_error(code, type(exc).__name__, 0)
    try:
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        visitor = _new_collector(wrapped, wrapper.resolve(PositionProvider))
        wrapper.module.visit(visitor)
        issues = _Checker(visitor, wrapped, shift).run()
    except RecursionError:
        return (), _parse_error(code, "nested too deeply to analyse", 0)
    return tuple(sorted(issues, key=lambda i: (i.start, i.detector))), None


# --------------------------------------------------------------------------- collection


@dataclass(slots=True)
class _Name:
    """A ``Name`` read somewhere: where, in which scope, and what encloses it."""

    value: str
    node: Any
    scope: int
    parent: Any
    grandparent: Any


@dataclass(slots=True)
class _Collected:
    calls: list[tuple[Any, list[Any]]] = field(default_factory=list)  # (Call, ancestors innermost first)
    handlers: list[tuple[Any, list[Any]]] = field(default_factory=list)
    names: list[_Name] = field(default_factory=list)
    modules: dict[str, str] = field(default_factory=dict)  # local name -> module
    members: dict[str, str] = field(default_factory=dict)  # local name -> module.member


def _make_collector() -> type:
    import libcst as cst

    class Collector(cst.CSTVisitor):
        def __init__(self, code: str, ranges: Any) -> None:
            super().__init__()
            self.code = code
            self.ranges = ranges
            self.starts = _offsets(code)
            self.stack: list[cst.CSTNode] = []
            self.scopes: list[int] = [0]
            self.data = _Collected()
            self.positions: dict[int, tuple[int, int]] = {}

        def offset_of(self, node: cst.CSTNode) -> tuple[int, int]:
            key = id(node)
            cached = self.positions.get(key)
            if cached is not None:
                return cached
            rng = self.ranges[node]
            size = len(self.code)
            span = (
                _at(self.starts, size, rng.start.line, rng.start.column),
                _at(self.starts, size, rng.end.line, rng.end.column),
            )
            self.positions[key] = span
            return span

        def on_visit(self, node: cst.CSTNode) -> bool:
            if isinstance(node, cst.Call):
                self.data.calls.append((node, list(reversed(self.stack))))
            elif isinstance(node, cst.ExceptHandler | cst.ExceptStarHandler):
                self.data.handlers.append((node, list(reversed(self.stack))))
            elif isinstance(node, cst.Name):
                parent = self.stack[-1] if self.stack else None
                grandparent = self.stack[-2] if len(self.stack) > 1 else None
                self.data.names.append(_Name(node.value, node, self.scopes[-1], parent, grandparent))
            elif isinstance(node, cst.Import):
                for alias in node.names:
                    dotted = _dotted_cst(alias.name)
                    if dotted is None:
                        continue
                    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                        self.data.modules[alias.asname.name.value] = dotted
                    else:
                        head = dotted.split(".")[0]
                        self.data.modules[head] = head
            elif isinstance(node, cst.ImportFrom) and not isinstance(node.names, cst.ImportStar):
                module = _dotted_cst(node.module) if node.module is not None else None
                if module is not None and not node.relative:
                    for alias in node.names:
                        name = _dotted_cst(alias.name)
                        if name is None:
                            continue
                        local = name
                        if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                            local = alias.asname.name.value
                        self.data.members[local] = f"{module}.{name}"
            if isinstance(node, cst.FunctionDef | cst.Lambda):
                self.scopes.append(id(node))
            self.stack.append(node)
            return True

        def on_leave(self, original_node: cst.CSTNode) -> None:
            self.stack.pop()
            if isinstance(original_node, cst.FunctionDef | cst.Lambda):
                self.scopes.pop()

    return Collector


_COLLECTOR: type | None = None


def _new_collector(code: str, ranges: Any) -> Any:
    """A libcst visitor collecting calls, handlers, names and imports (its class is built lazily).

    ``ranges`` is the resolved ``PositionProvider`` mapping (node → line/column range).
    """
    global _COLLECTOR
    if _COLLECTOR is None:
        _COLLECTOR = _make_collector()
    return _COLLECTOR(code, ranges)


def _dotted_cst(node: Any) -> str | None:
    import libcst as cst

    if isinstance(node, cst.Name):
        return str(node.value)
    if isinstance(node, cst.Attribute):
        head = _dotted_cst(node.value)
        return None if head is None else f"{head}.{node.attr.value}"
    return None


# --------------------------------------------------------------------------- checks


class _Checker:
    def __init__(self, collector: Any, code: str, shift: int) -> None:
        import libcst as cst

        self.cst = cst
        self.c = collector
        self.data: _Collected = collector.data
        self.code = code
        self.shift = shift
        self.issues: list[ScriptIssue] = []
        self.clients: set[str] = set()
        self._names: dict[str, list[tuple[int, int, _Name]]] | None = None

    # ---- helpers

    def qualified(self, node: Any) -> str | None:
        """``requests.post`` for ``rq.post`` after ``import requests as rq``, ``sys.exit`` for ``exit``
        after ``from sys import exit``; bare builtins stay bare."""
        dotted = _dotted_cst(node)
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        if head in self.data.members:
            full = self.data.members[head]
            return f"{full}.{rest}" if rest else full
        if head in self.data.modules:
            module = self.data.modules[head]
            return f"{module}.{rest}" if rest else module
        return dotted

    def text(self, node: Any) -> str:
        s, e = self.c.offset_of(node)
        return self.code[s:e]

    def add(self, detector: str, message: str, start: int, end: int, subject: str) -> None:
        start -= self.shift
        end -= self.shift
        size = len(self.code) - self.shift
        start = max(0, min(start, size))
        end = max(start, min(end, size))
        self.issues.append(ScriptIssue(detector, message, start, end, subject))

    def scope_of(self, ancestors: list[Any]) -> int:
        for a in ancestors:
            if isinstance(a, self.cst.FunctionDef | self.cst.Lambda):
                return id(a)
        return 0

    def run(self) -> list[ScriptIssue]:
        self.handlers()
        self.collect_clients()
        self.calls()
        return self.issues

    # ---- except handlers

    def handlers(self) -> None:
        cst = self.cst
        for handler, ancestors in self.data.handlers:
            kinds = self._handler_types(handler.type)
            if kinds == {"KeyboardInterrupt"} or kinds == {"SystemExit"}:
                continue
            body = handler.body.body if isinstance(handler.body, cst.IndentedBlock) else [handler.body]
            smalls = [s for stmt in body for s in self._small_statements(stmt)]
            for small in smalls:
                call = self._exit_zero(small)
                if call is not None:
                    s, e = self.c.offset_of(call)
                    self.add(
                        "py-exit-zero-in-handler",
                        f"`{_norm(self.text(call))}` inside an `except` handler reports success after an error, so "
                        "the step passes; exit non-zero (`sys.exit(1)`) or re-raise.",
                        s,
                        e,
                        _norm(self.text(call)),
                    )
            if not (handler.type is None or kinds & {"Exception", "BaseException"}):
                continue
            if not all(self._swallows(s) for s in smalls):
                continue
            try_node = next((a for a in ancestors if isinstance(a, cst.Try | cst.TryStar)), None)
            if try_node is not None and self._harmless_try(try_node):
                continue
            if any(isinstance(s, cst.Continue) for s in smalls) and self._retry_loop(ancestors):
                continue
            s, _ = self.c.offset_of(handler)
            header_end = self.c.offset_of(handler.type)[1] if handler.type is not None else s + len("except")
            header = _norm(self.code[s:header_end])
            first = _norm(self.text(smalls[0]), 30) if smalls else ""
            self.add(
                "py-broad-except",
                f"`{header}: {first}` swallows every error, so the script carries on and exits 0 after a failure; "
                "catch the specific exception you expect, or log and re-raise (`raise`) / `sys.exit(1)`.",
                s,
                header_end,
                f"{header}: {first}",
            )

    def _handler_types(self, node: Any) -> set[str]:
        cst = self.cst
        if node is None:
            return {"BaseException"}
        elements = [e.value for e in node.elements] if isinstance(node, cst.Tuple) else [node]
        out: set[str] = set()
        for e in elements:
            name = self.qualified(e)
            if name is not None:
                out.add(name.removeprefix("builtins."))
        return out

    def _small_statements(self, stmt: Any) -> list[Any]:
        cst = self.cst
        if isinstance(stmt, cst.SimpleStatementLine):
            return list(stmt.body)
        if isinstance(stmt, cst.SimpleStatementSuite):
            return list(stmt.body)
        return [stmt]  # a compound statement (if/for/with/try...): never "only swallows"

    def _exit_zero(self, small: Any) -> Any | None:
        """The call/raise in ``small`` that exits with status 0, if any."""
        cst = self.cst
        if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
            call = small.value
            name = self.qualified(call.func)
            if name not in _EXIT_CALLS:
                return None
            args = [a for a in call.args if a.keyword is None]
            if name == "os._exit":
                return call if args and _is_zero(args[0].value) else None
            if not args or _is_zero(args[0].value) or _is_none(args[0].value):
                return call
            return None
        if isinstance(small, cst.Raise) and small.exc is not None:
            exc = small.exc
            if isinstance(exc, cst.Call):
                if self.qualified(exc.func) != "SystemExit":
                    return None
                args = [a for a in exc.args if a.keyword is None]
                return small if not args or _is_zero(args[0].value) or _is_none(args[0].value) else None
            return small if self.qualified(exc) == "SystemExit" else None
        return None

    def _swallows(self, small: Any) -> bool:
        cst = self.cst
        if isinstance(small, cst.Pass | cst.Continue | cst.Break):
            return True
        if isinstance(small, cst.Assign | cst.AnnAssign | cst.AugAssign):
            return True
        if isinstance(small, cst.Return):
            value = small.value
            return value is None or (isinstance(value, cst.Name) and value.value == "None")
        if isinstance(small, cst.Expr):
            value = small.value
            if isinstance(value, cst.Ellipsis | cst.SimpleString | cst.ConcatenatedString):
                return True
            if isinstance(value, cst.Call):
                name = self.qualified(value.func) or ""
                if name in _OUTPUT_CALLS or name in _NOTE_CALLS:
                    return True
                head = name.split(".")[0]
                if head in _LOG_OBJECTS or name.startswith("self.log") or name.startswith("self.logger"):
                    return True
        return False

    def _harmless_try(self, try_node: Any) -> bool:
        """A try that only imports, or only cleans up: swallowing its errors is the point."""
        cst = self.cst
        smalls = [s for stmt in try_node.body.body for s in self._small_statements(stmt)] if isinstance(
            try_node.body, cst.IndentedBlock
        ) else list(try_node.body.body)  # fmt: skip
        if not smalls:
            return False
        if all(isinstance(s, cst.Import | cst.ImportFrom) for s in smalls):
            return True
        for s in smalls:
            if not (isinstance(s, cst.Expr) and isinstance(s.value, cst.Call)):
                return False
            name = self.qualified(s.value.func) or ""
            method = name.rsplit(".", 1)[-1]
            if name not in _CLEANUP_CALLS and not ("." in name and method in _CLEANUP_METHODS):
                return False
        return True

    def _retry_loop(self, ancestors: list[Any]) -> bool:
        cst = self.cst
        for a in ancestors:
            if isinstance(a, cst.For | cst.While):
                return a.orelse is not None
            if isinstance(a, cst.FunctionDef | cst.ClassDef | cst.Lambda):
                return False
        return False

    # ---- calls

    def collect_clients(self) -> None:
        """Names bound to ``requests.Session()`` / ``httpx.Client()`` (assignment or ``with … as``)."""
        cst = self.cst
        for call, ancestors in self.data.calls:
            if self.qualified(call.func) not in _HTTP_CLIENTS:
                continue
            parent = ancestors[0] if ancestors else None
            if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
                target = parent.targets[0].target
                name = _dotted_cst(target)
                if name is not None:
                    self.clients.add(name)
            elif isinstance(parent, cst.WithItem) and parent.asname is not None:
                name = _dotted_cst(parent.asname.name)
                if name is not None:
                    self.clients.add(name)

    def _kind(self, call: Any) -> str | None:
        name = self.qualified(call.func)
        if name is None:
            return None
        module, _, member = name.rpartition(".")
        if module in _HTTP_MODULES and member in _HTTP_METHODS:
            return "http"
        if module in self.clients and member in _HTTP_METHODS:
            return "http"
        if name in ("subprocess.run",):
            return "run"
        if name == "subprocess.call":
            return "call"
        if name == "subprocess.Popen":
            return "popen"
        if name == "os.system":
            return "system"
        return None

    def calls(self) -> None:
        cst = self.cst
        for call, ancestors in self.data.calls:
            kind = self._kind(call)
            if kind is None:
                continue
            if kind in ("run", "call", "popen") and self._checks(call):
                continue
            use, parents = _consumer(cst, call, ancestors)
            if kind == "system":
                if isinstance(use, cst.Expr):
                    self._report(kind, call)
                continue
            if isinstance(use, cst.Expr):
                if kind != "popen":
                    self._report(kind, call)
                continue
            if isinstance(use, cst.Attribute):
                attr = use.attr.value
                checks = _HTTP_CHECK_ATTRS if kind == "http" else _SUBPROCESS_CHECK_ATTRS
                if kind in ("http", "run") and attr not in checks:
                    self._report(kind, call)
                continue
            if isinstance(use, cst.Assign | cst.AnnAssign | cst.WithItem):
                name = self._bound_name(use)
                if name is None:
                    continue
                statement = next((p for p in parents if isinstance(p, cst.BaseSmallStatement | cst.With)), use)
                end = self.c.offset_of(statement)[1] if not isinstance(statement, cst.With) else (
                    self.c.offset_of(use)[1]
                )  # fmt: skip
                scope = self.scope_of(parents)
                if not self._used_as_check(name, scope, end, kind):
                    self._report(kind, call, name)
                continue
            # Anything else (an argument, `return`, a comparison...): handed on; someone may check it.

    def _checks(self, call: Any) -> bool:
        cst = self.cst
        for arg in call.args:
            if arg.star == "**":
                return True
            if arg.keyword is not None and arg.keyword.value == "check":
                value = arg.value
                return not (isinstance(value, cst.Name) and value.value in ("False", "None"))
        return False

    def _bound_name(self, use: Any) -> str | None:
        cst = self.cst
        if isinstance(use, cst.Assign):
            if len(use.targets) != 1:
                return None
            target = use.targets[0].target
        elif isinstance(use, cst.AnnAssign):
            target = use.target
        else:
            if use.asname is None:
                return None
            target = use.asname.name
        return target.value if isinstance(target, cst.Name) else None

    def _used_as_check(self, name: str, scope: int, after: int, kind: str) -> bool:
        """Whether a later read of ``name`` (before it is rebound) checks the result."""
        cst = self.cst
        reads = self._reads_of(name)
        first = bisect.bisect_left(reads, (after,))
        for _, _order, use in reads[first:]:
            if use.scope != scope and scope != 0:
                continue
            parent, grandparent = use.parent, use.grandparent
            if isinstance(parent, cst.AssignTarget) or (isinstance(parent, cst.AnnAssign) and _is(parent.target, use)):
                return False  # rebound before any check
            if isinstance(parent, cst.Attribute) and _is(parent.value, use):
                attr = parent.attr.value
                if kind == "http" and attr in _HTTP_CHECK_ATTRS:
                    return True
                if kind == "run" and attr in ("returncode", "check_returncode"):
                    return True
                if kind == "popen":
                    if attr == "returncode" or attr in _BACKGROUND_ATTRS:
                        return True
                    if attr in ("wait", "poll") and isinstance(grandparent, cst.Call):
                        return True  # `rc = p.wait()` / `if p.wait():` - judged loosely
                    continue
                if kind == "call":
                    return True
                continue
            if isinstance(parent, cst.Arg) and isinstance(grandparent, cst.Call):
                callee = self.qualified(grandparent.func) or ""
                if callee in _OUTPUT_CALLS or callee.split(".")[0] in _LOG_OBJECTS:
                    continue
                return True
            if isinstance(parent, cst.FormattedStringExpression):
                if kind == "call":
                    return True
                continue
            return True  # compared, returned, tested, stored elsewhere: handed on
        return False

    def _reads_of(self, name: str) -> list[tuple[int, int, _Name]]:
        """The reads of ``name`` as (offset, order, read), sorted; the index is built once per module.

        Looking up each bound result's later reads by scanning every name of
        the module was quadratic (20,000 ``r = requests.post(…)`` lines took
        minutes); one pass groups them by name.
        """
        if self._names is None:
            offset = self.c.offset_of
            grouped: dict[str, list[tuple[int, int, _Name]]] = {}
            for order, n in enumerate(self.data.names):
                grouped.setdefault(n.value, []).append((offset(n.node)[0], order, n))
            for reads in grouped.values():
                reads.sort(key=lambda r: (r[0], r[1]))
            self._names = grouped
        return self._names.get(name, [])

    def _report(self, kind: str, call: Any, name: str | None = None) -> None:
        s, e = self.c.offset_of(call)
        text = _norm(self.text(call))
        bound = f" (bound to `{name}`)" if name else ""
        if kind == "http":
            self.add(
                "py-http-status-unchecked",
                f"the response of `{text}`{bound} is never checked, so an HTTP 403 or 500 passes as success; call "
                "`.raise_for_status()` (or test `.status_code`) before using it.",
                s,
                e,
                text,
            )
        elif kind in ("run", "call", "popen"):
            self.add(
                "py-subprocess-unchecked",
                f"`{text}`{bound} ignores the command's exit status, so its failure passes silently; pass "
                "`check=True` (or use `subprocess.check_call`) or test `.returncode`.",
                s,
                e,
                text,
            )
        else:
            self.add(
                "py-os-system-ignored",
                f"the exit status returned by `{text}` is thrown away, so the command's failure passes silently; "
                "use `subprocess.run([...], check=True)` or test the returned status.",
                s,
                e,
                text,
            )


def _is(a: Any, name: _Name) -> bool:
    import libcst as cst

    return isinstance(a, cst.Name) and a.value == name.value


def _consumer(cst: Any, call: Any, ancestors: list[Any]) -> tuple[Any, list[Any]]:
    """The node that consumes ``call``'s value (looking through ``await``), and that node's ancestors.

    An ``Attribute`` consumer is only one whose *value* is the call
    (``requests.get(u).json()``); a call in some other position of its parent
    (an argument, a subscript...) is "handed on".
    """
    for i, parent in enumerate(ancestors):
        if isinstance(parent, cst.Await):
            continue
        return parent, ancestors[i + 1 :]
    return None, []


def _is_zero(node: Any) -> bool:
    import libcst as cst

    return isinstance(node, cst.Integer) and node.value in ("0", "0x0", "0o0", "0b0")


def _is_none(node: Any) -> bool:
    """``None`` or ``False``: both exit with status 0 when given to ``sys.exit``."""
    import libcst as cst

    return isinstance(node, cst.Name) and node.value in ("None", "False")


def _norm(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rstrip() + "..."
