"""shared-file-drift: identical, differing, missing, ties (newest commit; repository name)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditor.rules.shared_file_drift import Copy, canonical
from tests.conftest import run_cli
from tests.org.conftest import CLEAN, commit, make_repo, write

SCRIPT = ".gitea/scripts/verify-runtime-pin.sh"
GOOD = "#!/bin/sh\nset -eu\ntest \"$PIN\" = \"$DIGEST\"\n"
OLD = "#!/bin/sh\nset -eu\ntest \"$PIN\" = \"$DIGEST\" || true\n"


def policy(tmp_path: Path, repos: str = "['*-template-*']") -> Path:
    path = tmp_path / "org-policy.yml"
    path.write_text(f"version: 1\nshared_files:\n  - path: {SCRIPT}\n    repos: {repos}\n")
    return path


def org_json(tmp_path: Path, *repos: Path, pol: Path | None = None) -> Any:
    pol = pol or policy(tmp_path)
    run = run_cli("org", "-q", "--no-cache", "--format", "json", "--policy", str(pol),
                  *[str(r) for r in repos])  # fmt: skip
    assert run.exit_code in (0, 1), run.stderr
    return run


def drift(run: Any) -> list[dict[str, Any]]:
    return [f for f in run.json()["findings"] if f["rule"] == "shared-file-drift"]


def folder(tmp_path: Path, name: str, script: str | None) -> Path:
    files = {".github/workflows/ci.yml": CLEAN}
    if script is not None:
        files[SCRIPT] = script
    root = tmp_path / "org" / name
    write(root, files)
    return root


def test_identical_copies_are_clean(tmp_path: Path) -> None:
    repos = [folder(tmp_path, f"svc-template-{c}", GOOD) for c in "abc"]
    run = org_json(tmp_path, *repos)
    assert drift(run) == []
    assert run.exit_code == 0


def test_differing_copy_gets_a_finding_with_a_diff(tmp_path: Path) -> None:
    repos = [folder(tmp_path, f"svc-template-{c}", GOOD) for c in "ab"]
    repos.append(folder(tmp_path, "svc-template-c", OLD))
    repos.append(folder(tmp_path, "unrelated", OLD))  # outside the group: not compared
    run = org_json(tmp_path, *repos)
    (finding,) = drift(run)
    assert run.exit_code == 1
    assert finding["repo"] == "svc-template-c"
    assert finding["path"] == SCRIPT and finding["line"] == 1
    message = finding["message"]
    assert "held by 2 of 3 repositories" in message
    assert '-test "$PIN" = "$DIGEST"' in message
    assert '+test "$PIN" = "$DIGEST" || true' in message


def test_missing_copy_is_a_finding(tmp_path: Path) -> None:
    repos = [folder(tmp_path, "svc-template-a", GOOD), folder(tmp_path, "svc-template-b", None)]
    (finding,) = drift(org_json(tmp_path, *repos))
    assert finding["repo"] == "svc-template-b"
    assert "missing" in finding["message"]


def test_tie_without_git_goes_to_the_first_repository_name(tmp_path: Path) -> None:
    repos = [folder(tmp_path, "svc-template-b", GOOD), folder(tmp_path, "svc-template-a", OLD)]
    (finding,) = drift(org_json(tmp_path, *repos))
    assert finding["repo"] == "svc-template-b"  # a's (older-looking) copy is canonical by name


def test_tie_between_git_repositories_goes_to_the_newest_commit(tmp_path: Path) -> None:
    base = tmp_path / "git"
    a = make_repo(base, "svc-template-a", {".github/workflows/ci.yml": CLEAN, SCRIPT: OLD},
                  when=1_600_000_000)  # fmt: skip
    b = make_repo(base, "svc-template-b", {".github/workflows/ci.yml": CLEAN, SCRIPT: OLD},
                  when=1_600_000_000)  # fmt: skip
    commit(b, {SCRIPT: GOOD}, "fix the verify script", when=1_700_000_000)
    # git repositories are read at a ref (a working tree as-is unless --ref is given)
    pol = policy(tmp_path)
    run = run_cli("org", "-q", "--no-cache", "--format", "json", "--policy", str(pol),
                  "--ref", "main", str(a), str(b))  # fmt: skip
    (finding,) = drift(run)
    assert finding["repo"] == "svc-template-a"  # b changed it last: b's copy is canonical
    assert "e.g. svc-template-b" in finding["message"]


def test_canonical_unit_cases() -> None:
    assert canonical([]) is None
    assert canonical([Copy("a", None)]) is None
    assert canonical([Copy("a", "x"), Copy("b", "y"), Copy("c", "y")]) == "y"
    assert canonical([Copy("b", "x"), Copy("a", "y")]) == "y"  # by name
    assert canonical([Copy("a", "x", 5), Copy("b", "y", 9)]) == "y"  # newest
    assert canonical([Copy("a", "x", 5), Copy("b", "y", None)]) == "x"  # mixed: by name
