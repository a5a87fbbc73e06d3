"""Effective-shell resolution: which failures a `run:` body loses depends on errexit and pipefail."""

from __future__ import annotations

import pytest

from auditor.scripts.shells import ShellSpec, resolve_shebang, resolve_shell

BASH_E = ShellSpec("bash", True, False)
BASH_EP = ShellSpec("bash", True, True)
BASH_NONE = ShellSpec("bash", False, False)
SH_E = ShellSpec("sh", True, False)
SH_NONE = ShellSpec("sh", False, False)
PYTHON = ShellSpec("python", True, True)
PWSH = ShellSpec("pwsh", True, True)
OTHER = ShellSpec("other", True, True)


@pytest.mark.parametrize(
    ("shell", "expected"),
    [
        # no shell anywhere: the runner default `bash -e {0}` -- errexit, NO pipefail
        (None, BASH_E),
        ("", BASH_E),
        ("   ", BASH_E),
        # the documented keywords
        ("bash", BASH_EP),
        ("Bash", BASH_EP),
        (" bash ", BASH_EP),
        ("sh", SH_E),
        ("python", PYTHON),
        ("pwsh", PWSH),
        ("powershell", PWSH),
        ("cmd", OTHER),
        # custom templates: only what their flags say
        ("bash {0}", BASH_NONE),
        ("bash -l {0}", BASH_NONE),
        ("bash -e {0}", BASH_E),
        ("bash --noprofile --norc -eo pipefail {0}", BASH_EP),
        ("bash --noprofile --norc -euo pipefail {0}", BASH_EP),
        ("bash -leo pipefail {0}", BASH_EP),
        ("bash -o errexit -o pipefail {0}", BASH_EP),
        ("bash -o pipefail {0}", ShellSpec("bash", False, True)),
        ("bash -e +e {0}", BASH_NONE),
        ("bash -x {0}", BASH_NONE),
        ("/bin/bash -e {0}", BASH_E),
        ("/usr/bin/env bash -e {0}", BASH_E),
        ("/usr/bin/env -S bash -eo pipefail {0}", BASH_EP),
        ("sh -ex {0}", SH_E),
        ("sh {0}", SH_NONE),
        ("dash -e {0}", SH_E),
        ("busybox sh {0}", SH_NONE),
        ("python3 {0}", PYTHON),
        ("python3.12 -u {0}", PYTHON),
        ("/usr/bin/env python3 {0}", PYTHON),
        ("pwsh -command \". '{0}'\"", PWSH),
        ("node {0}", OTHER),
        ("zsh -e {0}", OTHER),
        ("${{ matrix.shell }}", OTHER),
        ("bash -c 'unbalanced {0}", BASH_NONE),
    ],
)
def test_resolve_shell(shell: str | None, expected: ShellSpec) -> None:
    assert resolve_shell(shell) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("#!/usr/bin/env bash\nset -euo pipefail\n", BASH_NONE),  # the file's own `set` is analysed, not the shebang
        ("#!/bin/bash -e\necho\n", BASH_E),
        ("#!/bin/sh\n", SH_NONE),
        ("#!/usr/bin/env python3\nimport os\n", PYTHON),
        ("#!/usr/bin/env -S bash -eo pipefail\n", BASH_EP),
        ("echo no shebang\n", None),
        ("#!\n", None),
        ("", None),
    ],
)
def test_resolve_shebang(text: str, expected: ShellSpec | None) -> None:
    assert resolve_shebang(text) == expected
