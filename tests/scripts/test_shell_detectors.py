"""Shell detectors on real tree-sitter-bash trees: what swallows a failure, and what must stay silent.

Each case names the exact (line, column) of every finding, 1-based, in the
snippet given: the rule layer adds the offset of the `run:` body in the
workflow. A passing case asserts there is no finding at all, which is how
"no noise on correct pipelines" is kept.
"""

from __future__ import annotations

import random
import textwrap

import pytest

from auditor.scripts.issues import DETECTORS, ScriptCall, ScriptIssue
from auditor.scripts.python import analyse_python
from auditor.scripts.shell import analyse_shell, blank_expressions
from auditor.scripts.shells import ShellSpec, resolve_shell

DEFAULT = resolve_shell(None)  # bash -e, no pipefail: what a step without `shell:` gets
STRICT = ShellSpec("bash", True, True)  # `shell: bash`
SH = resolve_shell("sh")
NO_E = resolve_shell("bash {0}")


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of a character offset, as reports show it."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def findings(text: str, spec: ShellSpec = DEFAULT) -> list[tuple[str, int, int]]:
    report = analyse_shell(text, spec)
    assert report.parse_error is None, report.parse_error
    return sorted((i.detector, *line_col(text, i.start)) for i in report.issues)


def snippet(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


# --------------------------------------------------------------------------- failing snippets

FAILING: list[tuple[str, str, ShellSpec, list[tuple[str, int, int]]]] = [
    ("or-true", "curl -fsS -X POST https://cp.example.com/promote || true\n", DEFAULT, [("or-true", 1, 1)]),
    ("or-colon", "helm upgrade app ./chart || :\n", DEFAULT, [("or-true", 1, 1)]),
    ("or-echo", './scripts/promote.sh || echo "promote failed"\n', DEFAULT, [("or-true", 1, 1)]),
    ("or-exit-0", 'docker push "$IMAGE" || exit 0\n', DEFAULT, [("or-true", 1, 1)]),
    (
        "or-return-0",
        snippet(
            """
            promote() {
              kubectl apply -f deploy.yaml || return 0
            }
            """
        ),
        DEFAULT,
        [("or-true", 2, 3)],
    ),
    ("or-printf", "gh release upload v1 dist/app.tgz || printf 'skip\\n'\n", DEFAULT, [("or-true", 1, 1)]),
    ("or-bin-true", "crane copy src:tag dst:tag || /bin/true\n", DEFAULT, [("or-true", 1, 1)]),
    (
        "or-group-of-echoes",
        'skopeo copy docker://a docker://b || { echo "::warning::copy failed"; }\n',
        DEFAULT,
        [("or-true", 1, 1)],
    ),
    ("or-through-sudo", "sudo -E ./deploy.sh || true\n", DEFAULT, [("or-true", 1, 1)]),
    ("or-with-redirect", "git push origin v1.2.3 2>/dev/null || true\n", DEFAULT, [("or-true", 1, 1)]),
    ("or-after-test-and", "[ -d dist ] && twine upload dist/* || true\n", DEFAULT, [("or-true", 1, 1)]),
    ("or-continue", 'for e in prod staging; do\n  ./promote.sh "$e" || continue\ndone\n', DEFAULT, [("or-true", 2, 3)]),
    (
        "or-in-untested-substitution",
        'out=$(python3 tools/promote.py || true)\necho "$out"\n',
        DEFAULT,
        [("or-true", 1, 7)],
    ),
    ("npm-publish-or-echo", 'npm publish --access public || echo "already published"\n', DEFAULT, [("or-true", 1, 1)]),
    ("set-plus-e", "set +e\n./scripts/promote.sh\necho done\n", DEFAULT, [("set-plus-e", 1, 1)]),
    ("set-plus-o-errexit", "echo start\nset +o errexit\ncurl -f https://x/promote\n", DEFAULT, [("set-plus-e", 2, 1)]),
    (
        "set-plus-e-region-reported-once",
        "set +eu\n./a.sh || true\nexport D=$(crane digest img)\ncurl -fsS https://x | jq .\nset -e\n",
        DEFAULT,
        [("set-plus-e", 1, 1)],
    ),
    (
        "set-plus-e-plain-assignment",
        'set +e\nout=$(./scripts/promote.sh)\necho "$out"\n',
        DEFAULT,
        [("set-plus-e", 1, 1)],
    ),
    (
        "set-plus-pipefail",
        "set +o pipefail\ncurl -fsS https://x/digest | tee digest.json\n",
        STRICT,
        [("set-plus-pipefail", 1, 1)],
    ),
    ("trap-err", "trap '' ERR\nexit 0\n", DEFAULT, [("trap-err-ignored", 1, 1)]),
    ("trap-err-double-quotes", 'echo start\ntrap "" ERR EXIT\n', DEFAULT, [("trap-err-ignored", 2, 1)]),
    ("curl-plain", "curl -X POST https://cp.example.com/promote\n", DEFAULT, [("curl-without-fail", 1, 1)]),
    ("curl-combined-flags", "curl -sSL -o out.json https://x/api\n", DEFAULT, [("curl-without-fail", 1, 1)]),
    ("curl-f-inside-a-value", "curl -dfoo -X POST https://x/api\n", DEFAULT, [("curl-without-fail", 1, 1)]),
    ("curl-wrapped-in-time", "time curl -s https://x/api\n", DEFAULT, [("curl-without-fail", 1, 6)]),
    (
        "curl-code-captured-never-tested",
        "code=$(curl -s -o /dev/null -w '%{http_code}' https://x/promote)\necho \"HTTP $code\"\n",
        DEFAULT,
        [("curl-without-fail", 1, 8)],
    ),
    (
        "curl-column-after-expressions",
        'echo "${{ github.sha }}" && curl -X POST "${{ inputs.url }}/promote"\n',
        DEFAULT,
        [("curl-without-fail", 1, 29)],
    ),
    (
        "curl-column-after-non-ascii",
        'echo "déploiement ✓" && curl -X POST https://x/promote\n',
        DEFAULT,
        [("curl-without-fail", 1, 25)],
    ),
    (
        "pipeline-curl-jq",
        "curl -fsS https://x/digest | jq -r .digest > digest.txt\n",
        DEFAULT,
        [("pipeline-masks-failure", 1, 1)],
    ),
    ("pipeline-script-tee", "./scripts/build.sh 2>&1 | tee build.log\n", DEFAULT, [("pipeline-masks-failure", 1, 1)]),
    ("pipeline-under-sh", "echo building\ndocker build -t app . | tail -5\n", SH, [("pipeline-masks-failure", 2, 1)]),
    (
        "pipefail-turned-off-again-reported-where-it-is",
        "set -o pipefail\nset +o pipefail\n./deploy.sh | tee log\n",
        DEFAULT,
        [("set-plus-pipefail", 2, 1)],
    ),
    (
        "local-substitution",
        snippet(
            """
            digest() {
              local d=$(crane digest "$IMAGE")
              echo "$d"
            }
            """
        ),
        DEFAULT,
        [("masked-substitution", 2, 3)],
    ),
    ("export-substitution", 'export DIGEST=$(crane digest "$IMAGE")\n', DEFAULT, [("masked-substitution", 1, 1)]),
    ("readonly-substitution", "readonly TOKEN=$(gh auth token)\n", DEFAULT, [("masked-substitution", 1, 1)]),
    (
        "echo-substitution-to-output",
        'echo "digest=$(crane digest img)" >> "$GITHUB_OUTPUT"\n',
        DEFAULT,
        [("masked-substitution", 1, 14)],
    ),
    (
        "env-prefix-substitution",
        "DIGEST=$(crane digest img) ./scripts/promote.sh\n",
        DEFAULT,
        [("masked-substitution", 1, 8)],
    ),
    (
        "for-list-substitution",
        "for env in $(gh api repos/o/r/environments --jq '.environments[].name'); do\n  ./promote.sh \"$env\"\ndone\n",
        DEFAULT,
        [("masked-substitution", 1, 12)],
    ),
    (
        "curl-post-in-a-condition",
        'if ! curl -sS -X POST https://x/promote; then\n  echo "::error::promote failed"; exit 1\nfi\n',
        DEFAULT,
        [("curl-without-fail", 1, 6)],
    ),
    (
        "curl-download-not-consumed",
        "curl -sSL -o data.json https://x/data.json\ncat data.json\n",
        DEFAULT,
        [("curl-without-fail", 1, 1)],
    ),
    (
        "pipeline-in-untested-substitution",
        'v=$(curl -fsS https://x/api | jq -r .digest)\necho "$v"\n',
        DEFAULT,
        [("pipeline-masks-failure", 1, 5)],
    ),
    ("no-errexit", "./scripts/promote.sh\necho done\n", NO_E, [("no-errexit", 1, 1)]),
    ("no-errexit-sh-template", "curl -f https://x/promote\nexit 0\n", resolve_shell("sh {0}"), [("no-errexit", 1, 1)]),
    ("no-errexit-set-e-too-late", "./a.sh\nset -e\n./b.sh\n", NO_E, [("no-errexit", 1, 1)]),
    (
        "no-errexit-and-list-not-final",
        "./deploy.sh && echo deployed\necho finished\n",
        NO_E,
        [("no-errexit", 1, 1)],
    ),
]


@pytest.mark.parametrize(("name", "text", "spec", "expected"), FAILING, ids=[c[0] for c in FAILING])
def test_failing_snippet(name: str, text: str, spec: ShellSpec, expected: list[tuple[str, int, int]]) -> None:
    assert findings(text, spec) == sorted(expected)


# --------------------------------------------------------------------------- passing snippets

SEED_AFTER_PROMOTE = snippet(
    """
    set -euo pipefail
    [ -n "${CP_TOKEN}" ] || { echo "::error::admin token is not set"; exit 1; }
    [ -n "${DIGEST}" ] || { echo "::error::no digest from publish"; exit 1; }
    code=$(curl -sS -o /tmp/promote.json -w '%{http_code}' -X POST \\
      -H "Authorization: Bearer ${CP_TOKEN}" \\
      -H "Content-Type: application/json" \\
      -d "{\\"template_name\\":\\"codex\\",\\"image_digest\\":\\"${DIGEST}\\"}" \\
      "${CP_URL}/cp/admin/runtime-image/promote")
    if [ "$code" != "200" ] && [ "$code" != "201" ]; then
      echo "::error::promote failed with HTTP ${code}"
      cat /tmp/promote.json
      exit 1
    fi
    """
)

VERIFY_RUNTIME_PIN = snippet(
    """
    #!/usr/bin/env bash
    # Reads the runtime pin back from the control plane and fails unless its
    # digest equals the digest that was just pushed.
    set -euo pipefail

    : "${CP_URL:?CP_URL is required}"
    : "${CP_TOKEN:?CP_TOKEN is required}"
    : "${EXPECTED_DIGEST:?EXPECTED_DIGEST is required}"
    : "${TEMPLATE:?TEMPLATE is required}"

    case "$EXPECTED_DIGEST" in
      sha256:[0-9a-f]*) ;;
      *) echo "::error::EXPECTED_DIGEST is not a sha256 digest: $EXPECTED_DIGEST"; exit 1 ;;
    esac

    body=$(mktemp)
    code=$(curl -sS -o "$body" -w '%{http_code}' \\
      -H "Authorization: Bearer ${CP_TOKEN}" \\
      "${CP_URL}/cp/admin/runtime-image")
    if [ "$code" != "200" ]; then
      echo "::error::GET runtime-image returned HTTP ${code}"
      exit 1
    fi

    actual=$(python3 -c '
    import json, sys
    doc = json.load(open(sys.argv[1]))
    for row in doc.get("runtime_image_pins", []):
        if row.get("template_name") == sys.argv[2] and row.get("region") == "global":
            print(row.get("image_digest", ""))
            break
    ' "$body" "$TEMPLATE")

    if [ "$actual" != "$EXPECTED_DIGEST" ]; then
      echo "::error::pin for ${TEMPLATE} is '${actual:-<missing>}', expected ${EXPECTED_DIGEST}"
      exit 1
    fi
    echo "pin for ${TEMPLATE} matches ${EXPECTED_DIGEST}"
    """
)

PASSING: list[tuple[str, str, ShellSpec]] = [
    ("seed-after-promote", SEED_AFTER_PROMOTE, STRICT),
    ("seed-after-verify-script", VERIFY_RUNTIME_PIN, STRICT),
    ("cleanup-rm", "rm -rf dist || true\n", DEFAULT),
    ("cleanup-docker-rm", "docker rm -f old-container 2>/dev/null || true\n", DEFAULT),
    ("cleanup-pkill", "pkill -f dev-server || true\nkill %1 || :\n", DEFAULT),
    ("grep-no-match-is-fine", "grep -q needle haystack.txt || true\n", DEFAULT),
    ("diff-or-true", "diff -u old new || true\n", DEFAULT),
    ("test-or-true", '[ -f .env ] || true\n[[ -n "$X" ]] || exit 0\ntest -d out || exit 0\n', DEFAULT),
    ("fails-loud-exit-1", "curl -fsSL https://x/api || exit 1\n", DEFAULT),
    ("fails-loud-group", 'kubectl apply -f x.yaml || { echo "::error::apply failed"; exit 1; }\n', DEFAULT),
    ("fails-loud-false", "./deploy.sh || false\n", DEFAULT),
    ("fails-loud-bare-exit", "./deploy.sh || exit\n", DEFAULT),
    ("fails-loud-echo-then-exit", './deploy.sh || echo "failed" && exit 1\n', DEFAULT),
    ("retry-fallback-is-not-swallowing", "./deploy.sh || ./deploy.sh --retry\n", DEFAULT),
    ("curl-fail-with-body", "curl --fail-with-body -X POST https://x/promote\n", DEFAULT),
    ("curl-combined-f", "curl -sSf https://x -o out\ncurl -fsSL https://x | sh\n", STRICT),
    (
        "curl-code-tested-with-if",
        "code=$(curl -s -o /dev/null -w '%{http_code}' https://x)\nif [ \"$code\" != 200 ]; then exit 1; fi\n",
        DEFAULT,
    ),
    (
        "curl-code-tested-with-case",
        "status=$(curl -s -o body -w '%{http_code}' https://x)\ncase \"$status\" in 2*) ;; *) exit 1 ;; esac\n",
        DEFAULT,
    ),
    (
        "curl-code-tested-through-derived-variable",
        "resp=$(curl -s -w '\\n%{http_code}' https://x)\ncode=$(tail -n1 <<<\"$resp\")\n"
        '[[ "$code" == 200 ]] || exit 1\n',
        DEFAULT,
    ),
    (
        "curl-code-tested-arithmetic",
        "code=$(curl -s -o /dev/null --write-out '%{http_code}' https://x)\n(( code < 400 )) || exit 1\n",
        DEFAULT,
    ),
    (
        "curl-code-with-fallback-value",
        "code=$(curl -s -o /dev/null -w '%{http_code}' https://x || echo 000)\n[ \"$code\" = 200 ] || exit 1\n",
        DEFAULT,
    ),
    ("curl-body-checked-by-grep", "curl -s https://x/health | grep -q healthy\n", DEFAULT),
    ("curl-options-from-array", 'curl "${CURL_ARGS[@]}" https://x\ncurl $CURL_OPTS https://x\n', DEFAULT),
    ("curl-version", "curl --version\n", DEFAULT),
    ("wget-fails-by-itself", "wget -q https://x/file.tgz\n", DEFAULT),
    (
        "set-plus-e-with-status-capture",
        'set +e\n./scripts/check.sh\nrc=$?\nset -e\n[ "$rc" -eq 0 ] || exit "$rc"\n',
        DEFAULT,
    ),
    ("set-plus-e-cleanup-only", "set +e\nrm -rf build\ndocker rm -f db\nset -e\n", DEFAULT),
    ("set-plus-e-without-errexit-is-no-errexit-business", "set +e\necho hi\n", NO_E),
    (
        "harmless-substitutions",
        'f() {\n  local now=$(date +%s)\n  local dir=$(dirname "$0")\n}\n'
        'export DIR=$(pwd)/bin\nexport OS="$(echo "$1" | cut -d \'-\' -f 1)"\n'
        'echo "sha=$(git rev-parse --short HEAD)" >> "$GITHUB_OUTPUT"\n',
        DEFAULT,
    ),
    ("plain-assignment-keeps-status", 'DIGEST=$(crane digest img)\necho "$DIGEST"\n', DEFAULT),
    ("substitution-in-a-test", '[ "$(curl -fsS https://x/ping)" = pong ] || exit 1\n', DEFAULT),
    ("housekeeping-substitutions", 'docker logs "$(docker ps -q)"\ndocker rmi $(docker images -q) || true\n', DEFAULT),
    ("pipefail-from-spec", "curl -fsS https://x | jq -r .digest\n", STRICT),
    ("pipefail-set-earlier", "set -o pipefail\ncurl -fsS https://x | jq -r .digest\n", DEFAULT),
    ("pipefail-set-with-euo", "set -euo pipefail\n./build.sh | tee log\n", SH),
    ("pipeline-ends-in-jq-e", "curl -fsS https://x | jq -e '.ok == true'\n", DEFAULT),
    ("pipeline-into-tar", "curl -fsSL https://x/tool.tgz | tar xz -C /usr/local/bin\n", DEFAULT),
    (
        "pipeline-password-stdin",
        'aws ecr get-login-password | docker login --username AWS --password-stdin "$R"\n',
        DEFAULT,
    ),
    (
        "pipeline-into-key-import",
        "wget -qO - https://x/key.asc | sudo apt-key add -\ncurl -fsSL https://x/k | gpg --dearmor -o /tmp/k.gpg\n",
        DEFAULT,
    ),
    ("pipeline-pipestatus-read", './build.sh | tee log\nexit "${PIPESTATUS[0]}"\n', DEFAULT),
    ("pipeline-of-harmless-commands", "cat file | sort | uniq -c | head\n", DEFAULT),
    ("condition-is-handled", "if curl -fsS https://x/health; then echo up; fi\n", DEFAULT),
    ("no-errexit-but-set-e-first", "set -euo pipefail\n./a.sh\n./b.sh\n", NO_E),
    ("no-errexit-single-command", "./scripts/promote.sh\n", NO_E),
    ("no-errexit-last-in-if", 'if [ "$X" = 1 ]; then\n  ./scripts/promote.sh\nfi\n', NO_E),
    ("no-errexit-handled-by-or", "./a.sh || exit 1\n./b.sh\n", NO_E),
    (
        "idempotent-setup",
        'docker pull "$CACHE" || true\ngh pr create --fill || true\nkubectl create ns x || true\n',
        DEFAULT,
    ),
    ("other-traps", "trap 'rm -f \"$tmp\"' EXIT\ntrap - ERR\n", DEFAULT),
    ("auto-merge-toggle", 'gh pr merge "$PR" --disable-auto || true\n', DEFAULT),
    ("git-commit-nothing-to-commit", 'git commit -m "bump" || true\n', DEFAULT),
    ("command-v", "command -v crane || true\nnpm ci || true\n", DEFAULT),
    ("python-body-is-not-shell", "curl -X POST https://x || true\n", resolve_shell("python")),
    ("pwsh-body-is-not-analysed", "curl -X POST https://x || true\n", resolve_shell("pwsh")),
    ("curl-probe-in-until", "until curl -s http://localhost:8080/health; do sleep 1; done\n", DEFAULT),
    ("curl-probe-in-if", "if curl -sS https://x/ready >/dev/null; then echo up; fi\n", DEFAULT),
    ("curl-download-then-tar", "curl -sLo tool.tgz https://x/tool.tgz\ntar xzf tool.tgz\n", DEFAULT),
    ("curl-remote-name-then-bash", "curl -sSLO https://x/releases/installer.sh\nbash installer.sh\n", DEFAULT),
    ("curl-redirect-then-gpg", "curl -s https://x/key.asc > key.asc\ngpg --import key.asc\n", DEFAULT),
    (
        "curl-checksums-then-check",
        "curl -sSL -o app.tgz.sha256 https://x/app.tgz.sha256\nsha256sum -c app.tgz.sha256\n",
        DEFAULT,
    ),
    (
        "outcome-recorded-as-output",
        './deploy.sh && echo "ok=true" >> "$GITHUB_OUTPUT" || echo "ok=false" >> "$GITHUB_OUTPUT"\n',
        DEFAULT,
    ),
    (
        "pipeline-value-tested",
        'v=$(curl -fsS https://x/api | jq -r .digest)\n[ -n "$v" ] || exit 1\n',
        DEFAULT,
    ),
    ("empty", "", DEFAULT),
    ("comments-only", "# curl -X POST https://x || true\n", DEFAULT),
]


@pytest.mark.parametrize(("name", "text", "spec"), PASSING, ids=[c[0] for c in PASSING])
def test_passing_snippet(name: str, text: str, spec: ShellSpec) -> None:
    assert findings(text, spec) == []


def test_enough_cases() -> None:
    assert len(FAILING) >= 40
    assert len(PASSING) >= 40
    assert {d for _, _, _, exp in FAILING for d, _, _ in exp} >= {
        d for d in DETECTORS if not d.startswith("py-") and d != "parse-error"
    }


# --------------------------------------------------------------------------- the seed incident

# The `run:` of "Promote image (best effort)", lines 43-47 of
# seed-incident/before/.gitea/workflows/publish-image.yml.
SEED_BEFORE = snippet(
    """
    curl -sS -X POST \\
      -H "Authorization: token ${TOKEN}" \\
      -H "Content-Type: application/json" \\
      -d "{\\"state\\":\\"success\\",\\"context\\":\\"promote/codex\\",\\"description\\":\\"${{ steps.push.outputs.digest }}\\"}" \\
      "${GITHUB_SERVER_URL}/api/v1/repos/${GITHUB_REPOSITORY}/statuses/${GITHUB_SHA}"
    """  # noqa: E501 - verbatim from the seed incident
)


def test_seed_before_curl_is_reported_at_the_curl_word() -> None:
    report = analyse_shell(SEED_BEFORE, resolve_shell(None))
    assert [(i.detector, *line_col(SEED_BEFORE, i.start)) for i in report.issues] == [("curl-without-fail", 1, 1)]
    issue = report.issues[0]
    assert SEED_BEFORE[issue.start : issue.start + 4] == "curl"
    assert issue.end == len(SEED_BEFORE.rstrip("\n"))  # the whole command
    assert issue.subject.startswith("curl -sS -X POST -H")
    assert "\n" not in issue.subject and len(issue.subject) <= 63
    assert "--fail" in issue.message


def test_seed_after_has_nothing_at_all() -> None:
    for text in (SEED_AFTER_PROMOTE, VERIFY_RUNTIME_PIN):
        report = analyse_shell(text, STRICT)
        assert report.issues == () and report.parse_error is None
        for inline in report.inline_python:
            assert analyse_python(inline.code) == ((), None)
    report = analyse_shell(VERIFY_RUNTIME_PIN, STRICT)
    assert len(report.inline_python) == 1
    code = report.inline_python[0]
    assert code.code.startswith("\nimport json, sys\n")
    assert VERIFY_RUNTIME_PIN[code.start : code.start + len(code.code)] == code.code


# --------------------------------------------------------------------------- ${{ }} placeholders and offsets


def test_expressions_are_blanked_with_the_same_length() -> None:
    text = "echo ${{ github.sha }} '${{ format('}}{0}', x) }}' ${{ unterminated"
    blanked = blank_expressions(text)
    assert len(blanked) == len(text)
    assert blanked == "echo " + "_" * len("${{ github.sha }}") + " '" + "_" * len("${{ format('}}{0}', x) }}") + (
        "' ${{ unterminated"
    )


def test_finding_after_a_multiline_expression_keeps_its_position() -> None:
    text = 'echo "${{ toJSON(\n  github.event) }}"\ncurl -X POST https://x\n'
    assert findings(text) == [("curl-without-fail", 3, 1)]


def test_expression_holding_curl_flags_is_not_judged() -> None:
    assert findings("curl ${{ inputs.curl_flags }} https://x/promote\n") == []


def test_subject_has_no_line_numbers_and_survives_moves() -> None:
    a = analyse_shell("curl -X POST https://x/promote\n", DEFAULT).issues[0]
    b = analyse_shell("echo one\necho two\n\ncurl  -X POST \\\n  https://x/promote\n", DEFAULT).issues[0]
    assert a.subject == b.subject == "curl -X POST https://x/promote"


# --------------------------------------------------------------------------- scripts the body runs


def test_script_calls() -> None:
    text = snippet(
        """
        ./scripts/x.sh
        bash scripts/build.sh --fast
        bash -e -o pipefail ./ci/run.sh
        sh tools/check
        source ./env.sh
        . ci/vars.sh
        python3 tools/p.py --flag
        python -u deploy.py
        ./tools/p.py
        .gitea/scripts/verify-runtime-pin.sh
        sudo ./install.sh
        timeout 60 ./scripts/wait.sh
        x=$(./scripts/get-digest.sh)
        """
    )
    calls = analyse_shell(text, DEFAULT).calls
    assert [(c.path, c.interpreter, line_col(text, c.start)) for c in calls] == [
        ("./scripts/x.sh", "exec", (1, 1)),
        ("scripts/build.sh", "bash", (2, 6)),
        ("./ci/run.sh", "bash", (3, 21)),
        ("tools/check", "sh", (4, 4)),
        ("./env.sh", "source", (5, 8)),
        ("ci/vars.sh", "source", (6, 3)),
        ("tools/p.py", "python", (7, 9)),
        ("deploy.py", "python", (8, 11)),
        ("./tools/p.py", "exec", (9, 1)),
        (".gitea/scripts/verify-runtime-pin.sh", "exec", (10, 1)),
        ("./install.sh", "exec", (11, 6)),
        ("./scripts/wait.sh", "exec", (12, 12)),
        ("./scripts/get-digest.sh", "exec", (13, 5)),
    ]
    for call in calls:
        assert isinstance(call, ScriptCall)
        assert text[call.start : call.end] == call.path


def test_not_script_calls() -> None:
    text = snippet(
        """
        bash "$SCRIPT"
        "$RUNNER_TEMP/scripts/x.sh"
        /usr/local/bin/tool
        ~/bin/tool
        python -m pip install .
        python3 -c 'print(1)'
        bash -c 'echo hi'
        source venv/bin/activate
        ./node_modules/.bin/eslint .
        source /etc/os-release
        curl https://example.com/x.sh
        deploy.sh
        curl -fsSLO https://example.com/get/install.sh
        bash install.sh
        cat > generated.sh <<'EOF'
        echo hi
        EOF
        sh ./generated.sh
        """
    )
    assert analyse_shell(text, DEFAULT).calls == ()


# --------------------------------------------------------------------------- inline python


def test_inline_python_forms_map_to_exact_offsets() -> None:
    text = snippet(
        """
        python - <<EOF
        import os
        os.system("./promote.sh")
        EOF
        python3 - "$arg" <<'PY'
        import requests
        requests.post("${{ inputs.url }}")
        PY
        python3 -c 'import subprocess; subprocess.run(["x"])'
        python3 -c "import os; os.system(\\"$CMD\\")"
        cat <<EOF | python3
        import sys
        sys.exit(0)
        EOF
        """
    )
    report = analyse_shell(text, DEFAULT)
    found = []
    for inline in report.inline_python:
        assert len(inline.code) == len(text[inline.start : inline.start + len(inline.code)])
        issues, error = analyse_python(inline.code)
        assert error is None, error
        found += [(i.detector, *line_col(text, i.shifted(inline.start).start)) for i in issues]
    assert found == [
        ("py-os-system-ignored", 3, 1),
        ("py-http-status-unchecked", 7, 1),
        ("py-subprocess-unchecked", 9, 32),
        ("py-os-system-ignored", 10, 24),
    ]


def test_inline_python_unquoted_heredoc_blanks_shell_expansions() -> None:
    text = "python3 - <<EOF\nx = $VALUE\ny = $(cat f)\nprint(x, y)\nEOF\n"
    (inline,) = analyse_shell(text, DEFAULT).inline_python
    assert inline.code == "x = ______\ny = ________\nprint(x, y)\n"
    assert analyse_python(inline.code) == ((), None)


def test_inline_python_indented_heredoc_still_parses() -> None:
    text = "if true; then\n  python3 - <<-EOF\n\timport os\n\tos.system('x')\n\tEOF\nfi\n"
    (inline,) = analyse_shell(text, DEFAULT).inline_python
    issues, error = analyse_python(inline.code)
    assert error is None
    assert [(i.detector, *line_col(text, i.start + inline.start)) for i in issues] == [("py-os-system-ignored", 4, 2)]


# --------------------------------------------------------------------------- parse errors and hostile input


@pytest.mark.parametrize(
    "text",
    [
        'if [ -f x ]; then\n  echo "unterminated\n',
        "echo 'unterminated\n",
        "case $x in\n",
        "a |\n",
        "cat <<EOF\nno end",
        "[[ x ]\n",
        "$(" * 2000,
        "{ " * 3000,
        "\x00\x01\x02 echo \udcff",
    ],
)
def test_unparseable_shell_is_a_parse_error_not_a_crash(text: str) -> None:
    report = analyse_shell(text, DEFAULT)
    assert isinstance(report.parse_error, ScriptIssue)
    assert report.parse_error.detector == "parse-error"
    assert 0 <= report.parse_error.start <= report.parse_error.end <= len(text)


def test_statements_around_a_parse_error_are_still_analysed() -> None:
    text = "curl -X POST https://x/promote\necho )\n"
    report = analyse_shell(text, DEFAULT)
    assert report.parse_error is not None
    assert [(i.detector, *line_col(text, i.start)) for i in report.issues] == [("curl-without-fail", 1, 1)]


def test_no_errexit_is_not_claimed_on_a_broken_body() -> None:
    report = analyse_shell("./a.sh\n./b.sh\nif then\n", NO_E)
    assert report.parse_error is not None
    assert all(i.detector != "no-errexit" for i in report.issues)


def test_fuzz_never_raises_and_offsets_stay_in_bounds() -> None:
    rng = random.Random(4)
    alphabet = "$(){}[]|&;<>\"'`\\\n =#abc-e+o$GITHUB_OUTPUT curl true${{ }}é"
    seeds = [c[1] for c in FAILING] + [c[1] for c in PASSING]
    texts = ["", " ", "x" * 1_000_000, "echo " + "a" * 200_000 + " || true\n"]
    for _ in range(150):
        texts.append("".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 300))))
        base = rng.choice(seeds)
        i, j = sorted(rng.randrange(len(base) + 1) for _ in range(2))
        texts.append(base[:i] + rng.choice(["'", '"', "$(", "`", "<<EOF\n", "${{", "\\", "\x00"]) + base[j:])
    for text in texts:
        for spec in (DEFAULT, STRICT, NO_E, SH):
            report = analyse_shell(text, spec)
            spans = [*report.issues, *report.calls, *report.outputs]
            if report.parse_error is not None:
                spans.append(report.parse_error)
            for item in spans:
                assert 0 <= item.start <= item.end <= len(text)
            for inline in report.inline_python:
                assert inline.start >= 0 and inline.start + len(inline.code) <= len(text)


