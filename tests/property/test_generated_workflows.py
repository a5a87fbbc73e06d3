"""Property-based tests: generated workflows never crash the checker, and its verdicts are
properties of the workflow, not of how its YAML is written.

Workflows are generated as data (random jobs, needs — unknown ids and cycles
included —, outputs, matrices, expressions, steps and scripts), then written
out as YAML in several ways: block style, flow style (JSON, which is YAML
1.2), keys shuffled, comments sprinkled in. The engine runs in-process on an
in-memory repository (no cache), so a hundred examples take seconds.
"""

from __future__ import annotations

import json
import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.cached import scan_source
from auditor.engine import Engine
from auditor.findings import Finding
from auditor.policy import Policy
from auditor.targets import MemorySource

PATH = ".github/workflows/gen.yml"
SETTINGS = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)  # fmt: skip

JOB_IDS = ["build", "publish", "promote", "promote-pin", "verify", "verify-pin", "test", "x_1"]
STEP_IDS = ["push", "meta", "set", "digest", "out"]
OUTPUTS = ["digest", "image", "tags", "result"]
SECRETS = ["CP_ADMIN_API_TOKEN", "CP_ADMIN_API_TOKEN_STAGING", "GITHUB_TOKEN", "NPM_TOKEN"]

ident = st.sampled_from
expression = st.one_of(
    st.builds(lambda j, o: f"${{{{ needs.{j}.outputs.{o} }}}}", ident([*JOB_IDS, "nope"]), ident(OUTPUTS)),
    st.builds(lambda s, o: f"${{{{ steps.{s}.outputs.{o} }}}}", ident(STEP_IDS), ident(OUTPUTS)),
    st.builds(lambda s: f"${{{{ secrets.{s} }}}}", ident(SECRETS)),
    st.builds(lambda s: f"${{{{ secrets['{s}'] }}}}", ident(SECRETS)),
    st.just("${{ github.token }}"),
    st.just("${{ matrix.env }}"),
    st.builds(lambda j: f"${{{{ fromJSON(needs.{j}.outputs.digest)[0] }}}}", ident(JOB_IDS)),
    st.builds(lambda j: f"${{{{ needs.{j}.result == 'success' && 'a' || 'b' }}}}", ident(JOB_IDS)),
    st.just("${{ unterminated"),
    st.just("plain text"),
    st.text(alphabet="abc ${}.'\"\u202e\\", max_size=12),
)
command = st.one_of(
    st.sampled_from([
        "echo hi", "set -e", "set +e", "make || true", "curl -sS https://cp.example/promote",
        "curl --fail -X POST https://cp.example/promote -d @body.json",
        "docker push registry.example/app:latest", "crane copy a b",
        'echo "digest=sha256:abc" >> "$GITHUB_OUTPUT"', "echo ::set-output name=x::y",
        "local x=$(false)", "false | tee log", "./scripts/verify-pin.sh", "python3 deploy.py",
        "if ! cmd; then exit 1; fi", 'code=$(curl -s -o /dev/null -w "%{http_code}" u)',
    ]),
    st.builds(lambda e: f'echo "{e}"', expression),
)
script = st.lists(command, min_size=1, max_size=5).map("\n".join)
condition = st.sampled_from(
    [None, "always()", "${{ failure() }}", "success()", "!cancelled()", "needs.build.result == 'success'",
     "${{ github.ref == 'refs/heads/main' }}"]
)


