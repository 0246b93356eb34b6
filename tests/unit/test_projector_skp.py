"""The SKP projection's pure rules: a plan replaced whole, a realisation's row through its
decisions (feedback and who decided), the rater's latest decision, a unit's predicate, and
which employee-months eligibility must recompute."""

import uuid

from services.appraisal.projections import REGISTRY
from services.appraisal.projections.base import Batch
from services.appraisal.projections.skp import Skps
from services.appraisal.service_layer.projecting import apply_events
from shared.codec import decode_payload
from shared.envelope import EventEnvelope
from shared.events import (
    Event,
    OrganisationalPredicateRecorded,
    PerformanceRated,
    PlannedResult,
    RealisationReported,
    RealisationValidated,
    SkpIndicator,
    SkpSet,
)
from tests.support.history import History, nip

HEAD, STAFF, PERIOD = 0, 1, "2026-03"
REPORT = uuid.UUID("8d5c3f4e-0d0b-4c55-9a39-5c1d3f0a2b11")


def plan(rhk_id: str) -> SkpSet:
    return SkpSet(nip=nip(STAFF), period=PERIOD, superior_nip=nip(HEAD), acting_for=None,
                  results=[PlannedResult(rhk_id=rhk_id, kind="main", description="Hasil",
                                         supports_rhk_id=None, indicators=[SkpIndicator(
                                             indicator_id="q1", aspect="quantity",
                                             description="Berkas", target=40,
                                             unit="berkas")])])


def apply(history: History, ws: Batch, *events: Event) -> None:
    envelopes: list[EventEnvelope] = [history.add(e, nip(STAFF), f"skp-{nip(STAFF)}-{PERIOD}")
                                      for e in events]
    apply_events(ws, REGISTRY, [(e, decode_payload(e), 0) for e in envelopes])


def test_plans_realisations_ratings_and_unit_predicates() -> None:
    history, ws = History(), REGISTRY.start([])
    apply(history, ws, plan("R1"), plan("R2"))
    plans = ws.working(Skps)
    assert [r["rhk_id"] for r in plans.skps[(nip(STAFF), PERIOD)]["results"]] == ["R2"]
    apply(history, ws, RealisationReported(
        realisation_id=REPORT, nip=nip(STAFF), period=PERIOD, rhk_id="R2", indicator_id="q1",
        value=12, evidence="ND-1"))
    row = plans.realisations[str(REPORT)]
    assert (row["status"], row["value"], row["decided_by"], row["feedback"]) == (
        "pending", 12, None, None)
    apply(history, ws, RealisationValidated(
        realisation_id=REPORT, nip=nip(STAFF), period=PERIOD, reviewer_nip=nip(2),
        decision="approved", note="Lanjutkan", acting_for=nip(HEAD)))
    assert (row["status"], row["decided_by"], row["acting_for"], row["feedback"]) == (
        "approved", nip(2), nip(HEAD), "Lanjutkan")
    for override in ("above", None):
        apply(history, ws, PerformanceRated(
            nip=nip(STAFF), period=PERIOD, rater_nip=nip(HEAD), acting_for=None,
            results_override=override, behaviour_override=None, reason=None))
    assert plans.ratings[(nip(STAFF), PERIOD)]["results_override"] is None
    assert plans.changed == {(nip(STAFF), PERIOD)}
    apply(history, ws, OrganisationalPredicateRecorded(unit="U1", period=PERIOD,
                                                       predicate="Baik"))
    assert plans.units[("U1", PERIOD)]["predicate"] == "Baik"
    assert plans.changed == {(nip(STAFF), PERIOD)}  # a unit's predicate changes no row
