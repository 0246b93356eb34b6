"""Attendance and absence justifications: the rules, as pure functions over loaded facts.

A record from an attendance source is idempotent on (source, device_record_id): the same
record again is a duplicate (nothing new stored), other content under a used id is refused.
A day's check-out may not come before its check-in (nor a check-in after its check-out).
An employee justifies their own absence until the policy's deadline (the 3rd of the next
month by default); the direct superior on the first day away, or an acting superior that
day, approves or rejects it.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from services.intake.domain import commands as c
from services.intake.domain.checks import require
from services.intake.domain.errors import Rejected, conflict, forbidden, not_found
from services.intake.domain.facts import EmployeeFacts
from shared.auth import Principal
from shared.authority import ActingAppointment, acting_for
from shared.events import (
    AbsenceJustificationDecided,
    AbsenceJustificationSubmitted,
    AttendanceRecorded,
)
from shared.periods import period_of
from shared.policy import Policy


@dataclass(frozen=True)
class AttendanceFacts:
    """A stored attendance record, as the checks need it."""

    source: str
    device_record_id: str
    nip: str
    day: date
    kind: str
    time: str | None
    reason: str | None
    event_id: UUID

    def same_as(self, cmd: c.RecordAttendance) -> bool:
        return (self.nip, self.day, self.kind, self.time, self.reason) == (
            cmd.nip, cmd.day, cmd.kind, cmd.time, cmd.reason)


@dataclass(frozen=True)
class JustificationFacts:
    """A stored justification: its days, its content and where it stands."""

    justification_id: UUID
    nip: str
    first_day: date
    last_day: date
    reason: str
    evidence_ref: str
    status: str
    """pending, approved or rejected."""
    version: int
    event_id: UUID

    def covers(self, first_day: date, last_day: date) -> bool:
        return self.first_day <= last_day and first_day <= self.last_day

    def same_as(self, cmd: c.JustifyAbsence) -> bool:
        return (self.nip, self.first_day, self.last_day, self.reason, self.evidence_ref) == (
            cmd.nip, cmd.first_day, cmd.last_day, cmd.reason, cmd.evidence_ref)


def check_duplicate(existing: AttendanceFacts, cmd: c.RecordAttendance) -> None:
    """A re-sent record must be the same record."""
    if not existing.same_as(cmd):
        raise conflict("device_record_conflict",
                       "device_record_id: this source already sent another record with "
                       "this id", "device_record_id")


def record_attendance(cmd: c.RecordAttendance, principal: Principal,
                      employee: EmployeeFacts | None, that_day: Iterable[AttendanceFacts],
                      period_closed: bool, today: date) -> AttendanceRecorded:
    """``that_day``: the employee's records already stored for ``cmd.day``."""
    require(principal, "record_attendance")
    if employee is None:
        raise not_found("unknown_employee", "nip: no employee with this NIP", "nip")
    _check_shape(cmd)
    if cmd.day > today:
        raise Rejected("day_in_future", "day is in the future", "day")
    if period_closed:
        raise conflict("period_closed", f"day: period {period_of(cmd.day)} is closed", "day")
    _check_order(cmd, list(that_day))
    return AttendanceRecorded(**cmd.model_dump(), source=principal.source)


def _check_shape(cmd: c.RecordAttendance) -> None:
    if cmd.kind == "absence":
        if cmd.time is not None:
            raise Rejected("time_not_allowed", "time: an absence has no time", "time")
        return
    if cmd.time is None:
        raise Rejected("time_required", f"time: a {cmd.kind} needs its time, HH:MM", "time")
    if cmd.reason is not None:
        raise Rejected("reason_not_allowed", f"reason: a {cmd.kind} has no reason", "reason")


def _check_order(cmd: c.RecordAttendance, that_day: list[AttendanceFacts]) -> None:
    """HH:MM strings compare as times."""
    check_ins = [r.time for r in that_day if r.kind == "check_in" and r.time]
    check_outs = [r.time for r in that_day if r.kind == "check_out" and r.time]
    if cmd.kind == "check_out" and check_ins and cmd.time and cmd.time < min(check_ins):
        raise Rejected("check_out_before_check_in",
                       f"time: check-out {cmd.time} is before the day's check-in "
                       f"{min(check_ins)}", "time")
    if cmd.kind == "check_in" and check_outs and cmd.time and cmd.time > max(check_outs):
        raise Rejected("check_in_after_check_out",
                       f"time: check-in {cmd.time} is after the day's check-out "
                       f"{max(check_outs)}", "time")


def justify_absence(cmd: c.JustifyAbsence, principal: Principal,
                    employee: EmployeeFacts | None, others: Iterable[JustificationFacts],
                    period_closed: bool, policy: Policy, today: date) -> (
    AbsenceJustificationSubmitted
):
    """``others``: the employee's justifications of the month (to refuse overlaps)."""
    require(principal, "justify_own_absence")
    if cmd.nip != principal.subject:
        raise forbidden("not_own_absence", "employees justify only their own absences")
    if employee is None:
        raise not_found("unknown_employee", "nip: no employee with this NIP", "nip")
    if cmd.last_day < cmd.first_day:
        raise Rejected("dates_reversed", "last_day: the absence ends before it begins",
                       "last_day")
    if period_of(cmd.first_day) != period_of(cmd.last_day):
        raise Rejected("spans_months", "last_day: justify each month's days separately",
                       "last_day")
    if cmd.last_day > today:
        raise Rejected("day_in_future", "last_day is in the future", "last_day")
    deadline = policy.attendance.justification_deadline(cmd.first_day)
    if today > deadline:
        raise conflict("justification_too_late",
                       f"first_day: absences of {period_of(cmd.first_day)} could be "
                       f"justified until {deadline.isoformat()}", "first_day")
    if period_closed:
        raise conflict("period_closed", f"period {period_of(cmd.first_day)} is closed")
    for other in others:
        if other.status != "rejected" and other.covers(cmd.first_day, cmd.last_day):
            raise conflict("justification_overlap",
                           f"first_day: days {other.first_day}..{other.last_day} are "
                           "already justified", "first_day")
    return AbsenceJustificationSubmitted(**cmd.model_dump(), submitted_on=today)


def decide_justification(cmd: c.DecideJustification, principal: Principal,
                         justification: JustificationFacts | None, superior: str | None,
                         period_closed: bool,
                         appointments: Iterable[ActingAppointment] = ()) -> (
    AbsenceJustificationDecided
):
    """``superior``: the employee's direct superior on the first day away;
    ``appointments``: that superior's acting appointments."""
    require(principal, "decide_justification")
    if justification is None:
        raise not_found("unknown_justification",
                        "justification_id: no such justification", "justification_id")
    if justification.nip == principal.subject:
        raise forbidden("self_review", "nobody decides on their own absence")
    day = justification.first_day
    in_place_of = acting_for(principal.subject, superior, day, appointments)
    if superior != principal.subject and in_place_of is None:
        raise forbidden("not_direct_superior",
                        "only the employee's direct superior on the first day away may decide")
    if justification.status != "pending":
        raise conflict("justification_decided",
                       f"the justification is already {justification.status}")
    if period_closed:
        raise conflict("period_closed", f"period {period_of(day)} is closed")
    return AbsenceJustificationDecided(
        justification_id=cmd.justification_id, nip=justification.nip,
        decision=cmd.decision, decided_by=principal.subject, note=cmd.note,
        acting_for=in_place_of)
