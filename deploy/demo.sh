#!/usr/bin/env bash
# The demo: both services, a demo organisation (Bapenda + UPT Samsat offices), a few days of
# history and a live e-Samsat feed. Called by `deploy/stack demo` once the stack is up.
# Idempotent: services already running (pid alive, health ok) are left alone; the roster
# import of the same organisation is harmless; the backfill runs once a day.
#
# Knobs (environment): DEMO_EMPLOYEES (300) size of the organisation, DEMO_SEED (2026) its
# seed, DEMO_BACKFILL_DAYS (3) working days of history, DEMO_RATE (3) live events a second.
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
INTAKE=http://127.0.0.1:8001
APPRAISAL=http://127.0.0.1:8002

log() { echo "[demo] $*"; }
healthy() { curl -fsS --max-time 3 -o /dev/null "$1/health" 2>/dev/null; }
alive() { [ -f "$RUN_DIR/$1.pid" ] && kill -0 "$(cat "$RUN_DIR/$1.pid")" 2>/dev/null; }

start_service() {  # start_service <name> <base url>
  local name=$1 url=$2 i
  if alive "$name" && healthy "$url"; then
    log "$name already running (pid $(cat "$RUN_DIR/$name.pid"))"; return
  fi
  if ! alive "$name" && healthy "$url"; then
    log "$name: something without a pid file already answers on $url; using it as is"; return
  fi
  alive "$name" && { log "$name: pid alive but unhealthy, restarting"; kill "$(cat "$RUN_DIR/$name.pid")" || true; sleep 2; }
  log "starting $name (log: $RUN_DIR/$name.log)"
  nohup setsid "$PY" -m "services.$name.entrypoints.cli" serve >>"$RUN_DIR/$name.log" 2>&1 </dev/null 9>&- &
  echo $! >"$RUN_DIR/$name.pid"
  for i in $(seq 1 60); do
    healthy "$url" && { log "$name is healthy"; return; }
    kill -0 "$(cat "$RUN_DIR/$name.pid")" 2>/dev/null || { tail -n 30 "$RUN_DIR/$name.log" >&2; log "$name exited"; exit 1; }
    sleep 1
  done
  tail -n 30 "$RUN_DIR/$name.log" >&2
  log "$name did not become healthy within 60 s"; exit 1
}

start_service intake "$INTAKE"
start_service appraisal "$APPRAISAL"

SIM=("$PY" -m services.simulator.cli)
log "importing the demo organisation ($EMPLOYEES employees, seed $SEED)"
"${SIM[@]}" org --employees "$EMPLOYEES" --seed "$SEED" --intake-url "$INTAKE"

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
  nohup setsid "${SIM[@]}" live --employees "$EMPLOYEES" --seed "$SEED" --rate "$RATE" \
    --intake-url "$INTAKE" >>"$RUN_DIR/simulator.log" 2>&1 </dev/null 9>&- &
  echo $! >"$RUN_DIR/simulator.pid"
fi

TOKEN="$("$PY" -m services.intake.entrypoints.cli token demo-dashboard --role dashboard --hours 720)"
HEAD="$("$PY" -c "from services.simulator.domain.org import build_organisation as b; o = b($EMPLOYEES, $SEED); print(next(e.nip for e in o.employees if e.level == 1))")"
cat <<EOT

================================================================================
 e-RK demo is running: $EMPLOYEES employees of a Bapenda with UPT Samsat offices,
 the last $BACKFILL_DAYS working days of history, and live traffic at $RATE events/s.

 Dashboard:      $APPRAISAL/dashboard?token=$TOKEN
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
