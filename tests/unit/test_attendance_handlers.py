"""Attendance through the service layer on the in-memory adapters: a source's records
(idempotent on the device record id, the day's order), absence justifications up to the
deadline (day before, of and after), and the unit head's decision, an acting one's too."""

import uuid
from datetime import date
from typing import Any

import pytest

from services.intake.adapters.memory import InMemoryStore
from services.intake.domain import commands as c
from services.intake.domain.errors import Rejected
from services.intake.service_layer.execution import run_group
from shared.auth import Principal
from shared.policy import default_policy_path, load_policy

pytestmark = pytest.mark.unit

POLICY = load_policy(default_policy_path())
ADMIN = Principal("admin", "admin")
HEAD, PLH, STAFF = "196804111993031009", "198505052010011002", "199001012015032001"
FEED, OTHER_FEED = Principal("e-presensi", "eservice"), Principal("fp-gedung-b", "eservice")
AS_HEAD, AS_PLH = Principal(HEAD, "superior"), Principal(PLH, "superior")
AS_STAFF = Principal(STAFF, "employee")
TODAY = date(2026, 7, 20)


async def one(store: InMemoryStore, principal: Principal, command: Any,
              today: date = TODAY) -> Any:
    ((answer,),) = await run_group(store.unit, [(principal, [command])], today)
    return answer


def code(answer: Any) -> str:
    assert isinstance(answer, Rejected), answer
    return answer.code


@pytest.fixture
async def store() -> InMemoryStore:
    store = InMemoryStore()
    for command in (POLICY, *(c.RegisterEmployee(nip=n, name="Pegawai", unit="U",
                                                 position="Staf", structural=n == HEAD)
                              for n in (HEAD, PLH, STAFF)),
                    *(c.ChangeReportingLine(nip=n, superior_nip=HEAD,
                                            effective_from=date(2026, 1, 1))
                      for n in (PLH, STAFF))):
        assert not isinstance(await one(store, ADMIN, command), Rejected)
    return store


def punch(kind: str = "check_in", time: str | None = "07:41", record: str = "FP-1",
          day: date = date(2026, 7, 14), **changes: Any) -> c.RecordAttendance:
    return c.RecordAttendance.model_validate({
        "device_record_id": record, "nip": STAFF, "day": day, "kind": kind, "time": time,
        **changes})


async def test_a_record_is_stored_once_and_a_resend_is_a_duplicate(
        store: InMemoryStore) -> None:
    first = await one(store, FEED, punch())
    assert first["status"] == "accepted"
    again = await one(store, FEED, punch())
    assert again == {**first, "status": "duplicate"}
    assert [(e.event_type, e.stream_id, e.subject_nip) for e in store.events[-1:]] == [
        ("AttendanceRecorded", "attendance-cbce7afd-d51f-52d1-8f4c-d29c8a623090", STAFF)]
    assert code(await one(store, FEED, punch(time="07:42"))) == "device_record_conflict"
    # another source may use the same device id
    assert (await one(store, OTHER_FEED, punch(time="07:42")))["status"] == "accepted"
    payload = store.events[-1].payload
    assert (payload["source"], payload["time"], payload["kind"]) == (
        "fp-gedung-b", "07:42", "check_in")


async def test_only_an_eservice_records_attendance(store: InMemoryStore) -> None:
    assert code(await one(store, AS_STAFF, punch())) == "role_not_allowed"
    assert code(await one(store, ADMIN, punch())) == "role_not_allowed"


async def test_a_check_out_may_not_precede_the_days_check_in(store: InMemoryStore) -> None:
    await one(store, FEED, punch("check_in", "07:41", "FP-1"))
    assert code(await one(store, FEED, punch("check_out", "07:40", "FP-2"))) == (
        "check_out_before_check_in")
    assert (await one(store, FEED, punch("check_out", "07:41", "FP-3")))["status"] == (
        "accepted")
    assert code(await one(store, FEED, punch("check_in", "07:42", "FP-4"))) == (
        "check_in_after_check_out")
    # another day is not concerned
    other = punch("check_out", "07:00", "FP-5", day=date(2026, 7, 15))
    assert (await one(store, FEED, other))["status"] == "accepted"


@pytest.mark.parametrize(("command", "expected"), [
    (punch("check_in", None), "time_required"),
    (punch("absence", "07:00"), "time_not_allowed"),
    (punch("check_out", "16:00", reason="sick"), "reason_not_allowed"),
    (punch(day=date(2026, 7, 21)), "day_in_future"),
    (punch(nip="198001012005011001"), "unknown_employee"),
])
async def test_bad_records_are_refused(store: InMemoryStore, command: c.RecordAttendance,
                                       expected: str) -> None:
    assert code(await one(store, FEED, command)) == expected


