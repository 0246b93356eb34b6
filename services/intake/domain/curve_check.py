"""The distribution-curve check at a period's close (PermenPANRB 6/2022, kurva distribusi).

Intake holds no staff predicates (appraisal derives them), so the close reads appraisal's
check (:class:`DistributionReading`) and records it as ``DistributionChecked`` before
``PeriodClosed``: what was known at the close. A ``block`` policy's breach refuses an early
close (the check is still recorded: the attempt is history). On and after the close day the
period is locked by date whatever the curve says, and nothing in it can be corrected any
more, so the close goes ahead with the breach on record (``closed_by_date``) rather than
leaving every unit's month provisional for one unit's curve.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from services.intake.domain import periods
from shared.events import CheckedUnit, CloseAction, CurveOutcome, DistributionChecked
from shared.policy import Policy


@dataclass(frozen=True)
class DistributionReading:
    """Appraisal's distribution read of a period, and the global position it reflects."""

    period: str
    position: int
    outcome: CurveOutcome
    units: tuple[CheckedUnit, ...]


@dataclass(frozen=True)
class CheckedClose:
    """Close a period with the curve check read just before. Built by the service layer from
    appraisal's answer, never from input."""

    period: str
    reading: DistributionReading


def curve_applies(policies: Sequence[Policy], period: str) -> bool:
    """Whether a 2022-regime policy governs ``period`` anywhere (nationally or for one of
    the agencies the policies name): only then does its close check the curve."""
    scopes: set[str | None] = {None} | {a for p in policies for a in p.agencies}
    governing = (periods.governing(policies, period, scope) for scope in scopes)
    return any(policy is not None and policy.regime == "2022" for policy in governing)


def close_action(outcome: CurveOutcome, past_close_day: bool) -> CloseAction:
    if outcome != "blocked":
        return "closed"
    return "closed_by_date" if past_close_day else "refused"


def distribution_checked(reading: DistributionReading, action: CloseAction) -> (
    DistributionChecked
):
    return DistributionChecked(period=reading.period, position=reading.position,
                               outcome=reading.outcome, close_action=action,
                               units=list(reading.units))


def breach_summary(reading: DistributionReading) -> str:
    """The units breaching the curve and by how much, for a refusal's message."""
    parts = []
    for unit in reading.units:
        bands = ", ".join(f"{b.bound} {b.limit_pct:g}% {'/'.join(b.predicates)} by {b.by}"
                          for b in unit.breaches)
        if bands:
            parts.append(f"{unit.unit} ({unit.organisational_predicate}: {bands})")
    return "; ".join(parts)
