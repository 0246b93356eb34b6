"""How a revision changes the read model (the projections' pure apply, on a batch's working
sets, no database)."""

import uuid
from datetime import date

import pytest

from services.appraisal.projections import REGISTRY
from services.appraisal.projections.activities import Activities
from services.appraisal.projections.base import Batch
from services.appraisal.projections.employee_months import EmployeeMonths
from services.appraisal.service_layer.projecting import apply_events
from shared.codec import decode_payload
from shared.envelope import EventEnvelope
from tests.support.history import History, nip

pytestmark = pytest.mark.unit


def apply(ws: Batch, *envelopes: EventEnvelope) -> None:
    apply_events(ws, REGISTRY, [(e, decode_payload(e), 0) for e in envelopes])


def month(ws: Batch, i: int, period: str) -> tuple[int, int, int]:
    row = ws.working(EmployeeMonths).rows[(nip(i), period)]
    return row["pending_minutes"], row["revision_minutes"], row["activities"]


def sent_back(day: date) -> tuple[History, Batch, uuid.UUID]:
    """Employee 1 (superior 3 until Feb, 4 from March) reports 120 minutes; sent back."""
    history, ws = History(), REGISTRY.start([])
    apply(ws, history.line(1, 3), history.line(1, 4, since=date(2026, 3, 1)))
    reported, activity_id = history.activity(1, day, minutes=120)
    apply(ws, reported, history.decision(1, 3, activity_id, "revision_requested"))
    return history, ws, activity_id


def test_a_revision_moves_the_minutes_back_to_pending_with_the_new_content() -> None:
    history, ws, activity_id = sent_back(date(2026, 2, 24))
    assert month(ws, 1, "2026-02") == (0, 120, 1)
    revised = history.revision(1, activity_id, date(2026, 2, 24), 90)
    apply(ws, revised)
    assert month(ws, 1, "2026-02") == (90, 0, 1)
    row = ws.working(Activities).rows[str(activity_id)]
    assert (row["status"], row["minutes"], row["superior_nip"]) == ("pending", 90, nip(3))
    assert row["description"].endswith("(bukti dilengkapi)")
    assert (row["decided_by"], row["note"], row["position"]) == (None, None, revised.position)
    assert [(h["status"], h["actor"]) for h in ws.working(Activities).history][-2:] == [
        ("revision_requested", "admin"), ("pending", nip(1))]
    assert (nip(1), "2026-02") in ws.working(EmployeeMonths).changed


def test_a_revision_into_the_next_month_moves_the_activity_and_its_superior() -> None:
    history, ws, activity_id = sent_back(date(2026, 2, 27))
    apply(ws, history.revision(1, activity_id, date(2026, 3, 2), 60))
    assert month(ws, 1, "2026-02") == (0, 0, 0)
    assert month(ws, 1, "2026-03") == (60, 0, 1)
    row = ws.working(Activities).rows[str(activity_id)]
    assert (row["period"], row["work_date"], row["superior_nip"]) == (
        "2026-03", date(2026, 3, 2), nip(4))  # the line in force on the amended day
    assert {(nip(1), "2026-02"), (nip(1), "2026-03")} <= ws.working(EmployeeMonths).changed


def test_approval_after_the_revision_counts_the_amended_minutes() -> None:
    history, ws, activity_id = sent_back(date(2026, 2, 24))
    apply(ws, history.revision(1, activity_id, date(2026, 2, 24), 90),
          history.decision(1, 3, activity_id, "approved"))
    row = ws.working(EmployeeMonths).rows[(nip(1), "2026-02")]
    assert (row["pending_minutes"], row["approved_minutes"], row["revision_minutes"]) == (
        0, 90, 0)
