"""Acting superiors in the projections: an appointment is kept as it is; a decision and a 360
review made in a head's place keep whose place (``acting_for``); a revision clears it."""

from datetime import date

from services.appraisal.projections import REGISTRY
from services.appraisal.projections.activities import Activities
from services.appraisal.projections.base import Batch
from services.appraisal.projections.behaviour_reviews import BehaviourReviews
from services.appraisal.service_layer.projecting import apply_events
from shared.codec import decode_payload
from shared.envelope import EventEnvelope
from shared.events import BehaviourReview, ReviewSubmitted
from tests.support.history import INDICATORS, History, nip

HEAD, PLH, STAFF = 0, 2, 1


def apply(ws: Batch, *envelopes: EventEnvelope) -> None:
    apply_events(ws, REGISTRY, [(e, decode_payload(e), 0) for e in envelopes])


def test_decisions_and_reviews_keep_whose_place_was_taken() -> None:
    history, ws = History(), REGISTRY.start([])
    apply(ws, history.acting(HEAD, PLH, date(2026, 3, 2), date(2026, 3, 6)))
    # the appointment itself is only kept (for the acting official's objection queue)
    assert [(projection.tables[0].name, rows) for projection in REGISTRY.projections
            for _, rows in projection.rows(ws.working_sets[type(projection)]) if rows] == [
        ("acting_appointments", [{"head_nip": nip(HEAD), "valid_from": date(2026, 3, 2),
                                  "valid_to": date(2026, 3, 6), "acting_nip": nip(PLH),
                                  "kind": "Plh", "position": 1}])]
    apply(ws, history.line(STAFF, HEAD))
    reported, activity_id = history.activity(STAFF, date(2026, 3, 2))
    apply(ws, reported, history.decision(STAFF, PLH, activity_id, "revision_requested",
                                              acting_for=HEAD))
    row = ws.working(Activities).rows[str(activity_id)]
    assert (row["status"], row["decided_by"], row["acting_for"]) == (
        "revision_requested", nip(PLH), nip(HEAD))
    apply(ws, history.revision(STAFF, activity_id, date(2026, 3, 3), 60))
    assert (row["status"], row["decided_by"], row["acting_for"]) == ("pending", None, None)
    apply(ws, history.decision(STAFF, HEAD, activity_id, "approved"))
    assert (row["decided_by"], row["acting_for"]) == (nip(HEAD), None)

    rated = history.add(ReviewSubmitted(review=BehaviourReview(
        period="2026-03", rater_nip=nip(PLH), ratee_nip=nip(STAFF), relation="superior",
        scores={name: 80 for name in INDICATORS}, acting_for=nip(HEAD))),
        nip(STAFF), f"review-2026-03-{nip(STAFF)}-{nip(PLH)}")
    apply(ws, rated)
    review = ws.working(BehaviourReviews).rows[("2026-03", nip(STAFF), nip(PLH))]
    assert (review["relation"], review["acting_for"]) == ("superior", nip(HEAD))
