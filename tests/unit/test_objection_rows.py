"""What an objection does to an eligibility row, figures computed by hand. The month: 4,200
of 6,000 minutes (70.0 %), one superior's 360 of 80, a CPNS (80 % of the allowance):
0.7 x 70 + 0.3 x 80 = 73.0, Cukup, 90 % x 0.8 = 72.0 (test_eligibility_rows)."""

from datetime import date
from typing import Any

import pytest

from services.appraisal.domain.eligibility import compute_rows
from services.appraisal.domain.objection_result import payable, upheld_ratings
from services.appraisal.domain.performance import ObjectionRatings
from shared import policy as policy_module
from tests.unit.test_eligibility_rows import STAFF, inputs

pytestmark = pytest.mark.unit
KEY = (STAFF, "2026-02")


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(policy_module, "_PARSED", {})


def objection(status: str, **decided: Any) -> dict[str, Any]:
    return {"status": status, "filed_on": date(2026, 3, 12), "decided_on": date(2026, 3, 20),
            "approved_minutes": None, "behaviour_score": None, "results_rating": None,
            "behaviour_rating": None, **decided}


def row_with(found: dict[str, Any] | None, **changes: Any) -> dict[str, Any]:
    (row,) = compute_rows(inputs(objections={KEY: found} if found else {}, **changes), [KEY])
    return row


def figures(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row["approved_minutes"], row["behaviour_score"], row["score"], row["category"],
            row["allowance_pct"], row["state"], row["objection"], row["payable"])


def test_under_objection_keeps_the_figures_and_is_not_payable() -> None:
    row = row_with(objection("under_objection"))
    assert figures(row) == (4200, 80.0, 73.0, "Cukup", 72.0, "final", "under_objection", False)
    assert row["reasons"][-1] == "under objection since 2026-03-12: not payable until decided"


def test_upheld_minutes_are_scored_again() -> None:
    # 5,400 of 6,000 = 90.0 %; 0.7 x 90 + 0.3 x 80 = 87.0, Baik, 100 % x 0.8 = 80.0
    row = row_with(objection("upheld", approved_minutes=5400))
    assert figures(row) == (5400, 80.0, 87.0, "Baik", 80.0, "final", "upheld", True)
    assert row["reasons"][0] == "approved 5,400 of 6,000 minutes (90.0%)"
    assert row["reasons"][-1] == "result set by the objection decision of 2026-03-20 (upheld)"


def test_an_upheld_360_score_keeps_who_rated() -> None:
    # 0.7 x 70 + 0.3 x 95 = 49 + 28.5 = 77.5, Baik, 80.0
    row = row_with(objection("upheld", behaviour_score=95.0))
    assert figures(row) == (4200, 95.0, 77.5, "Baik", 80.0, "final", "upheld", True)
    assert row["reasons"][1] == "360 score 95.0 (Sangat Baik) from 1 superior"


def test_an_upheld_360_score_with_peers_keeps_their_weights() -> None:
    peer = {"rater_nip": "198001010000001001", "relation": "peer",
            "scores": dict.fromkeys(["integritas", "pelayanan", "komitmen", "disiplin",
                                     "kerja_sama"], 50)}
    boss = {"rater_nip": "196804111993031009", "relation": "superior",
            "scores": dict.fromkeys(["integritas", "pelayanan", "komitmen", "disiplin",
                                     "kerja_sama"], 80)}
    # peers rated: weights 60/40; 0.6 x 70 + 0.4 x 90 = 42 + 36 = 78.0, Baik, 80.0
    row = row_with(objection("upheld", behaviour_score=90.0),
                   reviews={KEY: [boss, peer]})
    assert (row["score"], row["reasons"][1], row["reasons"][2]) == (
        78.0, "360 score 90.0 (Baik) from 1 superior, 1 peer",
        "weights 60/40 (results/behaviour) because peers or subordinates rated")


def test_an_upheld_360_score_without_any_rating_counts_the_decider_as_superior() -> None:
    # no 360 at all: 70/30; 0.7 x 70 + 0.3 x 90 = 49 + 27 = 76.0, Baik, 80.0
    row = row_with(objection("upheld", behaviour_score=90.0), reviews={})
    assert figures(row) == (4200, 90.0, 76.0, "Baik", 80.0, "final", "upheld", True)
    assert row["reasons"][1] == "360 score 90.0 (Baik) from 1 superior"  # 76-90: Baik


def test_a_rejected_objection_leaves_the_result() -> None:
    row = row_with(objection("rejected", approved_minutes=5400))  # figures ignored
    assert figures(row) == (4200, 80.0, 73.0, "Cukup", 72.0, "final", "rejected", True)
    assert row["reasons"][-1] == "objection rejected on 2026-03-20: the result stands"


def test_only_final_rows_without_a_pending_objection_are_payable() -> None:
    assert payable("final", None)
    assert payable("final", {"status": "upheld"})
    assert payable("final", {"status": "rejected"})
    assert not payable("final", {"status": "under_objection"})
    assert not payable("provisional", None)


def test_an_upheld_objection_decides_either_rating_or_both_or_none() -> None:
    assert upheld_ratings(None) is None
    assert upheld_ratings(objection("rejected", results_rating="above")) is None
    assert upheld_ratings(objection("upheld")) is None
    assert upheld_ratings(objection("upheld", results_rating="above")) == ObjectionRatings(
        "above", None)
    assert upheld_ratings(objection("upheld", behaviour_rating="below")) == ObjectionRatings(
        None, "below")
    assert upheld_ratings(objection("upheld", results_rating="as_expected",
                                    behaviour_rating="below")) == ObjectionRatings(
        "as_expected", "below")
