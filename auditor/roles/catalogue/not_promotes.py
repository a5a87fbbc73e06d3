"""Explicitly not promotes: releases, package uploads, static docs deploys, test clusters.

A job named "deploy" that uploads a wheel to PyPI, publishes a GitHub
release or pushes a docs site is not moving a runtime to a new image: the
release-pipeline rules would only be noise there. A job that creates a
throw-away cluster (kind, k3d, minikube) and runs ``kubectl apply`` on it is
a test, not a deploy. These entries stop the name fallback and (for test
clusters) the Kubernetes entries from making such a job a promote.
"""

from __future__ import annotations

from auditor.roles.catalogue.base import Entry, Found, StepView, on_commands
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
    "rust-lang/crates-io-auth-action", "katyo/publish-crates", "nuget/setup-nuget", "gradle/gradle-build-action",
    "hexpm/hex-publish", "vedantmgoyal2009/winget-releaser", "homebrew/actions/bump-packages",
    "mislav/bump-homebrew-formula-action", "dawidd6/action-homebrew-bump-formula",
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
})  # fmt: skip


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
        p == "firebase" and cmd.has("deploy") and any("hosting" in w for w in cmd.argv))


def _cluster_cli(cmd: Command) -> bool:
    p = cmd.program
    return (p == "kind" and cmd.has("create", "cluster")) or (p == "k3d" and cmd.has("cluster", "create")) or (
        p == "minikube" and cmd.has("start")) or (p == "ctlptl" and cmd.has("create")) or (
        p == "ct" and cmd.has("install")) or (p == "tilt" and (cmd.has("ci") or cmd.has("up")))


def _any_action(view: StepView) -> Found | None:
    return Found(view.uses or "")


ENTRIES = (
    Entry(
        id="github-release",
        role=None,
        title="GitHub/Gitea releases and their assets",
        what="Publishes a release and uploads its assets. Not a promote: nothing running moves.",
        reference="-",
        verification="-",
        match=on_commands(_release_cli),
        programs=frozenset({"gh", "goreleaser"}),
        tags=("not-promote",),
    ),
    Entry(
        id="github-release-action",
        role=None,
        title="release actions (softprops/action-gh-release, release-please, changesets …)",
        what="Publish a release (and its notes and assets). Not a promote.",
        reference="-",
        verification="-",
        match=_any_action,
        actions=_RELEASE_ACTIONS,
        tags=("not-promote",),
    ),
    Entry(
        id="package-upload",
        role=None,
        title="package-registry uploads (PyPI, npm, crates, RubyGems, NuGet, Maven, charts)",
        what="Uploads a package version. Not a promote: consumers choose versions themselves.",
        reference="-",
        verification="-",
        match=on_commands(_package_cli),
        programs=frozenset({"twine", "flit", "npm", "yarn", "pnpm", "bun", "lerna", "poetry", "uv", "hatch",
                            "pdm", "cargo", "vsce", "ovsx", "changeset", "nx", "gem", "dotnet", "nuget", "mvn",
                            "./mvnw", "mvnw", "gradle", "./gradlew", "gradlew", "helm"}),
        tags=("not-promote",),
    ),
    Entry(
        id="package-upload-action",
        role=None,
        title="package publishing actions (pypa/gh-action-pypi-publish …)",
        what="Upload a package version. Not a promote.",
        reference="-",
        verification="-",
        match=_any_action,
        actions=_PACKAGE_ACTIONS,
        tags=("not-promote",),
    ),
    Entry(
        id="static-site-deploy",
        role=None,
        title="docs and preview deploys of static sites (Pages, Netlify, Vercel previews, …)",
        what="Publishes a static site or a preview. Not a promote unless the policy says so.",
        reference="-",
        verification="-",
        match=on_commands(_docs_cli),
        programs=frozenset({"mkdocs", "wrangler", "npx", "vercel", "netlify", "firebase"}),
        tags=("not-promote",),
    ),
    Entry(
        id="static-site-deploy-action",
        role=None,
        title="Pages and static-hosting actions (actions/deploy-pages, peaceiris/actions-gh-pages …)",
        what="Publish a static site or a preview. Not a promote.",
        reference="-",
        verification="-",
        match=_any_action,
        actions=_PAGES_ACTIONS,
        tags=("not-promote",),
    ),
    Entry(
        id="test-cluster",
        role=None,
        title="throw-away test clusters (kind, k3d, minikube, chart-testing, tilt ci)",
        what="Creates a cluster inside the job to test against. kubectl or helm against it is a "
             "test, not a deploy.",
        reference="-",
        verification="-",
        match=on_commands(_cluster_cli),
        programs=frozenset({"kind", "k3d", "minikube", "ctlptl", "ct", "tilt"}),
        tags=("test-cluster",),
    ),
    Entry(
        id="test-cluster-action",
        role=None,
        title="test-cluster actions (helm/kind-action, setup-minikube, k3d-action …)",
        what="Create a cluster inside the job to test against.",
        reference="-",
        verification="-",
        match=_any_action,
        actions=_CLUSTER_ACTIONS,
        tags=("test-cluster",),
    ),
)
