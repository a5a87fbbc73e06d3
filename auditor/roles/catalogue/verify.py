"""Verify: steps that read the promoted state back and fail on a mismatch.

Besides the tools' own waits (``kubectl rollout status``, ``helm --wait``,
``aws ecs wait``, ``argocd app wait``, which live beside their promote), two
forms work for any target: a smoke test of the deployed URL that fails loud,
and a read-back of the pin compared with the digest. Step *names* never make
a verify: "Verify Docker daemon access" checks nothing about a promotion.
"""

from __future__ import annotations

import re

from auditor.kinds import Role
from auditor.roles.catalogue.base import DIGEST_TEXT, Entry, Found, StepView
from auditor.roles.catalogue.examples import pipeline
from auditor.roles.commands import Command

_READERS = frozenset({"kubectl", "oc", "crane", "gcrane", "regctl", "skopeo", "docker", "podman", "curl",
                      "wget", "http", "gcloud", "aws", "az", "oras", "helm", "argocd", "fly", "flyctl"})  # fmt: skip

_HEALTH_ACTIONS = frozenset({
    "jtalk/url-health-check-action", "cygnetdigital/wait_for_response",
    "emilioschepis/wait-for-endpoint", "mydea/action-wait-for-api",
})  # fmt: skip
_WRITE = frozenset({"-X", "--request", "-d", "--data", "--data-raw", "--data-binary", "-F", "--form",
                    "-T", "--upload-file", "--json", "--post-data", "--post-file", "--method"})  # fmt: skip
# Not a deployed service: the forge's API, the runner itself, a cloud provider's control API
# (reading a secret is not a smoke test; a read-back compares what it reads).
_NOT_DEPLOYED = re.compile(r"api\.github\.com|GITHUB_API_URL|GITHUB_SERVER_URL|localhost|127\.0\.0\.1"
                           r"|githubusercontent|/statuses/|--unix-socket|googleapis\.com|amazonaws\.com"
                           r"|management\.azure\.com|api\.cloudflare\.com", re.IGNORECASE)
_URL = re.compile(r"https?://|\$\{?\w*(?:URL|HOST|ENDPOINT)\w*\}?|\$\{\{[^}]*(?:url|host|endpoint)[^}]*\}\}",
                  re.IGNORECASE)
# A literal URL that serves files or package metadata, not a deployed service: release
# downloads, install scripts, package registries, archives and keys.
_DOWNLOAD = re.compile(
    r"https?://(?:[\w-]+\.)*?(?:dl|download|downloads|get|packages?|apt|deb|rpm|pkgs?|repo|releases|cdn"
    r"|objects|raw|files|ftp|archive|mirror|static|sh|install)\.[\w.-]+"
    r"|https?://[^\s\"']*/(?:releases/(?:download|latest)|archive|raw|dl|downloads?|install)(?:/|\b)"
    r"|githubusercontent|registry\.npmjs\.org|pypi\.org|crates\.io|hub\.docker\.com|rubygems\.org"
    r"|proxy\.golang\.org|sum\.golang\.org|pkg\.go\.dev"
    r"|https?://[^\s\"'?]+\.(?:tar|tgz|zip|gz|xz|bz2|zst|deb|rpm|apk|sh|ps1|exe|msi|dmg|pkg|whl|jar"
    r"|gpg|asc|key|pub|sig|pem|json|ya?ml|txt|md|xml|toml|py)(?:[?#\s\"']|$)",
    re.IGNORECASE,
)
# What a downloaded body is fed to: an installer, an archive tool, a file.
_CONSUMERS = frozenset({"sh", "bash", "zsh", "sudo", "tar", "gpg", "apt-key", "python", "python3", "unzip",
                        "gunzip", "xz", "zcat", "bsdtar", "dd", "tee", "sha256sum", "shasum", "install",
                        "cat", "node", "perl", "ruby", "iex", "funzip", "dpkg", "rpm", "base64"})  # fmt: skip
_COMPARE = re.compile(
    r"\[\[?[^\]]*(?:!=|==|\s=\s|-ne\b|-eq\b)[^\]]*\]\]?|\btest\s+\S+\s+!?=|\bdiff\b|grep\s+-[a-zA-Z]*q"
    r"|\bcase\b[^\n]*\bin\b"
)


def _curl_fails(cmd: Command) -> bool:
    return any(w in ("--fail", "-f", "--fail-with-body") or (
        w.startswith("-") and not w.startswith("--") and "f" in w[1:] and len(w) <= 7
    ) for w in cmd.argv[1:])  # fmt: skip


