#!/usr/bin/env bash
# The demo: both services, a demo organisation (Bapenda + UPT Samsat offices), a few days of
# history and a live e-Samsat feed. Called by `deploy/stack demo` once the stack is up.
# Idempotent: services already running (pid alive, health ok) are left alone; the roster
# import of the same organisation is harmless; the backfill runs once a day.
#
# Knobs (environment): DEMO_EMPLOYEES (300) size of the organisation, DEMO_SEED (2026) its
# seed, DEMO_BACKFILL_DAYS (3) working days of history, DEMO_RATE (3) live events a second,
# DEMO_EMPLOYEES_2022 (13) size of the second agency, run under the 2022 regime.
# deploy/check_demo.py (run by CI) uses a short form: 40 employees, 1 day of history.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RUN_DIR=.local/run
mkdir -p "$RUN_DIR"
if [ -x .venv/bin/python ] && [ "${STACK_SKIP_VENV:-0}" != "1" ]; then PY=.venv/bin/python; else PY=python3; fi
[ -f .local/env ] || { echo "[demo] .local/env is missing: run deploy/stack up first" >&2; exit 1; }
set -a; . .local/env; set +a
export INTAKE_POLICY_FILE="${INTAKE_POLICY_FILE:-deploy/policies/erk-default-2026.1.yaml}"

EMPLOYEES="${DEMO_EMPLOYEES:-300}"
SEED="${DEMO_SEED:-2026}"
RATE="${DEMO_RATE:-3}"
BACKFILL_DAYS="${DEMO_BACKFILL_DAYS:-3}"
EMPLOYEES_2022="${DEMO_EMPLOYEES_2022:-13}"
# the services' ports: INTAKE_HTTP_PORT / APPRAISAL_HTTP_PORT from .local/env (deploy/stack)
INTAKE=http://127.0.0.1:${INTAKE_HTTP_PORT:-8001}
APPRAISAL=http://127.0.0.1:${APPRAISAL_HTTP_PORT:-8002}
# the close of a 2022-regime month reads appraisal's distribution-curve check first
export INTAKE_APPRAISAL_URL="${INTAKE_APPRAISAL_URL:-$APPRAISAL}"

log() { echo "[demo] $*"; }
# as_principal <name>: AS_PRINCIPAL becomes the env(1) arguments that run a command as the
# broker principal <name> (intake, appraisal, eservice), not as .local/env's admin: each
# process gets only what its ACLs allow (shared/broker_acls.py)
as_principal() {
  AS_PRINCIPAL=(env ERK_KAFKA_USERNAME="$1"
    ERK_KAFKA_PASSWORD_FILE="${ERK_KAFKA_CREDENTIALS_DIR:?.local/env names no Kafka credentials: run deploy/stack up}/$1.password")
}
healthy() { curl -fsS --max-time 3 -o /dev/null "$1/health" 2>/dev/null; }
alive() { [ -f "$RUN_DIR/$1.pid" ] && kill -0 "$(cat "$RUN_DIR/$1.pid")" 2>/dev/null; }
holder_pid() { ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n1 | cut -d= -f2; }

# A port held by a process without our pid file: a service of this checkout started by hand
# is used as it is; anything else (another checkout's demo...) is an error, never reused.
check_port() {  # check_port <name> <port> <variable>
  local pid
  pid="$(holder_pid "$2")"
  [ -n "$pid" ] || return 0
  if [ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = "$ROOT" ]; then
    log "$1: pid $pid of this checkout already listens on :$2; using it as is"; return 1
  fi
  log "$1: port $2 is taken by pid $pid ($(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-120)), not this checkout's; stop it or choose another port: $3=<free port> deploy/stack demo"
  exit 1
}

start_service() {  # start_service <name> <base url> <port variable>
  local name=$1 url=$2 i
  if alive "$name" && healthy "$url"; then
    log "$name already running (pid $(cat "$RUN_DIR/$name.pid"))"; return
  fi
  alive "$name" || check_port "$name" "${url##*:}" "$3" || return 0
  alive "$name" && { log "$name: pid alive but unhealthy, restarting"; kill "$(cat "$RUN_DIR/$name.pid")" || true; sleep 2; }
  log "starting $name (log: $RUN_DIR/$name.log)"
  as_principal "$name"
  nohup setsid "${AS_PRINCIPAL[@]}" "$PY" -m "services.$name.entrypoints.cli" serve >>"$RUN_DIR/$name.log" 2>&1 </dev/null 9>&- &
  echo $! >"$RUN_DIR/$name.pid"
  for i in $(seq 1 60); do
    healthy "$url" && { log "$name is healthy"; return; }
    kill -0 "$(cat "$RUN_DIR/$name.pid")" 2>/dev/null || { tail -n 30 "$RUN_DIR/$name.log" >&2; log "$name exited"; exit 1; }
    sleep 1
  done
  tail -n 30 "$RUN_DIR/$name.log" >&2
  log "$name did not become healthy within 60 s"; exit 1
}

