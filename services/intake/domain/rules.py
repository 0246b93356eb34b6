"""The rules every command must pass, as pure functions over facts the service layer loads.

Each function returns the event to record or raises :class:`Rejected`; none does I/O.
"""

from collections.abc import Iterable
from datetime import date

from services.intake.domain import commands as c
from services.intake.domain.checks import (
    check_indicators,
    check_minutes,
    check_work_date,
    require,
)
from services.intake.domain.errors import Rejected, conflict, forbidden, not_found
from services.intake.domain.facts import ActivityFacts, EmployeeFacts
from services.intake.domain.nip import InvalidNip, parse_nip
from shared.auth import Principal
from shared.authority import REVIEW_ACTIONS, ActingAppointment, acting_for, allows
from shared.events import (
    ActivityReported,
    BehaviourReview,
    EmployeeRegistered,
    EmployeeTransferred,
    PeriodClosed,
    PolicyPublished,
    Relation,
    ReportingLineChanged,
    ReviewSubmitted,
    ValidationReview,
)
from shared.periods import period_of
from shared.policy import Policy


def register_employee(cmd: c.RegisterEmployee, principal: Principal, today: date) -> (
    EmployeeRegistered
):
    require(principal, "manage_roster")
    try:
        parse_nip(cmd.nip, today=today)
    except InvalidNip as exc:
        raise Rejected("invalid_nip", f"nip: {exc}", "nip") from exc
    return EmployeeRegistered(**cmd.model_dump())


def change_reporting_line(
    cmd: c.ChangeReportingLine,
    principal: Principal,
    employee: EmployeeFacts | None,
    superior: EmployeeFacts | None,
    superior_chain: list[str],
) -> ReportingLineChanged:
    """``superior_chain``: the new superior's own superiors upwards, on the effective date.

    The effective date may lie in a closed period (a roster carries lines from years back):
    what a line decided there, validations and 360 relations, is recorded in the events."""
    require(principal, "manage_roster")
    if employee is None:
        raise not_found("unknown_employee", "nip: no employee with this NIP", "nip")
    if cmd.superior_nip is not None:
        if superior is None:
            raise not_found("unknown_superior", "superior_nip: no such employee", "superior_nip")
        if cmd.superior_nip == cmd.nip or cmd.nip in superior_chain:
            raise Rejected("reporting_cycle", "superior_nip: this line would make a cycle",
                           "superior_nip")
    return ReportingLineChanged(**cmd.model_dump())


def transfer_employee(
    cmd: c.TransferEmployee,
    principal: Principal,
    employee: EmployeeFacts | None,
    superior: EmployeeFacts | None,
    superior_chain: list[str],
) -> EmployeeTransferred:
    """A transfer is a reporting line with a unit: checked as the line is."""
    line = c.ChangeReportingLine(nip=cmd.nip, superior_nip=cmd.superior_nip,
                                 effective_from=cmd.effective_from)
    change_reporting_line(line, principal, employee, superior, superior_chain)
    return EmployeeTransferred(**cmd.model_dump())


def report_activity(
    cmd: c.ReportActivity,
    principal: Principal,
    employee: EmployeeFacts | None,
    minutes_that_day: int,
    period_closed: bool,
    policy: Policy,
    today: date,
) -> ActivityReported:
    require(principal, "report_own_activity", "report_for_source")
    if not allows(principal.role, "report_for_source") and cmd.nip != principal.subject:
        raise forbidden("not_own_activity", "employees report only their own activities")
    if employee is None:
        raise not_found("unknown_employee", "nip: no employee with this NIP", "nip")
    check_minutes(cmd.minutes, minutes_that_day, policy)
    check_work_date(cmd.work_date, period_closed, policy, today)
    return ActivityReported(**cmd.model_dump(), source=principal.source)


def decide_activity(
    cmd: c.DecideActivity,
    principal: Principal,
    activity: ActivityFacts | None,
    superior_on_work_date: str | None,
    period_closed: bool,
    appointments: Iterable[ActingAppointment] = (),
) -> ReviewSubmitted:
    """``appointments``: the acting appointments for ``superior_on_work_date``; one naming
    the caller and covering the work date lets them decide in the superior's place."""
    require(principal, "decide_activity")
    if activity is None:
        raise not_found("unknown_activity", "activity_id: no such activity", "activity_id")
    if activity.nip == principal.subject:  # an acting official's own activity included
        raise forbidden("self_review", "nobody validates their own activity")
    in_place_of = acting_for(principal.subject, superior_on_work_date, activity.work_date,
                             appointments)
    if superior_on_work_date != principal.subject and in_place_of is None:
        raise forbidden(
            "not_direct_superior",
            "only the owner's direct superior on the work date may validate this activity",
        )
    if period_closed:
        raise conflict("period_closed", f"period {period_of(activity.work_date)} is closed")
    review = ValidationReview(
        activity_id=cmd.activity_id,
        owner_nip=activity.nip,
        reviewer_nip=principal.subject,
        decision=cmd.decision,
        note=cmd.note,
        acting_for=in_place_of,
    )
    return ReviewSubmitted(review=review)