@st.composite
def step(draw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if draw(st.booleans()):
        out["id"] = draw(ident(STEP_IDS))
    if draw(st.booleans()):
        out["name"] = draw(st.one_of(ident(["Build and push", "Promote", "Verify pin"]), expression))
    kind = draw(st.sampled_from(["run", "uses", "python", "neither"]))
    if kind == "run":
        out["run"] = draw(script)
        if draw(st.booleans()):
            out["shell"] = draw(ident(["bash", "sh", "bash -e {0}"]))
    elif kind == "python":
        out["shell"] = "python"
        out["run"] = draw(ident([
            "import requests\nrequests.post('https://cp.example/promote')",
            "try:\n    pass\nexcept Exception:\n    pass",
            "import subprocess\nsubprocess.run(['x'])",
            "def broken(:\n",
        ]))  # fmt: skip
    elif kind == "uses":
        out["uses"] = draw(ident([
            "docker/build-push-action@v6", "actions/checkout@v4", "./.github/actions/local",
            "docker/metadata-action@v5",
        ]))  # fmt: skip
        if draw(st.booleans()):
            out["with"] = {"push": draw(st.sampled_from([True, False, "${{ github.event_name != 'pull_request' }}"])),
                           "tags": draw(expression)}  # fmt: skip
    if draw(st.booleans()):
        out["if"] = draw(condition)
    if draw(st.integers(0, 4)) == 0:
        out["continue-on-error"] = draw(st.sampled_from([True, False, "${{ matrix.experimental }}"]))
    if draw(st.booleans()):
        out["env"] = {"TOKEN": draw(expression)}
    return out


@st.composite
def job(draw: Any, ids: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"runs-on": draw(ident(["ubuntu-latest", "${{ matrix.os }}", "docker"]))}
    needs = draw(st.lists(ident([*ids, "nope"]), max_size=3, unique=True))
    if needs:
        out["needs"] = needs[0] if len(needs) == 1 and draw(st.booleans()) else needs
    if draw(st.booleans()):
        out["outputs"] = {o: draw(expression) for o in draw(st.lists(ident(OUTPUTS), max_size=2, unique=True))}
    if draw(st.booleans()):
        matrix: dict[str, Any] = {"env": draw(st.lists(ident(["prod", "staging", "dev"]), min_size=1,
                                                       max_size=3, unique=True))}  # fmt: skip
        if draw(st.booleans()):
            matrix["include"] = [{"env": "prod", "url": draw(expression)}]
        if draw(st.booleans()):
            matrix["exclude"] = [{"env": "dev"}]
        out["strategy"] = {"matrix": matrix}
        if draw(st.booleans()):
            out["strategy"]["fail-fast"] = draw(st.booleans())
    if draw(st.booleans()):
        out["if"] = draw(condition)
    if draw(st.integers(0, 4)) == 0:
        out["continue-on-error"] = True
    if draw(st.integers(0, 3)) == 0:
        out["permissions"] = draw(st.sampled_from(
            ["write-all", "read-all", {"statuses": "write"}, {"contents": "read"}]
        ))  # fmt: skip
    if draw(st.integers(0, 5)) == 0:
        out["uses"] = draw(ident(["./.github/workflows/reusable.yml", "org/repo/.github/workflows/x.yml@v1"]))
        out.pop("runs-on")
        out["secrets"] = "inherit"
    else:
        out["steps"] = draw(st.lists(step(), min_size=0 if draw(st.integers(0, 9)) == 0 else 1,
                                     max_size=5))  # fmt: skip
    return out


@st.composite
def workflow(draw: Any) -> dict[str, Any]:
    ids = draw(st.lists(ident(JOB_IDS), min_size=1, max_size=6, unique=True))
    doc: dict[str, Any] = {"name": draw(st.one_of(st.just("release"), expression))}
    doc["on"] = draw(st.sampled_from(["push", ["push", "pull_request"], {"push": {"branches": ["main"]}},
                                      {"workflow_call": {"outputs": {"digest": {"value": "x"}}}}]))  # fmt: skip
    if draw(st.booleans()):
        doc["permissions"] = draw(st.sampled_from(["write-all", {"statuses": "write"}, {"contents": "read"}]))
    if draw(st.booleans()):
        doc["env"] = {"A": draw(expression)}
    doc["jobs"] = {i: draw(job(ids)) for i in ids}
    return doc


# --- writing YAML ---------------------------------------------------------------------


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False)


def block(doc: Any, comments: random.Random | None = None) -> str:
    """Block-style YAML; multi-line strings as literal blocks; optional comments between lines."""
    lines: list[tuple[str, bool]] = []  # (line, a comment may follow)

    def emit(value: Any, indent: int) -> None:
        pad = " " * indent
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            lead = f"{pad}{_scalar(key)}:" if isinstance(value, dict) else f"{pad}-"
            if isinstance(item, (dict, list)) and item:
                lines.append((lead, True))
                emit(item, indent + 2)
            elif isinstance(item, (dict, list)):
                lines.append((f"{lead} {'{}' if isinstance(item, dict) else '[]'}", True))
            elif isinstance(item, str) and "\n" in item and not item.startswith((" ", "\n")):
                lines.append((f"{lead} |-", False))
                body = item.split("\n")
                for n, text in enumerate(body):
                    lines.append((f"{pad}  {text}" if text else "", n == len(body) - 1))
            else:
                lines.append((f"{lead} {_scalar(item)}", True))

    emit(doc, 0)
    out = []
    for text, may_follow in lines:
        out.append(text)
        if comments is not None and may_follow and comments.random() < 0.3:
            out.append(" " * comments.randrange(0, 6) + "# a comment: ${{ not.an.expression }}")
    return "\n".join(out) + "\n"


