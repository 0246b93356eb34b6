"""The PermenPANRB 6/2022 regime: SKP achievement, the two ratings, the predicate.

Results are rated on the SKP achievement: for each indicator of a main RHK (rencana hasil
kerja utama), the latest approved realisation over its target, x 100, capped at the policy's
``indicator_cap_pct``; the achievement is the mean of those (an indicator with no approved
realisation counts 0). Additional RHKs (tambahan) are shown but not counted. Behaviour is
rated on the 360 (BerAKHLAK) weighted score. Each rating is decided on the figure rounded to
one decimal, as the 2013 categories are. Missing input (no SKP, no 360) is rated below
expectation, with the reason said; the rater may override either rating with a reason.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from services.appraisal.domain.scoring import Behaviour, round1
from shared.events import Expectation
from shared.performance_policy import PredicateRules

Row = dict[str, Any]
_HUNDRED = Fraction(100)


@dataclass(frozen=True)
class RaterDecision:
    """The rater's confirmation of the derived ratings, or an override of one or both."""

    rater_nip: str
    results: Expectation | None
    behaviour: Expectation | None
    reason: str | None
    acting_for: str | None = None


@dataclass(frozen=True)
class ObjectionRatings:
    """What an upheld objection decided of the two ratings (None: the rater's stands)."""

    results: Expectation | None
    behaviour: Expectation | None


@dataclass(frozen=True)
class Rated:
    """One of the two ratings: what the thresholds gave, what the rater set, what an upheld
    objection decided, what holds (the decision is final, PP 30/2019 art. 59)."""

    derived: Expectation
    override: Expectation | None
    objection: Expectation | None = None

    @property
    def final(self) -> Expectation:
        return self.objection or self.override or self.derived


@dataclass(frozen=True)
class Appraisal2022:
    achievement_pct: float | None
    results: Rated
    behaviour: Rated
    predicate: str
    reasons: tuple[str, ...]


def achievement(skp: Row | None, realisations: Sequence[Row], cap_pct: float) -> (
    Fraction | None
):
    """The SKP achievement in percent (see the module); None without a main indicator."""
    if skp is None:
        return None
    approved = _latest_approved(realisations)
    cap = Fraction(str(cap_pct))
    shares = [min(Fraction(str(approved.get((rhk["rhk_id"], i["indicator_id"]), 0)))
                  * _HUNDRED / Fraction(str(i["target"])), cap)
              for rhk in skp["results"] if rhk["kind"] == "main"
              for i in rhk["indicators"]]
    return sum(shares, Fraction(0)) / len(shares) if shares else None


def _latest_approved(realisations: Sequence[Row]) -> dict[tuple[str, str], float]:
    """(rhk, indicator) -> the value of its latest approved realisation: a report states
    the realisation so far, so the latest approved one counts."""
    latest: dict[tuple[str, str], Row] = {}
    for row in sorted(realisations, key=lambda r: r["position"]):
        if row["status"] == "approved":
            latest[(row["rhk_id"], row["indicator_id"])] = row
    return {key: row["value"] for key, row in latest.items()}


def appraise(skp: Row | None, realisations: Sequence[Row], behaviour: Behaviour | None,
             decision: RaterDecision | None, rules: PredicateRules,
             upheld: ObjectionRatings | None = None) -> Appraisal2022:
    """The month's two ratings and predicate under ``rules`` (``upheld``: the ratings an
    upheld objection decided)."""
    reasons: list[str] = []
    exact = achievement(skp, realisations, rules.indicator_cap_pct)
    pct = None if exact is None else float(round1(exact))
    results = Rated(_derived_results(pct, skp is not None, rules, reasons),
                    decision.results if decision else None, upheld.results if upheld else None)
    behaviour_rated = Rated(_derived_behaviour(behaviour, rules, reasons),
                            decision.behaviour if decision else None,
                            upheld.behaviour if upheld else None)
    reasons.extend(_decision_reasons(decision, results, behaviour_rated))
    reasons.extend(_objection_reasons(results, behaviour_rated))
    predicate = rules.predicate(results.final, behaviour_rated.final)
    reasons.append(f"results {results.final}, behaviour {behaviour_rated.final} "
                   f"-> predicate {predicate}")
    return Appraisal2022(pct, results, behaviour_rated, predicate, tuple(reasons))


def _derived_results(pct: float | None, has_skp: bool, rules: PredicateRules,
                     reasons: list[str]) -> Expectation:
    if pct is None:
        reasons.append("no main RHK indicator in the SKP: results below expectation" if has_skp
                       else "no SKP set for the period: results below expectation")
        return "below"
    rating = rules.results.rate(pct)
    reasons.append(f"SKP achievement {pct:.1f}% -> results {rating}")
    return rating


def _derived_behaviour(behaviour: Behaviour | None, rules: PredicateRules,
                       reasons: list[str]) -> Expectation:
    if behaviour is None:
        reasons.append("no 360 ratings: behaviour below expectation")
        return "below"
    rating = rules.behaviour.rate(behaviour.score)
    reasons.append(f"360 score {behaviour.score:.1f} -> behaviour {rating}")
    return rating


def _decision_reasons(decision: RaterDecision | None, results: Rated,
                      behaviour: Rated) -> list[str]:
    if decision is None:
        return ["ratings not yet confirmed by the rater"]
    changed = [f"{name} set to {rated.override} (derived {rated.derived})"
               for name, rated in (("results", results), ("behaviour", behaviour))
               if rated.override is not None]
    if not changed:
        return ["ratings confirmed by the rater"]
    return [f"rater override: {'; '.join(changed)}: {decision.reason}"]


def _objection_reasons(results: Rated, behaviour: Rated) -> list[str]:
    changed = [f"{name} set to {rated.objection}"
               for name, rated in (("results", results), ("behaviour", behaviour))
               if rated.objection is not None]
    return [f"objection decision: {'; '.join(changed)}"] if changed else []


def ratings_document(appraised: Appraisal2022, decision: RaterDecision | None) -> (
    Mapping[str, Any]
):
    """What an eligibility row shows of the ratings (JSON)."""
    return {
        "results": _rated(appraised.results), "behaviour": _rated(appraised.behaviour),
        "confirmed_by": decision.rater_nip if decision else None,
        "acting_for": decision.acting_for if decision else None,
        "override_reason": decision.reason if decision else None,
    }


def _rated(rated: Rated) -> dict[str, str | None]:
    """A rating as shown; ``objection`` only when an upheld objection set it, so the rows
    of months without one read (and checksum) as before."""
    shown: dict[str, str | None] = {"derived": rated.derived, "override": rated.override,
                                    "final": rated.final}
    if rated.objection is not None:
        shown["objection"] = rated.objection
    return shown
