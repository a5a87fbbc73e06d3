"""``auditor lsp`` in a real Language Server session: the venv's console script over
stdio, driven by pygls's own client (no mock of either side).

Each test writes a git repository, opens one of its files in the server and checks
what an editor would see: diagnostics with exact ranges, a quick fix whose edit,
applied to the buffer, makes the diagnostic go, the rule docs on hover, policy
errors and key completion in ``.auditor.yml``, and a clean shutdown.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pygls", reason="auditor lsp needs the lsp extra (pygls)")

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

from auditor.rule_docs import rule_doc_url
from tests.conftest import run_cli, write_files

AUDITOR = Path(sys.executable).parent / "auditor"
TIMEOUT = 60.0
WF = ".github/workflows/ci.yml"

WORKFLOW = """\
name: ci
on: push
permissions:
  contents: read
  statuses: write  # left over from an old status reporter
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo hi
"""


SEVERITIES = {"error": types.DiagnosticSeverity.Error, "warning": types.DiagnosticSeverity.Warning,
              "note": types.DiagnosticSeverity.Information}  # fmt: skip


def _checked(root: Path, rule: str) -> dict[str, Any]:
    """The one finding of ``rule`` that ``auditor check`` reports for the repository on disk."""
    run = subprocess.run([str(AUDITOR), "check", "--format", "json", "--no-cache", str(root)],
                         capture_output=True, text=True)  # fmt: skip
    [finding] = [f for f in json.loads(run.stdout)["findings"] if f["rule"] == rule]
    return dict(finding)


def _git_repo(root: Path, files: dict[str, str | bytes]) -> Path:
    write_files(root, files)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


class Session:
    """A client connected to a freshly started ``auditor lsp``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.client = LanguageClient("auditor-tests", "1")
        self.published: dict[str, list[types.PublishDiagnosticsParams]] = {}
        self.arrived = asyncio.Event()
        self.versions: dict[str, int] = {}

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
            self.published.setdefault(params.uri, []).append(params)
            self.arrived.set()

    async def start(self) -> None:
        await self.client.start_io(str(AUDITOR), "lsp")
        folder = types.WorkspaceFolder(uri=from_fs_path(str(self.root)) or "", name="repo")
        await self.client.initialize_async(types.InitializeParams(
            capabilities=types.ClientCapabilities(), root_uri=folder.uri, workspace_folders=[folder]))
        self.client.initialized(types.InitializedParams())

    def uri(self, rel: str) -> str:
        return from_fs_path(str(self.root / rel)) or ""

    async def diagnostics(self, uri: str, count: int) -> list[types.Diagnostic]:
        """The diagnostics of the ``count``-th publication for ``uri``."""

        async def wait() -> list[types.Diagnostic]:
            while len(self.published.get(uri, [])) < count:
                self.arrived.clear()
                await self.arrived.wait()
            return list(self.published[uri][count - 1].diagnostics)

        return await asyncio.wait_for(wait(), TIMEOUT)

    def open(self, rel: str, text: str) -> str:
        uri = self.uri(rel)
        self.versions[uri] = 1
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=text)))  # fmt: skip
        return uri

    def change(self, uri: str, text: str) -> None:
        self.versions[uri] += 1
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
            [types.TextDocumentContentChangeWholeDocument(text=text)]))  # fmt: skip

    def edit(self, uri: str, edits: list[types.TextEdit]) -> None:
        """Apply ``edits`` as an editor does: incremental changes, last first."""
        self.versions[uri] += 1
        changes: list[types.TextDocumentContentChangeEvent] = [
            types.TextDocumentContentChangePartial(range=e.range, text=e.new_text)
            for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True)
        ]
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]), changes))  # fmt: skip

    async def stop(self) -> int:
        """shutdown, exit: the server's exit status."""
        await asyncio.wait_for(self.client.shutdown_async(None), TIMEOUT)
        self.client.exit(None)
        server = self.client._server
        assert server is not None
        code = await asyncio.wait_for(server.wait(), TIMEOUT)
        await self.client.stop()
        return code


