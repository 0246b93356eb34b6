"""Command handlers: read the facts, apply the rules, record the event, update the write model.

They see only the ports (``ports.UnitOfWork``); ``HANDLERS`` below is the one place that
says which handler serves which command.
"""

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from services.intake.domain import (
    acting,
    curve_check,
    erasure,
    finance,
    objections,
    periods,
    restriction,
    revision,
    rules,
    skp,
    streams,
)
from services.intake.domain import commands as c
from services.intake.domain.activity import Activity, check_retry, day_minute_changes, reported
from services.intake.domain.checks import REPORT_ACTIONS, require
from services.intake.domain.erasure import ErasureFacts
from services.intake.domain.facts import ObjectionFacts
from services.intake.service_layer import attendance_handlers as attendance
from services.intake.service_layer.period_state import (
    governing_policy,
    last_closed_period,
    period_closed,
)
from services.intake.service_layer.ports import Recorded, UnitOfWork
from shared.authority import REVIEW_ACTIONS, ActingAppointment, acting_for, month_line_date
from shared.events import BehaviourReview, Event
from shared.performance_policy import Regime
from shared.periods import last_day, period_of
from shared.policy import Policy
from shared.topics import BROADCAST_KEY

Answer = dict[str, Any]


async def register_employee(uow: UnitOfWork, cmd: c.RegisterEmployee, today: date) -> Answer:
    event = rules.register_employee(cmd, uow.context.principal, today)
    version = await uow.facts.employee_version(cmd.nip) + 1
    recorded = uow.record(event, streams.employee_stream(cmd.nip), version, cmd.nip)
    await uow.writes.save_employee(cmd, version)
    return {"nip": cmd.nip, "event_id": _event_id(recorded)}


async def change_reporting_line(
    uow: UnitOfWork, cmd: c.ChangeReportingLine, today: date
) -> Answer:
    employee = await uow.facts.employee(cmd.nip)
    superior = await uow.facts.employee(cmd.superior_nip) if cmd.superior_nip else None
    chain = (await _superior_chain(uow, cmd.superior_nip, cmd.effective_from)
             if cmd.superior_nip else [])
    event = rules.change_reporting_line(cmd, uow.context.principal, employee, superior, chain)
    version = await uow.facts.employee_version(cmd.nip) + 1
    recorded = uow.record(event, streams.employee_stream(cmd.nip), version, cmd.nip)
    await uow.writes.save_reporting_line(cmd)
    await uow.writes.set_employee_version(cmd.nip, version)
    return {"nip": cmd.nip, "event_id": _event_id(recorded)}


async def transfer_employee(uow: UnitOfWork, cmd: c.TransferEmployee, today: date) -> Answer:
    """The new reporting line from day D is what validation and 360 authority read; the
    unit is the read side's (appraisal splits the month by it)."""
    line = c.ChangeReportingLine(nip=cmd.nip, superior_nip=cmd.superior_nip,
                                 effective_from=cmd.effective_from)
    employee = await uow.facts.employee(cmd.nip)
    superior = await uow.facts.employee(cmd.superior_nip) if cmd.superior_nip else None
    chain = (await _superior_chain(uow, cmd.superior_nip, cmd.effective_from)
             if cmd.superior_nip else [])
    event = rules.transfer_employee(cmd, uow.context.principal, employee, superior, chain)
    version = await uow.facts.employee_version(cmd.nip) + 1
    recorded = uow.record(event, streams.employee_stream(cmd.nip), version, cmd.nip)
    await uow.writes.save_reporting_line(line)
    await uow.writes.set_employee_version(cmd.nip, version)
    return {"nip": cmd.nip, "unit": cmd.unit, "event_id": _event_id(recorded)}


async def _superior_chain(uow: UnitOfWork, nip: str, day: date, limit: int = 64) -> list[str]:
    """``nip``'s superiors upwards on ``day`` (stops at a loop or after ``limit``)."""
    chain: list[str] = []
    current = await uow.facts.superior_on(nip, day)
    while current is not None and current not in chain and len(chain) < limit:
        chain.append(current)
        current = await uow.facts.superior_on(current, day)
    return chain


