"""``auditor lsp``: a Language Server over stdio (pygls), so an editor shows the findings.

The server only speaks the protocol: what it reports is computed by
``auditor.lsp_analysis`` (the engine, the policy lookup and the fixer that
``auditor check`` and ``auditor fix`` use) and ``auditor.lsp_policy`` (keys
for ``.auditor.yml``). Every change is analysed at once, in the server's main
thread, where the engine's per-file budget (its alarm) bounds a slow file; a
buffer is small, so there is no debounce to make the tests wait on.

pygls is the optional ``lsp`` extra (``pip install 'auditor[lsp]'``): a CI
install of the checker does not carry an editor protocol stack.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from auditor._version import __version__

if TYPE_CHECKING:
    from lsprotocol import types
    from pygls.workspace import TextDocument

    from auditor.lsp_analysis import Analysis, Mark

SOURCE = "auditor"
log = logging.getLogger("auditor.lsp")


def _severity(name: str) -> types.DiagnosticSeverity:
    from lsprotocol import types

    return {"error": types.DiagnosticSeverity.Error, "warning": types.DiagnosticSeverity.Warning,
            }.get(name, types.DiagnosticSeverity.Information)  # fmt: skip


def _kind(kind: object) -> str:
    """A code action kind as its protocol string (an enum member formats as its name)."""
    return str(getattr(kind, "value", kind))


class AuditorServer:
    """The server's state: the analysis of each open document, by URI."""

    def __init__(self) -> None:
        from pygls.lsp.server import LanguageServer

        self.analyses: dict[str, Analysis] = {}
        self.server = LanguageServer("auditor", __version__)
        self._register()

    # -- positions ----------------------------------------------------------------------

    def _range(self, doc: TextDocument, text: str, line: int, column: int, end_line: int,
               end_column: int) -> types.Range:  # fmt: skip
        """A 0-based code-point range in ``text`` as the client counts (UTF-16 by default)."""
        from lsprotocol import types
        from pygls.workspace.position_codec import ServerTextPosition

        lines = text.split("\n")  # as auditor counts lines: only "\n" ends one
        codec = doc.position_codec
        return types.Range(
            codec.position_to_client_units(lines, ServerTextPosition(line, column)),
            codec.position_to_client_units(lines, ServerTextPosition(end_line, end_column)),
        )

    def _server_position(self, doc: TextDocument, position: types.Position) -> tuple[int, int]:
        from lsprotocol import types

        lines = doc.source.split("\n")
        at = doc.position_codec.position_from_client_units(
            lines, types.Position(position.line, position.character))  # fmt: skip
        return at.line, at.character

    # -- diagnostics --------------------------------------------------------------------

    def _diagnostic(self, doc: TextDocument, analysis: Analysis, mark: Mark) -> types.Diagnostic:
        from lsprotocol import types

        return types.Diagnostic(
            range=self._range(doc, analysis.text, mark.line, mark.column, mark.end_line, mark.end_column),
            message=mark.message,
            severity=_severity(mark.severity),
            code=mark.rule,
            code_description=types.CodeDescription(href=mark.doc_url) if mark.doc_url else None,
            source=SOURCE,
            data=mark.fingerprint or None,
        )

    def _buffers(self, uri: str) -> dict[Path, str]:
        """The other open documents' texts, by absolute path."""
        out: dict[Path, str] = {}
        for other, analysis in self.analyses.items():
            if other != uri:
                out[analysis.path] = self.server.workspace.get_text_document(other).source
        return out

    def refresh(self, uri: str) -> None:
        """Analyse the document's current text and publish its diagnostics."""
        from lsprotocol import types
        from pygls.uris import to_fs_path

        from auditor.lsp_analysis import analyse

        doc = self.server.workspace.get_text_document(uri)
        fs_path = to_fs_path(uri)
        if fs_path is None:
            return  # an unsaved, untitled buffer: no repository to judge it in
        text = doc.source
        try:
            analysis = analyse(Path(fs_path).absolute(), text, self._buffers(uri))
        except Exception as exc:  # never let one document take the server down
            log.exception("auditor lsp: analysing %s failed", fs_path)
            self.server.window_log_message(types.LogMessageParams(
                types.MessageType.Error, f"auditor: analysing {fs_path} failed: {exc}"))  # fmt: skip
            return
        if analysis is None:
            return
        self.analyses[uri] = analysis
        diagnostics = [self._diagnostic(doc, analysis, mark) for mark in analysis.marks]
        self.server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=doc.version))

    def changed(self, uri: str) -> None:
        """A document changed: re-check it, and when it is a policy, every open workflow
        of its repository (the policy judges them)."""
        self.refresh(uri)
        analysis = self.analyses.get(uri)
        if analysis is None or analysis.kind != "policy":
            return
        for other, seen in list(self.analyses.items()):
            if other != uri and seen.root is not None and seen.root == analysis.root:
                self.refresh(other)

    def close(self, uri: str) -> None:
        from lsprotocol import types

        self.analyses.pop(uri, None)
        self.server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    # -- requests -----------------------------------------------------------------------

    def hover(self, params: types.HoverParams) -> types.Hover | None:
        from lsprotocol import types

        from auditor.lsp_analysis import hover

        analysis = self.analyses.get(params.text_document.uri)
        if analysis is None:
            return None
        doc = self.server.workspace.get_text_document(params.text_document.uri)
        line, column = self._server_position(doc, params.position)
        text = hover(analysis, line, column)
        if text is None:
            return None
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text))

    def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        from lsprotocol import types

        from auditor.lsp_analysis import edit_range

        uri = params.text_document.uri
        analysis = self.analyses.get(uri)
        if analysis is None or analysis.fixer is None:
            return []
        doc = self.server.workspace.get_text_document(uri)
        if doc.source != analysis.text:
            return []  # the analysis is stale; the next change brings fresh diagnostics
        start = self._server_position(doc, params.range.start)
        end = self._server_position(doc, params.range.end)
        actions: list[types.CodeAction] = []
        for mark in analysis.marks:
            if not mark.meets(*start, *end):
                continue
            edits = analysis.fix(mark)
            if not edits:
                continue
            text_edits = [types.TextEdit(range=self._range(doc, analysis.text, *edit_range(analysis.text, e)),
                                         new_text=e.replacement) for e in edits]  # fmt: skip
            actions.append(types.CodeAction(
                title=f"auditor: fix {mark.rule}",
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[self._diagnostic(doc, analysis, mark)],
                edit=types.WorkspaceEdit(changes={uri: text_edits}),
                is_preferred=True,
            ))  # fmt: skip
        wanted = [_kind(k) for k in params.context.only or ()]
        if actions or any(kind.startswith("source") for kind in wanted):
            whole = analysis.fix_all()
            if whole is not None:
                actions.append(types.CodeAction(
                    title="auditor: fix all safe findings in this file",
                    kind=types.CodeActionKind.SourceFixAll,
                    edit=types.WorkspaceEdit(changes={uri: [types.TextEdit(
                        range=self._range(doc, analysis.text, *edit_range(analysis.text, whole)),
                        new_text=whole.replacement)]}),
                ))  # fmt: skip
        if wanted:
            actions = [a for a in actions if a.kind is not None
                       and any(_kind(a.kind) == k or _kind(a.kind).startswith(f"{k}.") for k in wanted)]  # fmt: skip
        return actions

    def completion(self, params: types.CompletionParams) -> types.CompletionList | None:
        from lsprotocol import types

        from auditor.lsp_policy import completions

        analysis = self.analyses.get(params.text_document.uri)
        if analysis is None or analysis.kind != "policy":
            return None
        doc = self.server.workspace.get_text_document(params.text_document.uri)
        line, column = self._server_position(doc, params.position)
        items = [types.CompletionItem(label=key, kind=types.CompletionItemKind.Property,
                                      insert_text=f"{key}: ", detail="auditor policy key",
                                      documentation=about or None)
                 for key, about in completions(doc.source, line, column)]  # fmt: skip
        return types.CompletionList(is_incomplete=False, items=items)

    # -- wiring -------------------------------------------------------------------------

    def _register(self) -> None:
        from lsprotocol import types

        ls = self.server
        # Each handler takes only ``params``: pygls passes the server too when the first
        # parameter is named ``ls``, and this object already holds it.

        @ls.feature(types.TEXT_DOCUMENT_DID_OPEN)
        def did_open(params: types.DidOpenTextDocumentParams) -> None:
            self.changed(params.text_document.uri)

        @ls.feature(types.TEXT_DOCUMENT_DID_CHANGE)
        def did_change(params: types.DidChangeTextDocumentParams) -> None:
            self.changed(params.text_document.uri)

        @ls.feature(types.TEXT_DOCUMENT_DID_SAVE)
        def did_save(params: types.DidSaveTextDocumentParams) -> None:
            self.changed(params.text_document.uri)

        @ls.feature(types.TEXT_DOCUMENT_DID_CLOSE)
        def did_close(params: types.DidCloseTextDocumentParams) -> None:
            self.close(params.text_document.uri)

        @ls.feature(types.TEXT_DOCUMENT_HOVER)
        def on_hover(params: types.HoverParams) -> types.Hover | None:
            return self.hover(params)

        @ls.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix,
                                                               types.CodeActionKind.SourceFixAll]))
        def on_code_action(params: types.CodeActionParams) -> list[types.CodeAction]:
            return self.code_actions(params)

        @ls.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions())
        def on_completion(params: types.CompletionParams) -> types.CompletionList | None:
            return self.completion(params)


class _OneLine(logging.Formatter):
    """Log records as one line each on stderr: bad input from the client (a message that
    is not JSON) is named, never shown as a traceback."""

    def format(self, record: logging.LogRecord) -> str:
        from auditor.errors import message_line

        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            text = f"{text}: {type(exc).__name__}: {exc}"
        return f"auditor lsp: {message_line(text)}"


def run_lsp(fail: Callable[[str], NoReturn]) -> int:
    """The command: serve on stdin/stdout until the client says exit."""
    try:
        import pygls  # noqa: F401
    except ImportError:
        fail("auditor lsp needs pygls: pip install 'auditor[lsp]'")
    handler = logging.StreamHandler()  # stderr: stdout carries the protocol
    handler.setFormatter(_OneLine())
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
    AuditorServer().server.start_io()
    return 0
