#!/usr/bin/env bash
# Writes the secrets the portal needs into an env file (default: .env beside
# docker-compose.yml), each a fresh random value: EDITOR_TOKEN, ADMIN_TOKEN, SIGNING_KEY.
# A value already in the file is kept: rotating SIGNING_KEY would break every unsubscribe
# link already mailed. Usage: bash scripts/make-env.sh [file]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FILE="${1:-$ROOT/.env}"

token() { python3 -c "import secrets; print(secrets.token_hex($1))"; }

umask 077  # secrets: readable by their owner only
touch "$FILE"
added=()
for pair in EDITOR_TOKEN:24 ADMIN_TOKEN:24 SIGNING_KEY:32; do
  name=${pair%%:*} bytes=${pair##*:}
  grep -q "^$name=" "$FILE" && continue
  printf '%s=%s\n' "$name" "$(token "$bytes")" >>"$FILE"
  added+=("$name")
done
if ((${#added[@]})); then echo "==> $FILE: wrote ${added[*]}"; else echo "==> $FILE: secrets already set"; fi
