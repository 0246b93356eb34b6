# Helpers of deploy/stack (sourced): logging, privileges, the lock, the configured ports,
# .local/env, port holders, stopping processes, python.
# shellcheck shell=bash

log() { echo "[stack] $*"; }
die() { echo "[stack] ERROR: $*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

# cmdline_has PID TEXT: the process's command line contains TEXT (read into a variable: a
# pipe into `grep -q` can fail under pipefail when grep quits before the writer is done)
cmdline_has() {
  local cmdline
  cmdline="$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null)" || return 1
  [[ "$cmdline" == *"$2"* ]]
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif have sudo; then sudo "$@"
  else die "need root (or sudo) to run: $*"
  fi
}

as_postgres() {
  # cd / so that postgres does not complain about an unreadable cwd
  if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@")
  else (cd / && sudo -u postgres "$@")
  fi
}

lock() {
  mkdir -p "$LOCAL"
  exec 9>"$LOCAL/stack.lock"
  flock 9
}

unlock() { flock -u 9; exec 9>&-; }

# ------------------------------------------------------------------------ settings
# The ports of this checkout's stack: NAME=default. Each comes from the environment, else
# from .local/env (what the last `up` chose, so `status`, `down` and the tests keep finding
# it), else the default. `up` writes the result back into .local/env.
STACK_PORTS=(ERK_PG_PORT=5432 ERK_KAFKA_PORT=9092 ERK_KAFKA_CONTROLLER_PORT=9093
  INTAKE_HTTP_PORT=8001 APPRAISAL_HTTP_PORT=8002
  ERK_CLUSTER_PORT=29092 ERK_CLUSTER_CONTROLLER_PORT=29192)
CLUSTER_NODES=(1 2 3)

saved_setting() {
  [ -f "$ENV_FILE" ] && sed -n "s/^$1=//p" "$ENV_FILE" | tail -n1
  return 0
}

resolve_settings() {
  local pair name value
  for pair in "${STACK_PORTS[@]}"; do
    name=${pair%%=*}
    value=${!name:-$(saved_setting "$name")}
    value=${value:-${pair#*=}}
    [[ $value =~ ^[0-9]+$ ]] && [ "$value" -ge 1024 ] && [ "$value" -le 65535 ] \
      || die "$name=$value is not a usable TCP port (1024-65535)"
    printf -v "$name" '%s' "$value"
    export "${name?}"
  done
  local ports n
  ports="$ERK_PG_PORT $ERK_KAFKA_PORT $ERK_KAFKA_CONTROLLER_PORT $INTAKE_HTTP_PORT $APPRAISAL_HTTP_PORT"
  for n in "${CLUSTER_NODES[@]}"; do ports+=" $(cluster_port "$n") $(cluster_controller_port "$n")"; done
  [ -z "$(tr ' ' '\n' <<<"$ports" | sort | uniq -d)" ] \
    || die "two settings share a port ($(tr ' ' '\n' <<<"$ports" | sort | uniq -d | xargs)): ${STACK_PORTS[*]%%=*} must differ (cluster node N uses ERK_CLUSTER_PORT+N-1 and ERK_CLUSTER_CONTROLLER_PORT+N-1)"
}

cluster_port() { echo $((ERK_CLUSTER_PORT + $1 - 1)); }
cluster_controller_port() { echo $((ERK_CLUSTER_CONTROLLER_PORT + $1 - 1)); }

# .local/env: the JWT secret (generated once) and the chosen ports, plus where the services,
# tests and the demo find PostgreSQL and Kafka. `set -a; . .local/env; set +a` loads it.
write_env_file() {
  mkdir -p "$LOCAL"
  local secret
  secret="$(saved_setting ERK_JWT_SECRET)"
  [ -n "$secret" ] || secret="$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
  local pg="erk:erk@127.0.0.1:$ERK_PG_PORT" pair name
  (
    umask 077
    {
      echo "# Written by deploy/stack up: this checkout's stack. Load: set -a; . .local/env; set +a"
      echo "ERK_JWT_SECRET=$secret"
      for pair in "${STACK_PORTS[@]}"; do name=${pair%%=*}; echo "$name=${!name}"; done
      echo "ERK_PG_SOCKET_DIR=$PG_SOCKETS"
      echo "ERK_POSTGRES_URL=postgresql://$pg"
      echo "INTAKE_DATABASE_URL=postgresql+asyncpg://$pg/erk_intake"
      echo "APPRAISAL_DATABASE_URL=postgresql+asyncpg://$pg/erk_appraisal"
      echo "ERK_KAFKA_BOOTSTRAP=127.0.0.1:$ERK_KAFKA_PORT"
      # the broker authenticates (SCRAM) and authorizes: tools and tests are admin here;
      # deploy/demo.sh starts each service as its own principal (docs/operations.md)
      echo "ERK_KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT"
      echo "ERK_KAFKA_SASL_MECHANISM=SCRAM-SHA-256"
      echo "ERK_KAFKA_USERNAME=admin"
      echo "ERK_KAFKA_PASSWORD_FILE=$LOCAL/kafka-credentials/admin.password"
      echo "ERK_KAFKA_CREDENTIALS_DIR=$LOCAL/kafka-credentials"
      if [ -f "$LOCAL/checkpoint.pem" ]; then
        echo "INTAKE_CHECKPOINT_KEY_FILE=$LOCAL/checkpoint.pem"
        echo "APPRAISAL_CHECKPOINT_PUBLIC_KEY_FILE=$LOCAL/checkpoint.pem.pub"
      fi
      echo "INTAKE_RELAY_KEY_FILE=$LOCAL/relay.key"
      echo "APPRAISAL_RELAY_KEY_FILE=$LOCAL/relay.key"
      echo "INTAKE_PSEUDONYM_KEY_FILE=$LOCAL/pseudonym.key"
      echo "APPRAISAL_PSEUDONYM_KEY_FILE=$LOCAL/pseudonym.key"
      # the key store of per-person data keys: its own database and role (docs/privacy.md)
      echo "ERK_KEYS_DATABASE_URL=postgresql+asyncpg://$PG_KEYS_USER:$PG_KEYS_PASSWORD@127.0.0.1:$ERK_PG_PORT/erk_keys"
      echo "ERK_KEYS_MASTER_KEY_FILE=$LOCAL/keys-master.key"
    } >"$ENV_FILE.new"
  )
  mv "$ENV_FILE.new" "$ENV_FILE"
}

# The Ed25519 key intake signs checkpoints of the chain with, and the auditor's public
# copy (docs/audit.md); outside the repository and the database, like the JWT secret.
ensure_checkpoint_key() {
  mkdir -p "$LOCAL"
  (cd "$ROOT" && "$(python_bin)" -m services.intake.entrypoints.cli checkpoint-key generate \
    "$LOCAL/checkpoint.pem" --if-missing >/dev/null) \
    || log "checkpoint key: could not write $LOCAL/checkpoint.pem; intake runs unanchored"
}

# The secret the relay MACs every record of the events topic with, and the consumer checks
# (shared/record_mac.py): only the relay's records reach the projections.
ensure_relay_key() {
  mkdir -p "$LOCAL"
  [ -f "$LOCAL/relay.key" ] && return
  (umask 077 && python3 -c 'import secrets; print(secrets.token_hex(32))' >"$LOCAL/relay.key")
  log "relay key: wrote .local/relay.key"
}

# The secret the relay turns NIPs into the opaque subject ids that key the events topic
# with (shared/pseudonym.py); a replay from the store recomputes them with it.
ensure_pseudonym_key() {
  mkdir -p "$LOCAL"
  [ -f "$LOCAL/pseudonym.key" ] && return
  (umask 077 && python3 -c 'import secrets; print(secrets.token_hex(32))' >"$LOCAL/pseudonym.key")
  log "pseudonym key: wrote .local/pseudonym.key"
}

# The master key that wraps every per-person data key of the key store (shared/keystore.py);
# a KMS in production. Outside every database, like the relay key.
ensure_keys_master_key() {
  mkdir -p "$LOCAL"
  [ -f "$LOCAL/keys-master.key" ] && return
  (umask 077 && python3 -c 'import secrets; print(secrets.token_hex(32))' >"$LOCAL/keys-master.key")
  log "key store: wrote .local/keys-master.key"
}

# ---------------------------------------------------------------------------- ports
port_holder() {
  # prints the listener line (with process) for a TCP port, empty if the port is free
  local port=$1
  if have ss; then
    ss -Hltnp "sport = :$port" 2>/dev/null | head -n1
  elif (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "something is listening on 127.0.0.1:$port (install iproute2 for details)"
  fi
}

port_holder_pid() { port_holder "$1" | grep -o 'pid=[0-9]*' | head -n1 | cut -d= -f2; }

# "pid N (user U: command line)" of whoever listens on a port, for error messages
describe_holder() {
  local pid
  pid="$(port_holder_pid "$1")"
  if [ -n "$pid" ]; then
    echo "pid $pid (user $(ps -o user= -p "$pid" 2>/dev/null | xargs), in $(readlink "/proc/$pid/cwd" 2>/dev/null || echo '?'): $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-160))"
  else
    port_holder "$1"
  fi
}

# fail unless the port is free; names the process holding it and the variable that moves us
require_free_port() {
  local port=$1 variable=$2 what=$3 holder hint=""
  [ -z "$(port_holder "$port")" ] && return 0
  holder="$(describe_holder "$port")"
  if [[ $holder =~ /var/lib/postgresql/([0-9]+)/([^ ]+) ]]; then
    hint=" That is the machine's Debian cluster ${BASH_REMATCH[1]}/${BASH_REMATCH[2]}: stop it with 'pg_ctlcluster ${BASH_REMATCH[1]} ${BASH_REMATCH[2]} stop' if nothing needs it."
  fi
  die "$what: port $port is taken by $holder.$hint Or give this checkout another port: $variable=<free port> deploy/stack $CMD (the choice is kept in .local/env)."
}

# ------------------------------------------------------------------------ processes
stop_pid() {
  # stop_pid <pid> <name> <grace seconds>: TERM, wait, then KILL
  local pid=$1 name=$2 grace=$3 i
  kill -0 "$pid" 2>/dev/null || return 0
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 "$grace"); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 1
  done
  log "$name did not stop within ${grace} s, sending KILL"
  kill -KILL "$pid" 2>/dev/null || true
  sleep 1
}

http_ok() {
  if have curl; then
    curl -fsS --max-time 2 -o /dev/null "$1" 2>/dev/null
  else
    python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$1" 2>/dev/null
  fi
}

# --------------------------------------------------------------------------- python
python_bin() {
  if [ "${STACK_SKIP_VENV:-0}" = "1" ]; then command -v python3; else echo "$ROOT/.venv/bin/python"; fi
}

ensure_venv() {
  if [ "${STACK_SKIP_VENV:-0}" = "1" ]; then
    log "python: STACK_SKIP_VENV=1, using $(command -v python3) ($(python3 --version 2>&1))"
    return
  fi
  [ -f "$ROOT/pyproject.toml" ] || die "python: $ROOT/pyproject.toml is missing (set STACK_SKIP_VENV=1 to use the system python3)"
  if [ ! -x "$ROOT/.venv/bin/python" ]; then
    log "python: creating .venv"
    python3 -m venv "$ROOT/.venv"
  fi
  if [ ! -f "$ROOT/.venv/.installed" ] || [ "$ROOT/pyproject.toml" -nt "$ROOT/.venv/.installed" ]; then
    log "python: pip install -e '.[dev]'"
    (cd "$ROOT" && .venv/bin/pip install --disable-pip-version-check -q -e '.[dev]') \
      || die "python: 'pip install -e .[dev]' failed"
    touch "$ROOT/.venv/.installed"
  else
    log "python: .venv up to date"
  fi
}