def test_script_calls_anchored_at_the_workspace_or_the_action() -> None:
    text = snippet(
        """
        "${GITHUB_WORKSPACE}/scripts/a.sh" --fast
        $GITHUB_WORKSPACE/scripts/b.sh
        bash "$GITHUB_WORKSPACE/ci/c.sh"
        ${{ github.workspace }}/scripts/d.sh
        source "${GITHUB_ACTION_PATH}/lib.sh"
        bash ${{ github.action_path }}/run.sh
        python3 "$GITHUB_WORKSPACE/tools/e.py"
        """
    )
    calls = analyse_shell(text, DEFAULT).calls
    assert [(c.path, c.interpreter, c.anchor, line_col(text, c.start)[0]) for c in calls] == [
        ("scripts/a.sh", "exec", "workspace", 1),
        ("scripts/b.sh", "exec", "workspace", 2),
        ("ci/c.sh", "bash", "workspace", 3),
        ("scripts/d.sh", "exec", "workspace", 4),
        ("lib.sh", "source", "action", 5),
        ("run.sh", "bash", "action", 6),
        ("tools/e.py", "python", "workspace", 7),
    ]


def test_folder_changes() -> None:
    text = 'cd deploy\npushd "$GITHUB_WORKSPACE/ops"\ncd "$RUNNER_TEMP"\ncd -\nx=$(cd sub && pwd)\n'
    dirs = analyse_shell(text, DEFAULT).dirs
    assert [(d.path, d.anchor, line_col(text, d.start)[0]) for d in dirs] == [
        ("deploy", "cwd", 1),
        ("ops", "workspace", 2),
        (None, "cwd", 3),
        (None, "cwd", 4),
    ]
