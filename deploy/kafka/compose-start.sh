#!/usr/bin/env bash
# Entry point of deploy/compose.yaml's Kafka container: the same broker as deploy/stack's
# (deploy/kafka/server.properties: SASL/SCRAM, PLAIN on the controller listener,
# StandardAuthorizer), with the passwords of the principals from the compose secrets
# (/run/secrets/kafka-<name>, made by `deploy/stack kafka credentials`). The first start
# formats the storage with every principal's SCRAM credential; later starts reuse it.
set -euo pipefail

PORT=${ERK_KAFKA_PORT:-9092}
CONTROLLER_PORT=${ERK_KAFKA_CONTROLLER_PORT:-9093}
DATA=/var/lib/kafka/data
CONFIG=/tmp/erk-server.properties
secret() { tr -d '\n' <"/run/secrets/kafka-$1"; }

# the template listens on 127.0.0.1; in a container the client listener must take 0.0.0.0
# (the port is published on the host's 127.0.0.1 only, and advertised as 127.0.0.1)
(umask 077 && sed -e "s#@PORT@#$PORT#g" -e "s#@CONTROLLER_PORT@#$CONTROLLER_PORT#g" \
  -e "s#@LOG_DIRS@#$DATA#g" -e "s#@BROKER_PASSWORD@#$(secret broker)#g" \
  -e "s#^listeners=SASL_PLAINTEXT://127.0.0.1#listeners=SASL_PLAINTEXT://0.0.0.0#" \
  /erk/server.properties >"$CONFIG")

if [ ! -f "$DATA/meta.properties" ]; then
  scram=()
  for name in admin broker intake appraisal eservice; do
    scram+=(--add-scram "SCRAM-SHA-256=[name=$name,password=$(secret "$name")]")
  done
  /opt/kafka/bin/kafka-storage.sh format -t "$(/opt/kafka/bin/kafka-storage.sh random-uuid)" \
    -c "$CONFIG" --standalone "${scram[@]}"
fi

# admin's client settings, for the healthcheck
(umask 077 && printf '%s\n' "security.protocol=SASL_PLAINTEXT" "sasl.mechanism=SCRAM-SHA-256" \
  "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"admin\" password=\"$(secret admin)\";" \
  >/tmp/erk-admin.properties)
exec /opt/kafka/bin/kafka-server-start.sh "$CONFIG"