async def appoint_acting_superior(
    uow: UnitOfWork, cmd: c.AppointActingSuperior, today: date
) -> Answer:
    require(uow.context.principal, "appoint_acting")  # before any lookup
    appointments = await uow.facts.acting_appointments(cmd.head_nip)
    event = acting.appoint_acting_superior(
        cmd, uow.context.principal, await uow.facts.employee(cmd.head_nip),
        await uow.facts.employee(cmd.acting_nip), appointments)
    recorded = uow.record(event, streams.acting_stream(cmd.head_nip), len(appointments) + 1,
                          cmd.head_nip)
    await uow.writes.save_acting_appointment(ActingAppointment(**event.model_dump()))
    return {"head_nip": cmd.head_nip, "acting_nip": cmd.acting_nip,
            "event_id": _event_id(recorded)}


async def _appointments_over(uow: UnitOfWork, superior: str | None) -> (
    list[ActingAppointment]
):
    """The acting appointments that may let the caller act for ``superior`` (none needed
    when the caller is that superior)."""
    if superior is None or superior == uow.context.principal.subject:
        return []
    return await uow.facts.acting_appointments(superior)


async def report_activity(uow: UnitOfWork, cmd: c.ReportActivity, today: date) -> Answer:
    # the role first: neither a retry's answer nor a missing policy tells a caller whose
    # role may not report anything about the activity
    require(uow.context.principal, *REPORT_ACTIONS)
    source = uow.context.principal.source
    existing = await uow.facts.activity(cmd.activity_id)
    if existing is None and cmd.external_ref is not None:
        existing = await uow.facts.activity_by_ref(source, cmd.external_ref)
    if existing is not None:
        check_retry(existing, cmd, source)
        return _accepted(existing)
    period = period_of(cmd.work_date)
    employee = await uow.facts.employee(cmd.nip)
    if cmd.rhk_id is not None:
        skp.check_activity_rhk(cmd.rhk_id, await _skp(uow, cmd.nip, period))
    event = rules.report_activity(
        cmd,
        uow.context.principal,
        employee,
        await uow.facts.minutes_on(cmd.nip, cmd.work_date),
        await period_closed(uow.facts, period, today),
        await governing_policy(uow.facts, period, employee.unit if employee else None),
        today,
    )
    recorded = uow.record(event, streams.activity_stream(cmd.activity_id), 1, cmd.nip)
    activity = reported(cmd, source, recorded.envelope.event_id)
    uow.writes.add_activity(activity)
    _count_minutes(uow, None, activity)
    return _accepted(activity)


def _accepted(activity: Activity) -> Answer:
    return {"activity_id": str(activity.activity_id), "event_id": str(activity.event_id),
            "status": "accepted"}


async def decide_activity(uow: UnitOfWork, cmd: c.DecideActivity, today: date) -> Answer:
    activity = await uow.facts.activity(cmd.activity_id)
    superior = (await uow.facts.superior_on(activity.nip, activity.work_date)
                if activity else None)
    closed = (await period_closed(uow.facts, period_of(activity.work_date), today)
              if activity else False)
    event = rules.decide_activity(cmd, uow.context.principal,
                                  activity.facts() if activity else None, superior, closed,
                                  await _appointments_over(uow, superior))
    assert activity is not None  # decide_activity refused an unknown activity
    decided = activity.decided(cmd.decision, activity.version + 1)
    recorded = uow.record(event, streams.activity_stream(cmd.activity_id), decided.version,
                          activity.nip)
    await _save(uow, activity, decided)
    return {"activity_id": str(cmd.activity_id), "event_id": _event_id(recorded),
            "status": cmd.decision, **_acting(event.review.acting_for)}


async def revise_activity(uow: UnitOfWork, cmd: c.ReviseActivity, today: date) -> Answer:
    require(uow.context.principal, *REPORT_ACTIONS)  # before the policy lookup
    activity = await uow.facts.activity(cmd.activity_id)
    facts = (await _revision_facts(uow, activity, cmd.work_date or activity.work_date, today)
             if activity else None)
    event = revision.revise_activity(cmd, uow.context.principal, facts, today)
    assert activity is not None  # revise_activity refused an unknown activity
    revised = activity.revised(event.work_date, event.minutes, activity.version + 1)
    recorded = uow.record(event, streams.activity_stream(cmd.activity_id), revised.version,
                          activity.nip)
    await _save(uow, activity, revised)
    return {"activity_id": str(cmd.activity_id), "event_id": _event_id(recorded),
            "status": "pending"}


