"""Pure scoring: 360° ratings and approved minutes -> an allowance eligibility row.

Rounding: arithmetic is exact (``Fraction``: means of three raters are repeating decimals,
and a fixed-precision ``Decimal`` turned an exact 79.75 into 79.7499...9, shown as 79.7);
reported figures are rounded half up to one decimal (85.25 -> 85.3). Categories are
decided on the rounded score, so the figure people see always matches its category. A later
rating by the same rater replaces an earlier one.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Literal

from shared.events import EmploymentType, Relation
from shared.policy import RELATIONS, Policy

_TENTH = Decimal("0.1")
_HUNDRED = Fraction(100)
_PLURALS: dict[Relation, tuple[str, str]] = {
    "superior": ("superior", "superiors"),
    "peer": ("peer", "peers"),
    "subordinate": ("subordinate", "subordinates"),
}


@dataclass(frozen=True)
class Rating:
    """One rater's scores (indicator name -> 0..100) of one colleague for one month."""

    rater_nip: str
    relation: Relation
    scores: Mapping[str, int]


@dataclass(frozen=True)
class IndicatorMean:
    """Mean score of one indicator within one relation, and how many raters scored it."""

    mean: float
    raters: int


@dataclass(frozen=True)
class RelationDetail:
    """One relation's raters, mean over the indicators, and per-indicator means."""

    raters: int
    mean: float
    indicators: Mapping[str, IndicatorMean]


@dataclass(frozen=True)
class Behaviour:
    """The 360° result: weighted score, category, rater counts and the detail one may see."""

    score: float
    exact_score: Fraction
    category: str
    raters: Mapping[Relation, int]
    visible_detail: Mapping[Relation, RelationDetail]
    has_peer_or_subordinate_input: bool


@dataclass(frozen=True)
class Eligibility:
    """Allowance eligibility of one employee for one month, with its reasons."""

    nip: str
    period: str
    policy_version: str
    approved_minutes: int
    target_minutes: int
    results_pct: float
    behaviour_score: float | None
    score: float
    category: str
    allowance_pct: float
    state: Literal["final", "provisional"]
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class _RelationFigures:
    raters: int
    mean: Fraction
    indicators: dict[str, tuple[Fraction, int]]


def round1(value: Fraction) -> Decimal:
    """Round half up to one decimal, the rounding of every reported figure. An exact value
    on a boundary (79.75) is a terminating decimal, so the one division here is exact."""
    decimal = Decimal(value.numerator) / Decimal(value.denominator)
    return decimal.quantize(_TENTH, rounding=ROUND_HALF_UP)


def _dec(value: float) -> Fraction:
    """A policy number as written (60.5 is 121/2, not the float's binary value)."""
    return Fraction(str(value))


def behaviour(ratings: Sequence[Rating], policy: Policy, structural: bool) -> Behaviour | None:
    """Aggregate 360° ratings; None when no rating scores any applicable indicator.

    A relation's mean is the mean of its indicator means (PP 46/2011: average of the
    aspects); unscored and non-applicable indicators are skipped. The weighted score uses
    ``relation_weights`` renormalised over the relations present, hidden ones included.
    """
    applicable = [i.name for i in policy.indicators_for(structural)]
    latest = list({rating.rater_nip: rating for rating in ratings}.values())
    figures = {
        relation: found
        for relation in RELATIONS
        if (found := _relation_figures(latest, relation, applicable)) is not None
    }
    if not figures:
        return None
    exact = _weighted(figures, policy)
    return Behaviour(
        score=float(round1(exact)),
        exact_score=exact,
        category=policy.category_for(float(round1(exact))),
        raters={relation: found.raters for relation, found in figures.items()},
        visible_detail=_visible(figures, policy),
        has_peer_or_subordinate_input=any(r in figures for r in ("peer", "subordinate")),
    )


def _relation_figures(
    ratings: Sequence[Rating], relation: Relation, applicable: list[str]
) -> _RelationFigures | None:
    scored: dict[str, list[int]] = {name: [] for name in applicable}
    raters = 0
    for rating in ratings:
        if rating.relation != relation:
            continue
        usable = {n: s for n, s in rating.scores.items() if n in scored}
        raters += bool(usable)
        for name, score in usable.items():
            scored[name].append(score)
    means = {n: (Fraction(sum(s), len(s)), len(s)) for n, s in scored.items() if s}
    if not means:
        return None
    mean = sum((m for m, _ in means.values()), Fraction(0)) / len(means)
    return _RelationFigures(raters=raters, mean=mean, indicators=means)


def _weighted(figures: Mapping[Relation, _RelationFigures], policy: Policy) -> Fraction:
    weights = {relation: _dec(policy.relation_weights[relation]) for relation in figures}
    total = sum(weights.values(), Fraction(0))
    return sum((weights[r] * f.mean for r, f in figures.items()), Fraction(0)) / total


