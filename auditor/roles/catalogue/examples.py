"""The pieces the catalogue's bad and good workflows are made of.

Every entry documents itself with two complete workflows (``Entry.bad`` and
``Entry.good``) that ``tests/roles/test_catalogue.py`` runs through the real
CLI. Most are the same release pipeline — a publish job that pushes an image
and exposes its digest, then the entry's promote — so the publish job and the
workflow header are written once here; each entry writes its own deploy and
verify jobs. ``release`` joins them into one workflow file.
"""

from __future__ import annotations

import textwrap

GHCR = "ghcr.io/acme/app"

# A verify job for a promote that takes effect elsewhere (a dispatched deploy, a deploy
# hook): it polls the service until it reports the digest just pushed, and fails otherwise.
READ_BACK = """
verify:
  needs: [publish, deploy]
  runs-on: ubuntu-latest
  env:
    DIGEST: ${{ needs.publish.outputs.digest }}
  steps:
    - name: Wait until the service reports the digest just pushed
      run: |
        for attempt in $(seq 1 30); do
          running=$(curl --fail-with-body -sS https://app.example.com/version)
          if [ "$running" = "$DIGEST" ]; then exit 0; fi
          sleep 20
        done
        echo "::error::app.example.com runs $running, not $DIGEST"
        exit 1
"""

_HEADER = """\
name: release
on:
  push:
    branches: [main]
permissions:
{permissions}
jobs:
"""

_PUBLISH = """\
publish:
  runs-on: ubuntu-latest
  permissions:
    contents: read
    packages: write
  outputs:
    digest: ${{{{ steps.push.outputs.digest }}}}
  steps:
    - uses: actions/checkout@v4
    - uses: docker/login-action@v3
      with:
        registry: {registry}
        username: ${{{{ github.actor }}}}
        password: ${{{{ secrets.{password} }}}}
    - id: push
      uses: docker/build-push-action@v6
      with:
        push: true
        tags: {image}:latest
"""

_PUBLISH_NO_DIGEST = """\
publish:
  runs-on: ubuntu-latest
  permissions:
    contents: read
    packages: write
  steps:
    - uses: actions/checkout@v4
    - uses: docker/login-action@v3
      with:
        registry: {registry}
        username: ${{{{ github.actor }}}}
        password: ${{{{ secrets.{password} }}}}
    - uses: docker/build-push-action@v6
      with:
        push: true
        tags: {image}:latest
"""


def publish(image: str = GHCR, *, digest: bool = True) -> str:
    """The publish job: builds and pushes ``image:latest`` and (``digest``) exposes the digest."""
    registry = image.split("/", 1)[0]
    password = "GITHUB_TOKEN" if registry == "ghcr.io" else "REGISTRY_PASSWORD"
    template = _PUBLISH if digest else _PUBLISH_NO_DIGEST
    return template.format(image=image, registry=registry, password=password)


def release(*jobs: str, permissions: str = "contents: read", header: str | None = None) -> str:
    """A workflow of ``jobs`` (each a job written at column 0), under the release header."""
    head = header if header is not None else _HEADER.format(permissions=textwrap.indent(permissions, "  "))
    body = "".join(textwrap.indent(textwrap.dedent(job).strip("\n") + "\n", "  ") for job in jobs)
    return head + body


def pipeline(*jobs: str, image: str = GHCR, digest: bool = True, permissions: str = "contents: read") -> str:
    """``release(publish(image), *jobs)``: the usual shape of an entry's example."""
    return release(publish(image, digest=digest), *jobs, permissions=permissions)
