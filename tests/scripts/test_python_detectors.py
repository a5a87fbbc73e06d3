"""Python detectors (libcst): swallowed exceptions, exit 0 after an error, unchecked HTTP and subprocess calls.

Every case names the exact (line, column), 1-based, of every finding in the
snippet, and a passing case asserts there is none.
"""

from __future__ import annotations

import textwrap

import pytest

from auditor.scripts.issues import DETECTORS
from auditor.scripts.python import MAX_DEPTH, analyse_python


def line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def code(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def findings(text: str) -> list[tuple[str, int, int]]:
    issues, error = analyse_python(text)
    assert error is None, error
    return sorted((i.detector, *line_col(text, i.start)) for i in issues)


HEADER = "import os, sys, logging, subprocess\nimport requests, httpx\nlog = logging.getLogger()\n"
H = HEADER.count("\n")  # lines the header adds before each snippet


def with_header(text: str) -> str:
    return HEADER + code(text)


FAILING: list[tuple[str, str, list[tuple[str, int, int]]]] = [
    ("bare-except-pass", "try:\n    promote()\nexcept:\n    pass\n", [("py-broad-except", 3, 1)]),
    (
        "except-exception-print",
        "try:\n    promote()\nexcept Exception as e:\n    print('failed', e)\n",
        [("py-broad-except", 3, 1)],
    ),
    (
        "except-base-exception-logging",
        with_header("try:\n    promote()\nexcept BaseException:\n    logging.warning('x')\n"),
        [("py-broad-except", H + 3, 1)],
    ),
    (
        "broad-in-a-tuple-logger",
        with_header("try:\n    promote()\nexcept (ValueError, Exception):\n    log.error('x')\n    ok = False\n"),
        [("py-broad-except", H + 3, 1)],
    ),
    (
        "broad-continue-in-loop",
        "for env in envs:\n    try:\n        promote(env)\n    except Exception:\n        continue\n",
        [("py-broad-except", 4, 5)],
    ),
    (
        "broad-return-nothing",
        "def main():\n    try:\n        promote()\n    except Exception:\n"
        "        traceback.print_exc()\n        return\n",
        [("py-broad-except", 4, 5)],
    ),
    (
        "exit-zero-in-handler",
        with_header("try:\n    promote()\nexcept Exception:\n    print('x')\n    sys.exit(0)\n"),
        [("py-exit-zero-in-handler", H + 5, 5)],
    ),
    (
        "sys-exit-no-arg",
        with_header("try:\n    promote()\nexcept requests.HTTPError:\n    sys.exit()\n"),
        [("py-exit-zero-in-handler", H + 4, 5)],
    ),
    ("builtin-exit-0", "try:\n    promote()\nexcept OSError:\n    exit(0)\n", [("py-exit-zero-in-handler", 4, 5)]),
    (
        "from-sys-import-exit-none",
        "from sys import exit\ntry:\n    promote()\nexcept ValueError:\n    exit(None)\n",
        [("py-exit-zero-in-handler", 5, 5)],
    ),
    (
        "raise-system-exit-0",
        "try:\n    promote()\nexcept RuntimeError:\n    raise SystemExit(0)\n",
        [("py-exit-zero-in-handler", 4, 5)],
    ),
    (
        "os-exit-0",
        "import os\ntry:\n    x()\nexcept Exception:\n    os._exit(0)\n",
        [("py-exit-zero-in-handler", 5, 5)],
    ),
    (
        "http-discarded",
        with_header("requests.post(url, json={'digest': d})\n"),
        [("py-http-status-unchecked", H + 1, 1)],
    ),
    (
        "http-bound-only-json",
        with_header("r = requests.get(url)\ndata = r.json()\n"),
        [("py-http-status-unchecked", H + 1, 5)],
    ),
    ("http-chained-json", with_header("d = requests.get(url).json()\n"), [("py-http-status-unchecked", H + 1, 5)]),
    (
        "http-session-method",
        with_header("s = requests.Session()\ns.headers['A'] = t\ns.post(url)\n"),
        [("py-http-status-unchecked", H + 3, 1)],
    ),
    (
        "httpx-client-in-with",
        with_header("with httpx.Client() as client:\n    resp = client.post(url)\n    print(resp.text)\n"),
        [("py-http-status-unchecked", H + 2, 12)],
    ),
    ("requests-alias", "import requests as rq\nrq.put(url, data=b)\n", [("py-http-status-unchecked", 2, 1)]),
    ("from-requests-import", "from requests import post\npost(url)\n", [("py-http-status-unchecked", 2, 1)]),
    (
        "httpx-async-await",
        code(
            """
            import httpx
            async def promote():
                async with httpx.AsyncClient() as c:
                    await c.post(url)
            """
        ),
        [("py-http-status-unchecked", 4, 15)],
    ),
    (
        "http-rebound-before-check",
        with_header("r = requests.get(a)\nr.raise_for_status()\nr = requests.post(b)\nprint(r.json())\n"),
        [("py-http-status-unchecked", H + 3, 5)],
    ),
    (
        "http-only-printed",
        with_header("r = requests.post(url)\nprint(r)\nlog.info('done %s', r)\n"),
        [("py-http-status-unchecked", H + 1, 5)],
    ),
    (
        "subprocess-run-discarded",
        with_header("subprocess.run(['./promote.sh'])\n"),
        [("py-subprocess-unchecked", H + 1, 1)],
    ),
    (
        "subprocess-run-stdout-only",
        with_header("p = subprocess.run(cmd, capture_output=True, text=True)\nprint(p.stdout)\n"),
        [("py-subprocess-unchecked", H + 1, 5)],
    ),
    ("subprocess-call-discarded", with_header("subprocess.call(['x'])\n"), [("py-subprocess-unchecked", H + 1, 1)]),
    (
        "subprocess-check-false",
        "from subprocess import run\nrun(cmd, check=False)\n",
        [("py-subprocess-unchecked", 2, 1)],
    ),
    (
        "popen-never-read",
        with_header("p = subprocess.Popen(cmd)\nout, _ = p.communicate()\n"),
        [("py-subprocess-unchecked", H + 1, 5)],
    ),
    (
        "subprocess-run-attribute-stdout",
        with_header("out = subprocess.run(cmd, capture_output=True).stdout\n"),
        [("py-subprocess-unchecked", H + 1, 7)],
    ),
    ("os-system", with_header("os.system('./promote.sh')\n"), [("py-os-system-ignored", H + 1, 1)]),
    ("os-system-alias", "from os import system\nsystem('x')\n", [("py-os-system-ignored", 2, 1)]),
    (
        "non-ascii-before-the-call",
        'import os\nmsg = "déploiement ✓ 😀"; os.system("x")\n',
        [("py-os-system-ignored", 2, 26)],
    ),
]


@pytest.mark.parametrize(("name", "text", "expected"), FAILING, ids=[c[0] for c in FAILING])
def test_failing_snippet(name: str, text: str, expected: list[tuple[str, int, int]]) -> None:
    assert findings(text) == sorted(expected)


PASSING: list[tuple[str, str]] = [
    ("narrow-except", "try:\n    x()\nexcept ValueError:\n    pass\n"),
    ("broad-but-reraises", with_header("try:\n    x()\nexcept Exception:\n    log.exception('x')\n    raise\n")),
    ("broad-exits-with-message", with_header("try:\n    x()\nexcept Exception as e:\n    sys.exit(f'failed: {e}')\n")),
    ("broad-exits-1", with_header("try:\n    x()\nexcept Exception:\n    print('x')\n    sys.exit(1)\n")),
    ("broad-raises-other", "try:\n    x()\nexcept Exception as e:\n    raise RuntimeError('promote') from e\n"),
    ("optional-import", "try:\n    import yaml\nexcept Exception:\n    yaml = None\n"),
    (
        "cleanup-try",
        "import os\ntry:\n    os.remove(tmp)\nexcept Exception:\n    pass\ntry:\n    f.close()\nexcept:\n    pass\n",
    ),
    (
        "retry-loop-with-else",
        code(
            """
            import sys
            for attempt in range(3):
                try:
                    promote()
                    break
                except Exception:
                    continue
            else:
                sys.exit(1)
            """
        ),
    ),
    ("keyboard-interrupt-exit-0", "import sys\ntry:\n    main()\nexcept KeyboardInterrupt:\n    sys.exit(0)\n"),
    (
        "conditional-exit-is-a-decision",
        with_header(
            "try:\n    x()\nexcept requests.HTTPError as e:\n"
            "    if e.response.status_code == 404:\n        sys.exit(0)\n    raise\n"
        ),
    ),
    ("exit-zero-outside-handler", "import sys\nmain()\nsys.exit(0)\n"),
    ("exit-in-nested-function", "try:\n    x()\nexcept ValueError:\n    def f():\n        exit(0)\n    raise\n"),
    ("raise-for-status", with_header("r = requests.post(url)\nr.raise_for_status()\n")),
    ("raise-for-status-chained", with_header("requests.get(url).raise_for_status()\n")),
    ("status-code-tested", with_header("r = requests.get(url)\nif r.status_code != 200:\n    sys.exit(1)\n")),
    ("ok-tested", with_header("r = requests.get(url)\nassert r.ok, r.text\n")),
    ("httpx-is-success", with_header("r = httpx.get(url)\nif not r.is_success:\n    raise SystemExit(1)\n")),
    ("response-returned", with_header("def fetch():\n    return requests.get(url)\n")),
    ("response-handed-on", with_header("check(requests.get(url))\nr = requests.get(url)\nvalidate(r)\n")),
    ("response-truth-tested", with_header("r = requests.get(url)\nif not r:\n    sys.exit(1)\n")),
    (
        "response-hook",
        with_header("r = requests.get(url, hooks={'response': check})\nprint(r.json()) if r.ok else None\n"),
    ),
    ("run-check-true", with_header("subprocess.run(cmd, check=True)\nsubprocess.run(cmd, check=strict)\n")),
    ("check-call-and-output", with_header("subprocess.check_call(cmd)\nout = subprocess.check_output(cmd)\n")),
    ("call-code-used", with_header("rc = subprocess.call(cmd)\nif rc:\n    sys.exit(rc)\n")),
    ("run-returncode", with_header("p = subprocess.run(cmd)\nif p.returncode != 0:\n    sys.exit(1)\n")),
    ("run-check-returncode", with_header("subprocess.run(cmd, capture_output=True).check_returncode()\n")),
    ("call-passed-to-exit", with_header("sys.exit(subprocess.call(cmd))\n")),
    ("run-kwargs", with_header("subprocess.run(cmd, **opts)\n")),
    ("os-system-result-used", with_header("rc = os.system('x')\nassert rc == 0\n")),
    ("urlopen-raises", "import urllib.request\nbody = urllib.request.urlopen(url).read()\n"),
    ("popen-background", with_header("server = subprocess.Popen(['serve'])\nrun_tests()\nserver.terminate()\n")),
    ("popen-discarded-background", with_header("subprocess.Popen(['serve'])\n")),
    ("popen-wait-used", with_header("p = subprocess.Popen(cmd)\nif p.wait() != 0:\n    sys.exit(1)\n")),
    ("unrelated-get", "d = {}\nv = d.get('k')\ncache.post('x')\n"),
    (
        "seed-verify-inline",
        code(
            """
            import json, sys
            doc = json.load(open(sys.argv[1]))
            for row in doc.get("runtime_image_pins", []):
                if row.get("template_name") == sys.argv[2] and row.get("region") == "global":
                    print(row.get("image_digest", ""))
                    break
            """
        ),
    ),
    ("indented-code", "    import os\n    rc = os.system('x')\n    assert rc == 0\n"),
    ("newer-syntax", "type Alias = int\nprint(1)\n"),
    ("empty", ""),
    ("comments-only", "# requests.post(url)\n"),
    ("shell-placeholders-are-identifiers", "x = ______________________\nprint(x)\n"),
]


@pytest.mark.parametrize(("name", "text"), PASSING, ids=[c[0] for c in PASSING])
def test_passing_snippet(name: str, text: str) -> None:
    assert findings(text) == []


def test_enough_cases() -> None:
    assert len(FAILING) >= 25 and len(PASSING) >= 25
    assert {d for _, _, exp in FAILING for d, _, _ in exp} == {d for d in DETECTORS if d.startswith("py-")}


def test_code_with_nothing_to_find_skips_libcst(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ast pre-scan spares the slow libcst pass when no detector could fire."""
    from auditor.scripts import python as module

    def boom(*args: object) -> None:
        raise AssertionError("libcst pass ran")

    monkeypatch.setattr(module, "_new_collector", boom)
    assert analyse_python("import json\nprint(json.dumps({'a': 1}))\nx = [i * 2 for i in range(3)]\n") == ((), None)


def test_issue_spans_and_subjects() -> None:
    text = with_header("try:\n    x()\nexcept Exception:\n    pass\nrequests.post(\n    url,\n    json=body,\n)\n")
    issues, _ = analyse_python(text)
    by_id = {i.detector: i for i in issues}
    broad = by_id["py-broad-except"]
    assert text[broad.start : broad.end] == "except Exception"
    assert broad.subject == "except Exception: pass"
    http = by_id["py-http-status-unchecked"]
    assert text[http.start : http.end] == "requests.post(\n    url,\n    json=body,\n)"
    assert http.subject == "requests.post( url, json=body, )"
    assert all("\n" not in i.subject for i in issues)
    assert all(i.message.endswith(".") for i in issues)


@pytest.mark.parametrize(
    "text",
    [
        "def f(:\n",
        "x = (1,\n",
        '"""unterminated',
        "\x00",
        "\ud800",
        "if 1:\nif 1:\n",
        "(" * 5000,
        "x = " + "[" * (MAX_DEPTH + 20) + "]" * (MAX_DEPTH + 20),
        "x = 1" + " + 1" * 5000,  # libcst would take minutes (or overflow the C stack) on this
        "f" + "()" * 3000,
        "not " * 3000 + "x",
        "lambda: " * 1000 + "1",
    ],
)
def test_unparseable_or_hostile_python_is_a_parse_error(text: str) -> None:
    issues, error = analyse_python(text)
    assert issues == ()
    assert error is not None and error.detector == "parse-error"
    assert 0 <= error.start <= error.end <= len(text)
    assert "not analysed" in error.message


def test_parse_error_position_is_python_own() -> None:
    text = "import os\nx = (1,\ny = 2\n"
    _, error = analyse_python(text)
    assert error is not None
    assert line_col(text, error.start)[0] in (2, 3)