async def test_an_absence_with_its_reason(store: InMemoryStore) -> None:
    answer = await one(store, FEED, punch("absence", None, reason="duty_travel"))
    assert answer["status"] == "accepted"
    assert store.events[-1].payload["reason"] == "duty_travel"


def justification(first: date = date(2026, 7, 14), last: date = date(2026, 7, 15),
                  **changes: Any) -> c.JustifyAbsence:
    return c.JustifyAbsence.model_validate({
        "justification_id": str(uuid.uuid4()), "nip": STAFF, "first_day": first,
        "last_day": last, "reason": "sick", "evidence_ref": "SKD-117/2026", **changes})


@pytest.mark.parametrize(("today", "accepted"), [
    (date(2026, 8, 2), True), (date(2026, 8, 3), True), (date(2026, 8, 4), False)])
async def test_a_justification_is_taken_until_the_3rd_of_the_next_month(
        store: InMemoryStore, today: date, accepted: bool) -> None:
    answer = await one(store, AS_STAFF, justification(), today)
    if accepted:
        assert answer["status"] == "pending"
        assert store.events[-1].payload["submitted_on"] == today.isoformat()
    else:
        assert code(answer) == "justification_too_late"
        assert answer.status == 409
        assert "until 2026-08-03" in answer.message


@pytest.mark.parametrize(("command", "expected"), [
    (justification(nip=HEAD), "not_own_absence"),
    (justification(date(2026, 7, 15), date(2026, 7, 14)), "dates_reversed"),
    (justification(date(2026, 6, 30), date(2026, 7, 1)), "spans_months"),
    (justification(date(2026, 7, 20), date(2026, 7, 21)), "day_in_future"),
])
async def test_bad_justifications_are_refused(store: InMemoryStore,
                                              command: c.JustifyAbsence, expected: str) -> None:
    assert code(await one(store, AS_STAFF, command)) == expected


async def test_overlaps_are_refused_unless_the_other_was_rejected(store: InMemoryStore) -> None:
    first = justification()
    assert (await one(store, AS_STAFF, first))["status"] == "pending"
    retried = await one(store, AS_STAFF, first)
    assert retried["status"] == "pending"
    assert code(await one(store, AS_STAFF, first.model_copy(update={"reason": "leave"}))) == (
        "justification_id_used")
    others = first.model_copy(update={"nip": HEAD})
    assert code(await one(store, Principal(HEAD, "superior"), others)) == (
        "justification_id_used")
    assert code(await one(store, AS_STAFF, justification(date(2026, 7, 15),
                                                         date(2026, 7, 16)))) == (
        "justification_overlap")
    decide = c.DecideJustification(justification_id=first.justification_id,
                                   decision="rejected", note="no letter")
    assert (await one(store, AS_HEAD, decide))["status"] == "rejected"
    again = justification(date(2026, 7, 15), date(2026, 7, 16))
    assert (await one(store, AS_STAFF, again))["status"] == "pending"


async def test_the_head_approves_once(store: InMemoryStore) -> None:
    submitted = justification()
    await one(store, AS_STAFF, submitted)
    decide = c.DecideJustification(justification_id=submitted.justification_id,
                                   decision="approved")
    assert code(await one(store, AS_PLH, decide)) == "not_direct_superior"
    assert code(await one(store, AS_STAFF, decide)) == "role_not_allowed"
    answer = await one(store, AS_HEAD, decide)
    assert answer["status"] == "approved" and "acting_for" not in answer
    event = store.events[-1]
    assert (event.event_type, event.stream_id, event.stream_version) == (
        "AbsenceJustificationDecided", f"justification-{submitted.justification_id}", 2)
    assert event.payload["decided_by"] == HEAD
    assert code(await one(store, AS_HEAD, decide)) == "justification_decided"
    unknown = c.DecideJustification(justification_id=uuid.uuid4(), decision="approved")
    assert code(await one(store, AS_HEAD, unknown)) == "unknown_justification"


async def test_an_acting_superior_decides_in_the_heads_place(store: InMemoryStore) -> None:
    appoint = c.AppointActingSuperior(head_nip=HEAD, acting_nip=PLH, kind="Plh",
                                      valid_from=date(2026, 7, 13), valid_to=date(2026, 7, 17))
    assert not isinstance(await one(store, ADMIN, appoint), Rejected)
    covered, outside = justification(), justification(date(2026, 7, 20), date(2026, 7, 20))
    await one(store, AS_STAFF, covered)
    await one(store, AS_STAFF, outside)
    answer = await one(store, AS_PLH, c.DecideJustification(
        justification_id=covered.justification_id, decision="approved"))
    assert answer["acting_for"] == HEAD
    assert store.events[-1].payload["acting_for"] == HEAD
    assert code(await one(store, AS_PLH, c.DecideJustification(
        justification_id=outside.justification_id, decision="approved"))) == (
        "not_direct_superior")
