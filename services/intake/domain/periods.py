"""When a period is locked: closed by an event, or its close day has come.

A period 'YYYY-MM' locks on ``close_day`` of the following month under the policy governing
it, from the start of that calendar day in the agencies' zone (the clock's "today", Asia/
Jakarta by default). From then on nothing dated in it is accepted, whether or not its
``PeriodClosed`` event has been recorded yet; the period closer records that event soon
after, with the system as actor, so a replay of the history sees the same close.
"""

from collections.abc import Sequence
from datetime import date

from shared.periods import next_period
from shared.policy import Policy, for_unit


def governing(policies: Sequence[Policy], period: str, unit: str | None = None) -> (
    Policy | None
):
    """The policy governing ``period`` (for ``unit``'s agency, see ``shared.policy.
    for_unit``; without a unit, the national one): the latest effective one, later
    publications winning a tie (``policies`` in publication order)."""
    candidates = for_unit([(p.effective_from, index, p) for index, p in enumerate(policies)
                           if p.effective_from <= period], unit, lambda c: c[2])
    return max(candidates, key=lambda c: (c[0], c[1]))[2] if candidates else None


def past_close_day(policy: Policy | None, period: str, today: date) -> bool:
    """Whether ``period``'s close day under ``policy`` has come (no policy: never)."""
    return policy is not None and today >= policy.close_date(period)


def is_locked(close_recorded: bool, policy: Policy | None, period: str, today: date) -> bool:
    """The one period-state fact every rule receives as ``period_closed``."""
    return close_recorded or past_close_day(policy, period, today)


def due_for_closing(policies: Sequence[Policy], closed: set[str], today: date) -> list[str]:
    """Periods whose close day has come but whose close is not recorded yet, oldest first,
    from the earliest policy's first period on. Close dates rise with the period (each one
    falls in the following month), so the walk stops at the first period still open."""
    if not policies:
        return []
    due: list[str] = []
    period = min(p.effective_from for p in policies)
    while past_close_day(governing(policies, period), period, today):
        if period not in closed:
            due.append(period)
        period = next_period(period)
    return due


def last_locked(policies: Sequence[Policy], closed: set[str], today: date) -> str | None:
    """The latest locked period, by a recorded close or by date (None: none is)."""
    by_date = due_for_closing(policies, set(), today)
    latest = [*closed, *by_date[-1:]]
    return max(latest) if latest else None
