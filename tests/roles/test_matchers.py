"""Precision of the catalogue's matchers: the shapes met in ../shared/corpus, written anew.

Running the catalogue over the wild and molecule-ai corpora showed steps it
took for a publish, promote or verify that a platform engineer would not:
``kubectl apply`` of a third-party manifest or of CRDs, kubectl and helm
against a cluster the job made (kind loaded through ``kind load``, a make
target, an action found by the word ``setup-kind`` in its path), tool
downloads with ``curl -f`` taken for smoke tests, a dispatch that hands on a
build version taken for a deploy, pushes to a registry on the runner. And
some it missed: kustomize run inside ``docker run``, ``kubectl -n prod set
image``. Each case is a small workflow checked through the CLI; the JSON
summary's roles are the verdict.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import check_json

PATH = ".github/workflows/ci.yml"


def roles_of(root: Path, jobs: str) -> dict[str, list[str]]:
    text = "name: ci\non: push\npermissions:\n  contents: read\njobs:\n" + textwrap.indent(
        textwrap.dedent(jobs).strip("\n") + "\n", "  ")
    (root / ".github" / "workflows").mkdir(parents=True, exist_ok=True)
    (root / PATH).write_text(text, encoding="utf-8")
    run = check_json(root, extra=("--no-policy",))
    assert run.exit_code in (0, 1), run.stderr
    found: dict[str, list[str]] = run.json()["summary"]["repositories"][0]["jobs"].get(PATH, {})
    return found


def job(steps: str, name: str = "job") -> str:
    """One job running ``steps`` (a YAML list of steps written at column 0)."""
    body = textwrap.indent(textwrap.dedent(steps).strip("\n"), "    ")
    return f"{name}:\n  runs-on: ubuntu-latest\n  steps:\n{body}"


NOT_A_PROMOTE = {
    "kubectl apply of a manifest from a URL": """
        - run: kubectl apply -f https://github.com/cert-manager/cert-manager/releases/download/v1.15.0/cert-manager.yaml
        """,
    "kubectl apply of CRDs": """
        - run: kubectl apply --server-side -f ./config/crds
        """,
    "a namespace created idempotently": """
        - run: kubectl create namespace prod --dry-run=client -o yaml | kubectl apply -f -
        """,
    "kubectl against a kind cluster loaded with kind load": """
        - run: make build-image
        - run: kind load docker-image app:dev
        - run: kubectl set image deployment/app app=app:dev
        """,
    "kubectl against a cluster a make target creates": """
        - run: make kind-create-cluster
        - run: kubectl apply -k deploy/overlays/test
        """,
    "helm against a cluster from an action named setup-kind": """
        - uses: chainguard-dev/actions/setup-kind@v1
        - run: helm upgrade --install app ./charts/app --set image.tag=dev --wait
        """,
    "helm against a cluster from a local setup-k3d action": """
        - uses: ./.github/actions/setup-k3d
        - run: helm install app ./charts/app --set image.tag=dev
        """,
    "flux against a cluster a create-cluster action makes": """
        - uses: replicatedhq/replicated-actions/create-cluster@v1
          with: {distribution: k3s}
        - run: flux reconcile kustomization apps --with-source
        """,
    "kubectl against k3s installed in the job": """
        - run: curl -sfL https://get.k3s.io | sh -
        - run: kubectl apply -f deploy/ && kubectl set image deployment/app app=app:dev
        """,
    "a test image copied to an ephemeral registry": """
        - run: crane copy cgr.dev/chainguard/static@sha256:0123456789abcdef0123 ttl.sh/acme-test:1h
        """,
    "a dispatch of a build workflow with a version": """
        - run: |
            curl --fail -X POST -H "Authorization: token $TOKEN" \\
              "$API/repos/acme/app/actions/workflows/macos-images.yml/dispatches" \\
              -d '{"ref": "main", "inputs": {"version": "1.2.3"}}'
        """,
    "a dispatch of a docs deploy": """
        - run: gh workflow run deploy-docs.yml -f version=1.2.3
        """,
    "a dispatch that only names the git ref": """
        - run: |
            curl --fail -X POST https://api.github.com/repos/acme/app/actions/workflows/ci.yml/dispatches \\
              -d '{"ref":"refs/heads/main"}'
        """,
    "a helm dry run": """
        - run: helm upgrade --install app ./charts/app --dry-run --set image.tag=latest
        """,
}


@pytest.mark.parametrize("case", NOT_A_PROMOTE)
def test_not_a_promote(case: str, tmp_path: Path) -> None:
    roles = roles_of(tmp_path, job(NOT_A_PROMOTE[case]))
    assert "promote" not in roles.get("job", []), roles


PROMOTES = {
    "kustomize run inside docker run, then git push": """
        - run: |
            docker run --rm -v "$(pwd):/src" -w /src ghcr.io/acme/tools:1 \\
              kustomize edit set image app=ghcr.io/acme/app:${{ github.sha }}
            git commit -am "deploy" && git push
        """,
    "kubectl with the namespace before the sub-command": """
        - run: kubectl -n prod set image deployment/app app=ghcr.io/acme/app:latest
        """,
    "kubectl under timeout": """
        - run: timeout 300 kubectl --context prod rollout restart deployment/app
        """,
    "a dispatch that hands on an image": """
        - run: |
            curl --fail -X POST https://api.github.com/repos/acme/deployments/dispatches \\
              -d '{"event_type": "deploy", "client_payload": {"image": "ghcr.io/acme/app:latest"}}'
        """,
    "a deploy fed a ref to the image (not the git ref)": """
        - uses: actions/github-script@v7
          with:
            script: |
              await github.rest.actions.createWorkflowDispatch({
                owner: 'acme', repo: 'hosted', workflow_id: 'deploy.yaml', ref: 'main',
                inputs: { 'app-ref': 'latest' },
              })
        """,
}


@pytest.mark.parametrize("case", PROMOTES)
def test_a_promote(case: str, tmp_path: Path) -> None:
    roles = roles_of(tmp_path, job(PROMOTES[case]))
    assert "promote" in roles.get("job", []), roles


NOT_A_PUBLISH = {
    "a push to a registry on the runner": """
        - run: docker build -t localhost:5000/app:test . && docker push localhost:5000/app:test
        """,
    "buildah push to an archive": """
        - run: buildah push app:build oci-archive:app-oci.tar
        """,
    "ko into kind": """
        - run: KO_DOCKER_REPO=kind.local ko build ./cmd/app
        """,
    "release notes that show docker push": """
        - run: |
            cat > notes.md <<EOF
            docker pull ghcr.io/acme/app:1.2.3
            docker push your-registry/app:1.2.3
            EOF
        """,
    "crane append to a local registry": """
        - run: crane append --base cgr.dev/chainguard/static --new_tag localhost:1338/append-test --new_layer l.tar
        """,
    "ko to an insecure test registry": """
        - run: ko publish --insecure-registry -B registry.test/demo ./cmd/app
        """,
    "build-push-action to a local registry": """
        - uses: docker/build-push-action@v6
          with: {push: true, tags: 'localhost:5000/app:test'}
        """,
}


@pytest.mark.parametrize("case", NOT_A_PUBLISH)
def test_not_a_publish(case: str, tmp_path: Path) -> None:
    roles = roles_of(tmp_path, job(NOT_A_PUBLISH[case]))
    assert "publish" not in roles.get("job", []), roles


def test_a_deploy_in_a_heredoc_fed_to_ssh_is_a_promote(tmp_path: Path) -> None:
    """A heredoc body is data (release notes above), unless it feeds a shell: then its lines
    are commands — here the remote ones of a deploy over ssh."""
    steps = """
        - run: |
            ssh deploy@app.example.com bash <<'EOF'
            docker pull ghcr.io/acme/app:latest
            docker compose up -d
            EOF
        """
    roles = roles_of(tmp_path, job(steps))
    assert roles.get("job", []) == ["promote"]


NOT_A_VERIFY = {
    "an installer piped into sh": "curl -fsSL https://get.pulumi.com | sh",
    "a tool download to a file": "curl -fsSL -o kubectl https://dl.k8s.io/release/v1.30.0/bin/linux/amd64/kubectl",
    "a release asset, remote name": "curl -fLO https://github.com/acme/tool/releases/download/v1/tool.tar.gz",
    "an API answer saved for a later step": 'curl -fsS "$CP_URL/admin/orgs" -H "Authorization: Bearer $T" > orgs.json',
    "an API answer captured": 'orgs=$(curl -fsS "$CP_URL/admin/orgs")\necho "$orgs" | jq length',
    "a package registry lookup": "curl -fsS https://pypi.org/pypi/acme/json",
    "a request over a unix socket": "curl --fail --unix-socket /run/cache.sock http://cache/key",
    "wget saving a file": "wget -q https://ftp.postgresql.org/pub/source/v16.2/postgresql-16.2.tar.bz2",
}


@pytest.mark.parametrize("case", NOT_A_VERIFY)
def test_not_a_verify(case: str, tmp_path: Path) -> None:
    command = NOT_A_VERIFY[case]
    steps = "- run: |\n" + textwrap.indent(command, "    ") + "\n"
    roles = roles_of(tmp_path, job(steps, name="deploy-check"))
    assert "verify" not in roles.get("deploy-check", []), roles
