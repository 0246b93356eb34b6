"""Command handlers: load the facts, apply the rules, record the event, update the write model.

``HANDLERS`` below is the one place that says which handler serves which command.
"""

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from services.intake.adapters import tables as t
from services.intake.adapters.unit_of_work import ActivityRow, UnitOfWork
from services.intake.domain import commands as c
from services.intake.domain import revision, rules
from services.intake.domain.errors import Rejected, conflict
from services.intake.domain.rules import period_of
from shared.authority import month_line_date
from shared.policy import Policy
from shared.topics import BROADCAST_KEY

Answer = dict[str, Any]


async def register_employee(uow: UnitOfWork, cmd: c.RegisterEmployee, today: date) -> Answer:
    event = rules.register_employee(cmd, uow.context.principal, today)
    version = await uow.employee_version(cmd.nip) + 1
    recorded = uow.record(event, f"employee-{cmd.nip}", version, cmd.nip)
    await uow.upsert(t.employees, {**cmd.model_dump(), "version": version}, ["nip"])
    return {"nip": cmd.nip, "event_id": str(recorded.envelope.event_id)}


async def change_reporting_line(
    uow: UnitOfWork, cmd: c.ChangeReportingLine, today: date
) -> Answer:
    employee = await uow.employee(cmd.nip)
    superior = await uow.employee(cmd.superior_nip) if cmd.superior_nip else None
    chain = (await uow.superior_chain(cmd.superior_nip, cmd.effective_from)
             if cmd.superior_nip else [])
    event = rules.change_reporting_line(cmd, uow.context.principal, employee, superior, chain)
    version = await uow.employee_version(cmd.nip) + 1
    recorded = uow.record(event, f"employee-{cmd.nip}", version, cmd.nip)
    await uow.upsert(t.reporting_lines, cmd.model_dump(), ["nip", "effective_from"])
    await uow.update(t.employees, {"nip": cmd.nip}, {"version": version})
    return {"nip": cmd.nip, "event_id": str(recorded.envelope.event_id)}


async def report_activity(uow: UnitOfWork, cmd: c.ReportActivity, today: date) -> Answer:
    source = uow.context.principal.source
    existing = await uow.activity_row(cmd.activity_id)
    if existing is None and cmd.external_ref is not None:
        existing = await uow.activity_by_ref(source, cmd.external_ref)
    if existing is not None:
        return _repeat_answer(existing, cmd, source)
    period = period_of(cmd.work_date)
    event = rules.report_activity(
        cmd,
        uow.context.principal,
        await uow.employee(cmd.nip),
        await uow.minutes_on(cmd.nip, cmd.work_date),
        await uow.is_closed(period),
        await _policy(uow, period),
        today,
    )
    recorded = uow.record(event, f"activity-{cmd.activity_id}", 1, cmd.nip)
    row = ActivityRow(cmd.activity_id, cmd.nip, cmd.work_date, cmd.minutes, source,
                      cmd.external_ref, "pending", 1, recorded.envelope.event_id)
    uow.add_activity(row)
    return _answer(row)


def _answer(row: ActivityRow) -> Answer:
    return {"activity_id": str(row.activity_id), "event_id": str(row.event_id),
            "status": "accepted"}


def _repeat_answer(row: ActivityRow, cmd: c.ReportActivity, source: str) -> Answer:
    """A retry gets the original answer; a different activity under a used id is refused.

    ``row`` was found by activity_id or by (source, external_ref); a retry matched by its
    external_ref may carry a fresh activity_id (the e-service regenerated it), so the
    activity_id itself is not compared: the original activity's answer is returned."""
    same = (row.nip, *row.as_reported(), row.source) == (
        cmd.nip, cmd.work_date, cmd.minutes, source)
    if not same:
        raise conflict("duplicate_activity",
                       "activity_id or (source, external_ref) already used by another activity",
                       "activity_id")
    return _answer(row)


async def decide_activity(uow: UnitOfWork, cmd: c.DecideActivity, today: date) -> Answer:
    row = await uow.activity_row(cmd.activity_id)
    superior = await uow.superior_on(row.nip, row.work_date) if row else None
    closed = await uow.is_closed(period_of(row.work_date)) if row else False
    event = rules.decide_activity(cmd, uow.context.principal, row.facts() if row else None,
                                  superior, closed)
    assert row is not None  # decide_activity refused an unknown activity
    version = row.version + 1
    recorded = uow.record(event, f"activity-{cmd.activity_id}", version, row.nip)
    await uow.set_activity_status(row, cmd.decision, version)
    return {"activity_id": str(cmd.activity_id), "event_id": str(recorded.envelope.event_id),
            "status": cmd.decision}


