#!/usr/bin/env bash
# `npm run bench`: every capability's benchmark, run on demand (never as a timed test).
# Each bench/*.bench.ts prints its own figures; pass a name to run one: npm run bench -- lake
set -euo pipefail
cd "$(dirname "$0")/.."
export TZ=UTC
# Node 20 is a supported runtime here; the AWS SDK notice about its own future requirement is noise in test output.
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
filter="${1:-}"
for file in bench/*.bench.ts; do
  [[ -e "$file" ]] || continue
  [[ -z "$filter" || "$file" == *"$filter"* ]] || continue
  echo "=== $file"
  node --expose-gc --import tsx "$file"
done
if [[ -z "$filter" || "$filter" == edge ]]; then
  echo "=== edge-collector"
  npm run bench --workspace edge-collector
fi