def _writes_http(cmd: Command) -> bool:
    return any(w in _WRITE or w.startswith(("--data", "--request=", "--json", "--post", "--method="))
               or (w.startswith("-X") and len(w) > 2) for w in cmd.argv[1:])  # fmt: skip


def _saves_file(cmd: Command) -> bool:
    """curl/wget writes the body to a file (a download), not to /dev/null or stdout."""
    if cmd.program == "wget":
        if "--spider" in cmd.argv:
            return False
        outs = cmd.flags("-O", "--output-document") + [w[3:] or "-" for w in cmd.argv if w.startswith("-qO")]
        return not outs or any(o not in ("-", "/dev/null") for o in outs)
    if any(w in ("-O", "--remote-name", "--remote-name-all", "-J") or (
            w.startswith("-") and not w.startswith("--") and "O" in w[1:] and len(w) <= 7)
           for w in cmd.argv[1:]):  # fmt: skip
        return True
    out = cmd.flags("-o", "--output", "--output-dir")
    argv = cmd.argv
    for i, w in enumerate(argv):  # `curl … > orgs.json`: the body is data for a later command
        if w in (">", ">>", "1>") and i + 1 < len(argv):
            out.append(argv[i + 1])
        elif w.startswith((">", "1>")) and not w.startswith((">&", "1>&")) and len(w.lstrip("1>")) > 0:
            out.append(w.lstrip("1>"))
    return any(o not in ("/dev/null", "-", "NUL") for o in out)


def _service_url(cmd: Command) -> bool:
    text = " ".join(cmd.argv[1:])
    return _URL.search(text) is not None and _NOT_DEPLOYED.search(text) is None and (
        _DOWNLOAD.search(text) is None)


def _smoke(cmd: Command) -> bool:
    """A request to a deployed service that fails the step when the service does not answer
    2xx: not a download, not an install script, not an API call whose answer is data."""
    if cmd.program == "curl":
        fails = _curl_fails(cmd)
    elif cmd.program == "wget":
        fails = True  # wget exits non-zero on HTTP errors
    else:
        return False
    if not fails or cmd.captured or cmd.piped_to in _CONSUMERS:
        return False
    return not _writes_http(cmd) and not _saves_file(cmd) and _service_url(cmd)


def _status_check(cmd: Command, run: str) -> bool:
    """``code=$(curl -s -o /dev/null -w '%{http_code}' URL)`` then a test of ``$code``."""
    return (cmd.program == "curl" and cmd.captured and not _writes_http(cmd) and not _saves_file(cmd)
            and any("http_code" in w for w in cmd.flags("-w", "--write-out")) and _service_url(cmd)
            and _COMPARE.search(run) is not None)  # fmt: skip


def _smoke_test(view: StepView) -> Found | None:
    for cmd in view.commands:
        if _smoke(cmd) or _status_check(cmd, view.run or ""):
            return Found(cmd.text[:120], verifies=True)
    return None


def _reads_state(cmd: Command) -> bool:
    """The command reads what runs or what a tag or pin points to, and changes nothing."""
    p = cmd.program
    if p in ("curl", "wget", "http"):
        return not _writes_http(cmd)
    if p in ("kubectl", "oc"):
        return cmd.has("get") or cmd.has("describe")
    if p in ("crane", "gcrane"):
        return cmd.has("digest") or cmd.has("manifest") or cmd.has("config") or cmd.has("ls")
    if p == "regctl":
        return cmd.has("image", "digest") or cmd.has("image", "inspect") or cmd.has("manifest", "get") or (
            cmd.has("manifest", "head") or cmd.has("image", "manifest"))
    if p == "skopeo":
        return cmd.has("inspect")
    if p in ("docker", "podman"):
        return cmd.has("inspect") or cmd.has("image", "inspect") or cmd.has("manifest", "inspect") or (
            cmd.has("buildx", "imagetools", "inspect") or cmd.has("container", "inspect"))
    if p == "oras":
        return cmd.has("manifest", "fetch") or cmd.has("resolve")
    if p == "helm":
        return cmd.has("get") or cmd.has("status")
    if p == "argocd":
        return cmd.has("app", "get")
    if p == "gcloud":
        return any(w in ("describe", "list") for w in cmd.positionals()[:4])
    if p == "aws":
        words = cmd.positionals()[:2]
        return len(words) == 2 and words[1].startswith(("describe-", "get-", "list-"))
    if p == "az":
        return any(w in ("show", "list") for w in cmd.positionals()[:4])
    if p in ("fly", "flyctl"):
        return cmd.has("status") or cmd.has("image", "show")
    return False


