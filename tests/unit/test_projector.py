"""The projection rules through the registry, event by event, against rows written out by
hand (the integration tests check the same rules through PostgreSQL and Kafka)."""

from datetime import date, timedelta

from services.appraisal.projections import REGISTRY
from services.appraisal.projections.activities import Activities
from services.appraisal.projections.base import Batch
from services.appraisal.projections.employee_months import EmployeeMonths
from services.appraisal.service_layer.projecting import apply_events
from shared.codec import decode_payload
from shared.envelope import EventEnvelope
from tests.support.history import History, nip

BOSS, STAFF = 0, 1


def apply(ws: Batch, *envelopes: EventEnvelope, partition: int = 0) -> None:
    apply_events(ws, REGISTRY, [(e, decode_payload(e), partition) for e in envelopes])


def test_a_report_and_its_decisions_move_the_minutes() -> None:
    history, ws = History(), REGISTRY.start([])
    apply(ws, history.line(STAFF, BOSS))
    reported, activity_id = history.activity(STAFF, date(2026, 3, 2), minutes=90)
    apply(ws, reported, partition=1)
    key = str(activity_id)
    at = history.start + timedelta(seconds=2)
    row = ws.working(Activities).rows[key]
    assert {k: row[k] for k in ("activity_id", "nip", "superior_nip", "work_date", "period",
                                "minutes", "status", "reported_at", "decided_by", "position")
            } == {"activity_id": key, "nip": nip(STAFF), "superior_nip": nip(BOSS),
                  "work_date": date(2026, 3, 2), "period": "2026-03", "minutes": 90,
                  "status": "pending", "reported_at": at, "decided_by": None, "position": 2}
    months = ws.working(EmployeeMonths)
    month = {"nip": nip(STAFF), "period": "2026-03", "pending_minutes": 90,
             "approved_minutes": 0, "rejected_minutes": 0, "revision_minutes": 0,
             "not_validated_minutes": 0, "activities": 1}
    assert {k: months.rows[(nip(STAFF), "2026-03")][k] for k in month} == month
    apply(ws, history.decision(STAFF, BOSS, activity_id, "revision_requested"), partition=1)
    apply(ws, history.decision(STAFF, BOSS, activity_id, "rejected"), partition=1)
    now = months.rows[(nip(STAFF), "2026-03")]
    assert {k: now[k] for k in month} == {**month, "pending_minutes": 0, "rejected_minutes": 90}
    row = ws.working(Activities).rows[key]
    assert (row["status"], row["decided_by"], row["note"], row["position"]) == (
        "rejected", nip(BOSS), "lengkapi bukti", 4)
    assert [(h["status"], h["position"]) for h in ws.working(Activities).history] == [
        ("pending", 2), ("revision_requested", 3), ("rejected", 4)]
    assert (nip(STAFF), "2026-03") in months.changed
