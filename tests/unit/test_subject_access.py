"""What an access export shows of an event: everything of the subject's own events, and
nothing of a 360° rater (who rated, the stream that names them, scores, comment)."""

import uuid
from datetime import UTC, datetime
from typing import Any

from services.appraisal.domain.subject_access import WITHHELD, disclosed
from shared.envelope import EventEnvelope

STAFF, PEER, BOSS = "199001012015032001", "198505052010011002", "196804111993031009"


def envelope(payload: dict[str, Any], actor: str, stream: str,
             event_type: str = "ReviewSubmitted") -> EventEnvelope:
    now = datetime(2026, 2, 3, tzinfo=UTC)
    return EventEnvelope(event_id=uuid.uuid4(), event_type=event_type, schema_version=1,
                         stream_id=stream, stream_version=1, position=7, subject_nip=STAFF,
                         occurred_at=now, recorded_at=now, actor=actor, source="app",
                         correlation_id=uuid.uuid4(), payload=payload)


def test_a_behaviour_review_keeps_its_period_and_relation_and_loses_its_rater() -> None:
    review = {"kind": "behaviour", "period": "2026-02", "rater_nip": PEER, "ratee_nip": STAFF,
              "relation": "peer", "scores": {"integritas": 90}, "comment": "Baik sekali",
              "acting_for": None}
    shown = disclosed(envelope({"review": review}, PEER, f"review-2026-02-{PEER}-{STAFF}"))
    assert PEER not in repr(shown) and "Baik sekali" not in repr(shown) and "90" not in repr(
        shown["payload"])
    assert shown["payload"]["review"]["relation"] == "peer"
    assert shown["actor"] == shown["stream_id"] == WITHHELD
    assert (shown["position"], shown["event_type"]) == (7, "ReviewSubmitted")


def test_the_subjects_own_events_and_their_superiors_decisions_are_shown_whole() -> None:
    decision = {"review": {"kind": "validation", "activity_id": str(uuid.uuid4()),
                           "owner_nip": STAFF, "reviewer_nip": BOSS, "decision": "approved",
                           "note": "ok", "acting_for": None}}
    shown = disclosed(envelope(decision, BOSS, "activity-1"))
    assert (shown["payload"], shown["actor"], shown["stream_id"]) == (decision, BOSS,
                                                                     "activity-1")
    registered = {"nip": STAFF, "name": "Siti Aminah"}
    assert disclosed(envelope(registered, "admin", "employee-x",
                              "EmployeeRegistered"))["payload"] == registered


def test_every_field_of_an_own_event_is_shown_under_its_name() -> None:
    registered = {"nip": STAFF, "name": "Siti Aminah"}
    event = envelope(registered, "admin", "employee-x", "EmployeeRegistered")
    assert disclosed(event) == {
        "position": 7, "event_type": "EmployeeRegistered", "schema_version": 1,
        "occurred_at": event.occurred_at, "recorded_at": event.recorded_at, "actor": "admin",
        "source": "app", "stream_id": "employee-x", "payload": registered}


def test_a_behaviour_review_shows_exactly_its_kind_period_and_relation() -> None:
    review = {"kind": "behaviour", "period": "2026-02", "rater_nip": PEER, "ratee_nip": STAFF,
              "relation": "subordinate", "scores": {"integritas": 90}, "comment": "Baik",
              "acting_for": None}
    event = envelope({"review": review}, PEER, f"review-2026-02-{PEER}-{STAFF}")
    assert disclosed(event) == {
        "position": 7, "event_type": "ReviewSubmitted", "schema_version": 1,
        "occurred_at": event.occurred_at, "recorded_at": event.recorded_at,
        "actor": WITHHELD, "source": "app", "stream_id": WITHHELD,
        "payload": {"review": {"kind": "behaviour", "period": "2026-02",
                               "relation": "subordinate", "rater_nip": WITHHELD,
                               "scores": WITHHELD, "comment": WITHHELD}}}
    assert WITHHELD == "[withheld: a 360\u00b0 rater stays anonymous]"


def test_only_a_review_submitted_of_kind_behaviour_is_withheld() -> None:
    review = {"kind": "behaviour", "period": "2026-02", "rater_nip": PEER}
    other_type = envelope({"review": review}, PEER, "s", "ReviewRevised")
    assert disclosed(other_type)["payload"] == {"review": review}
    assert disclosed(envelope({"review": "behaviour"}, PEER, "s"))["actor"] == PEER
    assert disclosed(envelope({}, PEER, "s"))["stream_id"] == "s"