async def _revision_facts(uow: UnitOfWork, activity: Activity, day: date, today: date) -> (
    revision.RevisionFacts
):
    return revision.RevisionFacts(
        activity=activity.facts(), status=activity.status,
        minutes_that_day=(await uow.facts.minutes_on(activity.nip, day)
                          - activity.minutes_counted_on(day)),
        period_closed=await period_closed(uow.facts, period_of(activity.work_date), today),
        new_period_closed=await period_closed(uow.facts, period_of(day), today),
        policy=await governing_policy(uow.facts, period_of(day), await _unit_of(uow, activity.nip)))


async def _unit_of(uow: UnitOfWork, nip: str) -> str | None:
    employee = await uow.facts.employee(nip)
    return employee.unit if employee else None


async def _save(uow: UnitOfWork, before: Activity, after: Activity) -> None:
    await uow.writes.save_activity(after)
    _count_minutes(uow, before, after)


def _count_minutes(uow: UnitOfWork, before: Activity | None, after: Activity) -> None:
    for nip, day, change in day_minute_changes(before, after):
        uow.writes.count_minutes(nip, day, change)


async def submit_behaviour_review(
    uow: UnitOfWork, cmd: c.SubmitBehaviourReview, today: date
) -> Answer:
    require(uow.context.principal, *REVIEW_ACTIONS.values())  # before any lookup
    rater = uow.context.principal.subject
    ratee = await uow.facts.employee(cmd.ratee_nip)
    day = month_line_date(cmd.period, today)
    ratee_superior = await uow.facts.superior_on(cmd.ratee_nip, day)
    relation = rules.relation_of(rater, cmd.ratee_nip, await uow.facts.superior_on(rater, day),
                                 ratee_superior)
    if relation is None:  # a relation earlier in the month (a transfer) still counts
        relation = rules.relation_in_month(
            rater, cmd.ratee_nip, await _month_lines(uow, rater, cmd.ratee_nip, day))
    in_place_of = acting_for(rater, ratee_superior, day,
                             await _appointments_over(uow, ratee_superior))
    event = rules.submit_behaviour_review(
        cmd, uow.context.principal, ratee, relation,
        await period_closed(uow.facts, cmd.period, today),
        await governing_policy(uow.facts, cmd.period, ratee.unit if ratee else None), today,
        in_place_of)
    version = await uow.facts.review_version(cmd.period, rater, cmd.ratee_nip) + 1
    stream = streams.review_stream(cmd.period, rater, cmd.ratee_nip)
    recorded = uow.record(event, stream, version, cmd.ratee_nip)
    await uow.writes.save_review_version(cmd.period, rater, cmd.ratee_nip, version)
    review = event.review
    assert isinstance(review, BehaviourReview)
    return {"event_id": _event_id(recorded), "relation": review.relation,
            **_acting(review.acting_for)}


async def _month_lines(uow: UnitOfWork, rater: str, ratee: str, last: date) -> (
    list[tuple[str | None, str | None]]
):
    """(rater's superior, ratee's superior) on each day of ``last``'s month up to it, latest
    first (only asked when the lines on ``last`` relate nobody: at most 31 days)."""
    return [(await uow.facts.superior_on(rater, day), await uow.facts.superior_on(ratee, day))
            for day in (last - timedelta(days=n) for n in range(last.day))]


async def close_period(uow: UnitOfWork, cmd: c.ClosePeriod, today: date) -> Answer:
    # the recorded close, not the lock by date: closing a period past its close day records
    # the event the period closer would record
    event = rules.close_period(cmd, uow.context.principal,
                               await uow.facts.close_recorded(cmd.period), today)
    recorded = uow.record(event, streams.period_stream(cmd.period), 1, BROADCAST_KEY)
    await uow.writes.record_close(cmd.period, recorded.envelope.recorded_at)
    return {"period": cmd.period, "event_id": _event_id(recorded)}