def _visible(
    figures: Mapping[Relation, _RelationFigures], policy: Policy
) -> dict[Relation, RelationDetail]:
    return {
        relation: RelationDetail(
            raters=found.raters,
            mean=float(round1(found.mean)),
            indicators={
                name: IndicatorMean(mean=float(round1(mean)), raters=count)
                for name, (mean, count) in found.indicators.items()
            },
        )
        for relation, found in figures.items()
        if found.raters >= policy.min_raters[relation]
    }


def eligibility(
    *,
    nip: str,
    period: str,
    approved_minutes: int,
    reported_activities: int,
    behaviour: Behaviour | None,
    employment_type: EmploymentType,
    policy: Policy,
    final: bool,
) -> Eligibility:
    """Combine results and behaviour into a score, a category and an allowance percentage."""
    target = policy.monthly_minute_target
    raw_pct = Fraction(approved_minutes) * _HUNDRED / target
    results = min(raw_pct, _dec(policy.performance_cap_pct))
    reasons = [_minutes_reason(approved_minutes, target, raw_pct, results)]
    exact_score = _score(results, behaviour, policy, reasons)
    score = round1(exact_score)
    category = policy.category_for(float(score))
    reasons.append(f"score {score}")
    base_pct = _base_allowance(category, reported_activities, policy, reasons)
    factor = _dec(policy.employment_factor[employment_type])
    if factor != 1:
        reasons.append(f"{employment_type}: {_plain(factor * _HUNDRED)}% of the allowance")
    reasons.append("final: the period is closed" if final else "provisional: the period is open")
    return Eligibility(
        nip=nip,
        period=period,
        policy_version=policy.version,
        approved_minutes=approved_minutes,
        target_minutes=target,
        results_pct=float(round1(results)),
        behaviour_score=None if behaviour is None else behaviour.score,
        score=float(score),
        category=category,
        allowance_pct=float(round1(base_pct * factor)),
        state="final" if final else "provisional",
        reasons=tuple(reasons),
    )


def _minutes_reason(approved: int, target: int, raw_pct: Fraction, results: Fraction) -> str:
    text = f"approved {approved:,} of {target:,} minutes ({round1(raw_pct)}%"
    if results < raw_pct:
        text += f", capped at {_plain(results)}%"
    return text + ")"


def combined_score(results: Fraction, behaviour: Behaviour | None, policy: Policy) -> Fraction:
    """The exact score of a (capped) results percentage and a 360 result, weighted as
    :func:`eligibility` weighs them."""
    return _score(results, behaviour, policy, [])


def _score(
    results: Fraction, behaviour: Behaviour | None, policy: Policy, reasons: list[str]
) -> Fraction:
    if behaviour is None:
        reasons.append("no 360 ratings: score from results alone")
        return results
    raters = ", ".join(_count(relation, n) for relation, n in behaviour.raters.items())
    reasons.append(f"360 score {behaviour.score:.1f} ({behaviour.category}) from {raters}")
    peer_input = behaviour.has_peer_or_subordinate_input
    results_weight, behaviour_weight = (_dec(w) for w in policy.score_weights(peer_input))
    why = "peers or subordinates rated" if peer_input else "only the superior rated"
    reasons.append(
        f"weights {_plain(results_weight)}/{_plain(behaviour_weight)} "
        f"(results/behaviour) because {why}"
    )
    weighted = results_weight * results + behaviour_weight * behaviour.exact_score
    return weighted / (results_weight + behaviour_weight)


def allowance_before_factor(category: str, reported_activities: int, policy: Policy) -> Fraction:
    """The allowance percentage :func:`eligibility` pays before the employment factor (the
    payroll applies the factor to the base amount instead)."""
    return _base_allowance(category, reported_activities, policy, [])


def _base_allowance(
    category: str, reported_activities: int, policy: Policy, reasons: list[str]
) -> Fraction:
    if reported_activities == 0:
        pct = _dec(policy.no_report_allowance_pct)
        reasons.append(f"no activity reported in the month -> allowance {_plain(pct)}%")
        return pct
    pct = _dec(policy.allowance_pct_by_category[category])
    reasons.append(f"category {category} -> allowance {_plain(pct)}%")
    return pct


def _count(relation: Relation, count: int) -> str:
    singular, plural = _PLURALS[relation]
    return f"{count} {singular if count == 1 else plural}"


def _plain(value: Fraction) -> str:
    """A percentage as people write it: 100, 80, 72.5 (one decimal at most)."""
    rounded = round1(value)
    return f"{rounded:.0f}" if rounded == rounded.to_integral_value() else f"{rounded}"
