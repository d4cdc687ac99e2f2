#!/usr/bin/env bash
# Docker for the compose path on these machines, where nothing can be pulled from Docker Hub:
# installs Debian's docker.io (and debootstrap), starts dockerd, builds the compose v2 plugin
# from the Go module proxy, and builds local stand-ins for the infrastructure images
# (deploy/standins/). Then the real docker-compose.yml runs with one override file:
#   scripts/docker.sh compose -p portaltest up -d --build
# is `docker compose -f docker-compose.yml -f deploy/standins/compose.override.yml ...`.
# Idempotent: what is installed, running or built for the same inputs is left as it is.
# Usage: scripts/docker.sh [up|status|stop|compose ARGS...]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="$ROOT/.local"; RUN="$LOCAL/run"; LOG="$LOCAL/log"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/portal-infra"; BIN="$CACHE/bin"
STANDINS="$ROOT/deploy/standins"
OVERRIDE="$STANDINS/compose.override.yml"
PLUGIN_DIR="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"
export PATH="$PATH:/usr/sbin:/sbin:/usr/local/go/bin"
export DEBIAN_FRONTEND=noninteractive

COMPOSE_VERSION=v2.40.3
MAILPIT_VERSION=v1.33.1                  # the version docker-compose.yml and infra.sh name
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
IMG=portal-standin                       # repository prefix of every stand-in image
HOST_CA=/etc/ssl/certs/ca-certificates.crt
DEADLINE="${DOCKER_DEADLINE:-60}"        # seconds to wait for dockerd

say() { printf '==> %s\n' "$*"; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }
gobin() { command -v go >/dev/null || die "Go is needed (expected at /usr/local/go/bin/go)"; go "$@"; }

# A hash of everything a build reads: file names, modes and contents (tar in a fixed order),
# plus any extra words (a base image tag, a binary's cache name).
tree_hash() {  # dir [extra...]
  local dir=$1; shift
  { tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$dir" -cf - .
    printf '%s\n' "$@"; } | sha256sum | cut -c1-16
}

