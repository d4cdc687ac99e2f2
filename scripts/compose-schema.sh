#!/usr/bin/env bash
# Fetch the Compose Specification JSON schema into .local/compose-spec.json, for
# tests/unit/test_compose.py: the very schema the compose v2 plugin of scripts/docker.sh
# validates with (github.com/compose-spec/compose-go/v2, the version its go.mod names), from
# the Go module proxy, verified by its sha256. Idempotent: a file already there with the right
# hash is kept. Needs Go and the Go module proxy.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/.local/compose-spec.json"
MODULE="github.com/compose-spec/compose-go/v2@v2.9.1"  # compose v2.40.3's go.mod
SHA256="89f4bdc4ba651ff024118917a7cdb67d9d78c1af4bab9b12ec2fc85f5b7d90d3"
export PATH="$PATH:/usr/local/go/bin"

sha_of() { sha256sum "$1" | cut -d' ' -f1; }

if [[ -f "$DEST" && "$(sha_of "$DEST")" == "$SHA256" ]]; then
  echo "compose-schema: $DEST already present (sha256 ok), skipped"
  exit 0
fi

command -v go >/dev/null || { echo "compose-schema: Go is needed" >&2; exit 1; }
dir=$(cd /tmp && go mod download -json "$MODULE" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
source="$dir/schema/compose-spec.json"
[[ -f "$source" ]] || { echo "compose-schema: no schema in $MODULE ($dir)" >&2; exit 1; }
got="$(sha_of "$source")"
if [[ "$got" != "$SHA256" ]]; then
  echo "compose-schema: sha256 mismatch for $MODULE: got $got, want $SHA256" >&2
  exit 1
fi
mkdir -p "$(dirname "$DEST")"
cp "$source" "$DEST.tmp" && mv -f "$DEST.tmp" "$DEST"
echo "compose-schema: fetched $MODULE schema -> $DEST (sha256 ok)"