def run_session(root: Path, body: Callable[[Session], Awaitable[Any]]) -> int:
    """Start a server for ``root``, run ``body`` with it, shut it down: its exit status."""

    async def main() -> int:
        session = Session(root)
        await session.start()
        try:
            await body(session)
        except BaseException:
            if session.client._server is not None and session.client._server.returncode is None:
                session.client._server.kill()
            raise
        return await session.stop()

    return asyncio.run(main())


def _position_of(text: str, needle: str) -> tuple[int, int]:
    """0-based (line, column) of ``needle``'s first character in ``text``."""
    for number, line in enumerate(text.split("\n")):
        if needle in line:
            return number, line.index(needle)
    raise AssertionError(f"{needle!r} is not in the text")


def apply_text_edits(text: str, edits: list[types.TextEdit]) -> str:
    """``edits`` applied as an editor applies them (ASCII text: UTF-16 units are characters)."""
    lines = text.split("\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)

    def offset(p: types.Position) -> int:
        return starts[p.line] + p.character if p.line < len(starts) else len(text)

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]
    return text


def test_diagnostic_exact_range_quick_fix_and_it_goes(tmp_path: Path) -> None:
    root = _git_repo(tmp_path / "repo", {WF: WORKFLOW})
    line, column = _position_of(WORKFLOW, "statuses: write")
    checked = _checked(root, "statuses-write-permission")  # what the command line says
    seen: dict[str, Any] = {}

    async def body(s: Session) -> None:
        uri = s.open(WF, WORKFLOW)
        diagnostics = await s.diagnostics(uri, 1)
        statuses = [d for d in diagnostics if d.code == "statuses-write-permission"]
        assert len(statuses) == 1, diagnostics
        found = statuses[0]
        assert (found.range.start.line, found.range.start.character) == (line, column)
        assert (found.range.end.line, found.range.end.character) == (line, column + len("statuses: write"))
        assert found.source == "auditor"
        assert found.severity == SEVERITIES[checked["severity"]]
        assert found.message == checked["message"]
        assert (checked["line"] - 1, checked["column"] - 1, checked["end_column"] - 1) == (
            found.range.start.line, found.range.start.character, found.range.end.character)
        assert found.code_description is not None
        assert found.code_description.href == rule_doc_url("statuses-write-permission")

        actions = await asyncio.wait_for(s.client.text_document_code_action_async(types.CodeActionParams(
            types.TextDocumentIdentifier(uri=uri), found.range, types.CodeActionContext(diagnostics=[found]))),
            TIMEOUT)  # fmt: skip
        assert actions is not None
        fixes = [a for a in actions if isinstance(a, types.CodeAction)
                 and a.kind == types.CodeActionKind.QuickFix and "statuses-write-permission" in a.title]  # fmt: skip
        assert len(fixes) == 1, actions
        edit = fixes[0].edit
        assert edit is not None and edit.changes is not None
        fixed = apply_text_edits(WORKFLOW, list(edit.changes[uri]))
        assert "statuses" not in fixed
        # nothing but the grant's line changed
        assert fixed.split("\n") == [x for x in WORKFLOW.split("\n") if "statuses" not in x]

        s.edit(uri, list(edit.changes[uri]))  # incremental, as an editor applies it
        after = await s.diagnostics(uri, 2)
        seen["after"] = [d.code for d in after]
        # the server's buffer is the text applied locally: its diagnostics are of that text
        s.change(uri, fixed)
        seen["full"] = [d.code for d in await s.diagnostics(uri, 3)]

    assert run_session(root, body) == 0
    assert "statuses-write-permission" not in seen["after"]
    assert seen["after"] == seen["full"]


