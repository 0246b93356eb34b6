# PostgreSQL of this checkout (sourced by deploy/stack): a cluster of its own in
# .local/postgres/data, made and run with Debian's binaries (/usr/lib/postgresql/<ver>/bin:
# initdb and pg_ctl as the postgres user, since both refuse root), listening on
# 127.0.0.1:$ERK_PG_PORT with its socket in .local/postgres/run. The machine's own clusters
# (pg_lsclusters) are neither used nor touched, so checkouts run side by side and
# `down --purge` takes every database with it.
# shellcheck shell=bash

# The postgres user must reach the data directory. A checkout it cannot reach (one under a
# home of mode 0700, as /root is on a machine that clones there) keeps its cluster in
# /var/tmp/erk-stack-<checksum of the checkout's path>/postgres, with .local/postgres a link
# to it; `down --purge` removes both. Decided once: an existing link is followed.
pg_home() {
  local own="$LOCAL/postgres" reach="$ROOT"
  if [ -L "$own" ]; then readlink "$own"; return; fi
  [ -d "$LOCAL" ] && reach="$LOCAL"
  # only as root (runuser never prompts) and once the postgres user exists
  if [ -e "$own" ] || [ "$(id -u)" -ne 0 ] || ! id postgres >/dev/null 2>&1 \
    || runuser -u postgres -- test -x "$reach" 2>/dev/null; then
    echo "$own"
  else
    echo "/var/tmp/erk-stack-$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)/postgres"
  fi
}

PG_HOME="$(pg_home)"
PG_DATA="$PG_HOME/data"
PG_SOCKETS="$PG_HOME/run"
PG_LOG="$PG_HOME/postgres.log"
PG_CONF=erk-stack.conf
PG_USER=erk
PG_PASSWORD=erk
PG_DATABASES=(erk_intake erk_appraisal)
# the key store has a database and a role of its own: the services' role cannot read it
PG_KEYS_USER=erk_keys
PG_KEYS_PASSWORD=erk_keys
MIGRATING_SERVICES=(intake appraisal)

ensure_postgres_installed() {
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && return
  log "postgres: not installed, installing with apt-get"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
  # Debian makes and starts a system cluster "main" on 5432 when the server package comes
  # in; this stack runs its own cluster, so that one is switched off beforehand.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql-common 9>&-
  as_root sed -i 's/^#* *create_main_cluster *=.*/create_main_cluster = false/' \
    /etc/postgresql-common/createcluster.conf
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql 9>&-
}

# the data directory's version once it exists, else the newest installed
pg_version() {
  if [ -f "$PG_DATA/PG_VERSION" ]; then cat "$PG_DATA/PG_VERSION"
  else find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -V | tail -n1
  fi
}

pg_bin() {
  local version dir
  version="$(pg_version)"
  dir="/usr/lib/postgresql/$version/bin"
  [ -x "$dir/postgres" ] || die "postgres: .local/postgres/data needs PostgreSQL $version, but $dir/postgres is missing (install postgresql-$version, or start afresh: deploy/stack down --purge)"
  echo "$dir"
}

# postmaster.pid (only its owner and root may read the data directory)
pg_pid_file() { as_postgres cat "$PG_DATA/postmaster.pid" 2>/dev/null; }

# pid of this checkout's postmaster if it runs
pg_pid() {
  local pid
  pid="$(pg_pid_file | sed -n 1p)"
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  cmdline_has "$pid" "-D $PG_DATA" || return 1
  echo "$pid"
}

pg_running_port() { pg_pid_file | sed -n 4p; }

pg_accepting() { "$(pg_bin)/pg_isready" -q -h "$PG_SOCKETS" -p "$(pg_running_port)"; }

init_postgres_cluster() {
  [ -f "$PG_DATA/PG_VERSION" ] && return
  local bin
  bin="$(pg_bin)"
  log "postgres: creating this checkout's cluster (PostgreSQL $(pg_version)) in .local/postgres/data"
  mkdir -p "$PG_HOME" "$LOCAL"
  if [ "$PG_HOME" != "$LOCAL/postgres" ]; then
    log "postgres: the postgres user cannot reach $LOCAL, so the cluster lives in $PG_HOME (linked from .local/postgres)"
    ln -sfn "$PG_HOME" "$LOCAL/postgres"
  fi
  as_root chown postgres:postgres "$PG_HOME"
  as_postgres test -w "$PG_HOME" \
    || die "postgres: the postgres user cannot write $PG_HOME: every directory above it must be searchable by others (chmod o+x)"
  as_postgres "$bin/initdb" -D "$PG_DATA" -U postgres -E UTF8 --locale=C.UTF-8 \
    --auth-local=peer --auth-host=scram-sha-256 >"$PG_HOME/initdb.log" 2>&1 \
    || { cat "$PG_HOME/initdb.log" >&2; die "postgres: initdb failed"; }
  echo "include '$PG_CONF'" | as_postgres tee -a "$PG_DATA/postgresql.conf" >/dev/null
}

# the port and socket directory, rewritten on every start (ERK_PG_PORT may have changed)
write_postgres_conf() {
  as_postgres mkdir -p "$PG_SOCKETS"
  printf '%s\n' "# Written by deploy/stack on every start: this checkout's port and socket." \
    "port = $ERK_PG_PORT" "listen_addresses = '127.0.0.1'" \
    "unix_socket_directories = '${PG_SOCKETS//\'/\'\'}'" "timezone = 'UTC'" \
    | as_postgres tee "$PG_DATA/$PG_CONF" >/dev/null
}

