"""The HTML compliance report: self-contained, escaped, and rendered by a real browser."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from auditor.reports.html import layout, svg_graph
from auditor.rule_docs import docs_base
from tests.conftest import run_cli
from tests.org.conftest import CLEAN, write

XSS = "<script>alert(1)</script>"

PIPELINE = f"""
on: push
jobs:
  publish:
    runs-on: ubuntu-latest
    outputs:
      digest: ${{{{ steps.push.outputs.digest }}}}
    steps:
      - id: push
        uses: docker/build-push-action@v6
        with: {{push: true, tags: "r/app:latest"}}
  "{XSS}":
    needs: [publish, nope]
    runs-on: ubuntu-latest
    steps:
      - run: docker push r/app:latest
  promote-pin:
    needs: publish
    runs-on: ubuntu-latest
    steps:
      - run: curl --fail -X POST "$CP/promote" -d "${{{{ needs.publish.outputs.digest }}}}"
  verify-pin:
    needs: [promote-pin]
    runs-on: ubuntu-latest
    steps:
      - run: ./verify.sh
"""

REPOS = ("alpha", "beta", "gamma-<img src=x onerror=alert(2)>")


def make_report(tmp_path: Path) -> Path:
    paths = []
    for name in REPOS:
        root = tmp_path / "org" / name
        files = {".github/workflows/ci.yml": CLEAN}
        if name == "beta":
            files[".github/workflows/release.yml"] = PIPELINE
        write(root, files)
        paths.append(str(root))
    out = tmp_path / "org.html"
    run = run_cli("org", "-q", "--no-cache", "--report", f"html:{out}", *paths)
    assert run.exit_code == 1, run.stderr  # needs-unknown-job in beta
    return out


def test_html_is_self_contained_and_escaped(tmp_path: Path) -> None:
    page = make_report(tmp_path).read_text()
    assert XSS not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img" not in page and "gamma-&lt;img src=x onerror=alert(2)&gt;" in page
    # nothing external: no src/href to another origin, no @import, no url()
    assert not re.search(r"""src\s*=\s*["']?(https?:|//)""", page)
    # the only links out are <a> to rule pages (navigation, nothing loaded)
    external = re.findall(r"""<(\w+)[^>]*?href\s*=\s*["']?((?:https?:|//)[^"' >]*)""", page)
    assert all(tag == "a" and url.startswith(docs_base()) for tag, url in external), external
    assert "@import" not in page and "url(http" not in page
    assert page.count("<script>") == 1  # ours, the only one
    for name in ("alpha", "beta"):
        assert f'data-repo="{name}"' in page
    assert "<svg" in page  # beta's release pipeline


def test_layout_layers_and_cycles() -> None:
    layer, _ = layout({"a": [], "b": ["a"], "c": ["a", "b"], "d": []})
    assert layer == {"a": 0, "b": 1, "c": 2, "d": 0}
    cyclic, _ = layout({"x": ["y"], "y": ["x"]})
    assert set(cyclic) == {"x", "y"}
    assert "<svg" in svg_graph({"x": ["y"], "y": ["x"]}, {"x": ["promote"]}, "t")


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no chromium on PATH (Debian: apt-get install -y chromium)")


def _browse(binary: str, tmp_path: Path, page: Path, *extra: str) -> tuple[str, str]:
    args = [
        binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
        "--enable-logging=stderr", "--v=0", "--window-size=1400,2000", *extra,
        page.as_uri(),
    ]  # fmt: skip
    proc = subprocess.run(args, capture_output=True, timeout=120, check=False)
    return proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")


def _console(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def test_report_in_a_headless_browser(tmp_path: Path) -> None:
    binary = _chromium()
    page = make_report(tmp_path)
    # the console check must be able to see an error at all
    control = tmp_path / "control.html"
    control.write_text("<html><body><script>console.error('control-error')</script></body></html>")
    _, control_err = _browse(binary, tmp_path, control, "--dump-dom")
    assert any("control-error" in line for line in _console(control_err)), control_err[-2000:]

    dom, stderr = _browse(binary, tmp_path, page, "--dump-dom")
    assert _console(stderr) == [], _console(stderr)
    assert "</html>" in dom
    rows = re.findall(r"<tr data-repo=[^>]*>.*?</tr>", dom, re.S)
    assert len(rows) == len(REPOS)
    for name in REPOS:
        shown = name.replace("<", "&lt;").replace(">", "&gt;")
        # a row per repository, its name a text node (a link to its section)
        assert any(f">{shown}</a>" in row for row in rows), name
    # the XSS job name is text, not an element: escaped in the serialised DOM
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    assert "<script>alert(1)</script>" not in dom

    shot = tmp_path / "org.png"
    _, shot_err = _browse(binary, tmp_path, page, f"--screenshot={shot}")
    assert _console(shot_err) == []
    assert shot.exists() and shot.stat().st_size > 10_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_check_reports_render_too(tmp_path: Path) -> None:
    good, bad = tmp_path / "good", tmp_path / "bad"
    write(good, {".github/workflows/ci.yml": CLEAN})
    write(bad, {".github/workflows/release.yml": PIPELINE})
    out = tmp_path / "check.html"
    run = run_cli("check", "--no-cache", "--format", "html", "-o", str(out), str(good), str(bad))
    assert run.exit_code == 1
    page = out.read_text()
    # several roots: each repository is named as the user named its root
    assert f'data-repo="{bad}" data-failing="1"' in page
    assert f'data-repo="{good}" data-failing="0"' in page
    assert XSS not in page
