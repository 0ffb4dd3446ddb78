#!/usr/bin/env bash
# Fails when the committed proto/src/gen differs from a fresh generation: the .proto is the source and
# generated code is never edited by hand.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT
bash "$here/scripts/generate.sh" "$fresh"
if ! diff -r "$here/src/gen" "$fresh" >"$fresh.diff" 2>&1; then
  echo "proto/src/gen is stale: run 'npm run gen:proto' and commit the result. Differences:" >&2
  head -n 60 "$fresh.diff" >&2
  rm -f "$fresh.diff"
  exit 1
fi
rm -f "$fresh.diff"
echo "proto/src/gen matches a fresh generation"
