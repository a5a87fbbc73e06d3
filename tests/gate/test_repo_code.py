"""No repository code by default (issue 11, item 2): a marker module named by a policy in
the scanned tree is never imported without the opt-in, and is with it."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_cli, write_files
from tests.gate.helpers import (
    CLEAN,
    WF,
    base_repo,
    change,
    gate,
    marker_module,
    subprocess_cli,
)  # fmt: skip
from tests.reports.gitrepo import commit

POLICY = "version: 1\ncustom_rules: [evil/r.py]\n"


def hostile(root: Path, marker: Path) -> Path:
    return write_files(root, {WF: CLEAN, ".auditor.yml": POLICY, "evil/r.py": marker_module(marker)})


def test_a_repository_policy_never_imports_its_module_without_the_opt_in(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    root = hostile(tmp_path / "app", marker)
    runs = [
        run_cli("check", "--no-cache", str(root)),
        run_cli("check", "--no-cache", "--format", "json", str(root / WF)),
        run_cli("baseline", str(root), "-o", str(tmp_path / "b.json")),
    ]
    for run in runs:
        assert run.exit_code == 2, run.stdout
        assert not marker.exists()
        [line] = run.stderr.splitlines()
        assert "custom_rules not loaded: evil/r.py" in line and "--trust-repo-policy" in line
        assert run.stdout == ""
    assert not (tmp_path / "b.json").exists()


def test_the_opt_in_imports_it(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    root = hostile(tmp_path / "app", marker)
    run = run_cli("check", "--no-cache", "--trust-repo-policy", str(root))
    assert run.exit_code == 0, run.stderr
    assert marker.read_text().startswith("imported")


def test_a_policy_outside_the_tree_is_trusted_and_one_inside_is_not(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    root = hostile(tmp_path / "app", marker)
    inside = run_cli("check", "--no-cache", "--policy", str(root / ".auditor.yml"), str(root))
    assert inside.exit_code == 2 and not marker.exists()
    outside = write_files(tmp_path / "ops", {"org.yml": f"version: 1\ncustom_rules: [{root}/evil/r.py]\n"})
    run = run_cli("check", "--no-cache", "--policy", str(outside / "org.yml"), str(root))
    assert run.exit_code == 0, run.stderr
    assert marker.exists()


def test_graph_imports_nothing_and_says_so(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    root = hostile(tmp_path / "app", marker)
    run = run_cli("graph", str(root))
    assert run.exit_code == 0 and run.stdout.strip()
    assert not marker.exists()
    assert "custom_rules not loaded: evil/r.py" in run.stderr


def test_in_a_gate_the_modules_come_from_the_revision(tmp_path: Path) -> None:
    """Trusted and gated, the rule that runs is the base branch's, not the change's."""
    marker = tmp_path / "marker"
    root = base_repo(tmp_path / "app", POLICY, {"evil/r.py": marker_module(marker)})
    change(root, {"evil/r.py": marker_module(tmp_path / "changed")})
    untrusted = gate(root)
    assert untrusted.exit_code == 2 and not marker.exists()
    run = gate(root, "--trust-repo-policy")
    assert run.exit_code == 0, run.stderr
    assert marker.exists() and not (tmp_path / "changed").exists()


def test_a_custom_rules_entry_added_by_the_change_is_not_run_and_is_reported(
    tmp_path: Path,
) -> None:
    marker = tmp_path / "marker"
    root = base_repo(tmp_path / "app")
    change(root, {".auditor.yml": POLICY, "evil/r.py": marker_module(marker)})
    run = gate(root, "--trust-repo-policy")
    assert run.exit_code == 1
    assert not marker.exists()
    [w] = run.findings("policy-weakened")
    assert w["line"] == 2 and "custom_rules" in w["message"]


def test_rules_and_explain_list_the_custom_rules_of_a_given_policy(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    root = hostile(tmp_path / "app", marker)
    assert "marker-rule" not in run_cli("rules").stdout
    assert run_cli("explain", "marker-rule").exit_code == 2
    listed = run_cli("rules", "--policy", str(root / ".auditor.yml"))
    assert listed.exit_code == 0 and "marker-rule" in listed.stdout
    explained = run_cli("explain", "marker-rule", "--policy", str(root / ".auditor.yml"))
    assert explained.exit_code == 0 and "# marker-rule" in explained.stdout


def test_org_imports_nothing_from_a_hostile_repository_and_reports_the_others(
    tmp_path: Path,
) -> None:
    marker = tmp_path / "marker"
    org = tmp_path / "org"
    hostile(org / "hostile", marker)
    write_files(org / "good", {WF: CLEAN.replace("contents: read", "statuses: write")})
    base_repo(org / "mirrored", POLICY, {"evil/r.py": marker_module(marker)})
    out = tmp_path / "org.json"
    run = subprocess_cli("org", "-q", "--no-cache", "--root", str(org), "--report",
                         f"json:{out}", env={"AUDITOR_CACHE_DIR": str(tmp_path / "c")})
    assert run.returncode == 2, run.stderr
    assert not marker.exists()
    assert "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if "not scanned" in line]
    assert len(errors) == 2 and all("custom_rules not loaded" in e for e in errors)
    import json

    doc = json.loads(out.read_text())
    repos = {r["name"]: r for r in doc["summary"]["repositories"]}
    assert repos["good"]["error"] is None
    assert "custom_rules not loaded" in repos["hostile"]["error"]
    assert [f["repo"] for f in doc["findings"]] == ["good"]
    trusted = subprocess_cli("org", "-q", "--no-cache", "--trust-repo-policy", "--root", str(org),
                             env={"AUDITOR_CACHE_DIR": str(tmp_path / "c")})  # fmt: skip
    assert trusted.returncode == 1, trusted.stderr
    assert marker.exists()


def test_org_a_bare_mirror_s_policy_modules_come_from_its_object_store(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    work = base_repo(tmp_path / "work", POLICY, {"evil/r.py": marker_module(marker)})
    commit(work, {}, "second")
    from tests.reports.gitrepo import git

    git(tmp_path, "clone", "-q", "--bare", str(work), str(tmp_path / "mirror.git"))
    (work / "evil" / "r.py").unlink()  # nothing on disk: only the mirror has it
    run = subprocess_cli("org", "-q", "--no-cache", "--trust-repo-policy",
                         str(tmp_path / "mirror.git"), cwd=tmp_path,
                         env={"AUDITOR_CACHE_DIR": str(tmp_path / "c")})  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert marker.exists()


def test_org_trusted_results_never_answer_an_untrusted_run(tmp_path: Path) -> None:
    """With the cache on (file cache and org snapshot), a run without the opt-in after
    trusted runs still imports nothing and still marks the repository not scanned."""
    marker = tmp_path / "marker"
    org = tmp_path / "org"
    hostile(org / "hostile", marker)
    env = {"AUDITOR_CACHE_DIR": str(tmp_path / "c")}
    trusted = subprocess_cli("org", "-q", "--trust-repo-policy", "--root", str(org), env=env)
    assert trusted.returncode == 0, trusted.stderr
    again = subprocess_cli("org", "-q", "--trust-repo-policy", "--root", str(org), env=env)
    assert again.returncode == 0
    marker.unlink()
    untrusted = subprocess_cli("org", "-q", "--root", str(org), env=env)
    assert untrusted.returncode == 2 and "custom_rules not loaded" in untrusted.stderr
    assert not marker.exists()