async def close_checked(uow: UnitOfWork, cmd: curve_check.CheckedClose, today: date) -> (
    Answer
):
    """Records the curve check, then the close unless the check refuses it: a refused close
    answers ``closed: false`` (not a refusal, so the check it recorded commits)."""
    close = c.ClosePeriod(period=cmd.period)
    event = rules.close_period(close, uow.context.principal,
                               await uow.facts.close_recorded(cmd.period), today)
    past_close_day = periods.past_close_day(
        periods.governing(await uow.facts.policies(), cmd.period), cmd.period, today)
    action = curve_check.close_action(cmd.reading.outcome, past_close_day)
    stream = streams.distribution_stream(cmd.period)
    checked = uow.record(curve_check.distribution_checked(cmd.reading, action), stream,
                         len(await uow.facts.stream_events(stream)) + 1, BROADCAST_KEY)
    answer = {"period": cmd.period, "curve_outcome": cmd.reading.outcome,
              "close_action": action, "check_event_id": _event_id(checked)}
    if action == "refused":
        return {**answer, "closed": False}
    recorded = uow.record(event, streams.period_stream(cmd.period), 1, BROADCAST_KEY)
    await uow.writes.record_close(cmd.period, recorded.envelope.recorded_at)
    return {**answer, "closed": True, "event_id": _event_id(recorded)}


async def publish_policy(uow: UnitOfWork, policy: Policy, today: date) -> Answer:
    event = rules.publish_policy(policy, uow.context.principal,
                                 await uow.facts.policy_document(policy.version),
                                 await last_closed_period(uow.facts, today))
    if event is None:
        return {"version": policy.version, "published": False}
    version = await uow.facts.policy_stream_version() + 1
    recorded = uow.record(event, streams.POLICY_STREAM, version, BROADCAST_KEY)
    await uow.writes.save_policy(policy, event.document, version)
    return {"version": policy.version, "published": True, "event_id": _event_id(recorded)}


async def restrict_processing(uow: UnitOfWork, cmd: c.RestrictProcessing, today: date) -> (
    Answer
):
    require(uow.context.principal, "restrict_processing")  # before any lookup
    event = restriction.restrict_processing(cmd, uow.context.principal,
                                            await uow.facts.employee(cmd.nip) is not None)
    return await _on_employee_stream(uow, cmd.nip, event)


async def lift_processing_restriction(uow: UnitOfWork, cmd: c.LiftProcessingRestriction,
                                      today: date) -> Answer:
    require(uow.context.principal, "restrict_processing")  # before any lookup
    event = restriction.lift_processing_restriction(
        cmd, uow.context.principal, await uow.facts.employee(cmd.nip) is not None)
    return await _on_employee_stream(uow, cmd.nip, event)


async def _on_employee_stream(uow: UnitOfWork, nip: str, event: Event) -> Answer:
    version = await uow.facts.employee_version(nip) + 1
    recorded = uow.record(event, streams.employee_stream(nip), version, nip)
    await uow.writes.set_employee_version(nip, version)
    return {"nip": nip, "event_id": _event_id(recorded)}


async def record_finance_data(uow: UnitOfWork, cmd: c.RecordFinanceData, today: date) -> (
    Answer
):
    require(uow.context.principal, "manage_finance")  # before any lookup
    event = finance.record_finance_data(cmd, uow.context.principal,
                                        await uow.facts.employee(cmd.nip) is not None)
    version = await uow.facts.employee_version(cmd.nip) + 1
    recorded = uow.record(event, streams.employee_stream(cmd.nip), version, cmd.nip)
    await uow.writes.set_employee_version(cmd.nip, version)
    return {"nip": cmd.nip, "event_id": _event_id(recorded)}


async def record_payment(uow: UnitOfWork, cmd: c.RecordPayment, today: date) -> Answer:
    require(uow.context.principal, "record_payment")  # before any lookup
    event = finance.record_payment(cmd, uow.context.principal,
                                   await period_closed(uow.facts, cmd.period, today), today)
    version = await uow.facts.payment_version(cmd.period, cmd.unit) + 1
    # every partition: a unit's rows live on its employees' partitions
    recorded = uow.record(event, streams.payment_stream(cmd.period, cmd.unit), version,
                          BROADCAST_KEY)
    await uow.writes.save_payment_version(cmd.period, cmd.unit, version)
    return {"period": cmd.period, "unit": cmd.unit, "event_id": _event_id(recorded)}


async def _skp(uow: UnitOfWork, nip: str, period: str) -> skp.SkpState:
    return skp.fold(await uow.facts.stream_events(streams.skp_stream(nip, period)))


async def _line(uow: UnitOfWork, nip: str, period: str, today: date) -> skp.Line:
    """The employee's superior for ``period`` (on the month's line date) and their acting
    appointments (none needed when the caller is that superior)."""
    day = month_line_date(period, today)
    superior = await uow.facts.superior_on(nip, day)
    return skp.Line(superior, day, await _appointments_over(uow, superior))