start_postgres() {
  require_free_port "$ERK_PG_PORT" ERK_PG_PORT postgres
  local socket="$PG_SOCKETS/.s.PGSQL.$ERK_PG_PORT"
  [ "${#socket}" -le 107 ] \
    || die "postgres: the socket path $socket is longer than Unix allows (107); use a checkout with a shorter path"
  write_postgres_conf
  log "postgres: starting on 127.0.0.1:$ERK_PG_PORT (log: .local/postgres/postgres.log)"
  as_postgres "$(pg_bin)/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 -s start 9>&- \
    || { tail -n 20 "$PG_LOG" >&2; die "postgres: did not start (see .local/postgres/postgres.log)"; }
}

ensure_postgres_cluster() {
  init_postgres_cluster
  local pid port
  if pid="$(pg_pid)"; then
    port="$(pg_running_port)"
    [ "$port" = "$ERK_PG_PORT" ] \
      || die "postgres: this checkout's cluster runs on port $port, not ERK_PG_PORT=$ERK_PG_PORT: 'deploy/stack down' first to move it"
    log "postgres: already running (127.0.0.1:$port, pid $pid)"
  else
    start_postgres
  fi
  pg_accepting || die "postgres: not accepting connections (see .local/postgres/postgres.log)"
}

psql_admin() {
  as_postgres "$(pg_bin)/psql" -h "$PG_SOCKETS" -p "$ERK_PG_PORT" -v ON_ERROR_STOP=1 -qtAX "$@"
}

ensure_postgres_roles() {
  if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$PG_USER'")" != "1" ]; then
    log "postgres: creating role $PG_USER"
    psql_admin -c "CREATE ROLE $PG_USER LOGIN PASSWORD '$PG_PASSWORD'"
  fi
  # tests and benchmarks create throw-away databases and drop them WITH (FORCE), which must
  # be able to end an autovacuum worker still busy in them
  psql_admin -c "ALTER ROLE $PG_USER CREATEDB"
  psql_admin -c "GRANT pg_signal_backend TO $PG_USER"
  if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$PG_KEYS_USER'")" != "1" ]; then
    log "postgres: creating role $PG_KEYS_USER"
    psql_admin -c "CREATE ROLE $PG_KEYS_USER LOGIN PASSWORD '$PG_KEYS_PASSWORD'"
  fi
  if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = 'erk_keys'")" != "1" ]; then
    log "postgres: creating database erk_keys (owner $PG_KEYS_USER)"
    psql_admin -c "CREATE DATABASE erk_keys OWNER $PG_KEYS_USER"
    psql_admin -c "REVOKE ALL ON DATABASE erk_keys FROM PUBLIC"
  fi
  local db
  for db in "${PG_DATABASES[@]}"; do
    if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" != "1" ]; then
      log "postgres: creating database $db (owner $PG_USER)"
      psql_admin -c "CREATE DATABASE $db OWNER $PG_USER"
    fi
  done
}

run_migrations() {
  local svc py
  py="$(python_bin)"
  for svc in "${MIGRATING_SERVICES[@]}"; do
    log "migrations: $svc"
    (cd "$ROOT" && set -a && . "$ENV_FILE" && set +a && "$py" -m "services.$svc.entrypoints.cli" migrate) \
      || die "migrations: 'python -m services.$svc.entrypoints.cli migrate' failed"
  done
  log "migrations: key store"
  (cd "$ROOT" && set -a && . "$ENV_FILE" && set +a && "$py" -m services.intake.entrypoints.cli migrate-keys) \
    || die "migrations: 'python -m services.intake.entrypoints.cli migrate-keys' failed"
}

up_postgres() {
  ensure_postgres_installed
  ensure_postgres_cluster
  ensure_postgres_roles
  run_migrations
}

stop_postgres() {
  if pg_pid >/dev/null; then
    log "postgres: stopping (127.0.0.1:$(pg_running_port))"
    as_postgres "$(pg_bin)/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 -s stop
  else
    log "postgres: not running"
  fi
}

# a fast restart (sessions terminated, no waiting for clients); -l again, else the new
# server would write to our stdout (and keep a caller's pipe open)
restart_postgres() {
  pg_pid >/dev/null || die "postgres: not running (deploy/stack up)"
  log "postgres: restarting (fast: every session terminated)"
  as_postgres "$(pg_bin)/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -m fast -w -t 60 -s restart 9>&- \
    || { tail -n 20 "$PG_LOG" >&2; die "postgres: did not restart (see .local/postgres/postgres.log)"; }
  log "postgres: restarted (pid $(pg_pid))"
}

postgres_status() {
  local pid
  if pid="$(pg_pid)"; then
    if pg_accepting; then
      echo "postgres:  running (127.0.0.1:$(pg_running_port), pid $pid, .local/postgres/data)"
      return 0
    fi
    echo "postgres:  started but not accepting connections (pid $pid; see .local/postgres/postgres.log)"
    return 1
  fi
  echo "postgres:  stopped (port $ERK_PG_PORT)"
  return 1
}
