#!/usr/bin/env bash
# The local stack needs two Debian packages besides Node: socat (the pseudo-terminal pair of the
# simulated RS-485 bus) and a Java runtime (DynamoDB Local); with --test also Chromium (headless, the
# tests open the printable invoices in it). Install them when missing and we may;
# otherwise say exactly what to run. Used by `npm start`, `npm test` (--test) and .ci/run (--test).
set -euo pipefail
missing=()
command -v socat >/dev/null 2>&1 || missing+=(socat)
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
if [[ "${1:-}" == --test ]]; then
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fi
((${#missing[@]} == 0)) && exit 0
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "ekm-pipeline: installing ${missing[*]} (apt-get)..." >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1
else
  echo "ekm-pipeline: missing ${missing[*]}; install with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
