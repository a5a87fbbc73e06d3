"""Explicitly not promotes: releases, package uploads, static docs deploys, test clusters.

A job named "deploy" that uploads a wheel to PyPI, publishes a GitHub
release or pushes a docs site is not moving a runtime to a new image: the
release-pipeline rules would only be noise there. A job that creates a
throw-away cluster (kind, k3d, minikube) and runs ``kubectl apply`` on it is
a test, not a deploy. These entries stop the name fallback and (for test
clusters) the Kubernetes entries from making such a job a promote.
"""

from __future__ import annotations

import re

from auditor.roles.catalogue.base import Entry, Found, StepView, on_commands
from auditor.roles.catalogue.examples import pipeline, release
from auditor.roles.commands import Command

_RELEASE_ACTIONS = frozenset({
    "softprops/action-gh-release", "ncipollo/release-action", "actions/create-release",
    "actions/upload-release-asset", "svenstaro/upload-release-action", "marvinpinto/action-automatic-releases",
    "googleapis/release-please-action", "google-github-actions/release-please-action",
    "release-drafter/release-drafter",
    "changesets/action", "cycjimmy/semantic-release-action", "goreleaser/goreleaser-action",
})  # fmt: skip
_PACKAGE_ACTIONS = frozenset({
    "pypa/gh-action-pypi-publish", "js-devtools/npm-publish", "jetbrains/intellij-platform-plugin-publisher",
    "rust-lang/crates-io-auth-action", "katyo/publish-crates",
    "hexpm/hex-publish", "vedantmgoyal2009/winget-releaser", "homebrew/actions/bump-packages",
    "mislav/bump-homebrew-formula-action", "dawidd6/action-homebrew-bump-formula",
    "helm/chart-releaser-action", "stefanprodan/helm-gh-pages", "rajatjindal/krew-release-bot",
    "actions/publish-immutable-action", "actions/publish-action", "rubygems/release-gem",
})  # fmt: skip
_PAGES_ACTIONS = frozenset({
    "actions/deploy-pages", "actions/upload-pages-artifact", "peaceiris/actions-gh-pages",
    "jamesives/github-pages-deploy-action", "netlify/actions/cli", "nwtgck/actions-netlify",
    "amondnet/vercel-action", "cloudflare/pages-action", "cloudflare/wrangler-action",
    "firebaseextended/action-hosting-deploy", "rossjrw/pr-preview-action",
})  # fmt: skip
_CLUSTER_ACTIONS = frozenset({
    "helm/kind-action", "engineerd/setup-kind", "container-tools/kind-action", "absaoss/k3d-action",
    "nolar/setup-k3d-k3s", "medyagh/setup-minikube", "manusa/actions-setup-minikube",
    "debianmaster/actions-k3s", "helm/chart-testing-action", "jupyterhub/action-k3s-helm",
    "sigstore/scaffolding/actions/setup",
})  # fmt: skip
# Cluster-making actions known by a word of their path: chainguard-dev/actions/setup-kind,
# replicatedhq/replicated-actions/create-cluster, a local ./.github/actions/setup-k3d.
_CLUSTER_WORDS = (r"(?:^|[/_.-])(?:kind|k3d|k3s|minikube|microk8s|kwok|k0s|vcluster)(?:$|[/_.-])"
                  r"|(?:create|setup)-cluster|cluster-(?:create|setup)")
_CLUSTER_TARGET = re.compile(r"(?:^|[-_.:])(?:kind|k3d|k3s|minikube|kwok)(?:$|[-_.:])", re.IGNORECASE)


def _release_cli(cmd: Command) -> bool:
    p = cmd.program
    return (p == "gh" and (cmd.has("release", "create") or cmd.has("release", "upload")
                           or cmd.has("release", "edit"))) or (p == "goreleaser" and cmd.has("release"))  # fmt: skip


