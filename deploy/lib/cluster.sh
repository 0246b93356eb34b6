# The replicated Kafka of this checkout (sourced by deploy/stack): three KRaft nodes, each a
# combined broker + controller (deploy/kafka/cluster.properties), node N on 127.0.0.1 ports
# ERK_CLUSTER_PORT+N-1 (clients) and ERK_CLUSTER_CONTROLLER_PORT+N-1 (quorum), with its
# config, data and logs in .local/kafka-cluster/nodeN. The services run against it with
# ERK_KAFKA_BOOTSTRAP set to `deploy/stack cluster bootstrap`; nothing else changes.
# shellcheck shell=bash

CLUSTER_HOME="$LOCAL/kafka-cluster"
CLUSTER_HEAP=512m
# the JIT's first tier only: a node restarts in about half the time (what the replication
# tests wait for after every kill), and the local load needs no peak performance
CLUSTER_JVM_FLAGS=(-XX:TieredStopAtLevel=1)
CLUSTER_REPLICATION=3

node_home() { echo "$CLUSTER_HOME/node$1"; }

cluster_bootstrap() {
  local n out=()
  for n in "${CLUSTER_NODES[@]}"; do out+=("127.0.0.1:$(cluster_port "$n")"); done
  (IFS=,; echo "${out[*]}")
}

cluster_voters() {
  local n out=()
  for n in "${CLUSTER_NODES[@]}"; do out+=("$n@127.0.0.1:$(cluster_controller_port "$n")"); done
  (IFS=,; echo "${out[*]}")
}

valid_node() {
  [[ " ${CLUSTER_NODES[*]} " == *" ${1:-none} "* ]] || die "cluster: no node '${1:-}' (nodes: ${CLUSTER_NODES[*]})"
}

# spawn_cluster_node N: render its config, format its storage once, start it (no waiting)
spawn_cluster_node() {
  local n=$1 home
  home="$(node_home "$n")"
  if broker_pid "$home" >/dev/null; then
    [ "$(configured_port "$home")" = "$(cluster_port "$n")" ] \
      || die "cluster: node $n runs on port $(configured_port "$home"), not $(cluster_port "$n") (ERK_CLUSTER_PORT=$ERK_CLUSTER_PORT): 'deploy/stack cluster down' first to move it"
    log "cluster: node $n already running (pid $(broker_pid "$home"))"
    return
  fi
  require_free_port "$(cluster_port "$n")" ERK_CLUSTER_PORT "cluster node $n"
  require_free_port "$(cluster_controller_port "$n")" ERK_CLUSTER_CONTROLLER_PORT "cluster node $n"
  rm -f "$home/kafka.pid"
  render_broker_config "$KAFKA_SRC/cluster.properties" "$home" "NODE_ID=$n" \
    "PORT=$(cluster_port "$n")" "CONTROLLER_PORT=$(cluster_controller_port "$n")" \
    "VOTERS=$(cluster_voters)"
  # one cluster id for all nodes; a static quorum (controller.quorum.voters) needs no
  # --standalone / --initial-controllers
  [ -s "$CLUSTER_HOME/cluster.id" ] || new_cluster_id "$home/logs" >"$CLUSTER_HOME/cluster.id"
  format_broker_storage "$home" "$(cat "$CLUSTER_HOME/cluster.id")"
  spawn_broker "$home" "cluster node $n" "$CLUSTER_HEAP" "${CLUSTER_JVM_FLAGS[@]}"
}

wait_cluster_node() { wait_broker "$(node_home "$1")" "cluster node $1" "$(cluster_port "$1")"; }

up_cluster() {
  check_java
  fetch_kafka_jars
  mkdir -p "$CLUSTER_HOME"
  local n
  for n in "${CLUSTER_NODES[@]}"; do
    broker_pid "$(node_home "$n")" >/dev/null && continue
    require_free_port "$(cluster_port "$n")" ERK_CLUSTER_PORT "cluster node $n"
    require_free_port "$(cluster_controller_port "$n")" ERK_CLUSTER_CONTROLLER_PORT "cluster node $n"
  done
  # all nodes first: a node listens only once the quorum (two of three) has a leader
  for n in "${CLUSTER_NODES[@]}"; do spawn_cluster_node "$n"; done
  for n in "${CLUSTER_NODES[@]}"; do wait_cluster_node "$n"; done
  log "readiness: deploy/check.py --kafka-only on the cluster (topics with $CLUSTER_REPLICATION replicas)"
  ERK_KAFKA_BOOTSTRAP="$(cluster_bootstrap)" ERK_TOPIC_REPLICATION=$CLUSTER_REPLICATION \
    ERK_KAFKA_SECURITY_PROTOCOL=PLAINTEXT \
    "$(python_bin)" "$ROOT/deploy/check.py" --kafka-only || die "cluster: readiness check failed"
  log "cluster is up: bootstrap $(cluster_bootstrap)"
}

