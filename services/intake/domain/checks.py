"""Checks several commands share: the role, minute bounds and the day's total, the work date
(future, backdating window, period open), the 360 indicator set."""

from datetime import date, timedelta

from services.intake.domain.errors import Rejected, conflict, forbidden
from shared.auth import Principal
from shared.authority import Action, role_refusal
from shared.periods import period_of
from shared.policy import Policy

REPORT_ACTIONS: tuple[Action, ...] = ("report_own_activity", "report_for_source")
"""Reporting (or revising) an activity: one's own, or, for an e-service, from its channel."""


def require(principal: Principal, *actions: Action) -> None:
    """The token's role must allow one of ``actions`` (``shared.authority``)."""
    message = role_refusal(principal.role, *actions)
    if message is not None:
        raise forbidden("role_not_allowed", message)


def check_minutes(minutes: int, minutes_that_day: int, policy: Policy) -> None:
    low, high = policy.min_minutes_per_activity, policy.max_minutes_per_activity
    if not low <= minutes <= high:
        raise Rejected("minutes_out_of_bounds", f"minutes must be {low}..{high}", "minutes")
    if minutes_that_day + minutes > policy.max_minutes_per_day:
        raise Rejected(
            "day_total_implausible",
            f"minutes: the day would total {minutes_that_day + minutes} minutes, "
            f"more than the plausible {policy.max_minutes_per_day}",
            "minutes",
        )


def check_work_date(day: date, period_closed: bool, policy: Policy, today: date) -> None:
    if day > today:
        raise Rejected("work_date_in_future", "work_date is in the future", "work_date")
    if day < today - timedelta(days=policy.backdating_days):
        raise Rejected(
            "outside_backdating_window",
            f"work_date is more than {policy.backdating_days} days ago",
            "work_date",
        )
    if period_closed:
        raise conflict("period_closed", f"work_date: period {period_of(day)} is closed",
                       "work_date")


def check_indicators(scores: dict[str, int], policy: Policy, structural: bool) -> None:
    expected = {indicator.name for indicator in policy.indicators_for(structural)}
    unknown = sorted(set(scores) - expected)
    if unknown:
        raise Rejected("unknown_indicator",
                       f"scores.{unknown[0]}: not an indicator for this employee "
                       f"(policy {policy.version})", f"scores.{unknown[0]}")
    missing = sorted(expected - set(scores))
    if missing:
        raise Rejected("missing_indicator", f"scores.{missing[0]}: score required",
                       f"scores.{missing[0]}")