start_service intake "$INTAKE" INTAKE_HTTP_PORT
start_service appraisal "$APPRAISAL" APPRAISAL_HTTP_PORT

SIM=("$PY" -m services.simulator.cli)
log "importing the demo organisation ($EMPLOYEES employees, seed $SEED)"
"${SIM[@]}" org --employees "$EMPLOYEES" --seed "$SEED" --intake-url "$INTAKE"

# The second agency, under PermenPANRB 6/2022 (docs/performance-2022.md): its agency policy,
# SKPs, validated realisation, 360 reviews and confirmed ratings for the current month.
# Repeating a month's steps is harmless (the same SKPs and ratings again, realisation kept).
log "running the 2022 agency ($EMPLOYEES_2022 employees, regime PermenPANRB 6/2022) for this month"
"${SIM[@]}" agency-2022 --employees "$EMPLOYEES_2022" --seed "$SEED" --other-employees "$EMPLOYEES" \
  --intake-url "$INTAKE"

STAMP="$RUN_DIR/demo-backfill-$(date +%F)-$EMPLOYEES-$SEED"
if [ ! -f "$STAMP" ]; then
  log "backfilling the last $BACKFILL_DAYS working days (activities, validations, 360 reviews)"
  "${SIM[@]}" run --employees "$EMPLOYEES" --seed "$SEED" --days "$BACKFILL_DAYS" --skip-today \
    --mode batch --rate 0 --intake-url "$INTAKE" --appraisal-url "$APPRAISAL"
  touch "$STAMP"
else
  log "backfill already done today ($STAMP)"
fi

if alive simulator; then
  log "live traffic already running (pid $(cat "$RUN_DIR/simulator.pid"))"
else
  log "starting live e-Samsat traffic at $RATE events/s (log: $RUN_DIR/simulator.log)"
  as_principal eservice
  nohup setsid "${AS_PRINCIPAL[@]}" "${SIM[@]}" live --employees "$EMPLOYEES" --seed "$SEED" --rate "$RATE" \
    --intake-url "$INTAKE" >>"$RUN_DIR/simulator.log" 2>&1 </dev/null 9>&- &
  echo $! >"$RUN_DIR/simulator.pid"
fi

TOKEN="$("$PY" -m services.intake.entrypoints.cli token demo-dashboard --role dashboard --hours 720)"
HEAD="$("$PY" -c "from services.simulator.domain.org import build_organisation as b; o = b($EMPLOYEES, $SEED); print(next(e.nip for e in o.employees if e.level == 1))")"
PERIOD="$(TZ=Asia/Jakarta date +%Y-%m)"
read -r UNIT_2013 UNIT_2022 < <("$PY" -c "
from services.simulator.domain.org import build_organisation as b
from services.simulator.domain.regime2022 import build_2022_agency as b22
print(next(u.code for u in b($EMPLOYEES, $SEED).units if u.samsat), b22($EMPLOYEES_2022, $SEED).units[1].code)")
cat <<EOT

================================================================================
 e-RK demo is running: $EMPLOYEES employees of a Bapenda with UPT Samsat offices,
 the last $BACKFILL_DAYS working days of history, and live traffic at $RATE events/s
 (regime 2013, Perka BKN 1/2013); beside it $EMPLOYEES_2022 employees of BAPENDA-BANTEN
 under regime 2022 (PermenPANRB 6/2022: SKPs, ratings, predicate) for $PERIOD.

 Dashboard:      $APPRAISAL/dashboard?token=$TOKEN
 Eligibility, one unit of each regime (header Authorization: Bearer <the dashboard token>):
   2013: $APPRAISAL/v1/periods/$PERIOD/eligibility?unit=$UNIT_2013
   2022: $APPRAISAL/v1/periods/$PERIOD/eligibility?unit=$UNIT_2022
 Intake API:     $INTAKE/docs
 Appraisal API:  $APPRAISAL/docs
 Metrics:        $APPRAISAL/metrics    Health: $INTAKE/health  $APPRAISAL/health
 Logs:           $RUN_DIR/{intake,appraisal,simulator}.log

 Mint a token:   .venv/bin/erk-intake token $HEAD --role superior
                 (roles: employee, superior, eservice, admin, auditor, dashboard)
 More traffic:   $PY -m services.simulator.cli run --help
 Stop it all:    deploy/stack down
================================================================================
EOT