async def revise_activity(uow: UnitOfWork, cmd: c.ReviseActivity, today: date) -> Answer:
    row = await uow.activity_row(cmd.activity_id)
    facts = await _revision_facts(uow, row, cmd.work_date or row.work_date) if row else None
    event = revision.revise_activity(cmd, uow.context.principal, facts, today)
    assert row is not None  # revise_activity refused an unknown activity
    version = row.version + 1
    recorded = uow.record(event, f"activity-{cmd.activity_id}", version, row.nip)
    await uow.revise_activity_row(row, event.work_date, event.minutes, version)
    return {"activity_id": str(cmd.activity_id), "event_id": str(recorded.envelope.event_id),
            "status": "pending"}


async def _revision_facts(uow: UnitOfWork, row: ActivityRow, day: date) -> (
    revision.RevisionFacts
):
    own = row.minutes if day == row.work_date and row.status != "rejected" else 0
    return revision.RevisionFacts(
        activity=row.facts(), status=row.status,
        minutes_that_day=await uow.minutes_on(row.nip, day) - own,
        period_closed=await uow.is_closed(period_of(row.work_date)),
        new_period_closed=await uow.is_closed(period_of(day)),
        policy=await _policy(uow, period_of(day)))


async def submit_behaviour_review(
    uow: UnitOfWork, cmd: c.SubmitBehaviourReview, today: date
) -> Answer:
    rater = uow.context.principal.subject
    ratee = await uow.employee(cmd.ratee_nip)
    day = month_line_date(cmd.period, today)
    relation = rules.relation_of(rater, cmd.ratee_nip, await uow.superior_on(rater, day),
                                 await uow.superior_on(cmd.ratee_nip, day))
    event = rules.submit_behaviour_review(
        cmd, uow.context.principal, ratee, relation, await uow.is_closed(cmd.period),
        await _policy(uow, cmd.period), today)
    version = await uow.behaviour_review_version(cmd.period, rater, cmd.ratee_nip) + 1
    stream = f"review-{cmd.period}-{rater}-{cmd.ratee_nip}"
    recorded = uow.record(event, stream, version, cmd.ratee_nip)
    await uow.upsert(t.behaviour_reviews, {"period": cmd.period, "rater_nip": rater,
                                           "ratee_nip": cmd.ratee_nip, "version": version},
                     ["period", "rater_nip", "ratee_nip"])
    return {"event_id": str(recorded.envelope.event_id), "relation": relation}


async def close_period(uow: UnitOfWork, cmd: c.ClosePeriod, today: date) -> Answer:
    # the recorded close, not the lock by date: closing a period past its close day records
    # the event the period closer would record
    event = rules.close_period(cmd, uow.context.principal, await uow.close_recorded(cmd.period),
                               today)
    recorded = uow.record(event, f"period-{cmd.period}", 1, BROADCAST_KEY)
    await uow.close_period_row(cmd.period, recorded.envelope.recorded_at)
    return {"period": cmd.period, "event_id": str(recorded.envelope.event_id)}


async def publish_policy(uow: UnitOfWork, policy: Policy, today: date) -> Answer:
    event = rules.publish_policy(policy, uow.context.principal,
                                 await uow.policy_document(policy.version),
                                 await uow.last_closed_period())
    if event is None:
        return {"version": policy.version, "published": False}
    document = event.document
    version = await uow.policy_stream_version() + 1
    recorded = uow.record(event, "policy", version, BROADCAST_KEY)
    await uow.upsert(t.policies, {"version": policy.version, "document": document,
                                  "effective_from": policy.effective_from,
                                  "stream_version": version}, ["version"])
    return {"version": policy.version, "published": True,
            "event_id": str(recorded.envelope.event_id)}


async def _policy(uow: UnitOfWork, period: str) -> Policy:
    policy = await uow.policy_for(period)
    if policy is None:
        raise Rejected("no_policy", f"no allowance policy governs period {period}", None, 409)
    return policy


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
