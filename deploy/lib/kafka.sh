# Kafka of this checkout (sourced by deploy/stack): the jars (Maven, deploy/kafka/pom.xml),
# starting and stopping one broker process, and the single-node KRaft broker of the default
# stack on 127.0.0.1:$ERK_KAFKA_PORT (controller $ERK_KAFKA_CONTROLLER_PORT).
# shellcheck shell=bash

KAFKA_SRC="$ROOT/deploy/kafka"
KAFKA_HOME="$LOCAL/kafka"
KAFKA_LIBS="$KAFKA_HOME/libs"

check_java() {
  have java || die "Java 17+ is required: install openjdk-17-jre-headless"
  local major
  major="$(java -version 2>&1 | awk -F'"' '/version/ {print $2; exit}' | cut -d. -f1)"
  if [ -z "$major" ] || [ "$major" -lt 17 ] 2>/dev/null; then
    die "Java 17+ is required (found: ${major:-unknown}): install openjdk-17-jre-headless"
  fi
  have mvn || die "Maven is required to fetch the Kafka jars: install maven"
}

fetch_kafka_jars() {
  local stamp="$KAFKA_LIBS/.fetched"
  if [ -f "$stamp" ] && [ ! "$KAFKA_SRC/pom.xml" -nt "$stamp" ]; then
    return
  fi
  log "kafka: fetching jars with maven into .local/kafka/libs"
  rm -rf "$KAFKA_LIBS"
  mkdir -p "$KAFKA_LIBS"
  # (sed strips the ANSI resets that maven prints even with -B; pipefail keeps mvn's status)
  mvn -q -B -f "$KAFKA_SRC/pom.xml" dependency:copy-dependencies -DoutputDirectory="$KAFKA_LIBS" 2>&1 \
    | sed 's/\x1b\[[0-9;]*m//g' \
    || die "kafka: maven could not fetch the jars (see output above)"
  touch "$stamp"
}

# kafka_jvm <logs dir> <heap>: KAFKA_JVM becomes the java command line up to the main class
kafka_jvm() {
  KAFKA_JVM=(java "-Xmx$2" -Xms256m -XX:+UseG1GC -Djava.awt.headless=true
    -Dlog4j2.configurationFile="$KAFKA_SRC/log4j2.yaml" -Dkafka.logs.dir="$1"
    -cp "$KAFKA_LIBS/*")
}

# kafka_java <logs dir> <heap> <main class> [args]: run a tool on the Kafka jars
kafka_java() {
  kafka_jvm "$1" "$2"
  shift 2
  "${KAFKA_JVM[@]}" "$@"
}

# broker_pid <home>: pid of the broker started from <home>/server.properties, if it runs
broker_pid() {
  local home=$1 pid
  [ -f "$home/kafka.pid" ] || return 1
  pid="$(cat "$home/kafka.pid")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  cmdline_has "$pid" "kafka.Kafka $home/server.properties" || return 1
  echo "$pid"
}

# render_broker_config <template> <home> KEY=VALUE...: @KEY@ in the template becomes VALUE
# (mode 0600: the single node's copy holds the broker principal's password)
render_broker_config() {
  local template=$1 home=$2 pair script=()
  shift 2
  mkdir -p "$home/data" "$home/logs"
  for pair in "LOG_DIRS=$home/data" "$@"; do script+=(-e "s#@${pair%%=*}@#${pair#*=}#g"); done
  (umask 077 && sed "${script[@]}" "$template" >"$home/server.properties.new")
  mv "$home/server.properties.new" "$home/server.properties"
}

# format_broker_storage <home> <cluster id> [StorageTool options]
format_broker_storage() {
  local home=$1 id=$2
  shift 2
  [ -f "$home/data/meta.properties" ] && return
  log "kafka: formatting $(basename "$home") storage (cluster id $id)"
  kafka_java "$home/logs" 256m kafka.tools.StorageTool format -t "$id" -c "$home/server.properties" "$@" \
    >>"$home/logs/stdout.log" 2>&1 || die "kafka: storage format of $home failed (see $home/logs/stdout.log)"
}

# new_cluster_id <logs dir>
new_cluster_id() { kafka_java "$1" 256m kafka.tools.StorageTool random-uuid | tail -n1; }