def flow(doc: Any) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def shuffled(doc: Any, rng: random.Random) -> Any:
    if isinstance(doc, dict):
        keys = list(doc)
        rng.shuffle(keys)
        return {k: shuffled(doc[k], rng) for k in keys}
    if isinstance(doc, list):
        return [shuffled(v, rng) for v in doc]
    return doc


# --- running --------------------------------------------------------------------------


def check(text: str) -> list[Finding]:
    engine = Engine(Policy())
    return scan_source(engine, MemorySource({PATH: text.encode()}, name="gen"), only=[(PATH, "workflow")])


def verdict(findings: list[Finding]) -> set[tuple[str, str | None]]:
    return {(f.rule, f.job) for f in findings}


def assert_located(findings: list[Finding], text: str) -> None:
    lines = text.split("\n")
    for f in findings:
        assert 1 <= f.line <= len(lines), f
        assert f.end_line >= f.line, f
        assert 1 <= f.column <= len(lines[f.line - 1]) + 1, (f, lines[f.line - 1])


@SETTINGS
@given(workflow())
def test_never_crashes_and_locates_every_finding(doc: dict[str, Any]) -> None:
    for text in (block(doc), flow(doc)):
        assert_located(check(text), text)


@SETTINGS
@given(workflow(), st.integers(0, 2**32 - 1))
def test_output_is_deterministic(doc: dict[str, Any], seed: int) -> None:
    text = block(shuffled(doc, random.Random(seed)), random.Random(seed))
    first = [f.to_json() for f in check(text)]
    assert first == [f.to_json() for f in check(text)]


@SETTINGS
@given(workflow(), st.integers(0, 2**32 - 1))
def test_verdicts_survive_reformatting(doc: dict[str, Any], seed: int) -> None:
    """Layout (block, flow, comments) keeps every (rule, job) verdict; key order keeps
    which rules fire (a workflow-level finding may name the first job in file order)."""
    rng = random.Random(seed)
    base = check(block(doc))
    for text in (flow(doc), block(doc, rng)):
        assert verdict(check(text)) == verdict(base), text
    rules = {rule for rule, _ in verdict(base)}
    for text in (block(shuffled(doc, rng)), flow(shuffled(doc, rng))):
        assert {rule for rule, _ in verdict(check(text))} == rules, text


@SETTINGS
@given(workflow(), st.integers(0, 2**32 - 1))
def test_comments_and_style_keep_fingerprints(doc: dict[str, Any], seed: int) -> None:
    """Same key order, other layout: the very same findings by fingerprint."""
    base = sorted(f.fingerprint for f in check(block(doc)))
    assert sorted(f.fingerprint for f in check(block(doc, random.Random(seed)))) == base
    assert sorted(f.fingerprint for f in check(flow(doc))) == base


# --- hostile shapes: non-string keys and tagged anchors --------------------------------------

NON_STRING_KEYS = [
    "? [a, b]\n: 1", "[k]: v", "{a: 1}: v", "? {x: [y]}\n: z", "? - a\n  - b\n: c",
    "? !!seq [a]\n: 1", "? &k [a]\n: *k",
]  # fmt: skip


def _mapping_lines(text: str) -> list[tuple[int, int]]:
    """(index, indent) of each line that is a block-mapping entry (``key:`` not in a list item)."""
    out = []
    for i, line in enumerate(text.split("\n")):
        stripped = line.lstrip(" ")
        if stripped and not stripped.startswith(("-", "#")) and ":" in stripped:
            out.append((i, len(line) - len(stripped)))
    return out


