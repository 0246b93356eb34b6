"""The attendance rules (``services/intake/domain/attendance.py``) called directly: every
refusal's code, message, field and status word for word (clients show the message), the
boundaries of each comparison, and the events they return."""

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from services.intake.domain import attendance as rules
from services.intake.domain import commands as c
from services.intake.domain.attendance import AttendanceFacts, JustificationFacts
from services.intake.domain.errors import Rejected
from services.intake.domain.facts import EmployeeFacts
from shared.auth import Principal
from shared.authority import ActingAppointment
from shared.events import (
    AbsenceJustificationDecided,
    AbsenceJustificationSubmitted,
    AttendanceRecorded,
)
from shared.policy import default_policy_path, load_policy

pytestmark = pytest.mark.unit

POLICY = load_policy(default_policy_path())
HEAD, PLH, STAFF = "196804111993031009", "198505052010011002", "199001012015032001"
FEED = Principal("e-presensi", "eservice")
ME = Principal(STAFF, "employee")
BOSS = Principal(HEAD, "superior")
EMPLOYEE = EmployeeFacts(STAFF, "U", False)
DAY, TODAY = date(2026, 7, 14), date(2026, 7, 20)
ID = uuid.UUID("0b7a4f52-9a60-4b8e-8a1d-3f0c2b6e7d11")


def refusal(call: Callable[[], Any]) -> tuple[str, str, str | None, int]:
    with pytest.raises(Rejected) as caught:
        call()
    return caught.value.code, caught.value.message, caught.value.field, caught.value.status


def punch(kind: str = "check_in", time: str | None = "07:41", **changes: Any) -> (
    c.RecordAttendance
):
    return c.RecordAttendance.model_validate({"device_record_id": "FP-1", "nip": STAFF,
                                              "day": DAY, "kind": kind, "time": time,
                                              **changes})


def stored(kind: str, time: str | None, reason: str | None = None) -> AttendanceFacts:
    return AttendanceFacts("e-presensi", f"FP-{kind}-{time}", STAFF, DAY, kind, time, reason,
                           uuid.uuid4())


def record(cmd: c.RecordAttendance, that_day: tuple[AttendanceFacts, ...] = (),
           employee: EmployeeFacts | None = EMPLOYEE, closed: bool = False,
           today: date = TODAY, principal: Principal = FEED) -> AttendanceRecorded:
    return rules.record_attendance(cmd, principal, employee, that_day, closed, today)


@pytest.mark.parametrize(("call", "expected"), [
    (lambda: record(punch(), principal=ME),
     ("role_not_allowed", "role 'employee' may not do this (allowed: eservice)", None, 403)),
    (lambda: record(punch(), employee=None),
     ("unknown_employee", "nip: no employee with this NIP", "nip", 404)),
    (lambda: record(punch("check_in", None)),
     ("time_required", "time: a check_in needs its time, HH:MM", "time", 422)),
    (lambda: record(punch("check_out", None)),
     ("time_required", "time: a check_out needs its time, HH:MM", "time", 422)),
    (lambda: record(punch("absence", "07:00")),
     ("time_not_allowed", "time: an absence has no time", "time", 422)),
    (lambda: record(punch("check_out", "16:00", reason="leave")),
     ("reason_not_allowed", "reason: a check_out has no reason", "reason", 422)),
    (lambda: record(punch(), today=date(2026, 7, 13)),
     ("day_in_future", "day is in the future", "day", 422)),
    (lambda: record(punch(), closed=True),
     ("period_closed", "day: period 2026-07 is closed", "day", 409)),
    (lambda: record(punch("check_out", "07:40"), (stored("check_in", "07:41"),
                                                  stored("check_in", "08:00"))),
     ("check_out_before_check_in",
      "time: check-out 07:40 is before the day's check-in 07:41", "time", 422)),
    (lambda: record(punch("check_in", "16:01"), (stored("check_out", "15:00"),
                                                 stored("check_out", "16:00"))),
     ("check_in_after_check_out",
      "time: check-in 16:01 is after the day's check-out 16:00", "time", 422)),
    (lambda: rules.check_duplicate(stored("check_in", "07:41"), punch(time="07:42")),
     ("device_record_conflict",
      "device_record_id: this source already sent another record with this id",
      "device_record_id", 409)),
])
def test_record_refusals(call: Callable[[], Any], expected: tuple[Any, ...]) -> None:
    assert refusal(call) == expected


