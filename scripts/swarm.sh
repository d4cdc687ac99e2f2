#!/usr/bin/env bash
# The portal as a Docker Swarm stack (deploy/swarm/portal-stack.yml). Idempotent; prints what it
# does. Usage:
#   scripts/swarm.sh deploy [--standins]   secrets, the app image, deploy, wait, replicate queues
#   scripts/swarm.sh update SERVICE        rolling update (start-first) of content|counter|notifier
#   scripts/swarm.sh status                the stack's services
#   scripts/swarm.sh rm                    remove the stack (its volumes and secrets stay)
# Settings (environment): EDITOR_TOKEN, ADMIN_TOKEN, SIGNING_KEY, RABBITMQ_COOKIE (the
# secrets' values when they are made; random if unset), STACK (portal), PORTAL_IMAGE (an image every node can pull; on a
# one-host swarm it is built here as portal-app:<commit>), GATEWAY_PORT (8080), PORTAL_URL,
# and the stack file's other variables. --standins: local stand-in images for the
# infrastructure (deploy/standins/swarm.override.yml), for machines without Docker Hub.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
STACK=${STACK:-portal}
STACK_FILE=deploy/swarm/portal-stack.yml
STANDINS=deploy/standins/swarm.override.yml
SECRETS_NOTE="$ROOT/.local/swarm-secrets.env"
DEADLINE=${SWARM_DEADLINE:-300}
SECRETS=(editor_token:24 admin_token:24 signing_key:32 rabbitmq_cookie:32)

say() { printf '==> %s\n' "$*"; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }
token() { python3 -c "import secrets; print(secrets.token_hex($1))"; }