def relation_of(
    rater: str, ratee: str, rater_superior: str | None, ratee_superior: str | None
) -> Relation | None:
    """The rater's relation to the ratee, from the reporting lines; None if unrelated."""
    if ratee_superior == rater:
        return "superior"
    if rater_superior == ratee:
        return "subordinate"
    if ratee_superior is not None and rater_superior == ratee_superior:
        return "peer"
    return None


def relation_in_month(rater: str, ratee: str,
                      lines: Iterable[tuple[str | None, str | None]]) -> Relation | None:
    """The rater's relation to the ratee in a month whose lines changed (a transfer): the
    relation on the latest day that gave one. ``lines``: (rater's superior, ratee's
    superior) per day, latest first. So after a mid-month transfer the old superior (and
    old peers) still rate the month for the days before it, the new ones for the rest."""
    for rater_superior, ratee_superior in lines:
        relation = relation_of(rater, ratee, rater_superior, ratee_superior)
        if relation is not None:
            return relation
    return None


def submit_behaviour_review(
    cmd: c.SubmitBehaviourReview,
    principal: Principal,
    ratee: EmployeeFacts | None,
    relation: Relation | None,
    period_closed: bool,
    policy: Policy,
    today: date,
    in_place_of: str | None = None,
) -> ReviewSubmitted:
    """``relation``: the rater's relation to the ratee on the month's last day (or today, if
    earlier); rating a direct subordinate takes the superior role. ``in_place_of``: the
    ratee's superior, when the rater acts in their place that day (``acting_for``): then
    the rater rates as the superior, whatever their own relation (a peer acting as Plh)."""
    require(principal, *REVIEW_ACTIONS.values())
    if in_place_of is not None:
        relation = "superior"
    if ratee is None:
        raise not_found("unknown_employee", "ratee_nip: no such employee", "ratee_nip")
    if ratee.nip == principal.subject:
        raise Rejected("self_review", "ratee_nip: nobody rates themselves", "ratee_nip")
    if relation is None:
        raise forbidden(
            "not_related",
            "only the direct superior, peers (same superior) and direct subordinates may rate",
        )
    require(principal, REVIEW_ACTIONS[relation])
    if cmd.period > period_of(today):
        raise Rejected("period_in_future", f"period {cmd.period} has not begun", "period")
    if period_closed:
        raise conflict("period_closed", f"period {cmd.period} is closed", "period")
    check_indicators(cmd.scores, policy, ratee.structural)
    review = BehaviourReview(
        period=cmd.period,
        rater_nip=principal.subject,
        ratee_nip=ratee.nip,
        relation=relation,
        scores=dict(sorted(cmd.scores.items())),
        comment=cmd.comment,
        acting_for=in_place_of,
    )
    return ReviewSubmitted(review=review)


def close_period(
    cmd: c.ClosePeriod, principal: Principal, already_closed: bool, today: date
) -> PeriodClosed:
    require(principal, "close_period")
    if already_closed:
        raise conflict("period_closed", f"period {cmd.period} is already closed", "period")
    if cmd.period >= period_of(today):
        raise Rejected("period_not_ended", f"period {cmd.period} has not ended yet", "period")
    return PeriodClosed(period=cmd.period)


def publish_policy(
    policy: Policy, principal: Principal, existing: dict[str, object] | None,
    last_closed_period: str | None,
) -> PolicyPublished | None:
    """The event publishing ``policy``; None when this exact version is already published.

    A policy may not reach back into a closed period: what was final stays final.
    """
    require(principal, "publish_policy")
    document = policy.model_dump(mode="json")
    if existing is not None:
        if existing != document:
            raise conflict("policy_version_exists",
                           f"version: policy {policy.version} already exists with other content",
                           "version")
        return None
    if last_closed_period is not None and policy.effective_from <= last_closed_period:
        raise conflict("period_closed",
                       f"effective_from: period {last_closed_period} is closed; a new policy "
                       "may govern only later periods", "effective_from")
    return PolicyPublished(version=policy.version, effective_from=policy.effective_from,
                           document=document)