# spawn_broker <home> <name> <heap> [JVM flags]: start the broker of <home>/server.properties
spawn_broker() {
  local home=$1 name=$2 heap=$3
  shift 3
  log "$name: starting (log: ${home#"$ROOT"/}/logs/server.log)"
  (
    cd "$home"
    kafka_jvm "$home/logs" "$heap"
    KAFKA_JVM+=("$@")
    # setsid: its own session, so a Ctrl-C in the caller's terminal does not reach it;
    # 9>&- : the stack lock stays with the stack
    setsid nohup "${KAFKA_JVM[@]}" kafka.Kafka "$home/server.properties" \
      >>"$home/logs/stdout.log" 2>&1 </dev/null 9>&- &
    echo $! >"$home/kafka.pid"
  )
}

# wait_broker <home> <name> <port>: until it listens (deploy/check.py proves readiness)
wait_broker() {
  local home=$1 name=$2 port=$3 i rel="${1#"$ROOT"/}"
  for i in $(seq 1 90); do
    # the pid just started, alive: not broker_pid, whose command-line check fails while the
    # forked shell has not yet exec'd java (a starting broker was called dead under load)
    kill -0 "$(cat "$home/kafka.pid")" 2>/dev/null || {
      tail -n 30 "$home/logs/stdout.log" "$home/logs/server.log" 2>/dev/null >&2 || true
      die "$name: exited during startup (see $rel/logs/server.log)"
    }
    [ -n "$(port_holder "$port")" ] && return
    sleep 1
  done
  die "$name: did not listen on 127.0.0.1:$port within 90 s (see $rel/logs/server.log)"
}

stop_broker() {
  local home=$1 name=$2 pid
  if pid="$(broker_pid "$home")"; then
    stop_pid "$pid" "$name" 30
  else
    log "$name: not running"
  fi
  rm -f "$home/kafka.pid"
}

# the port a rendered config listens on for clients (its first listener)
configured_port() { sed -n 's#^listeners=[A-Z_]*://[^:]*:\([0-9]*\).*#\1#p' "$1/server.properties" 2>/dev/null; }

# ------------------------------------------------------------- single-node broker
up_kafka() {
  check_java
  fetch_kafka_jars
  local pid
  if pid="$(broker_pid "$KAFKA_HOME")"; then
    [ "$(configured_port "$KAFKA_HOME")" = "$ERK_KAFKA_PORT" ] \
      || die "kafka: this checkout's broker runs on port $(configured_port "$KAFKA_HOME"), not ERK_KAFKA_PORT=$ERK_KAFKA_PORT: 'deploy/stack down' first to move it"
    log "kafka: broker already running (pid $pid)"
    return
  fi
  rm -f "$KAFKA_HOME/kafka.pid"
  ensure_kafka_credentials
  render_broker_config "$KAFKA_SRC/server.properties" "$KAFKA_HOME" \
    "PORT=$ERK_KAFKA_PORT" "CONTROLLER_PORT=$ERK_KAFKA_CONTROLLER_PORT" \
    "BROKER_PASSWORD=$(password_of broker)"
  # Kafka 4.x with controller.quorum.bootstrap.servers (dynamic quorum) needs --standalone
  # for a single combined broker+controller node. Every principal's SCRAM credential is made
  # with the storage: the broker needs its own before it serves anyone.
  if [ ! -f "$KAFKA_HOME/data/meta.properties" ]; then
    local scram=() name
    for name in $(kafka_principals); do
      scram+=(--add-scram "SCRAM-SHA-256=[name=$name,password=$(password_of "$name")]")
      rm -f "$(credential_file "$name").pending"
    done
    format_broker_storage "$KAFKA_HOME" "$(new_cluster_id "$KAFKA_HOME/logs")" --standalone \
      "${scram[@]}"
  fi
  require_free_port "$ERK_KAFKA_PORT" ERK_KAFKA_PORT kafka
  require_free_port "$ERK_KAFKA_CONTROLLER_PORT" ERK_KAFKA_CONTROLLER_PORT kafka
  spawn_broker "$KAFKA_HOME" kafka 1g
  wait_broker "$KAFKA_HOME" kafka "$ERK_KAFKA_PORT"
}

stop_kafka() { stop_broker "$KAFKA_HOME" kafka; }

kafka_status() {
  local pid
  if pid="$(broker_pid "$KAFKA_HOME")" && [ -n "$(port_holder "$(configured_port "$KAFKA_HOME")")" ]; then
    echo "kafka:     running (127.0.0.1:$(configured_port "$KAFKA_HOME"), pid $pid)"
    return 0
  fi
  echo "kafka:     stopped (port $ERK_KAFKA_PORT)"
  return 1
}

