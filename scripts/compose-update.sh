#!/usr/bin/env bash
# Update one app service of the compose stack without a failed request: start-first.
# Builds the service's image from the work tree, starts as many new replicas as there are
# old ones, waits until every new one is healthy, then stops the old ones one at a time: each
# drains (new connections are dropped, so the gateway sends them to another replica; what it
# already has is finished) before it exits. If a new replica does not become healthy, the new
# ones are removed and the old ones keep serving.
# Usage: scripts/compose-update.sh SERVICE   (content, counter or notifier)
# The compose project is the one `docker compose` finds here (COMPOSE_FILE and
# COMPOSE_PROJECT_NAME are honoured, e.g. for the stand-ins of deploy/standins/).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SERVICE=${1:?usage: $0 content|counter|notifier}
HEALTH_DEADLINE=${UPDATE_HEALTH_DEADLINE:-180}  # seconds for a new replica to be healthy
STOP_TIMEOUT=30                                   # the compose file's stop_grace_period

say() { printf '==> %s\n' "$*"; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }
compose() { docker compose "$@"; }
health() { docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$1"; }

mapfile -t old < <(compose ps -q "$SERVICE")
((${#old[@]})) || die "$SERVICE has no running replica: start the stack with 'docker compose up -d'"
count=${#old[@]}

say "$SERVICE: building the new image"
compose build "$SERVICE"

say "$SERVICE: starting $count new replica(s) beside the $count running"
compose up -d --no-deps --no-recreate --scale "$SERVICE=$((count * 2))" "$SERVICE"
mapfile -t all < <(compose ps -q "$SERVICE")
new=()
for id in "${all[@]}"; do [[ " ${old[*]} " == *" $id "* ]] || new+=("$id"); done
((${#new[@]} == count)) || die "expected $count new replicas of $SERVICE, found ${#new[@]}"

end=$((SECONDS + HEALTH_DEADLINE))
for id in "${new[@]}"; do
  until [[ "$(health "$id")" == healthy ]]; do
    state=$(health "$id")
    if [[ "$state" == unhealthy || "$state" == exited || "$state" == dead ]] || ((SECONDS >= end)); then
      say "$SERVICE: new replica ${id:0:12} is $state: removing the new ones, the old ones stay"
      docker rm -f "${new[@]}" >/dev/null
      die "update of $SERVICE abandoned; see 'docker logs ${id:0:12}'"
    fi
    sleep 1
  done
done
say "$SERVICE: the $count new replica(s) are healthy"

for id in "${old[@]}"; do
  say "$SERVICE: draining and stopping old replica ${id:0:12}"
  docker stop --time "$STOP_TIMEOUT" "$id" >/dev/null
  docker rm "$id" >/dev/null
done
say "$SERVICE: updated, $count replica(s) running the new image"
echo "Next: 'docker compose ps $SERVICE' shows them; 'docker compose logs -f $SERVICE' follows them."