def _package_cli(cmd: Command) -> bool:
    p = cmd.program
    if p in ("twine", "flit") and (cmd.has("upload") or cmd.has("publish")):
        return True
    if p in ("npm", "yarn", "pnpm", "bun", "lerna", "poetry", "uv", "hatch", "pdm", "cargo", "vsce", "ovsx",
             "changeset", "nx"):  # fmt: skip
        return cmd.has("publish") or (p == "nx" and cmd.has("release")) or (p == "yarn" and cmd.has("npm", "publish"))
    if p == "gem":
        return cmd.has("push")
    if p in ("dotnet", "nuget"):
        return cmd.has("nuget", "push") or cmd.has("push")
    if p in ("mvn", "./mvnw", "mvnw"):
        return "deploy" in cmd.argv[1:]
    if p in ("gradle", "./gradlew", "gradlew"):
        return any(w.startswith("publish") for w in cmd.argv[1:])
    return p == "helm" and (cmd.has("push") or cmd.has("cm-push"))  # a chart to a chart registry


def _docs_cli(cmd: Command) -> bool:
    p = cmd.program
    return (p == "mkdocs" and cmd.has("gh-deploy")) or (p in ("wrangler", "npx") and "pages" in cmd.argv) or (
        p == "vercel" and "--prod" not in cmd.argv) or (p == "netlify" and cmd.has("deploy")) or (
        p == "firebase" and cmd.has("deploy") and any("hosting" in w for w in cmd.argv)) or (
        p == "mike" and cmd.has("deploy"))


def _cluster_cli(cmd: Command) -> bool:
    """The job makes (or loads images into) a cluster of its own: kind, k3d, minikube (any of
    their commands: `kind load docker-image` means a kind cluster is there), a make target named
    after one (`make kind-create-cluster`), chart-testing's `ct install`, k3s from its script."""
    p = cmd.program
    if p in ("kind", "k3d", "minikube", "microk8s", "kwokctl", "vcluster"):
        return not cmd.has("version") and not cmd.has("completion")
    if p in ("make", "gmake", "just", "task"):
        return any(_CLUSTER_TARGET.search(t) for t in cmd.positionals() if "=" not in t)
    if p == "curl":
        return cmd.piped_to in ("sh", "bash") and any("get.k3s.io" in w for w in cmd.argv)
    return (p == "ctlptl" and cmd.has("create")) or (p == "ct" and cmd.has("install")) or (
        p == "tilt" and (cmd.has("ci") or cmd.has("up")))


def _any_action(view: StepView) -> Found | None:
    return Found(view.uses or "")

# -- examples -----------------------------------------------------------------------------
# Each bad example is the not-a-promote step in a job named like a promote (the name
# fallback would make it one), done sloppily (`continue-on-error: true`, which on a promote
# path is an error): it must get no finding. The good one is the same job done tidily.

_TAGS = """\
name: release
on:
  push:
    tags: ['v*']
permissions:
  contents: read
jobs:
"""


def _sloppy(job: str, step_name: str) -> str:
    """``job`` with ``continue-on-error: true`` on the step named ``step_name``."""
    marker = f"    - name: {step_name}\n"
    assert marker in job
    return job.replace(marker, marker + "      continue-on-error: true\n")