# -------------------------------------------------------------- principals and ACLs
# Each principal of shared/broker_acls.py has a random password in
# .local/kafka-credentials/<name>.password (mode 0600, made on the first up, never in git);
# .local/env points the tools and tests at admin's, deploy/demo.sh each service at its own.
KAFKA_CREDENTIALS="$LOCAL/kafka-credentials"

kafka_principals() {
  (cd "$ROOT" && "$(python_bin)" -c 'from shared.broker_acls import PRINCIPALS; print(*PRINCIPALS)')
}

credential_file() { echo "$KAFKA_CREDENTIALS/$1.password"; }
password_of() { cat "$(credential_file "$1")"; }

# new_password <name>: a fresh random password; <name>.password.pending until the broker has it
new_password() {
  local file
  file="$(credential_file "$1")"
  (
    umask 077
    mkdir -p "$KAFKA_CREDENTIALS"
    python3 -c 'import secrets; print(secrets.token_hex(24))' >"$file.new"
    : >"$file.pending"
  )
  mv "$file.new" "$file"
}

# Passwords for every principal that has none. Storage formatted without them (before the
# broker required SASL), or without admin's or the broker's, cannot be repaired from here.
ensure_kafka_credentials() {
  local name formatted=0
  [ -f "$KAFKA_HOME/data/meta.properties" ] && formatted=1
  for name in $(kafka_principals); do
    [ -f "$(credential_file "$name")" ] && continue
    if [ "$formatted" -eq 1 ] && { [ "$name" = admin ] || [ "$name" = broker ]; }; then
      die "kafka: .local/kafka/data exists but $(credential_file "$name") does not (storage made before the broker required SASL, or the password was deleted): 'deploy/stack down --purge' (or delete .local/kafka) and up again"
    fi
    new_password "$name"
    log "kafka: wrote a password for principal $name (.local/kafka-credentials/$name.password)"
  done
}

# admin's client settings for Kafka's own tools (kafka-configs, kafka-acls)
admin_client_config() {
  local file="$KAFKA_CREDENTIALS/admin.properties"
  (
    umask 077
    printf '%s\n' "security.protocol=SASL_PLAINTEXT" "sasl.mechanism=SCRAM-SHA-256" \
      "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"admin\" password=\"$(password_of admin)\";" \
      >"$file"
  )
  echo "$file"
}

# apply_pending_passwords [admin config]: give the running broker every password still
# pending (a principal added to existing storage, a rotation), as admin with ConfigCommand
apply_pending_passwords() {
  local config=${1:-} name file
  for name in $(kafka_principals); do
    file="$(credential_file "$name")"
    [ -f "$file.pending" ] || continue
    [ -n "$config" ] || config="$(admin_client_config)"
    log "kafka: setting the SCRAM credential of $name on the broker"
    kafka_java "$KAFKA_HOME/logs" 256m kafka.admin.ConfigCommand \
      --bootstrap-server "127.0.0.1:$ERK_KAFKA_PORT" --command-config "$config" --alter \
      --add-config "SCRAM-SHA-256=[password=$(cat "$file")]" --entity-type users \
      --entity-name "$name" >>"$KAFKA_HOME/logs/stdout.log" 2>&1 \
      || die "kafka: could not set the credential of $name (see .local/kafka/logs/stdout.log)"
    rm -f "$file.pending"
  done
}

# after the readiness check made the topics: pending passwords, then the ACLs
grant_kafka_access() {
  apply_pending_passwords
  log "kafka: ACLs of shared/broker_acls.py (deploy/kafka_acls.py)"
  (cd "$ROOT" && "$(python_bin)" deploy/kafka_acls.py) || die "kafka: creating the ACLs failed"
}

# rotate_kafka_password <name>: a new password, given to the broker at once; what runs as
# <name> must be restarted (connections it already opened stay authenticated until then)
rotate_kafka_password() {
  local name=${1:-} config
  [[ " $(kafka_principals) " == *" $name "* ]] && [ "$name" != broker ] \
    || die "kafka rotate: name one of: $(kafka_principals | sed 's/ *broker//')"
  broker_pid "$KAFKA_HOME" >/dev/null || die "kafka: the broker is not running ('deploy/stack up' first)"
  config="$(admin_client_config)"  # with admin's password of now, in case admin rotates
  new_password "$name"
  apply_pending_passwords "$config"
  admin_client_config >/dev/null
  log "kafka: rotated the password of $name; restart what runs as $name"
}
