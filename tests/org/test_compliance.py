"""The compliance report a lead tracks (issue 14), through ``auditor org`` on real git
repositories: scan date, policy and its sha256, revisions and forge links, waivers and
inline suppressions, role reasons, ``--compare`` trends in every format, CSV export."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import pytest

from auditor import forge
from auditor.rule_docs import rule_doc_url
from tests.conftest import run_cli
from tests.org.conftest import commit, git, make_repo

RELEASE = """
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
    needs: [publish, nope]
    runs-on: ubuntu-latest
    steps:
      # auditor: ignore[promote-not-pinned-to-digest] the tag is immutable in this registry (OPS-12)
      - run: kubectl set image deploy/app app=r/app:latest
  promote-prod:
    runs-on: ubuntu-latest
    steps:
      - run: echo ok
"""

POLICY = """
version: 1
waivers:
  - rule: permissions-not-declared
    path: .github/workflows/release.yml
    reason: platform token is read-only org-wide (SEC-7)
    until: 2099-01-31
"""

REMOTES = {"gh": "git@github.com:acme/gh.git", "cb": "https://codeberg.org/acme/cb.git"}


def make_org(tmp_path: Path) -> dict[str, Path]:
    repos = {}
    for name, remote in REMOTES.items():
        repo = make_repo(tmp_path / "org", name, {".github/workflows/release.yml": RELEASE})
        git(repo, "remote", "add", "origin", remote)
        repos[name] = repo
    return repos


def org_json(*args: str) -> dict:
    run = run_cli("org", "-q", "--no-cache", "--format", "json", *args)
    assert run.exit_code in (0, 1), run.stderr
    return json.loads(run.stdout)


@pytest.mark.parametrize(("remote", "web"), [
    ("git@github.com:acme/app.git", "https://github.com/acme/app"),
    ("ssh://git@github.com/acme/app.git", "https://github.com/acme/app"),
    ("https://tok:en@github.com/acme/app", "https://github.com/acme/app"),
    ("ssh://git@codeberg.org:2222/acme/app.git", "https://codeberg.org/acme/app"),
    ("https://gitea.example.com/acme/app.git", "https://gitea.example.com/acme/app"),
    ("git@forgejo.example.org:acme/app.git", "https://forgejo.example.org/acme/app"),
    ("https://gitlab.com/acme/app.git", None),
    ("/srv/git/app.git", None),
    ("https://github.com/acme", None),
    ("git@gitea.<img src=x>:acme/app.git", None),
    ("https://github.com/acme/app\"onclick=x", None),
])  # fmt: skip
def test_forge_web_urls(remote: str, web: str | None) -> None:
    found = forge.web_repo(remote)
    assert (found.url if found else None) == web


def test_file_urls_are_pinned_to_the_revision() -> None:
    sha = "a" * 40
    assert forge.file_url("git@github.com:o/r.git", sha, "x y/ci.yml", 7) == \
        f"https://github.com/o/r/blob/{sha}/x%20y/ci.yml#L7"
    assert forge.file_url("https://codeberg.org/o/r", sha, "ci.yml", 3) == \
        f"https://codeberg.org/o/r/src/commit/{sha}/ci.yml#L3"
    assert forge.file_url("https://github.com/o/r", None, "ci.yml", 3) is None


def test_org_json_says_when_what_and_which_policy(tmp_path: Path) -> None:
    repos = make_org(tmp_path)
    policy = tmp_path / "policy.yml"
    policy.write_text(POLICY.lstrip())
    doc = org_json("--policy", str(policy), *map(str, repos.values()))
    org = doc["summary"]["org"]
    assert org["policy"] == {"path": str(policy),
                             "sha256": hashlib.sha256(policy.read_bytes()).hexdigest()}
    assert org["scanned_at"] == "2026-01-01T00:00:00Z"  # SOURCE_DATE_EPOCH (tests/org/conftest.py)
    by = {r["name"]: r for r in doc["summary"]["repositories"]}
    for name, repo in repos.items():
        assert by[name]["revision"] == git(repo, "rev-parse", "HEAD").strip()
    assert by["gh"]["forge_url"] == "https://github.com/acme/gh"
    assert by["cb"]["forge_url"] == "https://codeberg.org/acme/cb"
    kinds = {(e["kind"], tuple(e["rules"]), e["reason"], e["until"]) for e in by["gh"]["exemptions"]}
    assert kinds == {
        ("waiver", ("permissions-not-declared",), "platform token is read-only org-wide (SEC-7)",
         "2099-01-31"),
        ("inline", ("promote-not-pinned-to-digest",),
         "the tag is immutable in this registry (OPS-12)", None),
    }  # fmt: skip
    rules = {f["rule"] for f in doc["findings"]}
    assert "permissions-not-declared" not in rules and "promote-not-pinned-to-digest" not in rules
    assert "needs-unknown-job" in rules
    # the name-only promote says so; the kubectl deploy below the publish job does not
    reasons = by["gh"]["role_reasons"][".github/workflows/release.yml"]
    assert "name-only promote" in reasons["promote-prod"]["promote"]
    assert "name-only" not in reasons["deploy"]["promote"]
    from auditor.org import report_problem

    assert report_problem(doc) is None  # the schema knows the new keys


def test_the_scan_time_is_the_clock_without_source_date_epoch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime as dt

    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    repo = make_repo(tmp_path / "org", "one", {".github/workflows/release.yml": RELEASE})
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    stamp = org_json(str(repo))["summary"]["org"]["scanned_at"]
    after = dt.datetime.now(dt.UTC)
    assert before <= dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")) <= after


def test_without_policy_the_defaults_and_a_plain_folder_has_no_revision(tmp_path: Path) -> None:
    folder = tmp_path / "org" / "plain"
    (folder / ".github/workflows").mkdir(parents=True)
    (folder / ".github/workflows/release.yml").write_text(RELEASE.lstrip())
    doc = org_json(str(folder))
    assert "policy" not in doc["summary"]["org"]
    repo = doc["summary"]["repositories"][0]
    assert repo["revision"] is None and repo["forge_url"] is None


def test_csv_has_one_row_per_finding_with_links(tmp_path: Path) -> None:
    repos = make_org(tmp_path)
    out = tmp_path / "org.csv"
    run = run_cli("org", "-q", "--no-cache", "--format", "json", "--report", f"csv:{out}",
                  *map(str, repos.values()))  # fmt: skip
    findings = json.loads(run.stdout)["findings"]
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert list(rows[0]) == ["repo", "revision", "path", "line", "column", "rule", "severity",
                             "message", "rule_doc_url", "forge_url"]  # fmt: skip
    assert len(rows) == len(findings) > 0
    heads = {n: git(r, "rev-parse", "HEAD").strip() for n, r in repos.items()}
    for row, f in zip(rows, findings, strict=True):
        assert (row["repo"], row["rule"], int(row["line"])) == (f["repo"], f["rule"], f["line"])
        assert row["revision"] == heads[row["repo"]]
        assert row["rule_doc_url"] == rule_doc_url(f["rule"])
        base = {"gh": "https://github.com/acme/gh/blob/", "cb": "https://codeberg.org/acme/cb/src/commit/"}
        assert row["forge_url"] == f"{base[row['repo']]}{heads[row['repo']]}/{f['path']}#L{f['line']}"


def test_csv_defuses_formulas(tmp_path: Path) -> None:
    from auditor.reports.csv_report import _cell

    assert _cell("=HYPERLINK(1)") == "'=HYPERLINK(1)" and _cell("ok") == "ok"


FIXED = RELEASE.replace("needs: [publish, nope]", "needs: [publish]")
NEW_PROBLEM = FIXED + """
  verify:
    needs: [deploy, ghost]
    runs-on: ubuntu-latest
    steps:
      - run: ./verify.sh