def _record_skp(uow: UnitOfWork, event: Any, state: skp.SkpState) -> Answer:
    recorded = uow.record(event, streams.skp_stream(event.nip, event.period),
                          state.version + 1, event.nip)
    return {"nip": event.nip, "period": event.period, "event_id": _event_id(recorded),
            **_acting(getattr(event, "acting_for", None))}


async def set_skp(uow: UnitOfWork, cmd: c.SetSkp, today: date) -> Answer:
    require(uow.context.principal, "appraise_subordinate")  # before any lookup
    line = await _line(uow, cmd.nip, cmd.period, today)
    superior_skp = (await _skp(uow, line.superior, cmd.period) if line.superior
                    else skp.SkpState())
    event = skp.set_skp(cmd, uow.context.principal, await uow.facts.employee(cmd.nip), line,
                        superior_skp, await period_closed(uow.facts, cmd.period, today))
    return _record_skp(uow, event, await _skp(uow, cmd.nip, cmd.period))


async def report_realisation(uow: UnitOfWork, cmd: c.ReportRealisation, today: date) -> (
    Answer
):
    require(uow.context.principal, "report_own_activity")
    state = await _skp(uow, uow.context.principal.subject, cmd.period)
    event = skp.report_realisation(cmd, uow.context.principal, state,
                                   await period_closed(uow.facts, cmd.period, today))
    return {**_record_skp(uow, event, state), "realisation_id": str(cmd.realisation_id),
            "status": "pending"}


async def decide_realisation(uow: UnitOfWork, cmd: c.DecideRealisation, today: date) -> (
    Answer
):
    require(uow.context.principal, "appraise_subordinate")
    state = await _skp(uow, cmd.nip, cmd.period)
    event = skp.decide_realisation(cmd, uow.context.principal, state,
                                   await _line(uow, cmd.nip, cmd.period, today),
                                   await period_closed(uow.facts, cmd.period, today))
    return {**_record_skp(uow, event, state), "realisation_id": str(cmd.realisation_id),
            "status": cmd.decision}


async def rate_performance(uow: UnitOfWork, cmd: c.RatePerformance, today: date) -> Answer:
    require(uow.context.principal, "appraise_subordinate")
    event = skp.rate_performance(cmd, uow.context.principal,
                                 await uow.facts.employee(cmd.nip),
                                 await _line(uow, cmd.nip, cmd.period, today),
                                 await period_closed(uow.facts, cmd.period, today))
    return _record_skp(uow, event, await _skp(uow, cmd.nip, cmd.period))


async def record_organisational_predicate(
    uow: UnitOfWork, cmd: c.RecordOrganisationalPredicate, today: date
) -> Answer:
    require(uow.context.principal, "record_unit_predicate")  # before any lookup
    event = skp.record_organisational_predicate(
        cmd, uow.context.principal, await governing_policy(uow.facts, cmd.period, cmd.unit),
        await period_closed(uow.facts, cmd.period, today))
    stream = streams.unit_predicate_stream(cmd.unit, cmd.period)
    version = len(await uow.facts.stream_events(stream)) + 1
    recorded = uow.record(event, stream, version, BROADCAST_KEY)
    return {"unit": cmd.unit, "period": cmd.period, "predicate": cmd.predicate,
            "event_id": _event_id(recorded)}


async def file_objection(uow: UnitOfWork, cmd: c.FileObjection, today: date) -> Answer:
    principal = uow.context.principal
    require(principal, "file_objection")  # before any lookup
    nip, day = principal.subject, last_day(cmd.period)
    rater = await uow.facts.superior_on(nip, day)
    decider = await uow.facts.superior_on(rater, day) if rater else None
    policy = await governing_policy(uow.facts, cmd.period)
    event = objections.file_objection(
        cmd, principal, await uow.facts.employee(nip),
        await uow.facts.close_recorded(cmd.period),
        objections.policy_deadline(policy, cmd.period),
        await uow.facts.objection(nip, cmd.period), (rater, decider), today)
    recorded = uow.record(event, streams.objection_stream(cmd.period, nip), 1, nip)
    await uow.writes.save_objection(ObjectionFacts(nip, cmd.period, event.decider_nip, False))
    return {"nip": nip, "period": cmd.period, "status": "under_objection",
            "decider_nip": event.decider_nip, "deadline": event.deadline.isoformat(),
            "event_id": _event_id(recorded)}


