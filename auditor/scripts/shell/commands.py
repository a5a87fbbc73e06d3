"""The command model: what a simple command runs, and whether its failure matters.

:func:`command` resolves a ``command`` node to the program it really runs,
looking through wrappers (``sudo``, ``env``, ``time``, ``timeout``,
``nohup``, ``exec``, ``xargs``, ``npx``, ``poetry run``, ``uv run``,
``bundle exec``…); :func:`can_fail` is *the noise decision* every detector
shares: whether a failure of that command would lose something that matters.

Which commands "can fail meaningfully"
--------------------------------------
It is an allowlist, so everything not listed (``rm``, ``mkdir``, ``kill``,
``grep``, ``diff``, ``cat``, ``date``, ``basename``, ``git rev-parse``,
``jq`` …) is never reported, and ``rm -f x || true`` style cleanup on a
correct pipeline stays silent. Listed:

* network clients: ``curl``, ``wget``, httpie/``xh``, ``ssh``, ``scp``,
  ``rsync``…;
* registry tools (``docker``, ``podman``, ``buildah``, ``crane``,
  ``skopeo``, ``oras``, ``regctl``, ``cosign``…), except their cleanup and
  idempotent-setup subcommands (``rm``, ``rmi``, ``stop``, ``kill``,
  ``prune``, ``logout``, ``login``, ``pull`` — cache warming —, ``inspect``,
  ``network``/``volume``, ``buildx create``…);
* forge and cluster CLIs by subcommand: ``gh api``/``gh release
  create|upload|edit``/``gh workflow run``/``gh pr merge``…; ``kubectl
  apply|set|patch|replace|rollout|scale|wait…``; ``helm
  upgrade|install|push|rollback…``; ``terraform/tofu apply``; ``pulumi up``;
  ``git push`` (not ``--delete``);
* cloud CLIs (``aws``, ``gcloud``, ``az``, ``doctl``, ``fly``, ``vercel``,
  ``wrangler``…) when a subcommand word is a write verb (``deploy``,
  ``update``, ``put``, ``cp``, ``sync``, ``push``, ``publish``…) and none is a
  read/cleanup verb (``get``, ``describe``, ``list``, ``delete``, ``create``
  — usually "create if missing" —, ``login``…);
* release tools (``twine``, ``goreleaser``, ``semantic-release``,
  ``ansible-playbook``…) and package managers / task runners when a
  subcommand says publish (``npm publish``, ``make deploy``, ``cargo
  publish``, ``mvn deploy``, ``npm run release``…);
* scripts: interpreters running code (``python x.py``, ``python -c``,
  ``node x.js``, ``bash x.sh``…, not ``--version`` or ``python -m pip``) and
  repository paths run directly (``./x``, ``scripts/x``,
  ``${{ github.action_path }}/x.sh``).

With ``reads`` (inside ``$(...)`` and on the left of ``|``, where an empty
result flows on) every subcommand of the registry, forge, cluster and cloud
tools counts, plus ``git fetch|pull|clone|ls-remote|push``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import cast

from tree_sitter import Node

from auditor.scripts.shell.source import Source
from auditor.scripts.shell.tree import Rec, Tree
from auditor.scripts.shell.words import static

__all__ = [
    "KUBE",
    "WRAPPERS",
    "Cmd",
    "can_fail",
    "cmd_of",
    "command",
    "command_of",
    "is_python",
    "is_repo_path",
    "may_fail",
    "may_run",
]


@dataclass(slots=True)
class Cmd:
    """A simple command after looking through wrappers (``sudo``, ``env``, ``xargs``…)."""

    node: Node
    name_node: Node
    name: str | None  # as written; None when computed at run time
    base: str  # lower-cased basename ('' when unknown)
    args: list[Node]
    vals: list[str | None]

    def positionals(self, limit: int = 4, skip: frozenset[str] = frozenset()) -> list[str]:
        out: list[str] = []
        it = iter(zip(self.args, self.vals, strict=True))
        for _node, val in it:
            if val is None:
                continue
            if val.startswith("-"):
                if val in skip:
                    next(it, None)
                continue
            out.append(val.lower())
            if len(out) >= limit:
                break
        return out

    def has_flag(self, *flags: str) -> bool:
        return any(v in flags for v in self.vals if v is not None)


def basename(name: str) -> str:
    return name.rsplit("/", 1)[-1].lower()


# Options (of the wrapper itself) that take a value.
WRAPPER_VALUE_OPTS: dict[str, frozenset[str]] = {
    "sudo": frozenset({"-u", "-g", "-C", "-h", "-p", "-U", "-r", "-t", "-T", "-D", "-R"}),
    "doas": frozenset({"-u", "-C"}),
    "env": frozenset({"-u", "-C", "-S", "--unset", "--chdir", "--split-string"}),
    "nice": frozenset({"-n", "--adjustment"}),
    "ionice": frozenset({"-c", "-n", "-p"}),
    "timeout": frozenset({"-s", "-k", "--signal", "--kill-after"}),
    "exec": frozenset({"-a"}),
    "xargs": frozenset(
        {"-I", "-n", "-P", "-L", "-d", "-s", "-E", "-a", "-e", "--max-args", "--max-procs", "--delimiter"}
    ),
    "npx": frozenset({"-p", "--package", "-c", "--call"}),
    "pnpx": frozenset({"-p", "--package"}),
    "bunx": frozenset({"-p", "--package"}),
    "uvx": frozenset({"--from", "--with", "-p", "--python"}),
    "time": frozenset({"-f", "-o", "--format", "--output"}),
    "stdbuf": frozenset({"-i", "-o", "-e"}),
}
WRAPPERS = frozenset(WRAPPER_VALUE_OPTS) | frozenset({"nohup", "command", "caffeinate", "dotenv", "unbuffer"})
WRAPPER_BYTES = frozenset(w.encode() for w in WRAPPERS) | {b"/usr/bin/env", b"/usr/bin/time"}
RUN_WRAPPERS = {
    "poetry": "run",
    "uv": "run",
    "pdm": "run",
    "pipenv": "run",
    "hatch": "run",
    "pipx": "run",
    "rye": "run",
    "bundle": "exec",
    "npm": "exec",
    "pnpm": "exec",
    "yarn": "dlx",
}


def may_run(rec: Rec, program: bytes) -> bool:
    """Cheap pre-filter: may this command run ``program``, directly, by path, or via a wrapper?"""
    name = rec.name
    if name == program or name.endswith(b"/" + program):
        return True
    return name in WRAPPER_BYTES and program in (rec.node.text or b"")


def command(src: Source, node: Node) -> Cmd | None:
    """The effective command of a ``command`` node, wrappers looked through."""
    name_node = node.child_by_field_name("name")
    if name_node is None:
        return None
    args = node.children_by_field_name("argument")
    words = [name_node.named_children[0] if name_node.named_child_count == 1 else name_node, *args]
    vals = [static(src, w) for w in words]
    i = 0
    for _ in range(6):  # wrappers nest rarely; bounded anyway
        name = vals[i]
        if name is None:
            break
        base = basename(name)
        if base in WRAPPERS:
            if base == "command" and any(v in ("-v", "-V") for v in vals[i + 1 : i + 2]):
                break
            value_opts = WRAPPER_VALUE_OPTS.get(base, frozenset())
            j = i + 1
            seen_duration = base != "timeout"
            while j < len(vals):
                v = vals[j]
                if v is None:
                    break
                if v.startswith("-"):
                    j += 2 if v in value_opts else 1
                    continue
                if base == "env" and "=" in v:
                    j += 1
                    continue
                if not seen_duration:
                    seen_duration = True
                    j += 1
                    continue
                break
            if j >= len(vals):
                break
            i = j
            continue
        sub = RUN_WRAPPERS.get(base)
        if sub is not None and i + 1 < len(vals) and vals[i + 1] == sub:
            j = i + 2
            while j < len(vals) and (vals[j] or "").startswith("-"):
                j += 1
            if j >= len(vals):
                break
            i = j
            continue
        break
    name = vals[i]
    base = basename(name) if name is not None else ""
    return Cmd(node, words[i], name, base, words[i + 1 :], vals[i + 1 :])


def cmd_of(t: Tree, node: Node) -> Cmd | None:
    """:func:`command`, memoised per parse (several detectors ask about the same command)."""
    cache = t.cmd_cache
    key = node.id
    if key in cache:
        return cast("Cmd | None", cache[key])
    cmd = command(t.src, node)
    cache[key] = cmd
    return cmd


def command_of(src: Source, node: Node) -> Cmd | None:
    """The command of a statement node (looking through a redirection)."""
    while node.type == "redirected_statement":
        body = node.child_by_field_name("body")
        if body is None:
            return None
        node = body
    if node.type != "command":
        return None
    return command(src, node)


# --------------------------------------------------------------------------- "can fail meaningfully"

NETWORK = frozenset({"curl", "wget", "http", "https", "xh", "httpie", "ssh", "scp", "sftp", "rsync", "lftp", "ftp"})
REGISTRY = frozenset(
    {"docker", "podman", "nerdctl", "buildah", "crane", "gcrane", "skopeo", "oras", "regctl", "cosign", "notation"}
    | {"ko"}
)
_REGISTRY_BENIGN = frozenset(
    {
        "rm", "rmi", "stop", "kill", "prune", "logout", "login", "pull", "inspect", "ls", "ps", "images", "network",
        "volume", "delete", "digest", "version", "info", "untag", "wait", "logs", "top", "context", "use", "du",
        "system", "stats", "events", "df", "config", "catalog", "discover", "list", "search", "tree", "auth", "help",
        "history", "port", "diff", "unpause", "pause", "restart",
    }
)  # fmt: skip
_DOCKER_GLOBAL_VALUE_OPTS = frozenset({"--context", "-c", "--config", "-H", "--host", "-l", "--log-level"})
_GH = frozenset({"gh", "glab", "tea", "hub"})
_GH_WRITES = frozenset(
    {
        ("release", "create"), ("release", "upload"), ("release", "edit"), ("workflow", "run"), ("pr", "merge"),
        ("secret", "set"), ("variable", "set"), ("run", "rerun"), ("release", "new"),
    }
)  # fmt: skip
KUBE = frozenset({"kubectl", "oc", "kubecolor"})
_KUBE_WRITES = frozenset({"apply", "replace", "patch", "set", "rollout", "scale", "wait", "run", "exec", "cp"})
_HELM_WRITES = frozenset({"upgrade", "install", "push", "rollback", "test", "package", "cm-push"})
_IAC = {"terraform": {"apply", "import"}, "tofu": {"apply", "import"}, "terragrunt": {"apply", "run-all"}}
_PULUMI_WRITES = frozenset({"up", "update", "deploy"})
_CLOUD = frozenset(
    {
        "aws", "gcloud", "gsutil", "az", "doctl", "flyctl", "fly", "heroku", "vercel", "netlify", "wrangler",
        "firebase", "argocd", "flux", "vault", "jf", "jfrog", "s3cmd", "rclone", "mc", "eksctl", "ecs-cli", "sam",
        "cdk", "serverless", "sls", "railway", "render", "kamal", "dokku", "bq", "oci", "ibmcloud",
    }
)  # fmt: skip
_WRITE_VERBS = frozenset(
    {
        "deploy", "update", "put", "push", "cp", "sync", "mv", "publish", "upload", "promote", "invoke", "start",
        "apply", "set", "tag", "import", "release", "copy", "submit", "register", "add", "replace", "write",
        "reconcile", "rollout", "patch", "scale", "restart", "run", "send", "u", "dp", "bp",
    }
)  # fmt: skip
_READ_VERBS = frozenset(
    {
        "delete", "remove", "rm", "describe", "get", "list", "ls", "wait", "login", "logout", "create", "show",
        "view", "status", "help", "version", "auth", "config", "configure", "whoami", "info", "inspect", "logs",
        "cat", "tail", "download", "head", "check", "validate", "lint", "plan", "init", "stat",
    }
)  # fmt: skip
_ALWAYS = frozenset(
    {"twine", "goreleaser", "semantic-release", "ghr", "ansible", "ansible-playbook", "release-it", "lerna"}
    | {"changeset"}
)
_PUBLISH_TOOLS = frozenset(
    {
        "npm", "yarn", "pnpm", "bun", "cargo", "gem", "poetry", "uv", "flit", "hatch", "pdm", "dotnet", "nuget",
        "mvn", "gradle", "make", "just", "task", "sbt", "lein", "mix", "rake", "bundle", "deno", "jreleaser",
        "maturin", "vsce", "ovsx", "helmfile", "skaffold", "tilt", "earthly", "bazel", "bazelisk", "nx", "turbo",
    }
)  # fmt: skip
_PUBLISH_RE = re.compile(r"deploy|publish|release|push|promote|upload")
_INTERPRETERS = frozenset(
    {"node", "nodejs", "ruby", "perl", "php", "bash", "sh", "zsh", "dash", "ksh", "pwsh", "rscript"}
)
_VERSION_FLAGS = frozenset({"--version", "-V", "-v", "--help", "-h", "-version"})
_PY_BENIGN_MODULES = frozenset({"pip", "venv", "ensurepip", "site", "http.server", "json.tool", "virtualenv", "pipx"})
_GIT_READ = frozenset({"push", "fetch", "pull", "clone", "ls-remote"})


def is_python(base: str) -> bool:
    return base.startswith(("python", "pypy")) and not base.endswith(("-config", "-dbg"))


def is_repo_path(name: str) -> bool:
    """A command run by path from the work tree (``./x``, ``scripts/x``), not a system binary."""
    return "/" in name and not name.startswith(("/", "~")) and "://" not in name


def can_fail(cmd: Cmd, reads: bool) -> bool:
    """Whether a failure of ``cmd`` would lose something that matters (see the module docs).

    ``reads``: also count read-only calls of remote tools (inside ``$(...)``
    and on the left of a pipe, where an empty result flows on).
    """
    name, base = cmd.name, cmd.base
    if name is None:
        text = cmd.name_node.text or b""
        # `"$GITHUB_ACTION_PATH/run.sh"`, `${{ github.action_path }}/x.sh`: a script by path.
        return b"/" in text and not text.startswith(b"/")
    first = next((v for v in cmd.vals if v is not None), None)
    if first in ("version", "help", "--version", "--help", "-h", "-V"):
        return False
    if base in NETWORK:
        return not cmd.has_flag("--version", "-V", "--help", "-h")
    if base in REGISTRY:
        pos = cmd.positionals(3, _DOCKER_GLOBAL_VALUE_OPTS)
        if not pos or pos[0] in ("version", "help", "info") or cmd.has_flag("--version", "--help"):
            return False
        if reads:
            return True
        for i, word in enumerate(pos):
            if word in _REGISTRY_BENIGN:
                return False
            if word == "create" and (i == 0 or pos[i - 1] not in ("manifest", "imagetools")):
                return False
        return True
    if base in _GH:
        pos = cmd.positionals(2)
        if not pos or pos[0] in ("version", "help", "--version"):
            return False
        if reads or pos[0] == "api":
            return True
        if cmd.has_flag("--disable-auto", "--auto"):
            return False  # toggles auto-merge: a setting, not the merge
        return len(pos) >= 2 and (pos[0], pos[1]) in _GH_WRITES
    if base in KUBE:
        pos = cmd.positionals(1)
        return bool(pos) and (reads or pos[0] in _KUBE_WRITES) and pos[0] not in ("version", "help")
    if base == "helm":
        pos = cmd.positionals(2)
        return bool(pos) and (reads or pos[0] in _HELM_WRITES) and pos[0] not in ("version", "help")
    if base in _IAC:
        pos = cmd.positionals(3)
        return bool(pos) and (reads or any(p in _IAC[base] for p in pos)) and pos[0] not in ("version", "fmt")
    if base == "pulumi":
        pos = cmd.positionals(2)
        return bool(pos) and (reads or pos[0] in _PULUMI_WRITES)
    if base in _CLOUD:
        pos = cmd.positionals(4)
        if not pos or cmd.has_flag("--version", "--help"):
            return False
        if reads:
            return pos[0] not in ("version", "help", "configure", "config")
        parts = {p for word in pos for p in re.split(r"[-:_]", word)}
        if parts & _READ_VERBS:
            return False
        return bool(parts & _WRITE_VERBS)
    if base in _ALWAYS:
        return not cmd.has_flag(*_VERSION_FLAGS)
    if base == "git":
        pos = cmd.positionals(1, frozenset({"-C", "-c", "--git-dir", "--work-tree"}))
        if not pos:
            return False
        if pos[0] == "push":
            return not cmd.has_flag("--delete", "-d") and not any(v is not None and v.startswith(":") for v in cmd.vals)
        return reads and pos[0] in _GIT_READ
    if base in _PUBLISH_TOOLS or base in ("mvnw", "gradlew"):
        return any(_PUBLISH_RE.search(p) for p in cmd.positionals(4))
    if is_python(base):
        vals = cmd.vals
        if not vals:
            return False  # a REPL with no input: nothing runs
        first = vals[0]
        if first in _VERSION_FLAGS:
            return False
        if "-m" in vals:
            k = vals.index("-m")
            module = vals[k + 1] if k + 1 < len(vals) else None
            return module not in _PY_BENIGN_MODULES
        return True
    if base in _INTERPRETERS:
        return bool(cmd.vals) and cmd.vals[0] not in _VERSION_FLAGS
    if base in ("java",):
        return "-jar" in cmd.vals
    if base == "go":
        return cmd.positionals(1) == ["run"]
    if is_repo_path(name):
        return True
    return name.endswith((".sh", ".py", ".bash", ".js", ".rb", ".pl"))


# Commands that do not fail on valid use: their status is 0 whatever the input.
_NEVER_FAIL = frozenset(
    {"echo", "printf", "true", ":", "pwd", "date", "basename", "dirname", "uname", "nproc", "whoami", "id"}
    | {"hostname", "seq", "tr", "grep", "egrep", "fgrep", "test", "["}
)
# Filters that cannot fail while they only read stdin (a file operand may be missing), with
# their options that take a value.
_STDIN_FILTERS: dict[str, frozenset[str]] = {
    "cut": frozenset({"-d", "-f", "-c", "-b"}),
    "head": frozenset({"-n", "-c"}),
    "tail": frozenset({"-n", "-c"}),
    "sort": frozenset({"-k", "-t", "-o", "-S"}),
    "uniq": frozenset({"-f", "-s", "-w"}),
    "wc": frozenset(),
    "rev": frozenset(),
    "fold": frozenset({"-w"}),
    "paste": frozenset({"-d"}),
    "column": frozenset({"-s", "-o", "-c"}),
    "tac": frozenset(),
}
_SCRIPT_FILTERS = frozenset({"sed", "awk", "gawk", "mawk"})  # first positional is the program


def may_fail(cmd: Cmd) -> bool:
    """Whether ``cmd`` can exit non-zero at all (a wider question than :func:`can_fail`).

    What ``local x=$(cmd)`` hides is *any* failure: a missing file for
    ``cat``, a non-repository for ``git rev-parse``, bad JSON for ``jq``.
    Only commands that cannot fail on valid use (``echo``, ``pwd``,
    ``basename``, ``tr``, and text filters reading stdin) are left out.
    """
    base = cmd.base
    if cmd.name is None:
        return True
    if base in _NEVER_FAIL:
        return False
    value_opts = _STDIN_FILTERS.get(base)
    if value_opts is not None:
        vals = iter(cmd.vals)
        for v in vals:
            if v in value_opts:
                next(vals, None)
            elif v is None or not v.startswith("-"):
                return True  # a file operand: it may be missing
        return False
    if base in _SCRIPT_FILTERS:
        operands = [v for v in cmd.vals if v is None or not v.startswith("-")]
        return len(operands) > 1 or cmd.has_flag("-f", "-i", "--in-place")
    return True
