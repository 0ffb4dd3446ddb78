#!/usr/bin/env bash
# Fails when the committed generated code differs from a fresh generation: the .proto is the source and
# generated code is never edited by hand.
# Usage: check-generated.sh [COMMITTED_DIR]   (default proto/src/gen; tests pass a tampered copy)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
committed=${1:-$here/src/gen}
fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT
bash "$here/scripts/generate.sh" "$fresh/gen"
if ! diff -r "$committed" "$fresh/gen" >"$fresh/diff" 2>&1; then
  echo "proto/src/gen is stale: run 'npm run gen:proto' and commit the result. Differences:" >&2
  head -n 60 "$fresh/diff" >&2
  exit 1
fi
echo "proto/src/gen matches a fresh generation"