_GH_RELEASE = """
promote-release:
  runs-on: ubuntu-latest
  permissions:
    contents: write
  steps:
    - uses: actions/checkout@v4
    - run: make dist
    - name: Publish the GitHub release
      env:
        GH_TOKEN: ${{ secrets.GITHUB_TOKEN }}
      run: gh release create "$GITHUB_REF_NAME" dist/* --generate-notes
"""
_RELEASE_ACTION = """
promote-release:
  runs-on: ubuntu-latest
  permissions:
    contents: write
  steps:
    - uses: actions/checkout@v4
    - run: make dist
    - name: Publish the GitHub release
      uses: softprops/action-gh-release@v2
      with:
        files: dist/*
        generate_release_notes: true
"""
_TWINE = """
promote-to-pypi:
  runs-on: ubuntu-latest
  steps:
    - uses: actions/checkout@v4
    - uses: actions/setup-python@v5
      with:
        python-version: '3.12'
    - run: pip install build twine
    - run: python -m build
    - name: Upload to PyPI
      env:
        TWINE_USERNAME: __token__
        TWINE_PASSWORD: ${{ secrets.PYPI_API_TOKEN }}
      run: twine upload dist/*
"""
_PYPI_ACTION = """
promote-to-pypi:
  runs-on: ubuntu-latest
  environment: pypi
  permissions:
    contents: read
    id-token: write
  steps:
    - uses: actions/checkout@v4
    - uses: actions/setup-python@v5
      with:
        python-version: '3.12'
    - run: pip install build
    - run: python -m build
    - name: Upload to PyPI (trusted publishing)
      uses: pypa/gh-action-pypi-publish@release/v1
"""
_MKDOCS = """
promote-docs:
  runs-on: ubuntu-latest
  permissions:
    contents: write
  steps:
    - uses: actions/checkout@v4
    - uses: actions/setup-python@v5
      with:
        python-version: '3.12'
    - run: pip install mkdocs-material
    - name: Deploy the site to GitHub Pages
      run: mkdocs gh-deploy --force
"""
_PAGES = """
promote-docs:
  runs-on: ubuntu-latest
  environment:
    name: github-pages
    url: ${{ steps.deployment.outputs.page_url }}
  permissions:
    contents: read
    pages: write
    id-token: write
  steps:
    - uses: actions/checkout@v4
    - run: make site
    - uses: actions/upload-pages-artifact@v3
      with:
        path: site
    - name: Deploy to GitHub Pages
      id: deployment
      uses: actions/deploy-pages@v4
"""
_KIND_E2E = """
e2e:
  needs: publish
  runs-on: ubuntu-latest
  steps:
    - uses: actions/checkout@v4
    - name: Create a cluster to test in
      run: kind create cluster --wait 2m
    - name: Deploy the image under test
      run: |
        kubectl apply -f deploy/
        kubectl set image deployment/app app=ghcr.io/acme/app:latest
        kubectl rollout status deployment/app --timeout=3m
    - run: make e2e
"""
_KIND_ACTION_E2E = """
e2e:
  needs: publish
  runs-on: ubuntu-latest
  steps:
    - uses: actions/checkout@v4
    - uses: helm/kind-action@v1
    - name: Install the chart under test
      run: helm upgrade --install app ./charts/app --set image.tag=latest --wait
    - run: make e2e
"""


