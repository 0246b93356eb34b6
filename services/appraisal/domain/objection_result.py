"""What an objection (keberatan) does to an eligibility row: under objection it is not
payable; upheld, the decided figures replace the projected ones and the row is scored again
under the same policy (under 2022: the decided ratings replace the rater's, the predicate
follows from the policy matrix); rejected, the result stands. Plain values in, plain values out."""

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from services.appraisal.domain.performance import ObjectionRatings
from services.appraisal.domain.scoring import Behaviour, round1
from shared.policy import Policy

UNDER_OBJECTION = "under_objection"


@dataclass(frozen=True)
class Figures:
    """The inputs of a month's score: approved minutes and the 360 result."""

    approved_minutes: int
    behaviour: Behaviour | None


def decided_figures(objection: Mapping[str, Any] | None, projected: Figures,
                    policy: Policy) -> Figures:
    """The figures to score: the decided ones of an upheld objection (a figure the decision
    left null keeps the projected one), else the projected ones."""
    if objection is None or objection["status"] != "upheld":
        return projected
    minutes = objection["approved_minutes"]
    score = objection["behaviour_score"]
    return Figures(
        projected.approved_minutes if minutes is None else minutes,
        projected.behaviour if score is None else decided_behaviour(score, projected.behaviour,
                                                                    policy))


def upheld_ratings(objection: Mapping[str, Any] | None) -> ObjectionRatings | None:
    """The 2022 ratings an upheld objection decided (None when it decided none)."""
    if objection is None or objection["status"] != "upheld":
        return None
    results, behaviour = objection["results_rating"], objection["behaviour_rating"]
    if results is None and behaviour is None:
        return None
    return ObjectionRatings(results, behaviour)


def decided_behaviour(score: float, projected: Behaviour | None, policy: Policy) -> Behaviour:
    """A 360 result with the decided score. The weights stay those of who rated (no 360 at
    all: the decider counts as the one superior rater, weights superior-only)."""
    exact = Fraction(str(score))
    return Behaviour(
        score=float(round1(exact)), exact_score=exact,
        category=policy.category_for(float(round1(exact))),
        raters=projected.raters if projected else {"superior": 1},
        visible_detail={},
        has_peer_or_subordinate_input=bool(projected
                                           and projected.has_peer_or_subordinate_input))


def objection_reasons(objection: Mapping[str, Any] | None) -> list[str]:
    """The reasons an objection adds to a row."""
    if objection is None:
        return []
    status = objection["status"]
    if status == UNDER_OBJECTION:
        return [f"under objection since {objection['filed_on']}: not payable until decided"]
    if status == "upheld":
        return [f"result set by the objection decision of {objection['decided_on']} (upheld)"]
    return [f"objection rejected on {objection['decided_on']}: the result stands"]


def payable(state: str, objection: Mapping[str, Any] | None) -> bool:
    """A final row is payable unless it is under objection (payment waits for the decision,
    PP 30/2019 art. 59); a provisional row never is."""
    return state == "final" and (objection is None or objection["status"] != UNDER_OBJECTION)
