"""`$GITHUB_OUTPUT` writes: every common way a `run:` step sets an output, located at the output's name.

`needs-output-unwired` proves `needs.J.outputs.O` reads something only if it
can see the step write `O`; a form missed here is a false "unwired" finding
there, and a name invented here hides a real one.
"""

from __future__ import annotations

import textwrap

import pytest

from auditor.scripts import shell
from auditor.scripts.issues import OutputWrite
from auditor.scripts.shell import analyse_shell, github_output_writes
from auditor.scripts.shells import resolve_shell


def line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def writes(text: str) -> list[tuple[str, int, int, bool]]:
    found = github_output_writes(text)
    for w in found:
        assert isinstance(w, OutputWrite)
        if w.name and "$" not in w.name:
            assert text[w.start : w.end] == w.name  # located at the name itself
    assert found == analyse_shell(text, resolve_shell(None)).outputs
    return [(w.name, *line_col(text, w.start), w.deprecated) for w in found]


def body(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


CASES: list[tuple[str, str, list[tuple[str, int, int, bool]]]] = [
    ("echo-quoted-target", 'echo "digest=$DIGEST" >> "$GITHUB_OUTPUT"\n', [("digest", 1, 7, False)]),
    ("echo-bare-target", "echo digest=$DIGEST >> $GITHUB_OUTPUT\n", [("digest", 1, 6, False)]),
    ("echo-braced-no-space", "echo 'digest=x' >>\"${GITHUB_OUTPUT}\"\n", [("digest", 1, 7, False)]),
    ("echo-truncating", 'echo "only=1" > "$GITHUB_OUTPUT"\n', [("only", 1, 7, False)]),
    ("printf-name-in-format", 'printf \'digest=%s\\n\' "$D" >> "$GITHUB_OUTPUT"\n', [("digest", 1, 9, False)]),
    (
        "printf-name-as-argument",
        'printf \'%s=%s\\n\' image_digest "$D" >> "$GITHUB_OUTPUT"\n',
        [("image_digest", 1, 18, False)],
    ),
    ("echo-pipe-tee", 'echo "tag=v1" | tee -a "$GITHUB_OUTPUT"\n', [("tag", 1, 7, False)]),
    ("echo-pipe-tee-quiet", 'echo "tag=v1" | tee -a "$GITHUB_OUTPUT" >/dev/null\n', [("tag", 1, 7, False)]),
    ("sudo-tee", 'echo "tag=v1" | sudo tee -a "$GITHUB_OUTPUT"\n', [("tag", 1, 7, False)]),
    ("dashed-name", 'echo "image-digest=$D" >> "$GITHUB_OUTPUT"\n', [("image-digest", 1, 7, False)]),
    (
        "multiline-echo-heredoc-protocol",
        body(
            """
            echo "notes<<EOF" >> "$GITHUB_OUTPUT"
            echo "a=b is part of the value" >> "$GITHUB_OUTPUT"
            cat notes.md >> "$GITHUB_OUTPUT"
            echo "EOF" >> "$GITHUB_OUTPUT"
            echo "after=1" >> "$GITHUB_OUTPUT"
            """
        ),
        [("notes", 1, 7, False), ("after", 5, 7, False)],
    ),
    (
        "cat-heredoc-block",
        body(
            """
            cat >> "$GITHUB_OUTPUT" <<EOF
            x=1
            y<<DELIM
            z=not an output
            DELIM
            EOF
            """
        ),
        [("x", 2, 1, False), ("y", 3, 1, False)],
    ),
    (
        "cat-heredoc-redirect-after",
        body(
            """
            cat <<EOF >> $GITHUB_OUTPUT
            version=${{ inputs.version }}
            digest=$DIGEST
            EOF
            """
        ),
        [("version", 2, 1, False), ("digest", 3, 1, False)],
    ),
    ("tee-heredoc", "tee -a \"$GITHUB_OUTPUT\" <<'EOF'\nk=v\nEOF\n", [("k", 2, 1, False)]),
    (
        "grouped",
        '{ echo "a=1"; echo b=2; printf \'c=%s\\n\' 3; } >> "$GITHUB_OUTPUT"\n',
        [("a", 1, 9, False), ("b", 1, 20, False), ("c", 1, 33, False)],
    ),
    (
        "grouped-multiline",
        body(
            """
            {
              echo "digest=${DIGEST}"
              echo "tags<<EOT"
              echo "latest"
              echo "EOT"
            } >> "$GITHUB_OUTPUT"
            """
        ),
        [("digest", 2, 9, False), ("tags", 3, 9, False)],
    ),
    (
        "echo-e-newlines",
        'echo -e "a=1\\nb=2" >> "$GITHUB_OUTPUT"\n',
        [("a", 1, 10, False), ("b", 1, 15, False)],
    ),
    (
        "inside-if-and-loop",
        body(
            """
            if [ -n "$D" ]; then
              echo "digest=$D" >> "$GITHUB_OUTPUT"
            fi
            for k in a b; do
              echo "$k=1" >> "$GITHUB_OUTPUT"
            done
            """
        ),
        [("digest", 2, 9, False), ("$k", 5, 9, False)],
    ),
    (
        "redirect-binds-to-the-last-command",
        './deploy.sh && echo "ok=true" >> "$GITHUB_OUTPUT" || echo "ok=false" >> "$GITHUB_OUTPUT"\n',
        [("ok", 1, 22, False), ("ok", 1, 60, False)],
    ),
    ("alias-variable", 'out="$GITHUB_OUTPUT"\necho "x=1" >> "$out"\n', [("x", 2, 7, False)]),
    ("expression-name", 'echo "${{ matrix.name }}=ok" >> "$GITHUB_OUTPUT"\n', [("${{ matrix.name }}", 1, 7, False)]),
    ("deprecated-set-output", 'echo "::set-output name=digest::$D"\n', [("digest", 1, 25, True)]),
    (
        "both-forms",
        "echo \"::set-output name=old::1\"\necho 'new=1' >> $GITHUB_OUTPUT\n",
        [("old", 1, 25, True), ("new", 2, 7, False)],
    ),
    ("not-output-env", 'echo "X=1" >> "$GITHUB_ENV"\necho "p=1" >> "$GITHUB_STEP_SUMMARY"\n', []),
    ("not-output-comment", "# echo x=1 >> $GITHUB_OUTPUT\n# ::set-output name=y::1\necho done\n", []),
    ("not-output-other-file", 'echo "x=1" >> out.txt\necho "GITHUB_OUTPUT=$GITHUB_OUTPUT"\n', []),
    ("reading-the-output-file", 'cat "$GITHUB_OUTPUT"\n', []),
    ("empty", "", []),
]


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_output_writes(name: str, text: str, expected: list[tuple[str, int, int, bool]]) -> None:
    assert writes(text) == expected


def test_columns_exact_after_expressions() -> None:
    text = 'echo "${{ github.sha }} ${{ inputs.x }}" && echo "digest=${{ steps.p.outputs.d }}" >> "$GITHUB_OUTPUT"\n'
    assert writes(text) == [("digest", 1, 51, False)]


def test_fast_path_does_not_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(text: str) -> None:
        raise AssertionError("parsed")

    monkeypatch.setattr(shell, "parse", boom)
    assert github_output_writes("echo hello\ncurl -fsS https://x | jq .\n") == ()


def test_broken_body_keeps_the_writes_it_can_see() -> None:
    text = 'echo "digest=1" >> "$GITHUB_OUTPUT"\necho )\n'
    assert writes(text) == [("digest", 1, 7, False)]
