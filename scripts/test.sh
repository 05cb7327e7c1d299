#!/usr/bin/env bash
# The README's test command: type-check, lint, then every jest test (root and edge workspaces).
# Integration tests start their own local services (EKM cloud, S3, DynamoDB Local, pty bus).
set -euo pipefail
cd "$(dirname "$0")/.."
export TZ=UTC
# Node 20 is a supported runtime here; the AWS SDK notice about its own future requirement is noise in test output.
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
npx tsc --noEmit -p tsconfig.json
npx tsc --noEmit -p edge-collector/tsconfig.json
npx biome check --diagnostic-level=error .
# The CLI the tests spawn (bin/ekm-pipeline.cjs) runs this build when it is fresh.
node scripts/build-cli.cjs
npx jest --ci "$@"
