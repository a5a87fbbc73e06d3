"""``auditor lsp`` as a command: the console script on raw stdin, without a client.

Bad input from a client is one line on stderr (never a traceback) and the
server goes on until its input ends; without pygls installed the command says
which extra to install, on one line, exit 2.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

AUDITOR = Path(sys.executable).parent / "auditor"


def _frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def test_a_message_that_is_not_json_is_one_line_and_the_server_goes_on() -> None:
    good = b'{"jsonrpc": "2.0", "id": 1, "method": "shutdown"}'
    proc = subprocess.run([str(AUDITOR), "lsp"], input=_frame(b"{bad}") + _frame(good),
                          capture_output=True, timeout=60)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    stderr = proc.stderr.decode()
    assert "Traceback" not in stderr
    assert stderr.strip(), "the bad message is named on stderr"
    assert all(line.startswith("auditor lsp: ") for line in stderr.splitlines()), stderr
    # the shutdown request after the bad message is still answered
    assert b'"id": 1' in proc.stdout and b'"result": null' in proc.stdout


def test_without_pygls_the_command_names_the_extra() -> None:
    hide = "import sys; sys.modules['pygls'] = None; from auditor.cli import main; main(['lsp'])"
    proc = subprocess.run([sys.executable, "-c", hide], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "auditor[lsp]" in proc.stderr, proc.stderr
