#!/usr/bin/env bash
# The set-up every other script relies on: uv (pinned) and the locked virtualenv in .venv;
# Node.js and the editor bundle (services/content/static/rich-editor.{js,css}), built from the
# npm lock in services/content/editor-src. Idempotent: each step runs only when its inputs
# changed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
UV_VERSION=0.13.9
NODE_MAJOR_MIN=18
EDITOR_SRC=services/content/editor-src
STATIC=services/content/static
cd "$ROOT"

if ! command -v uv >/dev/null || [[ "$(uv --version | cut -d' ' -f2)" != "$UV_VERSION" ]]; then
  echo "==> installing uv $UV_VERSION"
  python3 -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
fi
echo "==> syncing .venv with uv.lock"
uv sync --frozen --quiet

# ---- the editor bundle ----------------------------------------------------------------------
node_ok() {
  command -v node >/dev/null && command -v npm >/dev/null &&
    node -e "process.exit(Number(process.versions.node.split('.')[0]) >= $NODE_MAJOR_MIN ? 0 : 1)"
}
hash_of() { sha256sum "$@" | sha256sum | cut -c1-16; }

if ! node_ok; then
  missing=()
  command -v node >/dev/null || missing+=(nodejs)
  command -v npm >/dev/null || missing+=(npm)
  if ((${#missing[@]})); then
    echo "==> installing Debian's ${missing[*]} (the editor bundle is built with Node.js and npm)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  fi
  node_ok || { echo "ERROR: the editor bundle needs Node.js >= $NODE_MAJOR_MIN and npm" >&2; exit 1; }
fi

mkdir -p .local
exec 8>.local/editor-bundle.lock
flock -w 300 8 || { echo "ERROR: another bootstrap is still building the editor bundle" >&2; exit 1; }

# npm ci only when the lock changed: its stamp lives inside node_modules, which npm ci
# replaces, so a half-finished install is never taken for a finished one.
lock_hash=$(cd "$EDITOR_SRC" && hash_of package.json package-lock.json)
lock_stamp="$EDITOR_SRC/node_modules/.portal-lock"
if [[ "$(cat "$lock_stamp" 2>/dev/null)" != "$lock_hash" ]]; then
  echo "==> npm ci in $EDITOR_SRC (package-lock.json changed or node_modules missing)"
  # --ignore-scripts: no package needs an install script (esbuild's binary comes in its
  # platform package), and none runs on this machine unasked.
  (cd "$EDITOR_SRC" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  echo "$lock_hash" >"$lock_stamp"
fi

# The build, only when an input or an output differs from the last build's.
build_inputs() {
  echo "$lock_hash"
  (cd "$EDITOR_SRC" && find build.mjs src -type f -print0 | sort -z | xargs -0 sha256sum)
}
build_outputs() {
  { cat "$STATIC/rich-editor.js" "$STATIC/rich-editor.css" 2>/dev/null || echo missing; } | sha256sum
}
build_stamp=.local/editor-bundle.stamp
want="$(build_inputs | sha256sum | cut -c1-16) $(build_outputs | cut -c1-16)"
if [[ "$(cat "$build_stamp" 2>/dev/null)" != "$want" ]]; then
  echo "==> building the editor bundle ($EDITOR_SRC -> $STATIC/rich-editor.{js,css})"
  (cd "$EDITOR_SRC" && node build.mjs)
  echo "$(build_inputs | sha256sum | cut -c1-16) $(build_outputs | cut -c1-16)" >"$build_stamp"
else
  echo "==> editor bundle up to date ($STATIC/rich-editor.js)"
fi
exec 8>&-
