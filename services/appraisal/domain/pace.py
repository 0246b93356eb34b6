"""Pace of the running month: approved minutes against the month-to-date target.

The month's figure compares approved minutes with the whole month's target, so early in a
month everyone looks "Buruk". Pace compares them with the share of the target the working
days so far stand for: ``target_to_date = monthly_minute_target * elapsed / total``, where
working days are Monday to Friday (public holidays are not in the policy yet) and today
counts as elapsed from its start. The score and category at pace weigh results and 360
exactly as the month's figure does, only against that target.

Pure: ``today`` comes from the caller (the query layer's clock). Pace is never stored, so
the projections stay a function of the event history alone; the final figure is untouched.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from services.appraisal.domain.eligibility import Inputs
from services.appraisal.domain.scoring import Behaviour, Rating, behaviour, combined_score, round1
from shared.periods import first_day, last_day, period_of
from shared.policy import Policy


@dataclass(frozen=True)
class Pace:
    working_days_elapsed: int
    """Monday-Friday days of the month up to and including today."""
    working_days_total: int
    """Monday-Friday days of the whole month."""
    target_to_date: float
    """Minutes the month's target stands for so far (one decimal)."""
    pct_of_target_to_date: float | None
    """Approved minutes as a percentage of ``target_to_date``, uncapped; None while no
    working day has begun (the 1st on a weekend)."""
    score_at_pace: float | None
    """The month's score with results measured against ``target_to_date`` (capped as usual)."""
    category_at_pace: str | None
    """The policy's category of ``score_at_pace``."""


def working_days(period: str) -> list[date]:
    """Monday-Friday days of a period 'YYYY-MM'."""
    first = first_day(period)
    days = (first + timedelta(days=n) for n in range((last_day(period) - first).days + 1))
    return [day for day in days if day.weekday() < 5]


def month_pace(period: str, today: date, approved_minutes: int,
               rated: Behaviour | None, policy: Policy) -> Pace | None:
    """The pace of ``period`` on ``today``; None unless today lies in that period."""
    if period_of(today) != period:
        return None
    days = working_days(period)
    elapsed = sum(1 for day in days if day <= today)
    target = Fraction(policy.monthly_minute_target * elapsed, len(days))
    if elapsed == 0:
        return Pace(0, len(days), 0.0, None, None, None)
    raw_pct = approved_minutes * 100 / target
    results = min(raw_pct, Fraction(str(policy.performance_cap_pct)))
    score = round1(combined_score(results, rated, policy))
    return Pace(elapsed, len(days), float(round1(target)), float(round1(raw_pct)),
                float(score), policy.category_for(float(score)))


def pace_of(inputs: Inputs, nip: str, period: str, today: date) -> Pace | None:
    """The pace of one employee-month from the projected figures; None for a closed period,
    a period that is not today's, one no policy governs, or one under the 2022 regime
    (minutes at pace say nothing of SKP ratings)."""
    employee = inputs.employees.get(nip)
    policy = inputs.policy_for(period, employee.get("unit")) if employee else None
    if employee is None or policy is None or period in inputs.closed or policy.regime != "2013":
        return None
    month = inputs.months.get((nip, period), {})
    ratings = [Rating(r["rater_nip"], r["relation"], r["scores"])
               for r in inputs.reviews.get((nip, period), [])]
    return month_pace(period, today, month.get("approved_minutes", 0),
                      behaviour(ratings, policy, employee["structural"]), policy)