# ---- packages --------------------------------------------------------------------------------
install_packages() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  ((${#missing[@]})) || return 0
  say "installing Debian packages: ${missing[*]}"
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >"$LOG/docker-apt.log" 2>&1 ||
    { tail -n 30 "$LOG/docker-apt.log" >&2; die "apt-get install ${missing[*]} failed"; }
}

# ---- dockerd ---------------------------------------------------------------------------------
docker_ok() { docker info >/dev/null 2>&1; }
our_dockerd() {  # prints the pid of the dockerd this script started, if it still runs
  local f="$RUN/dockerd.pid" pid
  [[ -f "$f" ]] || return 1
  pid=$(<"$f")
  if kill -0 "$pid" 2>/dev/null && grep -q dockerd "/proc/$pid/cmdline" 2>/dev/null; then echo "$pid"
  else rm -f "$f"; return 1; fi
}
wait_docker() {  # [pid]: until the API answers, the deadline passes or that pid dies
  local pid=${1:-} end=$((SECONDS + DEADLINE))
  until docker_ok; do
    if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$LOG/dockerd.log" >&2 || true; die "dockerd exited (log: $LOG/dockerd.log)"
    fi
    ((SECONDS < end)) || die "dockerd did not answer within ${DEADLINE}s (log: $LOG/dockerd.log)"
    sleep 0.5
  done
}
dockerd_up() {
  if docker_ok; then
    local pid; pid=$(pgrep -xo dockerd || true)
    if our_dockerd >/dev/null; then say "dockerd: already running (pid ${pid:-?}, started by this script)"
    else say "dockerd: already running (pid ${pid:-?}, not ours: left alone)"; fi
    return
  fi
  if pgrep -x dockerd >/dev/null; then  # starting, or stuck: someone else's either way
    say "dockerd: a dockerd process exists but does not answer yet; waiting for it"
    wait_docker; return
  fi
  if [[ -d /run/systemd/system ]]; then
    say "dockerd: starting with 'systemctl start docker' (systemd runs this machine)"
    systemctl start docker; wait_docker; return
  fi
  # No systemd here, and Debian's /etc/init.d/docker stops at `ulimit -n 1048576`, which a
  # sandbox may refuse: start the daemon directly, in its own session so it outlives us.
  say "dockerd: starting /usr/sbin/dockerd directly (no systemd; log $LOG/dockerd.log)"
  setsid nohup dockerd >>"$LOG/dockerd.log" 2>&1 </dev/null 9>&- &
  echo $! >"$RUN/dockerd.pid"
  wait_docker "$!"
}
dockerd_stop() {
  local pid end=$((SECONDS + 30))
  pid=$(our_dockerd) || { say "dockerd: not started by this script, left alone"; return; }
  say "dockerd: stopping pid $pid (it stops its containers first)"
  kill -TERM "$pid"
  while kill -0 "$pid" 2>/dev/null; do
    ((SECONDS < end)) || die "dockerd pid $pid still runs after 30 s"; sleep 0.5
  done
  rm -f "$RUN/dockerd.pid"
}

# ---- Go builds (cached outside the repo, like infra.sh's) -----------------------------------
compose_bin() { echo "$BIN/docker-compose-$COMPOSE_VERSION"; }
build_compose() {
  # `go install …/cmd@version` refuses a module whose go.mod has exclude directives (compose's
  # has), so build inside a writable copy of the downloaded module instead.
  local bin dir tmp; bin=$(compose_bin); [[ -x "$bin" ]] && return
  say "compose: building $COMPOSE_VERSION from the Go module proxy (first time only: 2-6 min)"
  dir=$(cd /tmp && gobin mod download -json "github.com/docker/compose/v2@$COMPOSE_VERSION" |
        sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [[ -d "$dir" ]] || die "go mod download gave no folder for compose $COMPOSE_VERSION"
  tmp=$(mktemp -d); cp -r "$dir/." "$tmp/"; chmod -R u+w "$tmp"
  (cd "$tmp" && CGO_ENABLED=0 gobin build -trimpath -o "$bin.tmp.$$" \
    -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=$COMPOSE_VERSION" ./cmd)
  mv "$bin.tmp.$$" "$bin"; rm -rf "$tmp"
}
# The binaries of the mongo and mailpit stand-ins. On a bookworm host (the release of the
# images' base) they are infra.sh's own builds, same commands and cache names, so a machine
# builds each once: they link against nothing but glibc, and it is the same glibc inside.
# On any other host the images get static builds (CGO off) under their own names.
GO_VARIANT=""
grep -qx 'VERSION_CODENAME=bookworm' /etc/os-release 2>/dev/null || GO_VARIANT=-static
ferretdb_bin() {
  local src="$ROOT/tools/ferretdb"
  echo "$BIN/ferretdb-$(cat "$src/go.mod" "$src/go.sum" "$src/main.go" | sha256sum | cut -c1-16)$GO_VARIANT"
}
build_ferretdb() {
  local bin; bin=$(ferretdb_bin); [[ -x "$bin" ]] && return
  [[ -z "$GO_VARIANT" ]] || local -x CGO_ENABLED=0
  say "ferretdb: building $(basename "$bin") (first time only)"
  (cd "$ROOT/tools/ferretdb" && gobin build -trimpath -o "$bin.tmp.$$" . && mv "$bin.tmp.$$" "$bin")
}
mailpit_bin() { echo "$BIN/mailpit-$MAILPIT_VERSION$GO_VARIANT"; }
build_mailpit() {
  local bin tmp; bin=$(mailpit_bin); [[ -x "$bin" ]] && return
  [[ -z "$GO_VARIANT" ]] || local -x CGO_ENABLED=0
  say "mailpit: building $(basename "$bin") (first time only)"
  tmp=$(mktemp -d)
  (cd "$tmp" && GOBIN="$tmp" gobin install "github.com/axllent/mailpit@$MAILPIT_VERSION")
  mv "$tmp/mailpit" "$bin"; rm -rf "$tmp"
}

install_compose_plugin() {
  local bin plugin="$PLUGIN_DIR/docker-compose"; bin=$(compose_bin)
  if [[ -e "$plugin" && ! -L "$plugin" ]]; then  # a real file: someone installed their own
    say "compose: $plugin is not ours, using it as it is ($(docker compose version --short 2>/dev/null || echo '?'))"
    return
  fi
  if [[ "$(readlink "$plugin" 2>/dev/null)" != "$bin" ]]; then
    mkdir -p "$PLUGIN_DIR"; ln -sfn "$bin" "$plugin"
    say "compose: installed $plugin -> $bin"
  fi
  docker compose version >/dev/null || die "docker compose does not run ($plugin)"
}

# ---- stand-in images -------------------------------------------------------------------------
image_exists() { docker image inspect "$1" >/dev/null 2>&1; }
drop_old_tags() {  # name keep-tag: untag earlier builds of this stand-in (ours by their prefix)
  local t
  for t in $(docker image ls "$IMG/$1" --format '{{.Tag}}'); do
    [[ "$t" == "$2" || "$t" == current ]] || docker rmi "$IMG/$1:$t" >/dev/null 2>&1 || true
  done
}
base_image() {  # prints the base tag; builds it if missing
  local tag; tag="$IMG/debian:bookworm-$(tree_hash "$STANDINS/base" bookworm "$DEBIAN_MIRROR")"
  if image_exists "$tag"; then say "base: $tag already built" >&2
  else
    "$STANDINS/base/mkimage.sh" "$tag" "$DEBIAN_MIRROR" >&2
    drop_old_tags debian "${tag##*:}"
  fi
  echo "$tag"
}
standin() {  # name base [src:dest ...]: build deploy/standins/<name> with extra files copied in
  local name=$1 base=$2 hash ctx tag spec extra=(); shift 2
  for spec in "$@"; do extra+=("$(basename "${spec%%:*}")" "$(sha256sum <"${spec%%:*}" | cut -c1-16)"); done
  hash=$(tree_hash "$STANDINS/$name" "$base" "${extra[@]}")
  tag="$IMG/$name:$hash"
  if image_exists "$tag"; then say "$name: $tag already built"
  else
    say "$name: building $tag (log $LOG/docker-build-$name.log)"
    ctx=$(mktemp -d); cp -a "$STANDINS/$name/." "$ctx/"
    for spec in "$@"; do cp "${spec%%:*}" "$ctx/${spec#*:}"; done
    # The classic builder: these Dockerfiles need nothing more, and `docker build` with
    # BuildKit wants the buildx plugin, which Debian bookworm does not package.
    if ! DOCKER_BUILDKIT=0 docker build --build-arg "BASE=$base" -t "$tag" "$ctx" \
        >"$LOG/docker-build-$name.log" 2>&1; then
      rm -rf "$ctx"; tail -n 30 "$LOG/docker-build-$name.log" >&2; die "$name: image build failed"
    fi
    rm -rf "$ctx"
  fi
  docker tag "$tag" "$IMG/$name:current"  # the name compose.override.yml uses
  drop_old_tags "$name" "$hash"
}
declare -A GO_JOBS=()
go_start() {  # name: build_<name> in the background (the three builds are the cold path)
  "build_$1" >"$LOG/docker-go-$1.log" 2>&1 & GO_JOBS[$1]=$!
}
go_wait() {  # name
  wait "${GO_JOBS[$1]}" || { tail -n 30 "$LOG/docker-go-$1.log" >&2; die "$1: Go build failed (log $LOG/docker-go-$1.log)"; }
  grep '^==>' "$LOG/docker-go-$1.log" || true
}
images() {
  local base
  # On a cold machine the Go builds (module downloads, then CPU) are the long pole: all three
  # start at once, beside debootstrap and apt here (mostly network and disk).
  go_start compose; go_start ferretdb; go_start mailpit
  base=$(base_image)
  standin rabbitmq "$base"
  standin nginx "$base"
  standin python "$base" "$HOST_CA:ca-certificates.crt"
  go_wait ferretdb; standin mongo "$base" "$(ferretdb_bin):ferretdb"
  go_wait mailpit; standin mailpit "$base" "$(mailpit_bin):mailpit"
  go_wait compose
}

# ---- commands --------------------------------------------------------------------------------
status() {
  local pid
  if docker_ok; then
    pid=$(pgrep -xo dockerd || true)
    if our_dockerd >/dev/null; then echo "dockerd   running pid=${pid:-?} (started by this script)"
    else echo "dockerd   running pid=${pid:-?} (not ours)"; fi
    echo "compose   $(docker compose version --short 2>/dev/null || echo 'not installed')"
    # Only the hash tags: each stand-in's :current points at the one listed for it.
    docker image ls "$IMG/*" --format 'image     {{.Repository}}:{{.Tag}}  {{.Size}}' | grep -v ':current ' | sort
  else
    echo "dockerd   not running"
  fi
}
up() {
  mkdir -p "$RUN" "$LOG" "$BIN"
  install_packages
  dockerd_up
  images
  install_compose_plugin
  status
  echo "Next: scripts/docker.sh compose -p portaltest up -d --build"
}
compose() {
  local env=()
  # BuildKit fetches the frontend image a `# syntax=` line names, from Docker Hub: unreachable
  # here. The classic builder reads the same Dockerfile and ignores that line.
  if head -n1 "$ROOT/Dockerfile" | grep -q '^#[[:space:]]*syntax='; then
    say "Dockerfile has a '# syntax=' line: building the app with the classic builder (DOCKER_BUILDKIT=0)" >&2
    env+=(DOCKER_BUILDKIT=0)
  fi
  cd "$ROOT"
  exec env "${env[@]}" docker compose -f docker-compose.yml -f "$OVERRIDE" "$@"
}

# One setup at a time on this machine (fd 9 is closed for the dockerd we start).
mkdir -p "$BIN" "$RUN" "$LOG"; exec 9>"$CACHE/docker.lock"
case "${1:-up}" in
  up) flock -w 1200 9 || die "another scripts/docker.sh is still running"; up ;;
  status) status ;;
  stop) flock -w 1200 9 || die "another scripts/docker.sh is still running"; dockerd_stop ;;
  compose)
    shift
    flock -w 1200 9 || die "another scripts/docker.sh is still running"
    up >"$LOG/docker-up.log" 2>&1 || { cat "$LOG/docker-up.log" >&2; exit 1; }
    grep -E 'building|starting|installing' "$LOG/docker-up.log" || true
    exec 9>&-
    compose "$@" ;;
  *) die "usage: $0 [up|status|stop|compose ARGS...]" ;;
esac