def _insert(text: str, index: int, indent: int, snippet: str) -> str:
    lines = text.split("\n")
    pad = " " * indent
    lines[index:index] = [pad + part for part in snippet.split("\n")]
    return "\n".join(lines)


@SETTINGS
@given(workflow(), st.data())
def test_non_string_keys_never_crash_and_are_located(doc: dict[str, Any], data: Any) -> None:
    text = block(doc)
    spots = _mapping_lines(text)
    index, indent = data.draw(st.sampled_from(spots))
    snippet = data.draw(st.sampled_from(NON_STRING_KEYS))
    mutated = _insert(text, index, indent, snippet)
    found = check(mutated)
    assert_located(found, mutated)
    if index == 0:  # at the top level, before everything: the key is surely a key
        assert any(f.rule == "workflow-structure" and "not a string" in f.message for f in found) or \
            any(f.rule == "parse-error" for f in found), mutated


@SETTINGS
@given(workflow(), st.data())
def test_non_string_key_at_the_top_is_always_reported(doc: dict[str, Any], data: Any) -> None:
    snippet = data.draw(st.sampled_from([s for s in NON_STRING_KEYS if "*k" not in s]))
    text = snippet + "\n" + block(doc)
    found = check(text)
    assert_located(found, text)
    hits = [f for f in found if f.rule == "workflow-structure" and "not a string" in f.message]
    assert hits and hits[0].line == 1, text
    # and the rest was checked as if the key were not there
    assert verdict([f for f in found if f not in hits]) == verdict(check(block(doc)))


@st.composite
def tagged_bomb(draw: Any) -> str:
    """A small alias tree whose anchors carry a tag (``!!seq &a0 [...]``): the shape that
    slipped past the anchor screen. Its expanded size may be tiny or astronomically large."""
    levels = draw(st.integers(1, 14))
    fan = draw(st.integers(1, 12))
    tag = draw(st.sampled_from(["!!seq ", "!!seq  ", "!seq ", "!<tag:yaml.org,2002:seq> "]))
    order = draw(st.sampled_from(["tag-anchor", "anchor-tag"]))

    def props(i: int) -> str:
        return f"{tag}&a{i} " if order == "tag-anchor" else f"&a{i} {tag}"

    lines = [f"x0: {props(0)}[" + ", ".join(["lol"] * fan) + "]"]
    for i in range(1, levels):
        lines.append(f"x{i}: {props(i)}[" + ", ".join([f"*a{i - 1}"] * fan) + "]")
    use = draw(st.sampled_from(["runs-on", "needs", "env"]))
    job = f"    {use}: *a{levels - 1}\n" if use != "env" else f"    env: {{V: *a{levels - 1}}}\n"
    return "on: push\n" + "\n".join(lines) + "\njobs:\n  x:\n" + job + "    steps: [{run: echo}]\n"


@SETTINGS
@given(tagged_bomb())
def test_tagged_alias_trees_are_bounded(text: str) -> None:
    found = check(text)
    assert_located(found, text)


@SETTINGS
@given(workflow(), st.sampled_from(["!!map", "!!seq", "!custom", "!!str"]), st.data())
def test_tagged_anchors_and_aliases_anywhere(doc: dict[str, Any], tag: str, data: Any) -> None:
    """Move a job's value behind a tagged anchor and alias it from elsewhere (including
    into itself): never a crash or a hang, every finding located."""
    text = block(doc)
    spots = _mapping_lines(text)
    index, indent = data.draw(st.sampled_from(spots))
    lines = text.split("\n")
    key, _, rest = lines[index].strip().partition(":")
    lines[index] = " " * indent + f"{key}: {tag} &t{rest}"
    target, target_indent = data.draw(st.sampled_from(spots))
    if target != index:
        tkey = lines[target].strip().partition(":")[0]
        if lines[target].rstrip().endswith(":"):
            # a key with a nested block: replace it whole with the alias
            end = target + 1
            while end < len(lines) and (not lines[end].strip() or
                                        len(lines[end]) - len(lines[end].lstrip(" ")) > target_indent):
                end += 1
            lines[target:end] = [" " * target_indent + f"{tkey}: *t"]
        else:
            lines[target] = " " * target_indent + f"{tkey}: *t"
    mutated = "\n".join(lines)
    assert_located(check(mutated), mutated)