def test_hover_shows_rule_docs_on_the_finding_and_in_a_suppression(tmp_path: Path) -> None:
    text = WORKFLOW.replace("      - run: echo hi\n",
                            "      # auditor: ignore[swallowed-failure] kept for the demo\n"
                            "      - run: echo hi\n")  # fmt: skip
    root = _git_repo(tmp_path / "repo", {WF: text})
    line, column = _position_of(text, "statuses: write")
    sup_line, sup_column = _position_of(text, "swallowed-failure")
    explain = subprocess.run([str(AUDITOR), "explain", "swallowed-failure"], capture_output=True,
                             text=True, check=True).stdout  # fmt: skip
    explain_statuses = subprocess.run([str(AUDITOR), "explain", "statuses-write-permission"],
                                      capture_output=True, text=True, check=True).stdout  # fmt: skip
    hovers: list[types.Hover | None] = []

    async def body(s: Session) -> None:
        uri = s.open(WF, text)
        await s.diagnostics(uri, 1)
        for at in ((line, column + 3), (sup_line, sup_column + 2), (0, 0)):
            hovers.append(await asyncio.wait_for(s.client.text_document_hover_async(types.HoverParams(
                types.TextDocumentIdentifier(uri=uri), types.Position(*at))), TIMEOUT))  # fmt: skip

    assert run_session(root, body) == 0
    on_finding, on_suppression, nowhere = hovers
    assert on_finding is not None and isinstance(on_finding.contents, types.MarkupContent)
    assert on_finding.contents.kind == types.MarkupKind.Markdown
    assert explain_statuses.strip() in on_finding.contents.value
    assert on_suppression is not None and isinstance(on_suppression.contents, types.MarkupContent)
    assert on_suppression.contents.value.strip() == explain.strip()
    assert nowhere is None


def test_broken_yaml_gives_a_parse_error_and_the_server_lives_on(tmp_path: Path) -> None:
    root = _git_repo(tmp_path / "repo", {WF: WORKFLOW})
    broken = WORKFLOW.replace("  build:\n", "  build: [unclosed\n")
    results: dict[str, list[types.Diagnostic]] = {}

    async def body(s: Session) -> None:
        uri = s.open(WF, broken)
        results["broken"] = await s.diagnostics(uri, 1)
        s.change(uri, WORKFLOW)  # the server still answers after the error
        results["repaired"] = await s.diagnostics(uri, 2)
        s.client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri)))
        results["closed"] = await s.diagnostics(uri, 3)

    assert run_session(root, body) == 0
    parse = [d for d in results["broken"] if d.code == "parse-error"]
    assert parse, results["broken"]
    # located inside the document, at or after the broken line (where the parser gave up)
    assert _position_of(broken, "[unclosed")[0] <= parse[0].range.start.line < len(broken.split("\n"))
    assert "parse-error" not in {d.code for d in results["repaired"]}
    assert "statuses-write-permission" in {d.code for d in results["repaired"]}
    assert results["closed"] == []


POLICY = """\
version: 1
roles:
  promote:
    names: ['promote']
"""


def test_policy_unknown_key_and_completion(tmp_path: Path) -> None:
    root = _git_repo(tmp_path / "repo", {WF: WORKFLOW, ".auditor.yml": POLICY})
    typo = POLICY + "permisions:\n  forbidden: {statuses: write}\n"
    results: dict[str, Any] = {}

    async def body(s: Session) -> None:
        uri = s.open(".auditor.yml", POLICY)
        results["good"] = await s.diagnostics(uri, 1)
        s.change(uri, typo)
        results["typo"] = await s.diagnostics(uri, 2)
        s.change(uri, POLICY + "pe")
        await s.diagnostics(uri, 3)
        results["top"] = await asyncio.wait_for(s.client.text_document_completion_async(types.CompletionParams(
            types.TextDocumentIdentifier(uri=uri), types.Position(len(POLICY.split("\n")) - 1, 2))), TIMEOUT)
        s.change(uri, POLICY + "    u")  # a new key under roles.promote, being typed
        await s.diagnostics(uri, 4)
        results["nested"] = await asyncio.wait_for(s.client.text_document_completion_async(types.CompletionParams(
            types.TextDocumentIdentifier(uri=uri), types.Position(len(POLICY.split("\n")) - 1, 5))), TIMEOUT)

    assert run_session(root, body) == 0
    assert results["good"] == []
    [typo_diagnostic] = results["typo"]
    line, column = _position_of(typo, "permisions")
    assert (typo_diagnostic.range.start.line, typo_diagnostic.range.start.character) == (line, column)
    assert (typo_diagnostic.range.end.line, typo_diagnostic.range.end.character) == (line, column + len("permisions"))
    assert "unknown key" in typo_diagnostic.message and typo_diagnostic.code == "policy"
    top = results["top"]
    assert isinstance(top, types.CompletionList)
    labels = {item.label for item in top.items}
    # the top-level keys the loader accepts, less those already written
    assert {"permissions", "rules", "waivers", "secrets"} <= labels
    assert "version" not in labels and "roles" not in labels
    nested = results["nested"]
    assert isinstance(nested, types.CompletionList)
    assert {item.label for item in nested.items} == {"endpoints", "uses"}  # names is there already
    # the keys and their descriptions come from the published schema (`auditor schema policy`)
    schema = json.loads(run_cli("schema", "policy").stdout)
    endpoints = next(item for item in nested.items if item.label == "endpoints")
    assert endpoints.documentation == schema["properties"]["roles"]["properties"]["promote"]["properties"][
        "endpoints"]["description"]


