#!/usr/bin/env bash
# The three services as local processes on the infrastructure of scripts/infra.sh.
# Usage: scripts/services.sh [up|down|status]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN="$ROOT/.local/run"; LOG="$ROOT/.local/log"; SECRETS="$ROOT/.local/secrets.env"
SERVICES=(counter notifier content)
declare -A PORT=([content]=8081 [counter]=8082 [notifier]=8083)
mkdir -p "$RUN" "$LOG"

say() { printf '==> %s\n' "$*"; }

running() {  # name -> pid of our live process
  local f="$RUN/$1.pid" pid
  [[ -f "$f" ]] || return 1
  pid=$(<"$f")
  kill -0 "$pid" 2>/dev/null && grep -q "services.$1" "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
}

token() { python3 -c "import secrets; print(secrets.token_hex($1))"; }

secrets() {  # random development secrets, made once per checkout and never committed
  if [[ ! -f "$SECRETS" ]]; then
    umask 077
    printf 'EDITOR_TOKEN=%s\nSIGNING_KEY=%s\n' "$(token 24)" "$(token 32)" >"$SECRETS"
  fi
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

up() {
  secrets
  export COUNTER_PUBLIC_URL="http://127.0.0.1:${PORT[counter]}"
  for name in "${SERVICES[@]}"; do
    if running "$name" >/dev/null; then say "$name: already running"; continue; fi
    say "$name: starting on :${PORT[$name]} (log .local/log/$name.log)"
    PUBLIC_URL="http://127.0.0.1:${PORT[$name]}" HTTP_PORT="${PORT[$name]}" \
      setsid nohup "$ROOT/.venv/bin/python" -m "services.$name" >>"$LOG/$name.log" 2>&1 </dev/null &
    echo $! >"$RUN/$name.pid"
  done
  for name in "${SERVICES[@]}"; do wait_ready "$name"; done
  status
}

down() {
  for name in "${SERVICES[@]}"; do
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

  Portal (web page)     http://127.0.0.1:${PORT[content]}/
  content API           http://127.0.0.1:${PORT[content]}/api/articles   (editor token in .local/secrets.env)
  counter stats         http://127.0.0.1:${PORT[counter]}/stats
  notifier API          http://127.0.0.1:${PORT[notifier]}/api/subscribers
  mail received         http://127.0.0.1:8025/
$(console)

  Try:  curl -X POST -H "Authorization: Bearer \$EDITOR_TOKEN" -H 'Content-Type: application/json' \\
          -d '{"title":"Tin đầu tiên","section":"Tin tức"}' http://127.0.0.1:${PORT[content]}/api/articles
  Stop: make down
TEXT
}

case "${1:-up}" in
  up) up ;;
  down|stop) down ;;
  status) status ;;
  *) echo "usage: $0 [up|down|status]" >&2; exit 2 ;;
esac
