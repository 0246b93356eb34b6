"""Eligibility rows from the projected figures: which policy governs, then scoring."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from services.appraisal.domain.scoring import Rating, behaviour, eligibility
from shared.policy import Policy, parsed_policy

Row = dict[str, Any]


@dataclass
class Inputs:
    employees: dict[str, Row]
    months: dict[tuple[str, str], Row]
    reviews: dict[tuple[str, str], list[Row]]
    policies: list[Row]
    closed: dict[str, int]
    """Closed period -> global position of its PeriodClosed event."""

    def policy_for(self, period: str) -> Policy | None:
        """The latest policy effective for ``period``; for a closed period, the latest one
        published before it closed (what was final stays final)."""
        latest = self.policy_row_for(period)
        return parsed_policy(latest["version"], latest["document"]) if latest else None

    def policy_row_for(self, period: str) -> Row | None:
        """The projected row of the policy :meth:`policy_for` chooses."""
        closed_at = self.closed.get(period)
        governing = [p for p in self.policies if p["effective_from"] <= period
                     and (closed_at is None or p["position"] < closed_at)]
        if not governing:
            return None
        return max(governing, key=lambda p: (p["effective_from"], p["position"]))


def compute_rows(inputs: Inputs, keys: Iterable[tuple[str, str]]) -> list[Row]:
    """One eligibility row per (nip, period) that has an employee and a governing policy."""
    rows = []
    for nip, period in keys:
        employee, policy = inputs.employees.get(nip), inputs.policy_for(period)
        if employee is None or policy is None:
            continue
        month = inputs.months.get((nip, period), {})
        ratings = [Rating(r["rater_nip"], r["relation"], r["scores"])
                   for r in inputs.reviews.get((nip, period), [])]
        result = eligibility(
            nip=nip, period=period,
            approved_minutes=month.get("approved_minutes", 0),
            reported_activities=month.get("activities", 0),
            behaviour=behaviour(ratings, policy, employee["structural"]),
            employment_type=employee["employment_type"],
            policy=policy, final=period in inputs.closed,
        )
        rows.append({
            "nip": nip, "period": period, "unit": employee["unit"],
            "policy_version": result.policy_version,
            "approved_minutes": result.approved_minutes,
            "target_minutes": result.target_minutes, "results_pct": result.results_pct,
            "behaviour_score": result.behaviour_score, "score": result.score,
            "category": result.category, "allowance_pct": result.allowance_pct,
            "state": result.state, "reasons": list(result.reasons),
        })
    return rows
