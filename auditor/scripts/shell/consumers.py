"""Commands that read another command's output and fail when it is empty or wrong.

A failure lost on the left of a pipe, or a ``curl`` that saved an HTML error
page instead of an archive, is not lost when what reads the output fails on
it: ``grep`` finds nothing, ``jq -e`` sees no JSON, ``tar x`` sees no
archive, ``gpg --import`` sees no key. These tables are that knowledge,
shared by the pipeline and curl detectors.
"""

from __future__ import annotations

from tree_sitter import Node

from auditor.scripts.shell.commands import KUBE, Cmd, command_of, is_python
from auditor.scripts.shell.source import Source

__all__ = [
    "CHECKSUMS",
    "FILE_CONSUMERS",
    "PRINTERS",
    "extracts",
    "propagates_empty",
    "validates_content",
]

GREP = frozenset({"grep", "egrep", "fgrep", "rg", "ag"})
PRINTERS = frozenset({"echo", "printf", "cat", "tee", "envsubst"})
CHECKSUMS = frozenset({"sha256sum", "sha512sum", "sha1sum", "shasum", "md5sum", "b2sum"})
STDIN_RUNNERS = frozenset({"sh", "bash", "dash", "zsh", "ash"})
# Decompressors fail on input that is not in their format ("not in gzip format").
_DECOMPRESSORS = frozenset({"gunzip", "zcat", "unxz", "xzcat", "unzstd", "zstdcat", "bunzip2", "bzcat", "unlzma"})
_COMPRESSORS = frozenset({"gzip", "xz", "zstd", "bzip2", "lzma"})  # with -d

#: Commands that fail on an HTML error page where they expect an archive, a
#: package, a key or a script (a file ``curl`` saved, read afterwards).
FILE_CONSUMERS = frozenset(
    {"tar", "bsdtar", "gtar", "unzip", "gunzip", "gzip", "bunzip2", "7z", "7za", "xz", "unxz", "zstd", "gpg"}
    | {"dpkg", "rpm", "apt", "apt-get", "install", "bash", "sh", "source", ".", "cosign", "jq"}
)


def extracts(cmd: Cmd) -> bool:
    """Whether a ``tar`` command extracts (``x`` in any short-option cluster, ``--extract``, old-style ``xzf``)."""
    seen_option = False
    for v in cmd.vals:
        if v is None:
            continue
        if v in ("--extract", "--get"):
            return True
        if v.startswith("--"):
            seen_option = True
            continue
        if v.startswith("-"):
            if "x" in v[1:]:
                return True
            seen_option = True
            continue
        if not seen_option and "x" in v and v.isalpha():
            return True  # `tar xzf f.tgz`: the first word is the option cluster
        seen_option = True
    return False


def propagates_empty(src: Source, node: Node) -> bool:
    """Whether the last command of a pipeline fails when its input is empty or wrong.

    If it does, a failure on the left of the pipe surfaces anyway: ``grep``
    (not ``-v``/``-c``/``-L``), ``jq -e``, ``tar x``, a decompressor
    (``gunzip``, ``zcat``, ``xz -d``…), ``docker load``, ``kubectl apply -f
    -``, ``sha256sum -c``, ``apt-key add``, ``gpg --import``, ``…
    --password-stdin``.
    """
    cmd = command_of(src, node)
    if cmd is None:
        return False
    base = cmd.base
    if base in ("tar", "bsdtar", "gtar"):
        return extracts(cmd)
    if base in _DECOMPRESSORS:
        return True
    if base in _COMPRESSORS:
        return cmd.has_flag("-d", "--decompress", "-dc", "-cd")
    if base in CHECKSUMS:
        return cmd.has_flag("-c", "--check")
    if base in ("docker", "podman") and cmd.positionals(2)[:1] == ["load"]:
        return True
    if base == "apt-key" and cmd.positionals(1) == ["add"]:
        return True  # "no valid OpenPGP data found"
    if base in ("gpg", "gpg2") and cmd.has_flag("--import", "--dearmor", "--dearmour"):
        return True
    if base in KUBE and cmd.positionals(1)[:1] in (["apply"], ["create"], ["replace"]):
        return True
    if base in GREP:
        for v in cmd.vals:
            if v is None or not v.startswith("-"):
                continue
            if v in ("--invert-match", "--count", "--files-without-match"):
                return False
            if not v.startswith("--") and any(ch in v for ch in "vcL"):
                return False
        return True
    if base in ("jq", "yq", "gojq"):
        return any(
            v is not None and (v == "--exit-status" or (v.startswith("-") and not v.startswith("--") and "e" in v))
            for v in cmd.vals
        )
    return any(v == "--password-stdin" for v in cmd.vals)


def validates_content(src: Source, node: Node) -> bool:
    """Whether the last command of a pipeline fails on an HTTP error body (curl without --fail).

    Everything that fails on empty input does, and so do shells and Python
    reading a script from stdin: ``404: Not Found`` is not a valid program.
    """
    if propagates_empty(src, node):
        return True
    cmd = command_of(src, node)
    if cmd is None:
        return False
    if cmd.base in STDIN_RUNNERS or is_python(cmd.base):
        return all(v is not None and (v.startswith("-") or v == "") for v in cmd.vals[:1])
    return False