def test_a_record_becomes_its_event() -> None:
    assert record(punch(), today=DAY) == AttendanceRecorded(  # the day itself is no future
        nip=STAFF, day=DAY, kind="check_in", time="07:41", reason=None, source="e-presensi",
        device_record_id="FP-1")
    absent = record(punch("absence", None, reason="sick"))
    assert (absent.kind, absent.time, absent.reason) == ("absence", None, "sick")


def test_the_days_order_at_its_boundaries() -> None:
    # a check-out at the check-in's minute, a check-in at the check-out's minute: fine
    assert record(punch("check_out", "07:41"), (stored("check_in", "07:41"),)).kind == (
        "check_out")
    assert record(punch("check_in", "16:00"), (stored("check_out", "16:00"),)).kind == (
        "check_in")
    # an earlier check-out than another check-out is no check-in's concern; an absence
    # record has no time and bounds nothing
    day = (stored("check_out", "16:00"), stored("absence", None, "sick"))
    assert record(punch("check_out", "15:00"), day).time == "15:00"
    assert record(punch("check_in", "09:00"), (stored("check_in", "08:00"),)).time == "09:00"
    assert record(punch("check_out", "07:00"), (stored("absence", None),)).time == "07:00"


def test_a_resent_record_is_the_same_only_with_the_same_content() -> None:
    kept = stored("check_in", "07:41")
    rules.check_duplicate(kept, punch())  # no refusal
    for changes in ({"nip": HEAD}, {"day": date(2026, 7, 15)}, {"kind": "check_out"},
                    {"time": "07:42"}):
        assert not kept.same_as(punch(**changes))
    assert not stored("absence", None, "sick").same_as(punch("absence", None, reason="leave"))


def justification(first: date = DAY, last: date = DAY, **changes: Any) -> c.JustifyAbsence:
    return c.JustifyAbsence.model_validate({
        "justification_id": str(ID), "nip": STAFF, "first_day": first, "last_day": last,
        "reason": "sick", "evidence_ref": "SKD-1", **changes})


def existing(first: date, last: date, status: str = "pending") -> JustificationFacts:
    return JustificationFacts(uuid.uuid4(), STAFF, first, last, "sick", "SKD-0", status, 1,
                              uuid.uuid4())


def justify(cmd: c.JustifyAbsence, others: tuple[JustificationFacts, ...] = (),
            employee: EmployeeFacts | None = EMPLOYEE, closed: bool = False,
            today: date = TODAY, principal: Principal = ME) -> AbsenceJustificationSubmitted:
    return rules.justify_absence(cmd, principal, employee, others, closed, POLICY, today)


@pytest.mark.parametrize(("call", "expected"), [
    (lambda: justify(justification(), principal=FEED),
     ("role_not_allowed", "role 'eservice' may not do this (allowed: employee, superior)",
      None, 403)),
    (lambda: justify(justification(nip=HEAD)),
     ("not_own_absence", "employees justify only their own absences", None, 403)),
    (lambda: justify(justification(), employee=None),
     ("unknown_employee", "nip: no employee with this NIP", "nip", 404)),
    (lambda: justify(justification(date(2026, 7, 15), date(2026, 7, 14))),
     ("dates_reversed", "last_day: the absence ends before it begins", "last_day", 422)),
    (lambda: justify(justification(date(2026, 6, 30), date(2026, 7, 1))),
     ("spans_months", "last_day: justify each month's days separately", "last_day", 422)),
    (lambda: justify(justification(DAY, date(2026, 7, 21))),
     ("day_in_future", "last_day is in the future", "last_day", 422)),
    (lambda: justify(justification(), today=date(2026, 8, 4)),
     ("justification_too_late",
      "first_day: absences of 2026-07 could be justified until 2026-08-03", "first_day",
      409)),
    (lambda: justify(justification(), closed=True),
     ("period_closed", "period 2026-07 is closed", None, 409)),
    (lambda: justify(justification(), (existing(DAY, date(2026, 7, 16)),)),
     ("justification_overlap",
      "first_day: days 2026-07-14..2026-07-16 are already justified", "first_day", 409)),
])
def test_justification_refusals(call: Callable[[], Any], expected: tuple[Any, ...]) -> None:
    assert refusal(call) == expected