swarm_up() {
  local state address
  state=$(docker info --format '{{.Swarm.LocalNodeState}}')
  [[ "$state" == active ]] && return
  address=$(ip -4 route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p')
  say "swarm: this engine is in no swarm; 'docker swarm init' (a one-host swarm on ${address:-?})"
  docker swarm init ${address:+--advertise-addr "$address"} >/dev/null
}

labels() {  # a one-host swarm carries every node and member; more hosts: label them yourself
  local nodes name label
  mapfile -t nodes < <(docker node ls --format '{{.Hostname}}')
  ((${#nodes[@]} == 1)) || { say "swarm: ${#nodes[@]} hosts: the portal-* labels are yours to set (docs/deployment.md)"; return; }
  name=${nodes[0]}
  for label in portal-rabbitmq-{1,2,3} portal-mongo-{1,2,3}; do
    docker node inspect "$name" --format "{{index .Spec.Labels \"$label\"}}" | grep -qx true ||
      docker node update --label-add "$label=true" "$name" >/dev/null
  done
}

secrets() {  # the secrets that do not exist yet: from the environment, or random (noted)
  local pair name bytes value variable
  mkdir -p "$(dirname "$SECRETS_NOTE")"
  for pair in "${SECRETS[@]}"; do
    name=${pair%%:*} bytes=${pair##*:} variable=${pair%%:*}; variable=${variable^^}
    docker secret inspect "portal_$name" >/dev/null 2>&1 && continue
    value=${!variable:-$(token "$bytes")}
    printf '%s' "$value" | docker secret create "portal_$name" - >/dev/null
    (umask 077; printf '%s=%s\n' "${name^^}" "$value" >>"$SECRETS_NOTE")
    say "secret portal_$name created (its value is in $SECRETS_NOTE)"
  done
}

image() {  # PORTAL_IMAGE, or one built here for a one-host swarm
  if [[ -n "${PORTAL_IMAGE:-}" ]]; then return; fi
  PORTAL_IMAGE="portal-app:$(git rev-parse --short HEAD 2>/dev/null || echo local)"
  local args=()
  [[ "$USE_STANDINS" == 1 ]] && args=(--build-arg PYTHON_IMAGE=portal-standin/python:current)
  say "image: building $PORTAL_IMAGE (set PORTAL_IMAGE to use one from a registry)"
  docker build -q "${args[@]}" -t "$PORTAL_IMAGE" . >/dev/null
  export PORTAL_IMAGE
}

converged() {  # every service of the stack has all its tasks running (and healthy)
  local line
  while read -r line; do
    [[ -z "$line" ]] && continue
    local have=${line%%/*} want=${line##*/}
    [[ "$have" == "$want" ]] || return 1
  done < <(docker stack services "$STACK" --format '{{.Replicas}}' | sed 's/ .*//')
  # A task counts as running once started; the health checks say when it is ready.
  ! docker ps --filter "label=com.docker.stack.namespace=$STACK" --format '{{.Status}}' | grep -q 'health: starting\|unhealthy'
}

rabbitmq_container() {  # the local container of a RabbitMQ node (empty if on another host)
  docker ps -q --filter "label=com.docker.swarm.service.name=${STACK}_rabbitmq-$1" | head -n1
}

replicate_queues() {
  # Quorum queues get a member on each node that was in the cluster when they were declared;
  # a node that joined later is added here (RabbitMQ 3.13 can do it by itself with
  # quorum_queue.continuous_membership_reconciliation). Idempotent.
  local n container end=$((SECONDS + DEADLINE))
  container=$(rabbitmq_container 1)
  [[ -n "$container" ]] || { say "rabbitmq: node 1 runs on another host; run 'rabbitmq-queues grow' there (docs/deployment.md)"; return; }
  until [[ "$(docker exec "$container" rabbitmqctl -q cluster_status --formatter json 2>/dev/null |
              python3 -c 'import json,sys; print(len(json.load(sys.stdin)["running_nodes"]))' 2>/dev/null)" == 3 ]]; do
    ((SECONDS < end)) || die "rabbitmq: the three nodes did not form one cluster within ${DEADLINE}s"
    sleep 2
  done
  say "rabbitmq: three nodes in one cluster"
  for n in 1 2 3; do
    docker exec "$container" rabbitmq-queues -q grow "rabbit@rabbitmq-$n" all >/dev/null
  done
  say "rabbitmq: every quorum queue has a member on each node"
}

deploy() {
  USE_STANDINS=0
  [[ "${1:-}" == --standins ]] && USE_STANDINS=1
  swarm_up; labels; secrets; image
  local files=(-c "$STACK_FILE") resolve=()
  if [[ "$USE_STANDINS" == 1 ]]; then
    files+=(-c "$STANDINS")
    export MONGO_URL=${MONGO_URL:-mongodb://mongo-1:27017/}  # FerretDB: one member
  fi
  [[ "$PORTAL_IMAGE" == portal-app:* ]] && resolve=(--resolve-image never)  # local, not pushed
  say "stack $STACK: docker stack deploy (image $PORTAL_IMAGE)"
  docker stack deploy "${resolve[@]}" "${files[@]}" "$STACK" >/dev/null
  local end=$((SECONDS + DEADLINE))
  until converged; do
    ((SECONDS < end)) || { docker stack services "$STACK"; die "stack $STACK did not converge within ${DEADLINE}s"; }
    sleep 2
  done
  say "stack $STACK: every task running and healthy"
  replicate_queues
  echo "Next: open http://localhost:${GATEWAY_PORT:-8080}/ ; 'scripts/swarm.sh update content' updates it."
}

update() {
  local service=${1:?usage: $0 update content|counter|notifier [IMAGE]} target=${2:-}
  say "stack $STACK: rolling update of $service (start-first, one task at a time)"
  if [[ -n "$target" ]]; then
    docker service update --quiet --image "$target" "${STACK}_$service" >/dev/null
  else
    docker service update --quiet --force "${STACK}_$service" >/dev/null
  fi
  say "stack $STACK: $service updated"
}

remove() {
  docker stack rm "$STACK" >/dev/null 2>&1 || true
  local end=$((SECONDS + DEADLINE))
  # Until the task containers are gone, not only stopped: they hold the volumes.
  while docker ps -aq --filter "label=com.docker.stack.namespace=$STACK" | grep -q .; do
    ((SECONDS < end)) || die "stack $STACK still has containers after ${DEADLINE}s"
    sleep 1
  done
  say "stack $STACK removed (volumes and secrets kept)"
}

case "${1:-}" in
  deploy) shift; deploy "$@" ;;
  update) shift; update "$@" ;;
  status) docker stack services "$STACK" ;;
  rm) remove ;;
  *) die "usage: $0 deploy [--standins] | update SERVICE [IMAGE] | status | rm" ;;
esac