async def decide_objection(uow: UnitOfWork, cmd: c.DecideObjection, today: date) -> Answer:
    require(uow.context.principal, "decide_objection")  # before any lookup
    objection = await uow.facts.objection(cmd.nip, cmd.period)
    appointments = await _appointments_over(uow, objection.decider_nip if objection else None)
    event = objections.decide_objection(cmd, uow.context.principal, objection, appointments,
                                        today, await _regime_of(uow, cmd.nip, cmd.period)
                                        if objection else "2013")
    assert objection is not None  # decide_objection refused an unknown objection
    recorded = uow.record(event, streams.objection_stream(cmd.period, cmd.nip), 2, cmd.nip)
    await uow.writes.save_objection(replace(objection, decided=True))
    return {"nip": cmd.nip, "period": cmd.period, "status": cmd.outcome,
            "event_id": _event_id(recorded), **_acting(event.acting_for)}


async def _regime_of(uow: UnitOfWork, nip: str, period: str) -> Regime:
    """The regime of the policy governing ``nip``'s month (their agency's, if any)."""
    return (await governing_policy(uow.facts, period, await _unit_of(uow, nip))).regime


async def request_erasure(uow: UnitOfWork, cmd: c.RequestErasure, today: date) -> Answer:
    require(uow.context.principal, "request_erasure")  # before any lookup
    event = erasure.request_erasure(
        cmd, uow.context.principal, await uow.facts.employee(cmd.nip) is not None,
        await uow.facts.erasure(cmd.nip), await governing_policy(uow.facts, period_of(today)),
        today)
    recorded = uow.record(event, streams.erasure_stream(cmd.nip), 1, cmd.nip)
    await uow.writes.save_erasure(ErasureFacts(cmd.nip, cmd.reference, event.due_on, None))
    return {"nip": cmd.nip, "status": "requested", "due_on": event.due_on.isoformat(),
            "event_id": _event_id(recorded)}


async def complete_erasure(uow: UnitOfWork, cmd: c.CompleteErasure, today: date) -> Answer:
    request = await uow.facts.erasure(cmd.nip)
    event = erasure.complete_erasure(cmd, uow.context.principal, request, today)
    assert request is not None  # complete_erasure refused an unknown request
    recorded = uow.record(event, streams.erasure_stream(cmd.nip), 2, cmd.nip)
    await uow.writes.save_erasure(replace(request, erased_on=today))
    return {"nip": cmd.nip, "status": "erased", "event_id": _event_id(recorded)}


def _acting(in_place_of: str | None) -> Answer:
    """What an answer adds when the caller acted in a superior's place."""
    return {} if in_place_of is None else {"acting_for": in_place_of}


def _event_id(recorded: Recorded) -> str:
    return str(recorded.envelope.event_id)


Handler = Callable[[UnitOfWork, Any, date], Awaitable[Answer]]

HANDLERS: dict[type, Handler] = {
    c.RegisterEmployee: register_employee,
    c.ChangeReportingLine: change_reporting_line,
    c.TransferEmployee: transfer_employee,
    c.ReportActivity: report_activity,
    c.DecideActivity: decide_activity,
    c.ReviseActivity: revise_activity,
    c.SubmitBehaviourReview: submit_behaviour_review,
    c.ClosePeriod: close_period,
    curve_check.CheckedClose: close_checked,
    c.AppointActingSuperior: appoint_acting_superior,
    c.RecordAttendance: attendance.record_attendance,
    c.JustifyAbsence: attendance.justify_absence,
    c.DecideJustification: attendance.decide_justification,
    c.RecordFinanceData: record_finance_data,
    c.RestrictProcessing: restrict_processing,
    c.LiftProcessingRestriction: lift_processing_restriction,
    c.RecordPayment: record_payment,
    c.FileObjection: file_objection,
    c.DecideObjection: decide_objection,
    c.RequestErasure: request_erasure,
    c.CompleteErasure: complete_erasure,
    Policy: publish_policy,
    c.SetSkp: set_skp,
    c.ReportRealisation: report_realisation,
    c.DecideRealisation: decide_realisation,
    c.RatePerformance: rate_performance,
    c.RecordOrganisationalPredicate: record_organisational_predicate,
}


async def handle(uow: UnitOfWork, command: Any, today: date) -> Answer:
    return await HANDLERS[type(command)](uow, command, today)
