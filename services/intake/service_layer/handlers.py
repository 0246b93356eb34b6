"""Command handlers: read the facts, apply the rules, record the event, update the write model.

They see only the ports (``ports.UnitOfWork``); ``HANDLERS`` below is the one place that
says which handler serves which command.
"""

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from services.intake.domain import commands as c
from services.intake.domain import revision, rules, streams
from services.intake.domain.activity import Activity, check_retry, day_minute_changes, reported
from services.intake.service_layer.period_state import (
    governing_policy,
    last_closed_period,
    period_closed,
)
from services.intake.service_layer.ports import Recorded, UnitOfWork
from shared.authority import month_line_date
from shared.periods import period_of
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


async def _superior_chain(uow: UnitOfWork, nip: str, day: date, limit: int = 64) -> list[str]:
    """``nip``'s superiors upwards on ``day`` (stops at a loop or after ``limit``)."""
    chain: list[str] = []
    current = await uow.facts.superior_on(nip, day)
    while current is not None and current not in chain and len(chain) < limit:
        chain.append(current)
        current = await uow.facts.superior_on(current, day)
    return chain


async def report_activity(uow: UnitOfWork, cmd: c.ReportActivity, today: date) -> Answer:
    source = uow.context.principal.source
    existing = await uow.facts.activity(cmd.activity_id)
    if existing is None and cmd.external_ref is not None:
        existing = await uow.facts.activity_by_ref(source, cmd.external_ref)
    if existing is not None:
        check_retry(existing, cmd, source)
        return _accepted(existing)
    period = period_of(cmd.work_date)
    event = rules.report_activity(
        cmd,
        uow.context.principal,
        await uow.facts.employee(cmd.nip),
        await uow.facts.minutes_on(cmd.nip, cmd.work_date),
        await period_closed(uow.facts, period, today),
        await governing_policy(uow.facts, period),
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
                                  activity.facts() if activity else None, superior, closed)
    assert activity is not None  # decide_activity refused an unknown activity
    decided = activity.decided(cmd.decision, activity.version + 1)
    recorded = uow.record(event, streams.activity_stream(cmd.activity_id), decided.version,
                          activity.nip)
    await _save(uow, activity, decided)
    return {"activity_id": str(cmd.activity_id), "event_id": _event_id(recorded),
            "status": cmd.decision}


async def revise_activity(uow: UnitOfWork, cmd: c.ReviseActivity, today: date) -> Answer:
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
        policy=await governing_policy(uow.facts, period_of(day)))


async def _save(uow: UnitOfWork, before: Activity, after: Activity) -> None:
    await uow.writes.save_activity(after)
    _count_minutes(uow, before, after)


def _count_minutes(uow: UnitOfWork, before: Activity | None, after: Activity) -> None:
    for nip, day, change in day_minute_changes(before, after):
        uow.writes.count_minutes(nip, day, change)


async def submit_behaviour_review(
    uow: UnitOfWork, cmd: c.SubmitBehaviourReview, today: date
) -> Answer:
    rater = uow.context.principal.subject
    ratee = await uow.facts.employee(cmd.ratee_nip)
    day = month_line_date(cmd.period, today)
    relation = rules.relation_of(rater, cmd.ratee_nip, await uow.facts.superior_on(rater, day),
                                 await uow.facts.superior_on(cmd.ratee_nip, day))
    event = rules.submit_behaviour_review(
        cmd, uow.context.principal, ratee, relation,
        await period_closed(uow.facts, cmd.period, today),
        await governing_policy(uow.facts, cmd.period), today)
    version = await uow.facts.review_version(cmd.period, rater, cmd.ratee_nip) + 1
    stream = streams.review_stream(cmd.period, rater, cmd.ratee_nip)
    recorded = uow.record(event, stream, version, cmd.ratee_nip)
    await uow.writes.save_review_version(cmd.period, rater, cmd.ratee_nip, version)
    return {"event_id": _event_id(recorded), "relation": relation}


async def close_period(uow: UnitOfWork, cmd: c.ClosePeriod, today: date) -> Answer:
    # the recorded close, not the lock by date: closing a period past its close day records
    # the event the period closer would record
    event = rules.close_period(cmd, uow.context.principal,
                               await uow.facts.close_recorded(cmd.period), today)
    recorded = uow.record(event, streams.period_stream(cmd.period), 1, BROADCAST_KEY)
    await uow.writes.record_close(cmd.period, recorded.envelope.recorded_at)
    return {"period": cmd.period, "event_id": _event_id(recorded)}


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


def _event_id(recorded: Recorded) -> str:
    return str(recorded.envelope.event_id)


Handler = Callable[[UnitOfWork, Any, date], Awaitable[Answer]]

HANDLERS: dict[type, Handler] = {
    c.RegisterEmployee: register_employee,
    c.ChangeReportingLine: change_reporting_line,
    c.ReportActivity: report_activity,
    c.DecideActivity: decide_activity,
    c.ReviseActivity: revise_activity,
    c.SubmitBehaviourReview: submit_behaviour_review,
    c.ClosePeriod: close_period,
    Policy: publish_policy,
}


async def handle(uow: UnitOfWork, command: Any, today: date) -> Answer:
    return await HANDLERS[type(command)](uow, command, today)
