"""Eligibility rows from the projected figures: which policy governs, then scoring."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from services.appraisal.domain.objection_result import (
    Figures,
    decided_figures,
    objection_reasons,
    payable,
    upheld_ratings,
)
from services.appraisal.domain.performance import RaterDecision, appraise, ratings_document
from services.appraisal.domain.scoring import (
    Rating,
    _plain,
    behaviour,
    eligibility,
    round1,
)
from services.appraisal.domain.units import Assignment, unit_on
from shared.periods import last_day
from shared.policy import Policy, for_unit, parsed_policy

Row = dict[str, Any]


@dataclass
class Inputs:
    employees: dict[str, Row]
    months: dict[tuple[str, str], Row]
    reviews: dict[tuple[str, str], list[Row]]
    policies: list[Row]
    closed: dict[str, int]
    """Closed period -> global position of its PeriodClosed event."""
    skps: dict[tuple[str, str], Row] = field(default_factory=dict)
    """(nip, period) -> the SKP set for it (2022 regime)."""
    realisations: dict[tuple[str, str], list[Row]] = field(default_factory=dict)
    decisions: dict[tuple[str, str], RaterDecision] = field(default_factory=dict)
    """(nip, period) -> the rater's latest confirmation or override."""
    objections: dict[tuple[str, str], Row] = field(default_factory=dict)
    """(nip, period) -> its objection, for those that have one."""
    units: dict[str, list[Assignment]] = field(default_factory=dict)
    """nip -> its transfers (first day, unit), for those transferred."""

    def policy_for(self, period: str, unit: str | None = None) -> Policy | None:
        """The latest policy effective for ``period`` (for ``unit``'s agency: see
        ``shared.policy.for_unit``); for a closed period, the latest one published before
        it closed (what was final stays final)."""
        latest = self.policy_row_for(period, unit)
        return _parsed(latest) if latest else None

    def policy_row_for(self, period: str, unit: str | None = None) -> Row | None:
        """The projected row of the policy :meth:`policy_for` chooses."""
        closed_at = self.closed.get(period)
        governing = for_unit([p for p in self.policies if p["effective_from"] <= period
                              and (closed_at is None or p["position"] < closed_at)],
                             unit, _parsed)
        if not governing:
            return None
        return max(governing, key=lambda p: (p["effective_from"], p["position"]))


REGIME_2013_DEFAULTS: Row = {"regime": "2013", "predicate": None, "ratings": None}
"""The 2022 columns of a 2013 row."""


def _parsed(row: Row) -> Policy:
    return parsed_policy(row["version"], row["document"])


def compute_rows(inputs: Inputs, keys: Iterable[tuple[str, str]]) -> list[Row]:
    """One eligibility row per (nip, period) that has an employee and a governing policy,
    under the regime that policy names."""
    rows = []
    for nip, period in keys:
        employee = inputs.employees.get(nip)
        policy = inputs.policy_for(period, employee["unit"]) if employee else None
        if employee is None or policy is None:
            continue
        ratings = [Rating(r["rater_nip"], r["relation"], r["scores"])
                   for r in inputs.reviews.get((nip, period), [])]
        month = inputs.months.get((nip, period), {})
        objection = inputs.objections.get((nip, period))
        # an upheld objection's decided figures are scored instead, under either regime
        figures = decided_figures(objection, Figures(
            month.get("approved_minutes", 0), behaviour(ratings, policy, employee["structural"])),
            policy)
        compute = _row_2022 if policy.regime == "2022" else _row_2013
        row = compute(inputs, nip, employee, period, policy, figures)
        rows.append({
            **row,
            # the unit on the month's last day: after a mid-month transfer, the new one
            "unit": unit_on(inputs.units.get(nip, []), employee["unit"], last_day(period)),
            "reasons": [*row["reasons"], *objection_reasons(objection)],
            "objection": objection["status"] if objection else None,
            "payable": payable(row["state"], objection),
        })
    return rows


def _row_2013(inputs: Inputs, nip: str, employee: Row, period: str, policy: Policy,
              figures: Figures) -> Row:
    """Perka BKN 1/2013: a score of minutes and the 360, its band, paid per band (the row
    leaves the 2022 columns to their defaults, see ``REGIME_2013_DEFAULTS``)."""
    month = inputs.months.get((nip, period), {})
    result = eligibility(
        nip=nip, period=period,
        approved_minutes=figures.approved_minutes,
        reported_activities=month.get("activities", 0),
        behaviour=figures.behaviour,
        employment_type=employee["employment_type"],
        policy=policy, final=period in inputs.closed,
    )
    return {
        "nip": nip, "period": period,
        "policy_version": result.policy_version,
        "approved_minutes": result.approved_minutes,
        "target_minutes": result.target_minutes, "results_pct": result.results_pct,
        "behaviour_score": result.behaviour_score, "score": result.score,
        "category": result.category, "allowance_pct": result.allowance_pct,
        "state": result.state, "reasons": list(result.reasons),
    }


def _row_2022(inputs: Inputs, nip: str, employee: Row, period: str, policy: Policy,
              figures: Figures) -> Row:
    """PermenPANRB 6/2022: the predicate of the two ratings, paid per predicate."""
    key, rated = (nip, period), figures.behaviour
    rules, decision = policy.rules_2022, inputs.decisions.get(key)
    appraised = appraise(inputs.skps.get(key), inputs.realisations.get(key, []), rated,
                         decision, rules, upheld_ratings(inputs.objections.get(key)))
    base = Fraction(str(rules.allowance_pct_by_predicate[appraised.predicate]))
    factor = Fraction(str(policy.employment_factor[employee["employment_type"]]))
    final = period in inputs.closed
    return {
        "nip": nip, "period": period,
        "policy_version": policy.version,
        "approved_minutes": figures.approved_minutes,
        "target_minutes": policy.monthly_minute_target,
        "results_pct": appraised.achievement_pct,
        "behaviour_score": None if rated is None else rated.score, "score": None,
        "category": appraised.predicate,
        "allowance_pct": float(round1(base * factor)),
        "state": "final" if final else "provisional",
        "reasons": [*appraised.reasons,
                    f"predicate {appraised.predicate} -> allowance {_plain(base)}%",
                    *([f"{employee['employment_type']}: {_plain(factor * 100)}% of the "
                       "allowance"] if factor != 1 else []),
                    "final: the period is closed" if final
                    else "provisional: the period is open"],
        "regime": "2022", "predicate": appraised.predicate,
        "ratings": ratings_document(appraised, decision),
    }
