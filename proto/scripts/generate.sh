#!/usr/bin/env bash
# Regenerates proto/src/gen from the .proto sources with Debian's protoc and ts-proto (both work offline).
# Usage: generate.sh [OUT_DIR]   (default: proto/src/gen; check-generated.sh passes a temp dir)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
root=$(cd "$here/.." && pwd)
out=${1:-$here/src/gen}

if ! command -v protoc >/dev/null; then
  echo "generate.sh: protoc is missing (Debian package protobuf-compiler; run 'bash deploy/install-packages.sh build' as root)" >&2
  exit 1
fi
# The well-known types (google/protobuf/*.proto) come from libprotobuf-dev, which protoc only recommends.
well_known=/usr/include
if [ ! -f "$well_known/google/protobuf/timestamp.proto" ]; then
  echo "generate.sh: $well_known/google/protobuf/timestamp.proto is missing (Debian package libprotobuf-dev; run 'bash deploy/install-packages.sh build' as root)" >&2
  exit 1
fi
plugin=$root/node_modules/.bin/protoc-gen-ts_proto
if [ ! -x "$plugin" ]; then
  echo "generate.sh: ts-proto is not installed; run 'npm ci' first" >&2
  exit 1
fi

rm -rf "$out"
mkdir -p "$out"
cd "$here"
# Options: grpc-js services; Long-free numbers (uint64 counters stay below 2^53 bytes); Date for timestamps;
# .js suffixes because the package is ESM under NodeNext resolution.
protoc \
  --proto_path=. --proto_path="$well_known" \
  --plugin=protoc-gen-ts_proto="$plugin" \
  --ts_proto_out="$out" \
  --ts_proto_opt=outputServices=grpc-js,esModuleInterop=true,env=node,importSuffix=.js,forceLong=number,useDate=true,useExactTypes=false \
  $(find esxbackup -name '*.proto' | sort)
