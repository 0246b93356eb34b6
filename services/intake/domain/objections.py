"""Objections (keberatan, PP 30/2019 art. 59): the window, who decides, what is refused.

The regulation: the employee objects "within 14 days of receiving the result", to the
rater's own superior, whose decision is final. Here the result is received on the day it
becomes final for everyone: the period's close day under its policy (``close_day`` of the
following month). Filing is possible once the close is recorded (an admin's early close
included) and up to the close day plus ``objection_window_days``, counted in calendar days,
or in working days (Monday-Friday; no holiday calendar) when ``objection_window_counts`` is
``working``. The rater is the employee's direct superior on the month's last day; the
decider is the rater's own direct superior on that day (recorded when the objection is
filed); an acting official (Plt / Plh) appointed in the decider's place on the decision day
may decide for them.
"""

from collections.abc import Iterable
from datetime import date, timedelta

from services.intake.domain import commands as c
from services.intake.domain.checks import require
from services.intake.domain.errors import Rejected, conflict, forbidden, not_found
from services.intake.domain.facts import EmployeeFacts, ObjectionFacts
from shared.auth import Principal
from shared.authority import ActingAppointment, acting_for
from shared.events import ObjectionDecided, ObjectionFiled
from shared.performance_policy import Regime
from shared.policy import Policy

_SATURDAY = 5


def deadline(close_date: date, days: int, counts: str) -> date:
    """The last day an objection may be filed: ``days`` after ``close_date``, calendar days,
    or working days (Monday-Friday) when ``counts`` is ``working``."""
    if counts != "working":
        return close_date + timedelta(days=days)
    day = close_date
    while days:
        day += timedelta(days=1)
        days -= day.weekday() < _SATURDAY
    return day


def policy_deadline(policy: Policy, period: str) -> date:
    return deadline(policy.close_date(period), policy.objection_window_days,
                    policy.objection_window_counts)


def file_objection(
    cmd: c.FileObjection,
    principal: Principal,
    employee: EmployeeFacts | None,
    final: bool,
    last_day: date,
    existing: ObjectionFacts | None,
    line: tuple[str | None, str | None],
    today: date,
) -> ObjectionFiled:
    """``final``: the period's close is recorded; ``last_day``: the window's deadline;
    ``line``: (the rater, the rater's own superior) on the month's last day."""
    require(principal, "file_objection")
    if employee is None:
        raise not_found("unknown_employee", "no employee with the token's NIP")
    if not final:
        raise conflict("result_not_final",
                       f"period: the result of {cmd.period} is not final yet (its close is "
                       "not recorded)", "period")
    if today > last_day:
        raise conflict("objection_window_expired",
                       f"period: objections to {cmd.period} were possible until {last_day}",
                       "period")
    if existing is not None:
        raise conflict("already_objected",
                       f"period: an objection to {cmd.period} is already filed", "period")
    rater, decider = line
    if rater is None or decider is None:
        raise Rejected("no_decider", f"period: nobody can decide an objection to {cmd.period}"
                       " (no rater, or the rater has no superior, on the month's last day)",
                       "period")
    return ObjectionFiled(nip=principal.subject, period=cmd.period, reasons=cmd.reasons,
                          rater_nip=rater, decider_nip=decider, filed_on=today,
                          deadline=last_day)


def decide_objection(
    cmd: c.DecideObjection,
    principal: Principal,
    objection: ObjectionFacts | None,
    appointments: Iterable[ActingAppointment],
    today: date,
    regime: Regime = "2013",
) -> ObjectionDecided:
    """``appointments``: the acting appointments for the objection's decider; ``regime``:
    that of the policy governing the employee's month, which names the new result's
    fields."""
    require(principal, "decide_objection")
    if objection is None:
        raise not_found("unknown_objection",
                        f"no objection of this employee to {cmd.period}", "period")
    in_place_of = acting_for(principal.subject, objection.decider_nip, today, appointments)
    if principal.subject != objection.decider_nip and in_place_of is None:
        raise forbidden("not_decider", "only the rater's superior (or who acts in their "
                        "place today) decides this objection")
    if objection.decided:
        raise conflict("objection_decided", "this objection is decided already; the "
                       "decision is final")
    _check_new_result(cmd, regime)
    return ObjectionDecided(
        nip=cmd.nip, period=cmd.period, decided_by=principal.subject, acting_for=in_place_of,
        outcome=cmd.outcome, reason=cmd.reason, decided_on=today,
        approved_minutes=cmd.approved_minutes, behaviour_score=cmd.behaviour_score,
        results_rating=cmd.results_rating, behaviour_rating=cmd.behaviour_rating)


_RESULT_FIELDS: dict[Regime, tuple[str, str]] = {
    "2013": ("approved_minutes", "behaviour_score"),
    "2022": ("results_rating", "behaviour_rating"),
}
"""The new result's fields under each regime: figures scored again (2013), or the ratings
whose predicate the policy matrix gives (2022)."""


def _check_new_result(cmd: c.DecideObjection, regime: Regime) -> None:
    """Upheld needs a new result in the regime's own fields; rejected takes none; the other
    regime's fields are refused (they would be silently ignored by the month's scoring)."""
    own = _RESULT_FIELDS[regime]
    other = next(fields for name, fields in _RESULT_FIELDS.items() if name != regime)
    foreign = [name for name in other if getattr(cmd, name) is not None]
    if foreign:
        raise Rejected("result_of_other_regime", f"{foreign[0]}: the month is under the "
                       f"{regime} regime; its new result is {' and/or '.join(own)}",
                       foreign[0])
    given = any(getattr(cmd, name) is not None for name in own)
    if cmd.outcome == "upheld" and not given:
        raise Rejected("new_result_required", f"{own[0]}: an upheld objection gives the new "
                       f"result ({own[0]}, {own[1]} or both)", own[0])
    if cmd.outcome == "rejected" and given:
        raise Rejected("new_result_not_allowed", f"{own[0]}: a rejected objection keeps the "
                       "result; send no new figures", own[0])
