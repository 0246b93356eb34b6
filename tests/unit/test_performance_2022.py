"""The PermenPANRB 6/2022 regime in the domain: every cell of the predicate matrix, the
threshold boundaries (value before / of / after), the SKP achievement and the rater's
override, with figures computed by hand."""

from fractions import Fraction
from typing import Any

import pytest
from pydantic import ValidationError

from services.appraisal.domain.performance import (
    Rated,
    RaterDecision,
    achievement,
    appraise,
    ratings_document,
)
from services.appraisal.domain.scoring import Behaviour
from shared.performance_policy import PredicateRules, Thresholds

RULES = PredicateRules()
BOSS = "196804111993031009"


@pytest.mark.parametrize(("results", "behaviour", "predicate"), [
    # DOMAIN.md's table, row by row (rows = results, columns = behaviour)
    ("above", "above", "Sangat Baik"),
    ("above", "as_expected", "Baik"),
    ("above", "below", "Kurang"),
    ("as_expected", "above", "Baik"),
    ("as_expected", "as_expected", "Baik"),
    ("as_expected", "below", "Kurang"),
    ("below", "above", "Butuh Perbaikan"),
    ("below", "as_expected", "Butuh Perbaikan"),
    ("below", "below", "Sangat Kurang"),
])
def test_every_cell_of_the_default_matrix(results: Any, behaviour: Any, predicate: str) -> None:
    assert RULES.predicate(results, behaviour) == predicate


def test_a_policy_matrix_replaces_the_default_cell_by_cell() -> None:
    matrix = {row: dict(cells) for row, cells in RULES.matrix.items()}
    matrix["below"]["above"] = "Kurang"
    assert PredicateRules(matrix=matrix).predicate("below", "above") == "Kurang"
    assert PredicateRules(matrix=matrix).predicate("below", "as_expected") == "Butuh Perbaikan"


@pytest.mark.parametrize(("figure", "rating"), [
    (99.9, "below"), (100.0, "as_expected"), (100.1, "as_expected"),
    (109.9, "as_expected"), (110.0, "above"), (110.1, "above"), (0.0, "below")])
def test_results_thresholds_before_of_after(figure: float, rating: str) -> None:
    assert RULES.results.rate(figure) == rating


@pytest.mark.parametrize(("figure", "rating"), [
    (75.9, "below"), (76.0, "as_expected"), (76.1, "as_expected"),
    (90.9, "as_expected"), (91.0, "above"), (91.1, "above")])
def test_behaviour_thresholds_before_of_after(figure: float, rating: str) -> None:
    assert RULES.behaviour.rate(figure) == rating


def test_thresholds_must_ascend_and_the_matrix_be_complete() -> None:
    with pytest.raises(ValidationError, match="above_from must exceed"):
        Thresholds(as_expected_from=90, above_from=90)
    short = {row: dict(cells) for row, cells in RULES.matrix.items()}
    del short["above"]["below"]
    with pytest.raises(ValidationError, match="row above needs exactly the columns"):
        PredicateRules(matrix=short)
    missing_row = {row: cells for row, cells in RULES.matrix.items() if row != "below"}
    with pytest.raises(ValidationError, match="row below needs exactly the columns"):
        PredicateRules(matrix=missing_row)
    unpaid = {row: dict(cells) for row, cells in RULES.matrix.items()}
    unpaid["above"]["above"] = "Istimewa"
    with pytest.raises(ValidationError, match="allowance_pct_by_predicate: missing Istimewa"):
        PredicateRules(matrix=unpaid)
    with pytest.raises(ValidationError, match=r"percentages must be 0\.\.100"):
        PredicateRules(allowance_pct_by_predicate={**RULES.allowance_pct_by_predicate,
                                                   "Baik": 100.5})
    with pytest.raises(ValidationError, match=r"percentages must be 0\.\.100"):
        PredicateRules(allowance_pct_by_predicate={**RULES.allowance_pct_by_predicate,
                                                   "Kurang": -1})
    assert PredicateRules(allowance_pct_by_predicate={**RULES.allowance_pct_by_predicate,
                                                      "Kurang": 0}).predicate(
        "above", "below") == "Kurang"


def skp(*results: tuple[str, str, list[tuple[str, float]]]) -> dict[str, Any]:
    return {"results": [{"rhk_id": rhk, "kind": kind,
                         "indicators": [{"indicator_id": i, "target": t} for i, t in inds]}
                        for rhk, kind, inds in results]}


def real(rhk: str, indicator: str, value: float, status: str, position: int) -> dict[str, Any]:
    return {"rhk_id": rhk, "indicator_id": indicator, "value": value, "status": status,
            "position": position}


SKP = skp(("A", "main", [("a1", 10), ("a2", 4)]), ("B", "main", [("b1", 5)]),
          ("C", "additional", [("c1", 1)]))