def test_unsaved_policy_buffer_judges_the_open_workflow(tmp_path: Path) -> None:
    """The policy being edited (not yet saved) decides what the workflow beside it shows."""
    root = _git_repo(tmp_path / "repo", {WF: WORKFLOW})
    off = "version: 1\nrules:\n  statuses-write-permission: off\n"
    results: dict[str, list[types.Diagnostic]] = {}

    async def body(s: Session) -> None:
        wf = s.open(WF, WORKFLOW)
        results["before"] = await s.diagnostics(wf, 1)
        policy = s.open(".auditor.yml", off)
        await s.diagnostics(policy, 1)
        results["after"] = await s.diagnostics(wf, 2)

    assert run_session(root, body) == 0
    assert "statuses-write-permission" in {d.code for d in results["before"]}
    assert "statuses-write-permission" not in {d.code for d in results["after"]}
    assert not (root / ".auditor.yml").exists()


def test_shutdown_and_exit_are_clean(tmp_path: Path) -> None:
    root = _git_repo(tmp_path / "repo", {WF: WORKFLOW})

    async def body(s: Session) -> None:
        return None

    assert run_session(root, body) == 0


SET_OUTPUT = """\
name: ci
on: push
permissions:
  contents: read
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo "🚀🚀" && echo "::set-output name=x::y"
"""