def _read_back(view: StepView) -> Found | None:
    run = view.run or ""
    if not _COMPARE.search(run):
        return None
    if DIGEST_TEXT.search(run) is None and not any(DIGEST_TEXT.search(v) for v in view.env.values()):
        return None
    readers = [c for c in view.commands if c.program in _READERS and _reads_state(c)]
    if not readers:
        return None
    return Found(f"reads back with {readers[0].text[:80]} and compares", verifies=True)


def _health_action(view: StepView) -> Found | None:
    return Found(view.uses or "", verifies=True)

# -- examples -----------------------------------------------------------------------------

_PROMOTE = """
promote:
  needs: publish
  runs-on: ubuntu-latest
  env:
    CP_TOKEN: ${{ secrets.CP_ADMIN_API_TOKEN }}
    DIGEST: ${{ needs.publish.outputs.digest }}
  steps:
    - name: Pin the digest on the control plane
      run: |
        curl --fail-with-body -sS -X POST -H "Authorization: Bearer $CP_TOKEN" \\
          -d "{\\"digest\\": \\"$DIGEST\\"}" https://cp.example.com/api/runtime/promote
"""
_SMOKE = """\
    - name: Smoke-test the service
      run: curl --fail-with-body -sS --retry 5 --retry-all-errors https://app.example.com/healthz
"""
_VERIFY_PIN = """
verify-pin:
  needs: [publish, promote]
  runs-on: ubuntu-latest
  env:
    CP_TOKEN: ${{ secrets.CP_ADMIN_API_TOKEN }}
    DIGEST: ${{ needs.publish.outputs.digest }}
  steps:
    - name: Read the pin back
      run: |
        pinned=$(curl --fail-with-body -sS -H "Authorization: Bearer $CP_TOKEN" https://cp.example.com/api/runtime/pin)
        test "$pinned" = "$DIGEST"
"""
_WEBAPP = """
deploy:
  needs: publish
  runs-on: ubuntu-latest
  permissions:
    contents: read
    id-token: write
  steps:
    - uses: azure/login@v2
      with:
        client-id: ${{ vars.AZURE_CLIENT_ID }}
        tenant-id: ${{ vars.AZURE_TENANT_ID }}
        subscription-id: ${{ vars.AZURE_SUBSCRIPTION_ID }}
    - uses: azure/webapps-deploy@v3
      with:
        app-name: acme-app
        images: acme.azurecr.io/app@${{ needs.publish.outputs.digest }}
"""
_HEALTH = """\
    - uses: jtalk/url-health-check-action@v4
      with:
        url: https://acme-app.azurewebsites.net/healthz
        max-attempts: 10
        retry-delay: 10s
"""


ENTRIES = (
    Entry(
        id="smoke-test",
        role=Role.VERIFY,
        title="smoke test of the deployed URL (curl --fail, wget)",
        what="A request to the deployed service that fails the step on an HTTP error.",
        reference="It tests the service the promote changed (best: an endpoint that reports the "
                  "running version or digest).",
        verification="It is a verification when it fails loud: `curl --fail` (or `-f`, "
                     "`--fail-with-body`), or `wget`; a plain `curl` exits 0 on a 500.",
        match=_smoke_test,
        programs=frozenset({"curl", "wget"}),
        bad=pipeline(_PROMOTE + _SMOKE.replace("curl --fail-with-body -sS", "curl -sS")),
        bad_rule="promote-without-verify",
        good=pipeline(_PROMOTE + _SMOKE),
    ),
    Entry(
        id="read-back",
        role=Role.VERIFY,
        title="read the pin back and compare it with the digest",
        what="Reads the promoted state (the running image, the pinned digest, the tag's digest) "
             "and compares it with the digest just pushed, failing when they differ.",
        reference="The digest from the publish job (`needs.<publish>.outputs.digest`).",
        verification="It is the verification the incident lacked.",
        match=_read_back,
        programs=_READERS,
        bad=pipeline(_PROMOTE),
        bad_rule="promote-without-verify",
        good=pipeline(_PROMOTE, _VERIFY_PIN),
    ),
    Entry(
        id="health-check-action",
        role=Role.VERIFY,
        title="URL health-check actions (jtalk/url-health-check-action …)",
        what="Actions that poll a URL and fail when it does not answer successfully.",
        reference="The deployed service's URL.",
        verification="It is the verification.",
        match=_health_action,
        actions=_HEALTH_ACTIONS,
        bad=pipeline(_WEBAPP, image="acme.azurecr.io/app"),
        bad_rule="promote-without-verify",
        good=pipeline(_WEBAPP + _HEALTH, image="acme.azurecr.io/app"),
    ),
)