REALISED = [
    real("A", "a1", 8, "approved", 3), real("A", "a1", 5, "approved", 1),  # latest: 8
    real("A", "a1", 10, "pending", 4), real("A", "a1", 12, "rejected", 5),
    real("A", "a2", 6, "approved", 2),   # 150% capped at 120
    real("C", "c1", 50, "approved", 6),  # additional: not counted
]


def test_achievement_is_the_mean_of_capped_main_indicators() -> None:
    # a1 8/10 = 80, a2 6/4 = 150 -> 120, b1 nothing = 0: (80 + 120 + 0) / 3
    assert achievement(SKP, REALISED, 120) == Fraction(200, 3)
    assert achievement(SKP, REALISED, 150) == Fraction(230, 3)
    assert achievement(None, REALISED, 120) is None
    assert achievement(skp(("C", "additional", [("c1", 1)])), REALISED, 120) is None


def test_the_latest_approved_report_counts_whatever_the_list_order() -> None:
    one = skp(("A", "main", [("a1", 10)]))
    assert achievement(one, list(reversed(REALISED)), 120) == 80
    assert achievement(one, [real("A", "a1", 9, "approved", 7), *REALISED], 120) == 90


def behaviour(score: float) -> Behaviour:
    return Behaviour(score=score, exact_score=Fraction(str(score)), category="-",
                     raters={"superior": 1}, visible_detail={},
                     has_peer_or_subordinate_input=False)


def test_achievement_rated_on_its_rounded_figure() -> None:
    # 1999 of 2000 = 99.95% -> 100.0 half up: as expected; 1998 = 99.9%: below
    target = skp(("A", "main", [("a1", 2000)]))
    at = appraise(target, [real("A", "a1", 1999, "approved", 1)], behaviour(80), None, RULES)
    assert (at.achievement_pct, at.results.final) == (100.0, "as_expected")
    under = appraise(target, [real("A", "a1", 1998, "approved", 1)], behaviour(80), None, RULES)
    assert (under.achievement_pct, under.results.final, under.predicate) == (
        99.9, "below", "Butuh Perbaikan")


def test_derived_ratings_and_predicate_with_their_reasons() -> None:
    found = appraise(SKP, REALISED, behaviour(91.0), None, RULES)
    assert (found.achievement_pct, found.results, found.behaviour, found.predicate) == (
        66.7, Rated("below", None), Rated("above", None), "Butuh Perbaikan")
    assert found.reasons == (
        "SKP achievement 66.7% -> results below",
        "360 score 91.0 -> behaviour above",
        "ratings not yet confirmed by the rater",
        "results below, behaviour above -> predicate Butuh Perbaikan")


def test_missing_skp_and_360_are_rated_below() -> None:
    found = appraise(None, [], None, None, RULES)
    assert (found.achievement_pct, found.predicate) == (None, "Sangat Kurang")
    assert found.reasons[:2] == ("no SKP set for the period: results below expectation",
                                 "no 360 ratings: behaviour below expectation")
    empty = appraise(skp(("C", "additional", [("c1", 1)])), [], behaviour(80), None, RULES)
    assert empty.reasons[0] == "no main RHK indicator in the SKP: results below expectation"
    assert empty.predicate == "Butuh Perbaikan"


def test_the_rater_confirms_or_overrides_with_a_reason() -> None:
    confirmed = RaterDecision(BOSS, None, None, None)
    kept = appraise(SKP, REALISED, behaviour(80), confirmed, RULES)
    assert (kept.predicate, kept.reasons[2]) == ("Butuh Perbaikan",
                                                 "ratings confirmed by the rater")
    raised = RaterDecision(BOSS, "as_expected", None, "field work not in the SKP", BOSS)
    over = appraise(SKP, REALISED, behaviour(80), raised, RULES)
    assert (over.results, over.behaviour.final, over.predicate) == (
        Rated("below", "as_expected"), "as_expected", "Baik")
    assert over.reasons[2] == ("rater override: results set to as_expected (derived below): "
                               "field work not in the SKP")
    both = RaterDecision(BOSS, "above", "below", "why")
    twice = appraise(SKP, REALISED, behaviour(80), both, RULES)
    assert twice.predicate == "Kurang"
    assert twice.reasons[2] == ("rater override: results set to above (derived below); "
                                "behaviour set to below (derived as_expected): why")
    assert ratings_document(twice, both) == {
        "results": {"derived": "below", "override": "above", "final": "above"},
        "behaviour": {"derived": "as_expected", "override": "below", "final": "below"},
        "confirmed_by": BOSS, "acting_for": None, "override_reason": "why"}
    assert ratings_document(kept, None)["confirmed_by"] is None
    acting = RaterDecision(BOSS, None, None, None, "197512312000121003")
    assert ratings_document(kept, acting)["acting_for"] == "197512312000121003"
    assert ratings_document(kept, None)["acting_for"] is None