def test_a_justification_becomes_its_event_up_to_today_and_the_deadline() -> None:
    assert justify(justification(DAY, TODAY)) == AbsenceJustificationSubmitted(
        justification_id=ID, nip=STAFF, first_day=DAY, last_day=TODAY, reason="sick",
        evidence_ref="SKD-1", submitted_on=TODAY)
    assert justify(justification(), today=date(2026, 8, 3)).submitted_on == date(2026, 8, 3)
    # a rejected one, or one on other days, leaves the days free
    others = (existing(DAY, DAY, "rejected"), existing(date(2026, 7, 15), date(2026, 7, 16)),
              existing(date(2026, 7, 10), date(2026, 7, 13), "approved"))
    assert justify(justification(), others).first_day == DAY


@pytest.mark.parametrize(("first", "last", "overlaps"), [
    (date(2026, 7, 10), date(2026, 7, 13), False), (date(2026, 7, 10), date(2026, 7, 14), True),
    (date(2026, 7, 16), date(2026, 7, 20), True), (date(2026, 7, 17), date(2026, 7, 20), False),
    (date(2026, 7, 15), date(2026, 7, 15), True)])
def test_which_days_a_justification_covers(first: date, last: date, overlaps: bool) -> None:
    assert existing(DAY, date(2026, 7, 16)).covers(first, last) is overlaps


def test_a_retried_justification_is_the_same_only_with_the_same_content() -> None:
    kept = JustificationFacts(ID, STAFF, DAY, DAY, "sick", "SKD-1", "pending", 1, uuid.uuid4())
    assert kept.same_as(justification())
    for changes in ({"nip": HEAD}, {"first_day": date(2026, 7, 13)},
                    {"last_day": date(2026, 7, 15)}, {"reason": "leave"},
                    {"evidence_ref": "SKD-2"}):
        assert not kept.same_as(justification(**changes))


def decide(principal: Principal = BOSS, found: JustificationFacts | None = None,
           superior: str | None = HEAD, closed: bool = False,
           appointments: tuple[ActingAppointment, ...] = ()) -> AbsenceJustificationDecided:
    cmd = c.DecideJustification(justification_id=ID, decision="approved", note="ada surat")
    found = found or JustificationFacts(ID, STAFF, DAY, DAY, "sick", "S", "pending", 1,
                                        uuid.uuid4())
    return rules.decide_justification(cmd, principal, found, superior, closed, appointments)


@pytest.mark.parametrize(("call", "expected"), [
    (lambda: decide(ME),
     ("role_not_allowed", "role 'employee' may not do this (allowed: superior)", None, 403)),
    (lambda: rules.decide_justification(
        c.DecideJustification(justification_id=ID, decision="approved"), BOSS, None, HEAD,
        False),
     ("unknown_justification", "justification_id: no such justification",
      "justification_id", 404)),
    (lambda: decide(Principal(STAFF, "superior")),
     ("self_review", "nobody decides on their own absence", None, 403)),
    (lambda: decide(Principal(PLH, "superior")),
     ("not_direct_superior",
      "only the employee's direct superior on the first day away may decide", None, 403)),
    (lambda: decide(found=existing(DAY, DAY, "approved")),
     ("justification_decided", "the justification is already approved", None, 409)),
    (lambda: decide(closed=True), ("period_closed", "period 2026-07 is closed", None, 409)),
    (lambda: decide(Principal(PLH, "superior"), appointments=(
        ActingAppointment(HEAD, PLH, "Plh", date(2026, 7, 15), date(2026, 7, 17)),)),
     ("not_direct_superior",
      "only the employee's direct superior on the first day away may decide", None, 403)),
])
def test_decision_refusals(call: Callable[[], Any], expected: tuple[Any, ...]) -> None:
    assert refusal(call) == expected


def test_a_decision_becomes_its_event_by_the_head_or_in_the_heads_place() -> None:
    assert decide() == AbsenceJustificationDecided(
        justification_id=ID, nip=STAFF, decision="approved", decided_by=HEAD,
        note="ada surat", acting_for=None)
    acting = decide(Principal(PLH, "superior"), appointments=(
        ActingAppointment(HEAD, PLH, "Plh", DAY, DAY),))
    assert (acting.decided_by, acting.acting_for) == (PLH, HEAD)
