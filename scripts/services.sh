#!/usr/bin/env bash
# The three services and the nginx gateway in front of them, as local processes on the
# infrastructure of scripts/infra.sh. One URL serves everything, routed as in docker-compose
# (gateway/portal.conf.template). Usage: scripts/services.sh [up|down|status]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN="$ROOT/.local/run"; LOG="$ROOT/.local/log"; SECRETS="$ROOT/.local/secrets.env"
SERVICES=(counter notifier content)
declare -A PORT=([content]=8081 [counter]=8082 [notifier]=8083)
GATEWAY_PORT="${GATEWAY_PORT:-8080}"
PORTAL="http://localhost:$GATEWAY_PORT"
GATEWAY_STATE="$ROOT/.local/gateway"
export PATH="$PATH:/usr/sbin:/sbin"
mkdir -p "$RUN" "$LOG"

say() { printf '==> %s\n' "$*"; }

running() {  # name -> pid of our live process
  local f="$RUN/$1.pid" pid marker="services.$1"
  [[ $1 == gateway ]] && marker="$GATEWAY_STATE/nginx.conf"
  [[ -f "$f" ]] || return 1
  pid=$(<"$f")
  kill -0 "$pid" 2>/dev/null && grep -qF "$marker" "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
}

secrets() {  # random development secrets, made once per checkout and never committed
  bash "$ROOT/scripts/make-env.sh" "$SECRETS" >/dev/null
  set -a; source "$SECRETS"; set +a
}

wait_ready() {  # name: poll /readyz until 200 or 60 s
  local url="http://127.0.0.1:${PORT[$1]}/readyz" end=$((SECONDS + 60))
  until curl -fsS -o /dev/null "$url" 2>/dev/null; do
    if ! running "$1" >/dev/null; then tail -n 20 "$LOG/$1.log" >&2; echo "ERROR: $1 exited" >&2; exit 1; fi
    ((SECONDS < end)) || { tail -n 20 "$LOG/$1.log" >&2; echo "ERROR: $1 not ready" >&2; exit 1; }
    sleep 0.2
  done
}

gateway_up() {  # nginx in the foreground of its own session, config rendered from the template
  command -v nginx >/dev/null || { echo "ERROR: nginx is missing: run scripts/infra.sh up" >&2; exit 1; }
  if running gateway >/dev/null; then say "gateway: already running"; return; fi
  local conf end=$((SECONDS + 30))
  conf=$("$ROOT/.venv/bin/python" -m gateway.render "$GATEWAY_STATE" "$GATEWAY_PORT" \
    "127.0.0.1:${PORT[content]}" "127.0.0.1:${PORT[counter]}" "127.0.0.1:${PORT[notifier]}")
  nginx -t -q -c "$conf" -e "$GATEWAY_STATE/error.log"
  say "gateway: starting nginx on :$GATEWAY_PORT (logs .local/gateway/*.log)"
  setsid nohup nginx -c "$conf" -e "$GATEWAY_STATE/error.log" >>"$LOG/gateway.log" 2>&1 </dev/null &
  echo $! >"$RUN/gateway.pid"
  until curl -fsS -o /dev/null "http://127.0.0.1:$GATEWAY_PORT/gateway/healthz" 2>/dev/null; do
    if ! running gateway >/dev/null; then tail -n 20 "$GATEWAY_STATE/error.log" >&2; echo "ERROR: gateway exited" >&2; exit 1; fi
    ((SECONDS < end)) || { echo "ERROR: gateway not answering" >&2; exit 1; }
    sleep 0.2
  done
}

up() {
  secrets
  # Every link the services write (emails, events) points at the gateway, the one URL.
  export TRUSTED_PROXIES='["127.0.0.1/32"]' TRUST_FORWARDED_FOR=true
  for name in "${SERVICES[@]}"; do
    if running "$name" >/dev/null; then say "$name: already running"; continue; fi
    say "$name: starting on :${PORT[$name]} (log .local/log/$name.log)"
    # NOTIFIER_URL: content asks the notifier for the editor page's delivery counts.
    PUBLIC_URL="$PORTAL" HTTP_PORT="${PORT[$name]}" NOTIFIER_URL="http://127.0.0.1:${PORT[notifier]}" \
      setsid nohup "$ROOT/.venv/bin/python" -m "services.$name" >>"$LOG/$name.log" 2>&1 </dev/null &
    echo $! >"$RUN/$name.pid"
  done
  for name in "${SERVICES[@]}"; do wait_ready "$name"; done
  gateway_up
  status
}

down() {
  for name in gateway "${SERVICES[@]}"; do
    local pid
    if pid=$(running "$name"); then
      say "$name: stopping (pid $pid)"; kill -TERM "$pid"
      local end=$((SECONDS + 30))
      while kill -0 "$pid" 2>/dev/null && ((SECONDS < end)); do sleep 0.2; done
    fi
    rm -f "$RUN/$name.pid"
  done
}

console() {  # the management UI runs only if infra.sh started the node with it
  if [[ -n "$(ss -Hltn 'sport = :15672' 2>/dev/null)" ]]; then
    echo "  RabbitMQ console      http://127.0.0.1:15672/   (guest / guest)"
  else
    echo "  RabbitMQ              amqp://127.0.0.1:5672/  (console off: node started by the tests)"
  fi
}

status() {
  secrets
  cat <<TEXT

  Portal (everything)   $PORTAL/
  newsroom              $PORTAL/bien-tap (first time: $PORTAL/bien-tap/khoi-tao with the
                        EDITOR_TOKEN in .local/secrets.env makes the first administrator)
  statistics dashboard  $PORTAL/thong-ke (admin token in .local/secrets.env)
  visitor stats         $PORTAL/api/stats
  API docs              $PORTAL/docs/content/  $PORTAL/docs/counter/  $PORTAL/docs/notifier/
  services directly     content :${PORT[content]}, counter :${PORT[counter]}, notifier :${PORT[notifier]}
  mail received         http://127.0.0.1:8025/
$(console)

  Scripts: an administrator makes API tokens on $PORTAL/bien-tap/nhan-su
  Stop: make down
TEXT
}

case "${1:-up}" in
  up) up ;;
  down|stop) down ;;
  status) status ;;
  *) echo "usage: $0 [up|down|status]" >&2; exit 2 ;;
esac
