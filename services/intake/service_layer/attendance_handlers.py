"""Handlers of the attendance commands: a source's record, an employee's justification, the
unit head's decision on it (rules in ``domain.attendance``)."""

from datetime import date
from typing import Any

from services.intake.domain import attendance, streams
from services.intake.domain import commands as c
from services.intake.domain.attendance import AttendanceFacts, JustificationFacts
from services.intake.domain.checks import require
from services.intake.domain.errors import conflict
from services.intake.service_layer.period_state import governing_policy, period_closed
from services.intake.service_layer.ports import UnitOfWork
from shared.periods import period_of

Answer = dict[str, Any]


async def record_attendance(uow: UnitOfWork, cmd: c.RecordAttendance, today: date) -> Answer:
    principal = uow.context.principal
    require(principal, "record_attendance")  # before a duplicate's answer tells anything
    existing = await uow.facts.attendance_record(principal.source, cmd.device_record_id)
    if existing is not None:
        attendance.check_duplicate(existing, cmd)
        return _recorded(existing, "duplicate")
    event = attendance.record_attendance(
        cmd, principal, await uow.facts.employee(cmd.nip),
        await uow.facts.attendance_on(cmd.nip, cmd.day),
        await period_closed(uow.facts, period_of(cmd.day), today), today)
    recorded = uow.record(event, streams.attendance_stream(event.source, cmd.device_record_id),
                          1, cmd.nip)
    record = AttendanceFacts(event.source, cmd.device_record_id, cmd.nip, cmd.day, cmd.kind,
                             cmd.time, cmd.reason, recorded.envelope.event_id)
    await uow.writes.add_attendance(record)
    return _recorded(record, "accepted")


def _recorded(record: AttendanceFacts, status: str) -> Answer:
    return {"device_record_id": record.device_record_id, "event_id": str(record.event_id),
            "status": status}


async def justify_absence(uow: UnitOfWork, cmd: c.JustifyAbsence, today: date) -> Answer:
    require(uow.context.principal, "justify_own_absence")  # before any lookup
    existing = await uow.facts.justification(cmd.justification_id)
    if existing is not None:  # a retry is answered the same; another use of the id is not
        if existing.nip != uow.context.principal.subject or not existing.same_as(cmd):
            raise conflict("justification_id_used",
                           "justification_id: already used for another justification",
                           "justification_id")
        return _justified(existing)
    period = period_of(cmd.first_day)
    event = attendance.justify_absence(
        cmd, uow.context.principal, await uow.facts.employee(cmd.nip),
        await uow.facts.justifications_of(cmd.nip, period),
        await period_closed(uow.facts, period, today), await governing_policy(uow.facts, period),
        today)
    recorded = uow.record(event, streams.justification_stream(cmd.justification_id), 1,
                          cmd.nip)
    saved = JustificationFacts(cmd.justification_id, cmd.nip, cmd.first_day, cmd.last_day,
                               cmd.reason, cmd.evidence_ref, "pending", 1,
                               recorded.envelope.event_id)
    await uow.writes.save_justification(saved)
    return _justified(saved)


def _justified(justification: JustificationFacts) -> Answer:
    return {"justification_id": str(justification.justification_id),
            "event_id": str(justification.event_id), "status": justification.status}


async def decide_justification(uow: UnitOfWork, cmd: c.DecideJustification,
                               today: date) -> Answer:
    require(uow.context.principal, "decide_justification")  # before any lookup
    found = await uow.facts.justification(cmd.justification_id)
    superior = await uow.facts.superior_on(found.nip, found.first_day) if found else None
    appointments = (await uow.facts.acting_appointments(superior)
                    if superior and superior != uow.context.principal.subject else [])
    closed = (await period_closed(uow.facts, period_of(found.first_day), today)
              if found else False)
    event = attendance.decide_justification(cmd, uow.context.principal, found, superior,
                                            closed, appointments)
    assert found is not None  # decide_justification refused an unknown one
    version = found.version + 1
    recorded = uow.record(event, streams.justification_stream(cmd.justification_id), version,
                          found.nip)
    await uow.writes.save_justification(JustificationFacts(
        found.justification_id, found.nip, found.first_day, found.last_day, found.reason,
        found.evidence_ref, cmd.decision, version, found.event_id))
    return {"justification_id": str(cmd.justification_id),
            "event_id": str(recorded.envelope.event_id), "status": cmd.decision,
            **({"acting_for": event.acting_for} if event.acting_for else {})}