"""


def compared_org(tmp_path: Path) -> tuple[dict[str, Path], Path]:
    """Two repositories scanned once (``before.json``); then gh fixes its unknown need and
    adds another, cb is unchanged."""
    repos = make_org(tmp_path)
    before = tmp_path / "before.json"
    run = run_cli("org", "-q", "--no-cache", "--report", f"json:{before}", *map(str, repos.values()))
    assert run.exit_code == 1, run.stderr
    commit(repos["gh"], {".github/workflows/release.yml": NEW_PROBLEM})
    return repos, before


def test_compare_gives_new_fixed_still_open_in_every_format(tmp_path: Path) -> None:
    repos, before = compared_org(tmp_path)
    paths = list(map(str, repos.values()))
    doc = org_json("--compare", str(before), *paths)
    old = json.loads(before.read_text())["findings"]
    trends = doc["trends"]
    now = {f["fingerprint"] for f in doc["findings"]}
    was = {f["fingerprint"] for f in old}
    assert trends["totals"] == {"new": len(now - was), "fixed": len(was - now),
                                "still_open": len(now & was)}  # fmt: skip
    gh, cb = trends["repositories"]["gh"], trends["repositories"]["cb"]
    assert gh["new"] >= 1 and gh["fixed"] >= 1
    assert cb["new"] == 0 and cb["fixed"] == 0 and cb["still_open"] > 0
    fixed_rules = {f["rule"] for f in trends["fixed"]}
    assert "needs-unknown-job" in trends["rules"] and fixed_rules  # unknown 'nope' is gone
    assert all(f["repo"] == "gh" for f in trends["fixed"])
    from auditor.org import report_problem

    assert report_problem(doc) is None

    text = run_cli("org", "-q", "--no-cache", "--compare", str(before), *paths)
    summary = f"{trends['totals']['new']} new, {trends['totals']['fixed']} fixed, " \
              f"{trends['totals']['still_open']} still open"
    assert f"compared with {before}" in text.stdout and summary in text.stdout
    md = run_cli("org", "-q", "--no-cache", "--format", "markdown", "--compare", str(before), *paths)
    assert "#### Trends since" in md.stdout and "| `gh` |" in md.stdout


def test_merge_compares_too_and_a_bad_previous_is_one_line(tmp_path: Path) -> None:
    repos, before = compared_org(tmp_path)
    shards = []
    for k in (1, 2):
        out = tmp_path / f"s{k}.json"
        run_cli("org", "-q", "--no-cache", "--shard", f"{k}/2", "--report", f"json:{out}",
                *map(str, repos.values()))  # fmt: skip
        shards.append(str(out))
    merged = run_cli("merge", "--format", "json", "--compare", str(before), *shards)
    direct = org_json("--compare", str(before), *map(str, repos.values()))
    assert json.loads(merged.stdout)["trends"]["totals"] == direct["trends"]["totals"]
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    run = run_cli("org", "-q", "--no-cache", "--compare", str(bad), str(repos["gh"]))
    assert run.exit_code == 2 and "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and "bad.json" in run.stderr


def test_an_expired_waiver_is_listed_as_expired_and_silences_nothing(tmp_path: Path) -> None:
    repos = make_org(tmp_path)
    policy = tmp_path / "policy.yml"
    policy.write_text(POLICY.lstrip().replace("2099-01-31", "2001-01-31"))
    out = tmp_path / "org.html"
    run = run_cli("org", "-q", "--no-cache", "--policy", str(policy), "--format", "json",
                  "--report", f"html:{out}", str(repos["gh"]))  # fmt: skip
    assert "permissions-not-declared" in {f["rule"] for f in json.loads(run.stdout)["findings"]}
    page = out.read_text()
    assert '<span class="expired">expired 2001-01-31</span>' in page
    assert "platform token is read-only org-wide (SEC-7)" in page


def test_a_long_exemption_list_starts_closed(tmp_path: Path) -> None:
    steps = "".join(f"      - run: echo {i}  # auditor: ignore[needs-unknown-job] reason {i}\n"
                    for i in range(21))  # fmt: skip
    wf = f"on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n{steps}"
    repo = make_repo(tmp_path / "org", "many", {".github/workflows/ci.yml": wf})
    out = tmp_path / "org.html"
    run = run_cli("org", "-q", "--no-cache", "--report", f"html:{out}", str(repo))
    assert run.exit_code == 0, run.stderr
    page = out.read_text()
    assert "<details><summary>21 waivers and suppressions</summary>" in page
    assert page.count('<tr data-kind="inline">') == 21


def test_check_writes_csv_with_the_ci_link_base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDITOR_LINK_BASE", "https://github.com/o/r/blob/abc/")
    root = tmp_path / "repo"
    (root / ".github/workflows").mkdir(parents=True)
    (root / ".github/workflows/release.yml").write_text(RELEASE.lstrip())
    out = tmp_path / "out.csv"
    run = run_cli("check", "--no-cache", "--report", f"csv:{out}", str(root))
    assert run.exit_code == 1, run.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert rows and all(r["forge_url"] == f"https://github.com/o/r/blob/abc/{r['path']}#L{r['line']}"
                        for r in rows)  # fmt: skip
