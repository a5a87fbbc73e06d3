"""Org snapshots: an unchanged org is reused whole; any change that matters is seen.

Files written by a test are seconds old, which a snapshot treats as "racy"
(they could change within the timestamp's resolution unseen), so these tests
age them first, as files in a real organisation's checkouts are.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from auditor import org
from auditor.cache import ResultCache
from tests.conftest import run_cli
from tests.org.conftest import CLEAN, PUBLISH, bare_mirror, commit, git, make_repo, write

HOUR_AGO = time.time() - 3600

PROMOTE = PUBLISH + """
  promote:
    needs: publish
    runs-on: ubuntu-latest
    steps:
      - run: ./scripts/promote.sh "${{ needs.publish.outputs.digest }}"
  verify:
    needs: promote
    runs-on: ubuntu-latest
    steps:
      - run: ./scripts/verify.sh
"""

SCRIPT_OK = "#!/bin/bash\nset -euo pipefail\ncurl --fail -X POST \"$CP/pin\" -d \"$1\"\n"
SCRIPT_BAD = "#!/bin/bash\nset -euo pipefail\ncurl --fail -X POST \"$CP/pin\" -d \"$1\" || :\n"


CUSTOM_RULE = '''
from auditor.findings import hit
from auditor.rule import Rule


def check(ctx):
    for job in ctx.workflow.jobs:
        if job.timeout_minutes is None:
            yield hit(job.key, f"job '{job.id}' has no timeout-minutes", "t", job=job.id)


RULE = Rule(
    id="job-timeout-required", severity="warning", summary="Every job sets timeout-minutes.",
    what="-", why="-", example="-", use_instead="-", check=check,
)
'''


def age(*roots: Path, when: float = HOUR_AGO) -> None:
    """Give every file and folder under ``roots`` an old mtime (ctime stays now-ish)."""
    for root in roots:
        for folder, dirs, files in os.walk(root):
            for name in [*dirs, *files]:
                os.utime(os.path.join(folder, name), (when, when), follow_symlinks=False)
        os.utime(root, (when, when))


def make_org(tmp_path: Path) -> list[Path]:
    repos = []
    for name in ("alpha", "beta", "gamma"):
        root = tmp_path / "org" / name
        write(root, {
            ".github/workflows/ci.yml": CLEAN,
            ".github/workflows/release.yml": PROMOTE,
            "scripts/promote.sh": SCRIPT_OK,
            "scripts/verify.sh": "#!/bin/bash\nset -euo pipefail\ncurl --fail \"$CP/pin\"\n",
        })  # fmt: skip
        repos.append(root)
    age(*repos)
    return repos


def scan(repos: list[Path], cache_dir: Path, **settings: object) -> org.OrgResult:
    specs = org.collect([str(r) for r in repos])
    return org.scan_org(specs, specs, org.ScanSettings(**settings), jobs=1,  # type: ignore[arg-type]
                        cache_dir=cache_dir)  # fmt: skip


def test_an_unchanged_org_is_reused_whole(tmp_path: Path, cache_dir: Path) -> None:
    repos = make_org(tmp_path)
    cold = scan(repos, cache_dir)
    assert not cold.reused and cold.state is not None
    assert cold.files_analysed == 2  # ci.yml and release.yml, identical in all three
    warm = scan(repos, cache_dir)
    assert warm.reused
    assert (warm.files_analysed, warm.files_cached) == (0, cold.files)
    assert warm.findings == cold.findings
    assert [f.subject for f in warm.findings] == [f.subject for f in cold.findings]
    assert warm.repos == cold.repos and warm.org == cold.org
    assert warm.state == cold.state


def test_files_nothing_depends_on_do_not_matter(tmp_path: Path, cache_dir: Path) -> None:
    repos = make_org(tmp_path)
    notes = repos[0] / "docs" / "notes.md"
    write(repos[0], {"docs/notes.md": "draft\n"})
    age(repos[0])
    scan(repos, cache_dir)
    notes.write_text("rewritten, in place\n")
    assert scan(repos, cache_dir).reused


def test_an_edited_workflow_is_seen(tmp_path: Path, cache_dir: Path) -> None:
    repos = make_org(tmp_path)
    scan(repos, cache_dir)
    write(repos[1], {".github/workflows/ci.yml": CLEAN.replace("make", "true")})  # same size
    again = scan(repos, cache_dir)
    assert not again.reused
    assert again.files_analysed == 1


def test_an_edit_that_keeps_size_and_mtime_is_seen(tmp_path: Path, cache_dir: Path) -> None:
    repos = make_org(tmp_path)
    scan(repos, cache_dir)
    target = repos[0] / ".github/workflows/ci.yml"
    target.write_text(target.read_text().replace("make", "true"))
    age(target.parent)  # the mtime put back (as `touch -d` or an unpacked archive would)
    assert not scan(repos, cache_dir).reused  # the ctime and inode still tell


def test_added_and_removed_workflows_are_seen(tmp_path: Path, cache_dir: Path) -> None:
    repos = make_org(tmp_path)
    cold = scan(repos, cache_dir)
    extra = repos[2] / ".github/workflows/extra.yml"
    extra.write_text("on: push\njobs: [unclosed\n")
    # The other files are untouched and the folder's mtime is put back: only the
    # folder's ctime (it changes with its entries) is left to notice the new file.
    for changed in (extra, extra.parent):
        os.utime(changed, (HOUR_AGO, HOUR_AGO))
    added = scan(repos, cache_dir)
    assert not added.reused
    assert added.files == cold.files + 1
    assert any(f.rule == "parse-error" and f.repo == "gamma" for f in added.findings)
    assert added.state is not None and scan(repos, cache_dir).reused  # stored anew
    extra.unlink()
    os.utime(extra.parent, (HOUR_AGO, HOUR_AGO))
    removed = scan(repos, cache_dir)
    assert not removed.reused and removed.files == cold.files


def test_a_script_a_promote_step_runs_is_a_dependency(tmp_path: Path, cache_dir: Path) -> None:
    repos = make_org(tmp_path)
    cold = scan(repos, cache_dir)
    assert not [f for f in cold.findings if f.rule == "swallowed-failure"]
    (repos[0] / "scripts/promote.sh").write_text(SCRIPT_BAD)  # in place: no folder changes
    again = scan(repos, cache_dir)
    assert not again.reused
    (hit,) = [f for f in again.findings if f.rule == "swallowed-failure"]
    assert (hit.repo, hit.path) == ("alpha", "scripts/promote.sh")


def test_a_new_repository_policy_is_seen(tmp_path: Path, cache_dir: Path) -> None:
    repos = make_org(tmp_path)
    scan(repos, cache_dir)
    write(repos[1], {".auditor.yml": "version: 1\nrules:\n  swallowed-failure: {scope: all}\n"})
    age(repos[1] / ".auditor.yml")
    assert not scan(repos, cache_dir).reused


def test_files_changed_moments_ago_are_not_trusted(tmp_path: Path, cache_dir: Path) -> None:
    repos = make_org(tmp_path)
    write(repos[0], {".github/workflows/ci.yml": CLEAN})  # rewritten just now: racy
    cold = scan(repos, cache_dir)
    assert cold.state is None  # no snapshot stored
    warm = scan(repos, cache_dir)
    assert not warm.reused
    assert warm.files_analysed == 0  # the per-file cache, which hashes bytes, answered


def test_settings_are_part_of_the_key(tmp_path: Path, cache_dir: Path) -> None:
    repos = make_org(tmp_path)
    scan(repos, cache_dir)
    assert not scan(repos, cache_dir, ignore=frozenset({"promote-without-verify"})).reused
    assert not scan(repos, cache_dir, no_policy=True).reused
    assert scan(repos, cache_dir).reused
    assert not scan(repos, cache_dir, use_cache=False).reused
    specs = org.collect([str(r) for r in repos])
    one = org.select_shard(specs, 1, 2)
    shard = org.scan_org(specs, one, org.ScanSettings(), jobs=1, cache_dir=cache_dir)
    assert not shard.reused and len(shard.repos) == len(one)


def test_an_edited_custom_rule_is_seen(tmp_path: Path, cache_dir: Path) -> None:
    repos = make_org(tmp_path)
    rule = tmp_path / "custom_rule.py"
    rule.write_text(CUSTOM_RULE)
    policy = tmp_path / "policy.yml"
    policy.write_text(f"version: 1\ncustom_rules: [{rule}]\n")
    age(tmp_path)
    first = scan(repos, cache_dir, policy_file=str(policy))
    assert first.state is not None
    assert scan(repos, cache_dir, policy_file=str(policy)).reused
    rule.write_text(CUSTOM_RULE.replace('"warning"', '"note"'))
    age(rule)
    assert not scan(repos, cache_dir, policy_file=str(policy)).reused


def test_git_repositories_are_keyed_by_commit(tmp_path: Path, cache_dir: Path) -> None:
    work = make_repo(tmp_path / "src", "svc", {".github/workflows/ci.yml": CLEAN})
    mirror = bare_mirror(work, tmp_path / "mirrors" / "svc.git")
    cold = scan([mirror], cache_dir)
    assert cold.state is not None  # object-store reads are content-addressed: never racy
    assert scan([mirror], cache_dir).reused
    commit(work, {".github/workflows/ci.yml": CLEAN + "# edited\n"})
    git(mirror, "fetch", "-q", str(work), "+refs/heads/*:refs/heads/*")
    again = scan([mirror], cache_dir)
    assert not again.reused and again.files_analysed == 1


def test_a_moved_ref_of_a_called_workflow_is_seen(tmp_path: Path, cache_dir: Path) -> None:
    callee = """
    on: {workflow_call: {}}
    jobs:
      build:
        runs-on: ubuntu-latest
        steps: [{run: make}]
    """
    work = make_repo(tmp_path / "src", "shared", {".github/workflows/build.yml": callee})
    git(work, "tag", "v1")
    shared = bare_mirror(work, tmp_path / "platform" / "shared.git")
    app = tmp_path / "apps" / "app"
    write(app, {".github/workflows/ci.yml": """
    on: push
    jobs:
      build:
        uses: platform/shared/.github/workflows/build.yml@v1
    """})  # fmt: skip
    age(app)
    assert scan([shared, app], cache_dir).state is not None
    assert scan([shared, app], cache_dir).reused
    # v1 moves to a commit on another branch: the mirror's HEAD and the app are unchanged
    git(work, "checkout", "-q", "-b", "next")
    commit(work, {".github/workflows/build.yml": callee.replace("make", "make all")})
    git(work, "tag", "-f", "v1")
    head = git(shared, "rev-parse", "HEAD")
    git(shared, "fetch", "-q", "--force", str(work), "+refs/tags/*:refs/tags/*")
    assert git(shared, "rev-parse", "HEAD") == head
    assert not scan([shared, app], cache_dir).reused


def test_the_cli_reuses_results_and_reports(tmp_path: Path, cache_dir: Path) -> None:
    repos = [str(r) for r in make_org(tmp_path)]
    html, junit = tmp_path / "org.html", tmp_path / "org.xml"
    args = ["org", *repos, "--report", f"html:{html}", "--report", f"junit:{junit}"]
    cold = run_cli(*args)
    cold_html = html.read_text()
    html.unlink()
    junit.unlink()
    warm = run_cli(*args)
    assert "unchanged since the last scan" in warm.stderr
    assert (warm.exit_code, warm.stdout) == (cold.exit_code, cold.stdout)
    assert html.read_text() == cold_html
    assert "<testsuites" in junit.read_text()  # JUnit is rendered afresh (it is dated)
    # --fail-on changes the verdict and exit code: never served from another run's render
    for fail_on in ("note", "error"):
        reused = run_cli(*args, "--fail-on", fail_on)
        assert "unchanged since the last scan" in reused.stderr
        fresh = run_cli(*args, "--fail-on", fail_on, "--no-cache")
        assert (reused.exit_code, reused.stdout) == (fresh.exit_code, fresh.stdout)
    assert run_cli(*args, "--fail-on", "note").exit_code == 1


def test_a_damaged_snapshot_is_ignored(tmp_path: Path, cache_dir: Path) -> None:
    repos = make_org(tmp_path)
    cold = scan(repos, cache_dir)
    store = ResultCache(cache_dir / "org")
    damaged = 0
    for key, value in store.raw_items():
        if value.startswith(b"auditor-blob-1 "):
            store.set_raw(key, value[:-10])
            damaged += 1
    store.close()
    assert damaged == 1  # the snapshot (no report was rendered through the API)
    again = scan(repos, cache_dir)
    assert not again.reused and again.findings == cold.findings
    assert scan(repos, cache_dir).reused  # stored anew


def test_dependencies_read_in_worker_processes_are_recorded(
    tmp_path: Path, cache_dir: Path
) -> None:
    repos = make_org(tmp_path)
    for root in repos:  # enough distinct files for the process pool
        write(root, {f".github/workflows/w{i}.yml": CLEAN.replace("make", f"make t{i}-{root.name}")
                     for i in range(20)})  # fmt: skip
    age(*repos)
    specs = org.collect([str(r) for r in repos])
    cold = org.scan_org(specs, specs, org.ScanSettings(), jobs=2, cache_dir=cache_dir)
    assert cold.files_analysed > 48 and cold.state is not None
    (repos[1] / "scripts/promote.sh").write_text(SCRIPT_BAD)
    again = org.scan_org(specs, specs, org.ScanSettings(), jobs=2, cache_dir=cache_dir)
    assert not again.reused
    assert [(f.repo, f.path) for f in again.findings if f.rule == "swallowed-failure"] == [
        ("beta", "scripts/promote.sh")
    ]


def test_the_policys_secrets_inventory_is_a_dependency(tmp_path: Path, cache_dir: Path) -> None:
    repos = make_org(tmp_path)
    inventory = tmp_path / "policy" / "secrets.txt"
    write(tmp_path / "policy", {
        "secrets.txt": "CP_TOKEN\n",
        "org.yml": "version: 1\nsecrets:\n  inventory: secrets.txt\n",
    })  # fmt: skip
    age(tmp_path / "policy")
    policy = str(tmp_path / "policy" / "org.yml")
    assert scan(repos, cache_dir, policy_file=policy).state is not None
    assert scan(repos, cache_dir, policy_file=policy).reused
    inventory.write_text("CP_TOKEN\nOTHER\n")  # the policy file itself is unchanged
    assert not scan(repos, cache_dir, policy_file=policy).reused


def test_a_rule_added_to_a_custom_rules_folder_is_seen(tmp_path: Path, cache_dir: Path) -> None:
    repos = make_org(tmp_path)
    folder = tmp_path / "policy" / "rules"
    write(tmp_path / "policy", {"org.yml": "version: 1\ncustom_rules: [rules/]\n",
                                "rules/__init__.py": ""})  # fmt: skip
    age(tmp_path / "policy")
    policy = str(tmp_path / "policy" / "org.yml")
    assert scan(repos, cache_dir, policy_file=policy).state is not None
    assert scan(repos, cache_dir, policy_file=policy).reused
    (folder / "timeouts.py").write_text(CUSTOM_RULE)
    again = scan(repos, cache_dir, policy_file=policy)
    assert not again.reused
    assert any(f.rule == "job-timeout-required" for f in again.findings)


def test_git_refs_are_read_without_git_before_the_scan(tmp_path: Path) -> None:
    from auditor.snapshot import before_scan

    work = make_repo(tmp_path / "src", "svc", {".github/workflows/ci.yml": CLEAN})
    mirror = bare_mirror(work, tmp_path / "mirrors" / "svc.git")
    specs = org.collect([str(mirror), str(work)])
    head = git(work, "rev-parse", "HEAD").strip()
    assert before_scan(specs, []) == {"svc": {"ref": head}}  # the folder needs no ref
    assert before_scan(specs, ["scripts/x.sh"]) == {"svc": {"ref": head}, "svc-2": {"head": head}}


def test_a_new_commit_in_a_working_tree_with_shared_files_is_seen(
    tmp_path: Path, cache_dir: Path
) -> None:
    repos = [make_repo(tmp_path / "org", name, {".github/workflows/ci.yml": CLEAN,
                                                "scripts/x.sh": "echo x\n"})
             for name in ("one", "two")]  # fmt: skip
    policy = tmp_path / "org.yml"
    policy.write_text("version: 1\nshared_files:\n  - path: scripts/x.sh\n")
    age(tmp_path)
    assert scan(repos, cache_dir, policy_file=str(policy)).state is not None
    assert scan(repos, cache_dir, policy_file=str(policy)).reused
    git(repos[0], "commit", "-q", "--allow-empty", "-m", "touch nothing on disk")
    assert not scan(repos, cache_dir, policy_file=str(policy)).reused  # drift ties read HEAD
