"""Each job's role reasons in the JSON summary (``summary.repositories[].role_reasons``):
the reasons ``auditor graph`` shows, through check and org, cold, warm (the result cache)
and through the process pool; and in the HTML report's job graph tooltips."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from auditor.parallel import PARALLEL_MIN_FILES
from tests.conftest import run_cli
from tests.org.conftest import CLEAN, PUBLISH, write

PIPELINE = """
on: push
jobs:
  publish:
    runs-on: ubuntu-latest
    outputs:
      digest: ${{ steps.push.outputs.digest }}
    steps:
      - id: push
        uses: docker/build-push-action@v6
        with: {push: true, tags: "r/app:latest"}
  deploy:
    needs: publish
    runs-on: ubuntu-latest
    steps:
      - run: kubectl set image deployment/app app=r/app@${{ needs.publish.outputs.digest }}
"""
PATH = ".github/workflows/release.yml"


def graph_reasons(root: Path) -> dict[str, dict[str, str]]:
    """job → role → why, as ``auditor graph --format json`` prints them."""
    run = run_cli("graph", "--format", "json", str(root / PATH))
    assert run.exit_code == 0, run.stderr
    data = json.loads(run.stdout)
    graphs = data if isinstance(data, list) else [data]
    (graph,) = [g for g in graphs if g["path"].endswith(PATH)]
    out: dict[str, dict[str, str]] = {}
    for job in graph["jobs"]:
        if job["reasons"]:
            out[job["id"]] = {r["role"]: r["why"] for r in job["reasons"]}
    return out


def summary_of(run: Any) -> list[dict[str, Any]]:
    assert run.exit_code in (0, 1), run.stderr
    return list(run.json()["summary"]["repositories"])


def test_check_summary_has_each_roles_reason(tmp_path: Path, cache_dir: Path) -> None:
    root = tmp_path / "svc"
    write(root, {PATH: PIPELINE, ".github/workflows/ci.yml": CLEAN})
    expected = graph_reasons(root)
    assert set(expected) == {"publish", "deploy"}
    assert "docker/build-push-action" in expected["publish"]["publish"]
    assert "kubectl set image" in expected["deploy"]["promote"]

    cold = summary_of(run_cli("check", "--format", "json", str(root)))
    (repo,) = cold
    assert repo["role_reasons"] == {PATH: expected}  # the clean workflow has no role: absent
    assert repo["jobs"][".github/workflows/ci.yml"] == {"build": []}
    warm = summary_of(run_cli("check", "--format", "json", str(root)))
    assert warm == cold
    assert any(cache_dir.iterdir())  # the second run was served by the result cache


def test_org_summary_has_them_cold_warm_and_merged(tmp_path: Path, cache_dir: Path) -> None:
    roots = []
    for name, files in (("a", {PATH: PIPELINE}), ("b", {".github/workflows/ci.yml": PUBLISH})):
        roots.append(tmp_path / "org" / name)
        write(roots[-1], files)
    expected = graph_reasons(roots[0])
    args = ["org", "--format", "json", *map(str, roots)]
    cold = run_cli(*args)
    repos = {r["name"]: r for r in summary_of(cold)}
    assert repos["a"]["role_reasons"] == {PATH: expected}
    assert set(repos["b"]["role_reasons"][".github/workflows/ci.yml"]) == {"publish"}
    # Just written, the files are "racy" (auditor.snapshot): no snapshot was stored, so the
    # warm run goes through the per-file result cache and its entries carry the reasons.
    warm = run_cli(*args)
    assert "(0 analysed, 2 from the cache)" in warm.stderr, warm.stderr
    assert summary_of(warm) == summary_of(cold)

    shards = []
    for k in (1, 2):
        out = tmp_path / f"s{k}.json"
        run = run_cli("org", "-q", "--no-cache", "--shard", f"{k}/2", "--report", f"json:{out}",
                      *map(str, roots))  # fmt: skip
        assert run.exit_code in (0, 1), run.stderr
        shards.append(str(out))
    merged = run_cli("merge", "--format", "json", *shards)
    assert summary_of(merged) == summary_of(cold)


def test_the_pool_carries_them(tmp_path: Path, cache_dir: Path) -> None:
    """Enough files for worker processes: their results bring the reasons back."""
    roots = []
    for name in ("p", "q"):
        files = {f".github/workflows/r{i}.yml": PIPELINE for i in range(PARALLEL_MIN_FILES // 2 + 1)}
        roots.append(tmp_path / name)
        write(roots[-1], files)
    one = summary_of(run_cli("check", "--no-cache", "-j", "1", "--format", "json", *map(str, roots)))
    pool = summary_of(run_cli("check", "--no-cache", "-j", "2", "--format", "json", *map(str, roots)))
    assert pool == one
    assert all(len(r["role_reasons"]) == PARALLEL_MIN_FILES // 2 + 1 for r in pool)


def test_html_tooltips_say_why(tmp_path: Path, cache_dir: Path) -> None:
    root = tmp_path / "org" / "svc"
    write(root, {PATH: PIPELINE})
    out = tmp_path / "org.html"
    run = run_cli("org", "-q", "--no-cache", "--report", f"html:{out}", str(root))
    assert run.exit_code in (0, 1), run.stderr
    page = out.read_text()
    why = graph_reasons(root)["deploy"]["promote"]
    assert f"<title>deploy — promote&#10;promote: {why.replace(chr(39), '&#x27;')}</title>" in page
