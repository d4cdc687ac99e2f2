#!/usr/bin/env bash
# Local infrastructure as plain processes (no Docker): RabbitMQ, FerretDB (MongoDB wire
# protocol, SQLite backend) and Mailpit (SMTP sink + HTTP API). Idempotent. It also installs
# the Debian packages the rest needs: nginx (the gateway scripts/services.sh starts) and
# chromium (the browser tests drive it headless).
# Usage: scripts/infra.sh [up|down|stop|status|rabbitmq-stop|rabbitmq-start]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="$ROOT/.local"; RUN="$LOCAL/run"; LOG="$LOCAL/log"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/portal-infra/bin"
export PATH="$PATH:/usr/sbin:/sbin:/usr/local/go/bin"
export DEBIAN_FRONTEND=noninteractive

AMQP_PORT=5672; MGMT_PORT=15672          # Debian's defaults; not overridable here
# Every listener of the local RabbitMQ on loopback: AMQP, the management UI, Erlang
# distribution (25672) and epmd (4369). The node is named after localhost, so the CLI tools
# find it on loopback whatever the machine's host name resolves to.
export RABBITMQ_NODENAME=rabbit@localhost
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 ERL_EPMD_ADDRESS=127.0.0.1
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1} -rabbitmq_management tcp_config [{ip,"127.0.0.1"},{port,15672}]'
MONGO_PORT="${FERRETDB_PORT:-27017}"
SMTP_PORT="${MAILPIT_SMTP_PORT:-1025}"; HTTP_PORT="${MAILPIT_HTTP_PORT:-8025}"
MAILPIT_VERSION=v1.33.1
DEADLINE="${INFRA_DEADLINE:-90}"         # seconds to wait for a port
RABBIT_LOG="/var/log/rabbitmq/$RABBITMQ_NODENAME.log"
RABBIT_NOFILE=65536                      # open files for the node (see rabbitmq_up)