ENTRIES = (
    Entry(
        id="github-release",
        role=None,
        title="GitHub/Gitea releases and their assets",
        what="Publishes a release and uploads its assets. Not a promote: nothing running moves.",
        reference="A release names a version; nothing running moves to it.",
        verification="Nothing to verify as a promotion; the release's assets can be checksummed and signed.",
        match=on_commands(_release_cli),
        programs=frozenset({"gh", "goreleaser"}),
        tags=("not-promote",),
        bad=release(_sloppy(_GH_RELEASE, "Publish the GitHub release"), header=_TAGS),
        bad_rule="",
        good=release(_GH_RELEASE, header=_TAGS),
    ),
    Entry(
        id="github-release-action",
        role=None,
        title="release actions (softprops/action-gh-release, release-please, changesets …)",
        what="Publish a release (and its notes and assets). Not a promote.",
        reference="A release names a version; nothing running moves to it.",
        verification="Nothing to verify as a promotion.",
        match=_any_action,
        actions=_RELEASE_ACTIONS,
        tags=("not-promote",),
        bad=release(_sloppy(_RELEASE_ACTION, "Publish the GitHub release"), header=_TAGS),
        bad_rule="",
        good=release(_RELEASE_ACTION, header=_TAGS),
    ),
    Entry(
        id="package-upload",
        role=None,
        title="package-registry uploads (PyPI, npm, crates, RubyGems, NuGet, Maven, charts)",
        what="Uploads a package version. Not a promote: consumers choose versions themselves.",
        reference="Consumers pick the version (a lock file, a version range): the upload moves nobody.",
        verification="Nothing to verify as a promotion; the registry refuses a second upload of the same version.",
        match=on_commands(_package_cli),
        programs=frozenset({"twine", "flit", "npm", "yarn", "pnpm", "bun", "lerna", "poetry", "uv", "hatch",
                            "pdm", "cargo", "vsce", "ovsx", "changeset", "nx", "gem", "dotnet", "nuget", "mvn",
                            "./mvnw", "mvnw", "gradle", "./gradlew", "gradlew", "helm"}),
        tags=("not-promote",),
        bad=release(_sloppy(_TWINE, "Upload to PyPI"), header=_TAGS),
        bad_rule="",
        good=release(_TWINE, header=_TAGS),
    ),
    Entry(
        id="package-upload-action",
        role=None,
        title="package publishing actions (pypa/gh-action-pypi-publish …)",
        what="Upload a package version. Not a promote.",
        reference="Consumers pick the version: the upload moves nobody.",
        verification="Nothing to verify as a promotion.",
        match=_any_action,
        actions=_PACKAGE_ACTIONS,
        tags=("not-promote",),
        bad=release(_sloppy(_PYPI_ACTION, "Upload to PyPI (trusted publishing)"), header=_TAGS),
        bad_rule="",
        good=release(_PYPI_ACTION, header=_TAGS),
    ),
    Entry(
        id="static-site-deploy",
        role=None,
        title="docs and preview deploys of static sites (Pages, Netlify, Vercel previews, …)",
        what="Publishes a static site or a preview. Not a promote unless the policy says so.",
        reference="A static site is built from the repository, not from a pushed image.",
        verification="Nothing to verify as a promotion (unless the policy lists it).",
        match=on_commands(_docs_cli),
        programs=frozenset({"mkdocs", "wrangler", "npx", "vercel", "netlify", "firebase", "mike"}),
        tags=("not-promote",),
        bad=release(_sloppy(_MKDOCS, "Deploy the site to GitHub Pages")),
        bad_rule="",
        good=release(_MKDOCS),
    ),
    Entry(
        id="static-site-deploy-action",
        role=None,
        title="Pages and static-hosting actions (actions/deploy-pages, peaceiris/actions-gh-pages …)",
        what="Publish a static site or a preview. Not a promote.",
        reference="A static site is built from the repository, not from a pushed image.",
        verification="Nothing to verify as a promotion.",
        match=_any_action,
        actions=_PAGES_ACTIONS,
        tags=("not-promote",),
        bad=release(_sloppy(_PAGES, "Deploy to GitHub Pages")),
        bad_rule="",
        good=release(_PAGES),
    ),
    Entry(
        id="test-cluster",
        role=None,
        title="throw-away test clusters (kind, k3d, minikube, chart-testing, tilt ci)",
        what="Creates a cluster inside the job to test against. kubectl or helm against it is a "
             "test, not a deploy.",
        reference="The cluster lives as long as the job: what is deployed to it reaches nobody.",
        verification="The test's own assertions; no promotion to verify.",
        match=on_commands(_cluster_cli),
        programs=frozenset({"kind", "k3d", "minikube", "microk8s", "kwokctl", "vcluster", "ctlptl", "ct",
                            "tilt", "make", "gmake", "just", "task", "curl"}),
        tags=("test-cluster",),
        bad=pipeline(_sloppy(_KIND_E2E, "Deploy the image under test")),
        bad_rule="",
        good=pipeline(_KIND_E2E),
    ),
    Entry(
        id="test-cluster-action",
        role=None,
        title="test-cluster actions (helm/kind-action, setup-minikube, k3d-action …)",
        what="Create a cluster inside the job to test against.",
        reference="The cluster lives as long as the job: what is deployed to it reaches nobody.",
        verification="The test's own assertions; no promotion to verify.",
        match=_any_action,
        actions=_CLUSTER_ACTIONS,
        action_pattern=_CLUSTER_WORDS,
        tags=("test-cluster",),
        bad=pipeline(_sloppy(_KIND_ACTION_E2E, "Install the chart under test")),
        bad_rule="",
        good=pipeline(_KIND_ACTION_E2E),
    ),
)