def test_ranges_are_in_utf16_units_and_other_yaml_is_left_alone(tmp_path: Path) -> None:
    """Characters outside the BMP before a finding count two UTF-16 units each (the LSP
    default), and a YAML file that is no workflow, action or policy gets no diagnostics."""
    root = _git_repo(tmp_path / "repo", {WF: SET_OUTPUT, "compose.yml": "services: {web: {image: x}}\n"})
    checked = _checked(root, "deprecated-set-output")
    line = SET_OUTPUT.split("\n")[checked["line"] - 1]
    utf16 = [len(line[: checked[key] - 1].encode("utf-16-le")) // 2 for key in ("column", "end_column")]
    assert utf16[0] != checked["column"] - 1  # the wide characters come before the finding
    results: dict[str, Any] = {}

    async def body(s: Session) -> None:
        other = s.open("compose.yml", "services: {web: {image: x}}\n")
        uri = s.open(WF, SET_OUTPUT)  # handled after the other, in order: its answer is in
        results["wf"] = await s.diagnostics(uri, 1)
        results["other"] = s.published.get(other, [])

    assert run_session(root, body) == 0
    [found] = [d for d in results["wf"] if d.code == "deprecated-set-output"]
    assert found.range.start.line == found.range.end.line == checked["line"] - 1
    assert [found.range.start.character, found.range.end.character] == utf16
    assert results["other"] == []


def test_no_quick_fix_where_no_safe_fix_exists(tmp_path: Path) -> None:
    broken = WORKFLOW.replace("  build:\n", "  build: [unclosed\n")
    root = _git_repo(tmp_path / "repo", {WF: broken})
    results: dict[str, Any] = {}

    async def body(s: Session) -> None:
        uri = s.open(WF, broken)
        diagnostics = await s.diagnostics(uri, 1)
        whole = types.Range(types.Position(0, 0), types.Position(len(broken.split("\n")), 0))
        results["actions"] = await asyncio.wait_for(s.client.text_document_code_action_async(
            types.CodeActionParams(types.TextDocumentIdentifier(uri=uri), whole,
                                   types.CodeActionContext(diagnostics=diagnostics))), TIMEOUT)  # fmt: skip
        results["diagnostics"] = diagnostics

    assert run_session(root, body) == 0
    assert any(d.code == "parse-error" for d in results["diagnostics"])
    assert not results["actions"]  # a file that does not parse is never fixed


def test_fix_all_is_what_auditor_fix_writes(tmp_path: Path) -> None:
    """The source.fixAll action applies every safe fix at once, byte for byte what
    ``auditor fix`` writes to the same file on disk."""
    text = WORKFLOW.replace("      - run: echo hi\n", '      - run: echo "::set-output name=x::y"\n')
    root = _git_repo(tmp_path / "repo", {WF: text})
    results: dict[str, Any] = {}

    async def body(s: Session) -> None:
        uri = s.open(WF, text)
        results["before"] = {d.code for d in await s.diagnostics(uri, 1)}
        nowhere = types.Range(types.Position(0, 0), types.Position(0, 0))
        actions = await asyncio.wait_for(s.client.text_document_code_action_async(types.CodeActionParams(
            types.TextDocumentIdentifier(uri=uri), nowhere,
            types.CodeActionContext(diagnostics=[], only=[types.CodeActionKind.SourceFixAll]))), TIMEOUT)
        assert actions is not None
        [fix_all] = [a for a in actions if isinstance(a, types.CodeAction)]
        assert fix_all.kind == types.CodeActionKind.SourceFixAll
        assert fix_all.edit is not None and fix_all.edit.changes is not None
        results["fixed"] = apply_text_edits(text, list(fix_all.edit.changes[uri]))
        s.change(uri, results["fixed"])
        results["after"] = {d.code for d in await s.diagnostics(uri, 2)}

    assert run_session(root, body) == 0
    assert {"statuses-write-permission", "deprecated-set-output"} <= results["before"]
    assert not {"statuses-write-permission", "deprecated-set-output"} & results["after"]
    subprocess.run([str(AUDITOR), "fix", str(root)], capture_output=True, check=True)
    assert (root / WF).read_text(encoding="utf-8") == results["fixed"]


def test_a_broken_repository_policy_is_named_on_the_workflow(tmp_path: Path) -> None:
    root = _git_repo(tmp_path / "repo", {WF: WORKFLOW, ".auditor.yml": "version: 1\nrules: [oops]\n"})
    checked = subprocess.run([str(AUDITOR), "check", str(root)], capture_output=True, text=True)
    assert checked.returncode == 2
    results: dict[str, Any] = {}

    async def body(s: Session) -> None:
        uri = s.open(WF, WORKFLOW)
        results["wf"] = await s.diagnostics(uri, 1)

    assert run_session(root, body) == 0
    [only] = results["wf"]
    assert only.code == "policy" and only.range.start.line == 0
    # the loader's own message, as `auditor check` prints it (after its "auditor: error: ")
    assert checked.stderr.strip().split("error: ", 1)[1].split(":", 1)[1] in only.message


def test_a_workflow_opened_through_a_linked_folder_is_checked(tmp_path: Path) -> None:
    real = _git_repo(tmp_path / "real", {WF: WORKFLOW})
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    results: dict[str, Any] = {}

    async def body(s: Session) -> None:
        uri = s.open(WF, WORKFLOW)
        results["wf"] = await s.diagnostics(uri, 1)

    assert run_session(link, body) == 0
    assert "statuses-write-permission" in {d.code for d in results["wf"]}
