#!/usr/bin/env bash
# Reads the deployed pin back and fails unless it is the digest just pushed.
set -euo pipefail

: "${EXPECTED_DIGEST:?EXPECTED_DIGEST is required}"
: "${ENVIRONMENT:?ENVIRONMENT is required}"
: "${DEPLOY_TOKEN:?DEPLOY_TOKEN is required}"

actual=$(curl --fail-with-body -sS \
  -H "Authorization: Bearer ${DEPLOY_TOKEN}" \
  "https://deploy.example.com/api/pins/${ENVIRONMENT}" | jq -r .digest)

if [ "$actual" != "$EXPECTED_DIGEST" ]; then
  echo "::error::${ENVIRONMENT} is pinned to ${actual}, expected ${EXPECTED_DIGEST}"
  exit 1
fi
echo "${ENVIRONMENT} is pinned to ${EXPECTED_DIGEST}"
