"""Table-driven: snippets in a promote job, through the real CLI, with exact line and column.

Each failing case names the rule, the text the finding must start at (its
line and column in the generated workflow are computed from it) and a piece
of the message that identifies the detector. Each passing case must yield no
script finding at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import write_files
from tests.stepscripts.helpers import expected_position, scan, snippet_workflow

SW, PE = "swallowed-failure", "script-parse-error"
CURL = "`curl` exits 0"
OR_TRUE = "discards the failure"
SET_E = "`set +e`"
PIPE = "pipeline"
MASK = "status"
NO_E = "without `-e`"
PY_EXCEPT = "swallows every error"
PY_EXIT = "exit"
PY_HTTP = "status"
PY_SUB = "check=True"
PY_SYSTEM = "os.system"


@dataclass(frozen=True)
class Case:
    id: str
    body: str
    shell: str | None = None
    rule: str = SW
    at: str = ""  # where the finding starts (first occurrence in the body)
    says: str = ""  # a piece of its message
    shift: int = 0  # columns right of ``at`` (a parse error at the end of the body)


FAILING = [
    Case("curl-no-fail", "curl -sS -X POST https://cp.example.com/promote", at="curl", says=CURL),
    # The incident's own shape: a 403 still exits 0, so the condition "succeeds".
    Case("curl-post-as-condition",
         'if curl -sS -X POST https://cp.example.com/promote; then\n  echo "promoted"\nfi',
         at="curl", says=CURL),
    Case("curl-no-fail-after-echo", 'echo start\ncurl -s https://cp.example.com/pin > pin.json',
         at="curl", says=CURL),
    Case("curl-code-never-tested",
         "code=$(curl -s -o /dev/null -w '%{http_code}' https://cp.example.com/promote)\n"
         'echo "got $code"', at="curl", says="never tested"),
    Case("curl-download-not-validated",
         "curl -s https://example.com/template.md > body.md\ngh issue create --body-file body.md",
         at="curl", says=CURL),
    Case("or-true-then-carry-on",
         "docker push registry.example.com/app:1 || true\necho pushed\nexit 1",
         at="docker", says=OR_TRUE),
    Case("curl-fail-or-true", "curl --fail https://cp.example.com/promote || true",
         at="curl", says=OR_TRUE),
    Case("docker-push-or-colon", "docker push registry.example.com/app:1 || :", at="docker",
         says=OR_TRUE),
    Case("docker-push-or-echo", 'docker push registry.example.com/app:1 || echo "push failed"',
         at="docker", says=OR_TRUE),
    Case("kubectl-or-exit-0", "kubectl apply -f deploy.yml || exit 0", at="kubectl", says=OR_TRUE),
    # (a GitHub release or a package upload is not a promote: DESIGN.md, "Roles")
    Case("gh-dispatch-or-true", "gh workflow run deploy.yml -f image=app:1 || true", at="gh", says=OR_TRUE),
    Case("helm-or-true", "helm upgrade --install app ./chart || true", at="helm", says=OR_TRUE),
    Case("git-push-or-true", "git push origin HEAD:release || true", at="git", says=OR_TRUE),
    Case("aws-cp-or-true", "aws s3 cp dist/ s3://bucket/ --recursive || true", at="aws",
         says=OR_TRUE),
    Case("npm-deploy-or-true", "npm run deploy || true", at="npm", says=OR_TRUE),
    Case("wget-or-true", "wget -q https://cp.example.com/promote || true", at="wget", says=OR_TRUE),
    Case("rsync-or-true", "rsync -a dist/ deploy@host:/srv/app/ || true", at="rsync",
         says=OR_TRUE),
    Case("terraform-or-true", "terraform apply -auto-approve || true", at="terraform",
         says=OR_TRUE),
    Case("set-plus-e", "set +e\ndocker push registry.example.com/app:1\necho done", at="set +e",
         says=SET_E),
    Case("set-plus-e-curl-fail", "set +e\ncurl --fail https://cp.example.com/promote\necho ok",
         at="set +e", says=SET_E),
    Case("set-plus-pipefail",
         "set +o pipefail\ncurl -f https://cp.example.com/pin | jq -r .digest > d\necho ok",
         shell="bash", at="set +o pipefail", says="pipefail"),
    Case("trap-err", "trap '' ERR\ndocker push registry.example.com/app:1", at="trap",
         says="ERR"),
    Case("pipeline-tee", "curl -f https://cp.example.com/pin | tee pin.json\necho ok",
         at="curl", says=PIPE),
    Case("pipeline-docker-tee", "docker push registry.example.com/app:1 | tee push.log",
         at="docker", says=PIPE),
    Case("pipeline-sh", "curl -f https://cp.example.com/pin | jq -r .digest > d", shell="sh",
         at="curl", says=PIPE),
    Case("local-substitution",
         'pin() {\n  local d=$(crane digest registry.example.com/app:1)\n  echo "$d"\n}\npin',
         at="local", says=MASK),
    Case("export-substitution", "export DIGEST=$(crane digest registry.example.com/app:1)",
         at="export", says=MASK),
    Case("declare-substitution", "declare d=$(crane digest registry.example.com/app:1)",
         at="declare", says=MASK),
    Case("readonly-substitution", "readonly d=$(crane digest registry.example.com/app:1)",
         at="readonly", says=MASK),
    Case("echo-substitution",
         'echo "digest=$(crane digest registry.example.com/app:1)" >> "$GITHUB_OUTPUT"',
         at="$(crane", says=MASK),
    Case("captured-tested-against-null",
         'v=$(curl -s https://cp/tags | jq .)\ne=$(echo "$v" | jq .t)\n'
         'if [[ $e == null ]]; then make dev; fi', at="curl", says=CURL),
    Case("echo-substitution-unquoted", "echo $(crane ls registry.example.com/app)",
         at="$(crane", says=MASK),
    Case("bash-template-no-e", "docker push registry.example.com/app:1\necho pushed",
         shell="bash {0}", at="docker", says=NO_E),
    Case("bash-norc-template-no-e", "curl -f https://cp.example.com/promote\necho done",
         shell="bash --noprofile --norc {0}", at="curl", says=NO_E),
    Case("curl-after-expression",
         'echo "${{ github.sha }}" "${{ needs.publish.outputs.digest }}"; curl -s https://cp/x',
         at="curl", says=CURL),
    Case("curl-expression-url",
         'curl -s -X POST "${{ vars.CP_URL }}/promote" -d "${{ needs.publish.outputs.digest }}"',
         at="curl", says=CURL),
    Case("inline-python-os-system", "python3 -c 'import os; os.system(\"deploy\")'",
         at="os.system", says=PY_SYSTEM),
    Case("inline-python-subprocess",
         "python3 -c \"import subprocess; subprocess.run(['deploy'])\"", at="subprocess.run",
         says=PY_SUB),
    Case("heredoc-python-requests",
         'python3 - <<EOF\nimport requests\nrequests.post("https://cp.example.com/promote")\nEOF',
         at="requests.post", says=PY_HTTP),
    Case("heredoc-python-except",
         "python - <<'PY'\ntry:\n    deploy()\nexcept Exception:\n    pass\nPY",
         at="except", says=PY_EXCEPT),
    Case("py-except-pass", "try:\n    deploy()\nexcept Exception:\n    pass", shell="python",
         at="except", says=PY_EXCEPT),
    Case("py-bare-except-print", 'try:\n    deploy()\nexcept:\n    print("failed")',
         shell="python", at="except", says=PY_EXCEPT),
    Case("py-baseexception-log",
         'import logging\ntry:\n    deploy()\nexcept BaseException:\n    logging.warning("x")',
         shell="python", at="except", says=PY_EXCEPT),
    Case("py-exit-zero", "import sys\ntry:\n    deploy()\nexcept ValueError:\n    sys.exit(0)",
         shell="python", at="sys.exit", says=PY_EXIT),
    Case("py-requests-post", 'import requests\nrequests.post("https://cp.example.com/promote")',
         shell="python", at="requests.post", says=PY_HTTP),
    Case("py-requests-json-only", "import requests\nr = requests.post(URL)\nprint(r.json())",
         shell="python", at="requests.post", says=PY_HTTP),
    Case("py-httpx-put", "import httpx\nhttpx.put(URL, json={})", shell="python",
         at="httpx.put", says=PY_HTTP),
    Case("py-requests-expression",
         'import requests\nrequests.post("${{ vars.CP_URL }}/promote", json={"d": "${{ env.D }}"})',
         shell="python", at="requests.post", says=PY_HTTP),
    Case("py-subprocess-run", 'import subprocess\nsubprocess.run(["docker", "push", "x"])',
         shell="python", at="subprocess.run", says=PY_SUB),
    Case("py-os-system", 'import os\nos.system("docker push x")', shell="python",
         at="os.system", says=PY_SYSTEM),
    Case("python3-template", 'import os\nos.system("docker push x")', shell="python3 {0}",
         at="os.system", says=PY_SYSTEM),
    Case("parse-error-shell", 'if [ -n "$D" ]; then\n  curl -f https://cp/promote\n',
         rule=PE, at="promote", says="ends too early", shift=len("promote")),
    Case("parse-error-python", "def broken(:\n    pass", shell="python", rule=PE, at=":",
         says="could not be parsed"),
    Case("parse-error-inline-python", "python3 -c 'def (:'", rule=PE, at="(",
         says="could not be parsed"),
]

PASSING = [
    Case("curl-fail", "curl --fail -X POST https://cp.example.com/promote"),
    Case("curl-fsSL", "curl -fsSL https://cp.example.com/pin -o pin.json"),
    Case("curl-fail-with-body", "curl --fail-with-body -sS https://cp.example.com/promote"),
    Case("curl-code-tested",
         "code=$(curl -sS -o /tmp/r.json -w '%{http_code}' -X POST https://cp/promote)\n"
         'if [ "$code" != "200" ]; then\n  echo "::error::HTTP $code"\n  exit 1\nfi'),
    Case("curl-code-case",
         "code=$(curl -s -o /dev/null -w '%{http_code}' https://cp/pin)\n"
         'case "$code" in 2*) ;; *) exit 1 ;; esac'),
    Case("wget", "wget -q https://cp.example.com/pin"),
    Case("rm-or-true", "rm -f /tmp/build.log || true"),
    Case("docker-rmi-or-true", "docker rmi registry.example.com/app:old || true"),
    Case("test-or-echo", '[ -f dist/app ] || echo "no binary"'),
    Case("grep-or-true", "grep -q needle notes.txt || true"),
    Case("kubectl-get-or-true", "kubectl get pods || true"),
    Case("git-push-delete-or-true", "git push --delete origin old-tag || true"),
    Case("or-exit-1", "docker push registry.example.com/app:1 || exit 1"),
    Case("or-group-exit-1",
         'docker push registry.example.com/app:1 || { echo "::error::push failed"; exit 1; }'),
    Case("if-not", "if ! docker push registry.example.com/app:1; then\n  exit 1\nfi"),
    Case("output-echo", 'echo "digest=${{ steps.push.outputs.digest }}" >> "$GITHUB_OUTPUT"'),
    Case("output-unquoted", "echo d=$DIGEST >> $GITHUB_OUTPUT"),
    Case("output-printf", 'printf "digest=%s\\n" "$DIGEST" >> "$GITHUB_OUTPUT"'),
    Case("output-group-heredoc",
         '{\n  echo "notes<<EOF"\n  cat notes.md\n  echo "EOF"\n} >> "$GITHUB_OUTPUT"'),
    Case("output-heredoc", "cat <<'EOF' >> \"$GITHUB_OUTPUT\"\nversion=1.2.3\nEOF"),
    Case("output-tee", 'echo "version=1.2.3" | tee -a "$GITHUB_OUTPUT"'),
    Case("config-heredoc", 'cat <<EOF > cfg.json\n{"digest": "${{ env.D }}"}\nEOF'),
    Case("plain-assignment", 'd=$(crane digest registry.example.com/app:1)\necho "d=$d"'),
    Case("test-substitution", 'test "$(curl --fail https://cp/pin)" = "$EXPECTED"'),
    Case("case-substitution",
         'case "$(crane digest registry.example.com/app:1)" in sha256:*) ;; *) exit 1 ;; esac'),
    Case("captured-then-tested-empty",
         'sched=$(curl -s https://releases.example.com/schedule.json)\n'
         'date=$(echo "$sched" | jq -r .stable)\n'
         'if [[ -z "$date" ]]; then\n  exit 1\nfi'),
    Case("captured-pipeline-compared",
         'got=$(\n  gh api "repos/$R/events" --paginate |\n    jq -r .id\n)\n'
         'if [ "$got" != "$WANT" ]; then\n  exit 1\nfi'),
    Case("curl-as-if-condition",
         "if curl -s --connect-timeout 5 https://example.com > /dev/null; then\n  exit 1\nfi"),
    Case("curl-polling-until", "until curl -s localhost:8080/health; do sleep 1; done"),
    Case("curl-download-then-tar",
         "curl -so app.tar.gz -L https://example.com/releases/app.tar.gz\ntar xzf app.tar.gz"),
    Case("curl-remote-name-then-unzip",
         'curl -LO "https://example.com/releases/tool.zip"\nunzip tool.zip'),
    Case("status-recorded-as-output",
         'python3 -c "import check" && echo "changed=true" >> "$GITHUB_OUTPUT" '
         '|| echo "changed=false" >> "$GITHUB_OUTPUT"'),
    Case("key-import-pipeline",
         "wget -q -O - https://packages.example.com/gpgkey | apt-key add -\n"
         "curl -f https://keys.example.com/k.asc | gpg --batch --import"),
    Case("curl-into-tar", "curl -L https://example.com/src.tar.gz | tar -xzf - -C src"),
    Case("process-substitution-script", "bash <(curl -Ls https://example.com/get.sh) report"),
    Case("diagnostics-before-exit-1",
         'if [ "$uid" != 1000 ]; then\n  docker logs probe || true\n  exit 1\nfi'),
    Case("bash-pipefail", "curl -f https://cp.example.com/pin | jq -r .digest > d", shell="bash"),
    Case("set-pipefail", "set -o pipefail\ncurl -f https://cp.example.com/pin | jq .digest"),
    Case("pipe-to-grep", "curl -f https://cp.example.com/pin | grep -q sha256:"),
    Case("set-plus-e-status-read",
         "set +e\ndocker push registry.example.com/app:1\nrc=$?\nset -e\n"
         '[ "$rc" -eq 0 ] || exit 1'),
    Case("bash-template-set-e", "set -e\ndocker push registry.example.com/app:1\necho ok",
         shell="bash {0}"),
    Case("bash-e-template", "docker push registry.example.com/app:1\necho ok", shell="bash -e {0}"),
    Case("notice", 'echo "::notice::promoted ${{ needs.publish.outputs.digest }}"'),
    Case("make", "make build"),
    Case("pwsh-not-analysed", "curl https://cp.example.com/promote || true", shell="pwsh"),
    Case("expression-shell-not-analysed", "curl https://cp/promote || true",
         shell="${{ matrix.shell }}"),
    Case("inline-python-print", "python3 -c 'import json,sys; print(json.load(sys.stdin)[\"a\"])' < f"),
    Case("heredoc-python-checked",
         "python3 - <<'EOF'\nimport requests\nr = requests.post(URL)\nr.raise_for_status()\nEOF"),
    Case("py-raise-for-status", "import requests\nr = requests.post(URL)\nr.raise_for_status()",
         shell="python"),
    Case("py-status-code-tested",
         "import requests\nr = requests.get(URL)\nif r.status_code != 200:\n    raise SystemExit(1)",
         shell="python"),
    Case("py-subprocess-check", 'import subprocess\nsubprocess.run(["x"], check=True)',
         shell="python"),
    Case("py-returncode-read",
         'import subprocess\nr = subprocess.run(["x"])\nif r.returncode:\n    raise SystemExit(1)',
         shell="python"),
    Case("py-optional-import", "try:\n    import yaml\nexcept ImportError:\n    yaml = None",
         shell="python"),
    Case("py-reraise", "try:\n    deploy()\nexcept Exception:\n    raise", shell="python"),
    Case("py-exit-1", "import sys\ntry:\n    deploy()\nexcept Exception as e:\n    print(e)\n"
         "    sys.exit(1)", shell="python"),
    Case("py-urlopen", "import urllib.request\nurllib.request.urlopen(URL)", shell="python"),
    Case("py-httpx-client",
         "import httpx\nwith httpx.Client() as c:\n    r = c.post(URL)\n    r.raise_for_status()",
         shell="python"),
    Case("py-cleanup-except", 'import os\ntry:\n    os.remove("x")\nexcept Exception:\n    pass',
         shell="python"),
]


def _workflow_repo(tmp_path: Path, case: Case) -> tuple[Path, str]:
    text = snippet_workflow(case.body, case.shell)
    root = write_files(tmp_path / "repo", {".github/workflows/release.yml": text})
    return root, text


@pytest.mark.parametrize("case", FAILING, ids=[c.id for c in FAILING])
def test_failing_snippet(tmp_path: Path, case: Case) -> None:
    root, text = _workflow_repo(tmp_path, case)
    found = scan(root)
    line, column = expected_position(text, case.at)
    column += case.shift
    got = [(f["rule"], f["line"], f["column"]) for f in found]
    assert (case.rule, line, column) in got, f"{case.id}: expected {(case.rule, line, column)}, got {found}"
    match = next(f for f in found if (f["rule"], f["line"], f["column"]) == (case.rule, line, column))
    assert case.says in match["message"], match["message"]
    assert match["path"] == ".github/workflows/release.yml"
    assert match["job"] == "promote"
    assert match["step"]["name"] == "promote"


@pytest.mark.parametrize("case", PASSING, ids=[c.id for c in PASSING])
def test_passing_snippet(tmp_path: Path, case: Case) -> None:
    root, _text = _workflow_repo(tmp_path, case)
    assert scan(root) == []


def test_table_is_large_enough() -> None:
    assert len(FAILING) >= 40
    assert len(PASSING) >= 40
    assert len({c.id for c in FAILING + PASSING}) == len(FAILING) + len(PASSING)


def test_for_list_substitution(tmp_path: Path) -> None:
    body = 'for t in $(crane ls registry.example.com/app); do echo "$t"; done'
    root, text = _workflow_repo(tmp_path, Case("for-substitution", body))
    found = scan(root)
    assert [(f["rule"], f["line"], f["column"]) for f in found] == [(SW, *expected_position(text, "$(crane"))]
    assert "in the `for` list is discarded" in found[0]["message"]
