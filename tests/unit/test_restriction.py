"""Restricting processing: admins only, known employees only; the projection keeps the
latest of restriction and lift per employee."""

import uuid
from datetime import UTC, datetime

import pytest

from services.appraisal.projections.base import Batch
from services.appraisal.projections.restrictions import Restrictions
from services.intake.domain import commands as c
from services.intake.domain.errors import Rejected
from services.intake.domain.restriction import lift_processing_restriction, restrict_processing
from shared.auth import Principal
from shared.envelope import EventEnvelope
from shared.events import Event, ProcessingRestricted, ProcessingRestrictionLifted

NIP = "199001012015032001"
ADMIN = Principal("admin", "admin")
RESTRICT = c.RestrictProcessing(nip=NIP, reference="PDP-1", reason="Data disanggah")
LIFT = c.LiftProcessingRestriction(nip=NIP, reference="PDP-1/selesai")


def test_an_admin_restricts_and_lifts_a_known_employees_processing() -> None:
    assert restrict_processing(RESTRICT, ADMIN, known=True) == ProcessingRestricted(
        nip=NIP, reference="PDP-1", reason="Data disanggah")
    assert lift_processing_restriction(LIFT, ADMIN, known=True) == ProcessingRestrictionLifted(
        nip=NIP, reference="PDP-1/selesai")


@pytest.mark.parametrize("principal, known, code", [
    (Principal(NIP, "employee"), True, "role_not_allowed"),
    (Principal("196804111993031009", "superior"), True, "role_not_allowed"),
    (ADMIN, False, "unknown_employee")])
def test_others_and_unknown_employees_are_refused(principal: Principal, known: bool,
                                                  code: str) -> None:
    for decide in (lambda: restrict_processing(RESTRICT, principal, known),
                   lambda: lift_processing_restriction(LIFT, principal, known)):
        with pytest.raises(Rejected) as refused:
            decide()
        assert refused.value.code == code


def applied(*events: Event) -> list[dict[str, object]]:
    projection = Restrictions()
    working = projection.start(Batch([]))
    for position, event in enumerate(events, 1):
        now = datetime(2026, 2, 3, tzinfo=UTC)
        envelope = EventEnvelope(
            event_id=uuid.uuid4(), event_type=event.event_type, schema_version=1,
            stream_id=f"employee-{NIP}", stream_version=position, position=position,
            subject_nip=NIP, occurred_at=now, recorded_at=now, actor="admin", source="admin",
            correlation_id=uuid.uuid4(), payload=event.model_dump(mode="json"))
        projection.apply(working, envelope, event, 0)
    ((_, rows),) = projection.rows(working)
    return rows


def test_the_latest_of_restriction_and_lift_counts() -> None:
    restricted = restrict_processing(RESTRICT, ADMIN, known=True)
    lifted = lift_processing_restriction(LIFT, ADMIN, known=True)
    assert applied(restricted) == [
        {"nip": NIP, "reference": "PDP-1", "restricted": True, "position": 1}]
    assert applied(restricted, lifted) == [
        {"nip": NIP, "reference": "PDP-1/selesai", "restricted": False, "position": 2}]


def test_an_unknown_employee_is_refused_word_for_word() -> None:
    for decide in (lambda: restrict_processing(RESTRICT, ADMIN, False),
                   lambda: lift_processing_restriction(LIFT, ADMIN, False)):
        with pytest.raises(Rejected) as refused:
            decide()
        assert (refused.value.code, refused.value.message, refused.value.field,
                refused.value.status) == (
            "unknown_employee", "nip: no employee with this NIP", "nip", 404)