# all nodes at once: stopped one after the other, the last would wait in its controlled
# shutdown for a quorum that has gone
down_cluster() {
  [ -d "$CLUSTER_HOME" ] || return 0
  local n pid pids=() i
  for n in "${CLUSTER_NODES[@]}"; do
    if pid="$(broker_pid "$(node_home "$n")")"; then
      log "stopping cluster node $n (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done
  for i in $(seq 1 60); do
    for n in "${!pids[@]}"; do kill -0 "${pids[n]}" 2>/dev/null || unset "pids[n]"; done
    [ "${#pids[@]}" -eq 0 ] && break
    sleep 0.5
  done
  for pid in "${pids[@]}"; do
    log "cluster node (pid $pid) did not stop within 30 s, sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
  done
  for n in "${CLUSTER_NODES[@]}"; do rm -f "$(node_home "$n")/kafka.pid"; done
  [ "${#pids[@]}" -eq 0 ] || sleep 1
}

kill_cluster_node() {
  local n=$1 pid i
  pid="$(broker_pid "$(node_home "$n")")" || die "cluster: node $n is not running"
  kill -KILL "$pid"
  for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$(node_home "$n")/kafka.pid"
  log "cluster: node $n killed (SIGKILL, pid $pid)"
}

# kafka_tool <class> [args]: a Kafka admin tool against the cluster; it gives up after
# 10 s instead of the client default of a minute (a node or the quorum may be down)
kafka_tool() {
  local class=$1 config="$CLUSTER_HOME/tools/client.properties"
  shift
  mkdir -p "$CLUSTER_HOME/tools"
  printf 'request.timeout.ms=5000\ndefault.api.timeout.ms=10000\n' >"$config"
  kafka_java "$CLUSTER_HOME/tools" 256m "org.apache.kafka.tools.$class" \
    --bootstrap-server "$(cluster_bootstrap)" --command-config "$config" "$@" 2>/dev/null
}

# the metadata quorum's leader, the active controller (the metadata of a KRaft cluster
# names a random broker as "controller", so only the quorum itself can tell)
cluster_controller() {
  kafka_tool MetadataQuorumCommand describe --status | sed -n 's/^LeaderId:[[:space:]]*//p'
}

# how many partitions lack an in-sync replica; fails when the cluster cannot tell
under_replicated() {
  local out
  out="$(kafka_tool TopicCommand --describe --under-replicated-partitions)" || return 1
  grep -c 'Partition:' <<<"$out" || true
}

# one line per node, the controller, under-replicated partitions; 0 only when all is well
cluster_status() {
  local n home pid ok=0 running=0 controller lagging
  for n in "${CLUSTER_NODES[@]}"; do
    home="$(node_home "$n")"
    if pid="$(broker_pid "$home")" && [ -n "$(port_holder "$(cluster_port "$n")")" ]; then
      echo "node $n:    running (127.0.0.1:$(cluster_port "$n"), controller :$(cluster_controller_port "$n"), pid $pid)"
      running=$((running + 1))
    else
      echo "node $n:    stopped (127.0.0.1:$(cluster_port "$n"))"; ok=3
    fi
  done
  echo "bootstrap: $(cluster_bootstrap)"
  [ "$running" -gt 0 ] || return 3
  controller="$(cluster_controller || true)"
  echo "active controller: ${controller:+node }${controller:-none (no quorum)}"
  lagging="$(under_replicated || true)"
  echo "under-replicated partitions: ${lagging:-unknown}"
  [ -n "$controller" ] && [ "${lagging:-1}" = "0" ] || ok=3
  return "$ok"
}

# pytest -m cluster on the running cluster; fails unless tests ran and none was skipped
cluster_pytest() {
  local report="$CLUSTER_HOME/pytest.xml" rc=0
  log "pytest -m cluster tests/cluster $*"
  # the cluster does not authenticate (docs/operations.md): its clients are PLAINTEXT
  (cd "$ROOT" && set -a && . "$ENV_FILE" && set +a && ERK_CLUSTER_BOOTSTRAP="$(cluster_bootstrap)" \
    ERK_KAFKA_SECURITY_PROTOCOL=PLAINTEXT \
    exec "$(python_bin)" -m pytest -m cluster tests/cluster --junitxml="$report" "$@") || rc=$?
  [ -f "$report" ] || die "cluster: pytest wrote no report (exit $rc)"
  "$(python_bin)" - "$report" <<'EOF' || rc=1
import sys
import xml.etree.ElementTree as ET

suite = ET.parse(sys.argv[1]).getroot()
suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
tests, skipped = int(suite.get("tests", 0)), int(suite.get("skipped", 0))
print(f"[stack] cluster tests: {tests} collected, {skipped} skipped")
if tests == 0 or skipped:
    sys.exit("[stack] ERROR: the cluster step must run its tests: none may be skipped")
EOF
  return "$rc"
}
