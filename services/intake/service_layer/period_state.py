"""The period-state facts the rules receive, from the fact reader and the period-lock rules
in ``domain.periods``: whether a period is closed on ``today``, the policy governing it,
the latest closed period."""

from datetime import date

from services.intake.domain import periods
from services.intake.domain.errors import Rejected
from services.intake.service_layer.ports import FactReader
from shared.policy import Policy


async def period_closed(facts: FactReader, period: str, today: date) -> bool:
    """Its close is recorded, or its close day has come under the policy governing it."""
    return periods.is_locked(await facts.close_recorded(period),
                             periods.governing(await facts.policies(), period), period, today)


async def governing_policy(facts: FactReader, period: str, unit: str | None = None) -> Policy:
    """The policy governing ``period`` (for ``unit``'s agency, when given); refused (409
    ``no_policy``) when none does."""
    policy = periods.governing(await facts.policies(), period, unit)
    if policy is None:
        raise Rejected("no_policy", f"no allowance policy governs period {period}", None, 409)
    return policy


async def last_closed_period(facts: FactReader, today: date) -> str | None:
    """The latest closed period: by a recorded close, or by its close day."""
    return periods.last_locked(await facts.policies(), await facts.recorded_closes(), today)


async def due_for_closing(facts: FactReader, today: date) -> list[str]:
    """Periods whose close day has come but whose close is not recorded yet."""
    return periods.due_for_closing(await facts.policies(), await facts.recorded_closes(),
                                   today)