say() { printf '==> %s\n' "$*"; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

listening() {  # port -> true if something listens on it (no connection is made)
  if command -v ss >/dev/null; then [[ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]]
  else (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; fi
}
listener_pid() { ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2 || true; }

wait_port() {  # port name logfile [pid]: poll until the port listens or the deadline passes
  local port=$1 name=$2 log=$3 pid=${4:-} end=$((SECONDS + DEADLINE))
  until listening "$port"; do
    if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$log" >&2 || true; die "$name exited before listening on :$port (log: $log)"
    fi
    if ((SECONDS >= end)); then
      tail -n 30 "$log" >&2 || true; die "$name did not listen on :$port within ${DEADLINE}s (log: $log)"
    fi
    sleep 0.2
  done
}
wait_closed() {  # port name
  local end=$((SECONDS + DEADLINE))
  while listening "$1"; do ((SECONDS < end)) || die "$2 still listens on :$1"; sleep 0.2; done
}

# ---- background processes we own (pid file + binary name check) ----
our_pid() {  # name -> prints pid if our recorded process is alive
  local f="$RUN/$1.pid" pid
  [[ -f "$f" ]] || return 1
  pid=$(<"$f")
  if kill -0 "$pid" 2>/dev/null && grep -q "$1" "/proc/$pid/cmdline" 2>/dev/null; then echo "$pid"
  else rm -f "$f"; return 1; fi
}
start_bg() {  # name port bin args...: start unless the port is taken, then wait for it
  local name=$1 port=$2; shift 2
  if listening "$port"; then say "$name: :$port already in use, leaving it alone"; return; fi
  say "$name: starting on :$port"
  setsid nohup "$@" >"$LOG/$name.log" 2>&1 </dev/null 9>&- &
  echo $! >"$RUN/$name.pid"
  wait_port "$port" "$name" "$LOG/$name.log" "$!"
}
stop_bg() {  # name
  local pid end=$((SECONDS + 15))
  pid=$(our_pid "$1") || { say "$1: not started by us, nothing to stop"; return; }
  say "$1: stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do
    ((SECONDS < end)) || { kill -KILL "$pid" 2>/dev/null || true; }
    sleep 0.2
  done
  rm -f "$RUN/$1.pid"
}

# ---- binaries (built from the Go module proxy, cached outside the repo) ----
gobin() { command -v go >/dev/null || die "Go is needed (expected at /usr/local/go/bin/go)"; go "$@"; }
ferretdb_bin() {
  local src="$ROOT/tools/ferretdb"
  echo "$CACHE/ferretdb-$(cat "$src/go.mod" "$src/go.sum" "$src/main.go" | sha256sum | cut -c1-16)"
}
build_ferretdb() {
  local bin; bin=$(ferretdb_bin); [[ -x "$bin" ]] && return
  say "ferretdb: building $(basename "$bin") (first time only)"
  (cd "$ROOT/tools/ferretdb" && gobin build -trimpath -o "$bin.tmp.$$" . && mv "$bin.tmp.$$" "$bin")
}
build_mailpit() {
  local bin="$CACHE/mailpit-$MAILPIT_VERSION" tmp="$CACHE/tmp.$$"; [[ -x "$bin" ]] && return
  say "mailpit: building $MAILPIT_VERSION (first time only)"
  mkdir -p "$tmp"
  (cd "$tmp" && GOBIN="$tmp" gobin install "github.com/axllent/mailpit@$MAILPIT_VERSION")
  mv "$tmp/mailpit" "$bin"; rm -rf "$tmp"
}

# ---- RabbitMQ (Debian package, runs as the rabbitmq user via Debian's wrapper) ----
install_rabbitmq() {
  command -v rabbitmq-server >/dev/null && return
  say "rabbitmq: installing Debian's rabbitmq-server"
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends rabbitmq-server >/dev/null
}
# ---- Debian packages used by services.sh (nginx) and the browser tests (chromium) ----
install_packages() {
  local missing=()
  command -v nginx >/dev/null || missing+=(nginx)
  [[ -x /usr/bin/chromium ]] || missing+=(chromium)
  ((${#missing[@]})) || return 0
  say "installing Debian packages: ${missing[*]}"
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  # A system nginx the package may start (on :80) is not ours: the gateway has its own config.
}

rabbit_alive() { rabbitmq-diagnostics -q ping >/dev/null 2>&1; }
rabbit_ours() {  # marker holds the beam.smp pid of the node we started
  [[ -f "$RUN/rabbitmq.ours" ]] || return 1
  local pid; pid=$(<"$RUN/rabbitmq.ours")
  [[ -z "$pid" ]] || kill -0 "$pid" 2>/dev/null || { rm -f "$RUN/rabbitmq.ours"; return 1; }
}
rabbitmq_up() {
  if listening "$AMQP_PORT"; then
    say "rabbitmq: already listening on :$AMQP_PORT"; wait_amqp_answers; return
  fi
  if rabbit_alive; then  # node runs but its app is stopped (or still booting)
    say "rabbitmq: node is up, starting its app"; rabbitmqctl -q start_app
    wait_port "$AMQP_PORT" rabbitmq "$RABBIT_LOG"; wait_amqp_answers; return
  fi
  epmd_on_loopback
  # The management plugin makes every stop_app ~5 s slower, so it is opt-in.
  local plugins=""; [[ "${INFRA_RABBITMQ_MANAGEMENT:-0}" == 1 ]] && plugins=rabbitmq_management
  rabbitmq-plugins -q --offline set $plugins >/dev/null
  say "rabbitmq: starting (rabbitmq-server -detached${plugins:+, with $plugins})"
  # RabbitMQ's file handle cache sizes itself from the open-file limit, and every quorum
  # queue holds a few handles: at the usual 1,024, about 300 queues use it all up, and from
  # then on the node accepts TCP connections but never answers them. Debian's wrapper starts
  # the node through su, whose PAM session puts the limit back to 1,024, so the node is
  # started here as the rabbitmq user directly (setpriv keeps the raised limit).
  (ulimit -n "$RABBIT_NOFILE" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
   cd /var/lib/rabbitmq && HOME=/var/lib/rabbitmq exec setpriv --reuid=rabbitmq --regid=rabbitmq \
     --init-groups /usr/lib/rabbitmq/bin/rabbitmq-server -detached \
     >/var/log/rabbitmq/startup_log 2>/var/log/rabbitmq/startup_err 9>&-)
  touch "$RUN/rabbitmq.ours"
  wait_port "$AMQP_PORT" rabbitmq "$RABBIT_LOG"
  wait_amqp_answers
  listener_pid "$AMQP_PORT" >"$RUN/rabbitmq.ours"  # the beam.smp pid, so 'down' can wait for it
  rabbitmqctl -q list_feature_flags name state | grep -q '^quorum_queue[[:space:]]*enabled' ||
    die "rabbitmq: feature flag quorum_queue is not enabled (see $RABBIT_LOG)"
}
amqp_answers() {  # true once the broker answers the AMQP protocol header with connection.start
  timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$AMQP_PORT && printf 'AMQP\\0\\0\\11\\1' >&3 &&
    head -c 1 <&3" 2>/dev/null | od -An -tx1 | grep -q 01
}
wait_amqp_answers() {  # a listening port is not enough: a node out of file handles only listens
  local end=$((SECONDS + DEADLINE))
  until amqp_answers; do
    ((SECONDS < end)) || die "rabbitmq: :$AMQP_PORT listens but does not answer AMQP (file handles:" \
      "$(rabbitmqctl eval 'file_handle_cache:info().' 2>&1 | tr -d '\n'); log: $RABBIT_LOG)"
    sleep 0.2
  done
}
epmd_on_loopback() {  # an epmd left listening on every interface is restarted, if idle
  local listening_on
  listening_on=$(ss -Hltn 'sport = :4369' 2>/dev/null | awk '{print $4}' | sort -u | tr '\n' ' ')
  [[ -z "$listening_on" || "$listening_on" == "127.0.0.1:4369 " ]] && return
  if epmd -names 2>/dev/null | grep -q '^name '; then
    say "rabbitmq: warning, epmd listens on $listening_on and serves other Erlang nodes; left alone"
  else
    say "rabbitmq: restarting the idle epmd (on $listening_on) on loopback"; epmd -kill >/dev/null
  fi
}
rabbitmq_stop_app() {
  rabbit_ours || say "rabbitmq: warning, this node was not started by infra.sh"
  say "rabbitmq: stop_app"; rabbitmqctl -q stop_app; wait_closed "$AMQP_PORT" rabbitmq
}
rabbitmq_down() {
  rabbit_ours || { say "rabbitmq: not started by us, nothing to stop"; return; }
  local pid end=$((SECONDS + DEADLINE)); pid=$(<"$RUN/rabbitmq.ours")
  if rabbit_alive; then
    say "rabbitmq: stopping node"
    timeout "$DEADLINE" rabbitmqctl -q stop || say "rabbitmq: warning, 'rabbitmqctl stop' failed"
  fi
  while [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= end)); then  # a wedged node of ours is killed; its queues are on disk
      say "rabbitmq: node pid $pid did not exit within ${DEADLINE}s, killing it"
      kill -9 "$pid"; end=$((SECONDS + DEADLINE))
    fi
    sleep 0.2
  done
  wait_closed "$AMQP_PORT" rabbitmq; rm -f "$RUN/rabbitmq.ours"
  epmd -kill >/dev/null 2>&1 || true  # the epmd our node started; refuses if others use it
}

# ---- commands ----
row() { printf '%-9s %-46s %-26s %s\n' "$@"; }
state() {  # name port -> started-by-us pid / already-running pid / down
  local pid
  if ! listening "$2"; then
    if [[ $1 == rabbitmq ]] && rabbit_ours; then echo "app stopped (ours)"; else echo "down"; fi
    return
  fi
  pid=$(listener_pid "$2")
  if { [[ $1 == rabbitmq ]] && rabbit_ours; } || our_pid "$1" >/dev/null; then
    echo "started-by-us pid=${pid:-?}"
  else echo "already-running pid=${pid:-?}"; fi
}
status() {
  local ui="" st; listening "$MGMT_PORT" && ui=" ui=http://127.0.0.1:$MGMT_PORT"
  row SERVICE ADDRESS STATE LOG
  row rabbitmq "amqp://guest:guest@127.0.0.1:$AMQP_PORT/$ui" "$(state rabbitmq "$AMQP_PORT")" "$RABBIT_LOG"
  st=$(state ferretdb "$MONGO_PORT")
  row ferretdb "mongodb://127.0.0.1:$MONGO_PORT/" "$st" "$([[ $st == already* ]] && echo - || echo "$LOG/ferretdb.log")"
  st=$(state mailpit "$SMTP_PORT")
  row mailpit "smtp://127.0.0.1:$SMTP_PORT http://127.0.0.1:$HTTP_PORT" "$st" "$([[ $st == already* ]] && echo - || echo "$LOG/mailpit.log")"
}
up() {
  mkdir -p "$RUN" "$LOG" "$CACHE" "$LOCAL/ferretdb"
  local fpid="" mpid=""
  # Go builds run in the background while apt installs RabbitMQ (first run only).
  [[ -x "$(ferretdb_bin)" ]] || { build_ferretdb >"$LOG/build-ferretdb.log" 2>&1 & fpid=$!; }
  [[ -x "$CACHE/mailpit-$MAILPIT_VERSION" ]] || { build_mailpit >"$LOG/build-mailpit.log" 2>&1 & mpid=$!; }
  [[ -z "$fpid$mpid" ]] || say "building Go binaries in the background (logs in $LOG/build-*.log)"
  install_rabbitmq
  install_packages
  [[ -z "$fpid" ]] || wait "$fpid" || { tail -n 30 "$LOG/build-ferretdb.log"; die "ferretdb build failed"; }
  [[ -z "$mpid" ]] || wait "$mpid" || { tail -n 30 "$LOG/build-mailpit.log"; die "mailpit build failed"; }
  rabbitmq_up
  start_bg ferretdb "$MONGO_PORT" "$(ferretdb_bin)" -listen-addr "127.0.0.1:$MONGO_PORT" -data-dir "$LOCAL/ferretdb"
  start_bg mailpit "$SMTP_PORT" "$CACHE/mailpit-$MAILPIT_VERSION" --smtp "127.0.0.1:$SMTP_PORT" \
    --listen "127.0.0.1:$HTTP_PORT" --smtp-auth-accept-any --smtp-auth-allow-insecure \
    --smtp-disable-rdns --disable-version-check --max 0 --enable-chaos
  wait_port "$HTTP_PORT" mailpit "$LOG/mailpit.log" "$(our_pid mailpit || true)"
  status
  echo "Next: run the tests (e.g. 'make test'); stop with 'scripts/infra.sh down'."
}
down() {
  local a b  # stop all three at once: each takes 1-3 s to shut down cleanly
  stop_bg mailpit & a=$!
  stop_bg ferretdb & b=$!
  rabbitmq_down; wait "$a"; wait "$b"
  status
  echo "Next: 'scripts/infra.sh up' brings everything back."
}

# One infra.sh at a time on this machine (fd 9 is closed for the servers we start).
mkdir -p "$CACHE"; exec 9>"$CACHE/../infra.lock"
[[ "${1:-up}" == status ]] || flock -w 600 9 || die "another infra.sh is still running"

case "${1:-up}" in
  up) up ;;
  down|stop) down ;;
  status) status ;;
  rabbitmq-stop) rabbitmq_stop_app ;;
  rabbitmq-start) rabbitmq_up; echo "rabbitmq: accepting connections on :$AMQP_PORT" ;;
  *) die "usage: $0 [up|down|stop|status|rabbitmq-stop|rabbitmq-start]" ;;
esac
