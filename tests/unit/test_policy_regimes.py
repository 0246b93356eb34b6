"""Regimes chosen per agency by policy: the shipped 2022 file, the document of a 2013 policy
unchanged, which policy governs a unit, and a 2022 eligibility row computed by hand."""

from datetime import date
from typing import Any

import pytest

from services.appraisal.domain.eligibility import REGIME_2013_DEFAULTS, Inputs, compute_rows
from services.appraisal.domain.pace import pace_of
from services.appraisal.domain.performance import RaterDecision
from services.intake.domain.periods import governing
from shared import policy as policy_module
from shared.policy import Policy, default_policy_path, for_unit, load_policy

STAFF, BOSS, PEER = "199001012015032001", "196804111993031009", "197512312000121003"
BERAKHLAK = ["berorientasi_pelayanan", "akuntabel", "kompeten", "harmonis", "loyal",
             "adaptif", "kolaboratif"]


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(policy_module, "_PARSED", {})


def test_the_shipped_2022_policy_states_domain_defaults() -> None:
    shipped = SHIPPED_2022
    assert (shipped.regime, shipped.agencies) == ("2022", [])
    rules = shipped.rules_2022
    assert (rules.results.as_expected_from, rules.results.above_from) == (100, 110)
    assert (rules.behaviour.as_expected_from, rules.behaviour.above_from) == (76, 91)
    assert rules.predicate("as_expected", "below") == "Kurang"
    assert rules.allowance_pct_by_predicate["Butuh Perbaikan"] == 90
    assert [i.name for i in shipped.indicators] == BERAKHLAK


def test_a_2013_policy_for_every_unit_dumps_as_before_regimes() -> None:
    document = Policy(version="v", effective_from="2026-01").model_dump(mode="json")
    assert {"regime", "agencies", "predicate"}.isdisjoint(document)
    scoped = Policy(version="v", effective_from="2026-01", regime="2022", agencies=["A"])
    dumped = scoped.model_dump(mode="json")
    assert (dumped["regime"], dumped["agencies"], "predicate" in dumped) == ("2022", ["A"], False)
    assert Policy.model_validate(dumped) == scoped
    assert scoped.rules_2022.results.above_from == 110  # DOMAIN defaults when left out


@pytest.mark.parametrize(("unit", "governed"), [
    ("BAPENDA", True), ("BAPENDA-UPT1", True), ("BAPENDA-UPT1-X", True),
    ("BAPENDAX", False), ("BKPSDM", False), ("XBAPENDA", False)])
def test_an_agency_is_a_unit_code_prefix(unit: str, governed: bool) -> None:
    policy = Policy(version="v", effective_from="2026-01", agencies=["BKD", "BAPENDA"])
    assert policy.governs_unit(unit) is governed


NATIONAL = Policy(version="national", effective_from="2026-01")
LATER_NATIONAL = Policy(version="national-2", effective_from="2026-05")
SHIPPED_2022 = load_policy(default_policy_path().parent / "erk-permenpanrb-2022-2026.1.yaml")
AGENCY = Policy.model_validate({**SHIPPED_2022.model_dump(mode="json"), "version": "agency",
                                "effective_from": "2026-03", "agencies": ["BAPENDA"]})


def test_an_agency_policy_wins_over_national_ones_from_its_first_period() -> None:
    published = [NATIONAL, AGENCY, LATER_NATIONAL]
    assert for_unit(published, "BAPENDA-UPT1", lambda p: p) == [AGENCY]
    assert for_unit(published, "BKPSDM", lambda p: p) == [NATIONAL, LATER_NATIONAL]
    assert for_unit(published, None, lambda p: p) == [NATIONAL, LATER_NATIONAL]
    assert governing(published, "2026-02", "BAPENDA-UPT1") is NATIONAL
    assert governing(published, "2026-03", "BAPENDA-UPT1") is AGENCY
    assert governing(published, "2026-06", "BAPENDA-UPT1") is AGENCY
    assert governing(published, "2026-06", "BKPSDM") is LATER_NATIONAL
    assert governing(published, "2026-06") is LATER_NATIONAL  # close days: national


def row(policy: Policy, position: int) -> dict[str, Any]:
    return {"version": policy.version, "document": policy.model_dump(mode="json"),
            "effective_from": policy.effective_from, "position": position}


SKP = {"results": [{"rhk_id": "A", "kind": "main", "indicators": [
    {"indicator_id": "a1", "target": 20}, {"indicator_id": "a2", "target": 100}]}]}


def inputs(**changes: Any) -> Inputs:
    fields: dict[str, Any] = {
        "employees": {STAFF: {"unit": "BAPENDA-UPT1", "structural": False,
                              "employment_type": "CPNS"}},
        "months": {(STAFF, "2026-03"): {"approved_minutes": 4200, "activities": 5}},
        "reviews": {(STAFF, "2026-03"): [
            {"rater_nip": BOSS, "relation": "superior", "scores": dict.fromkeys(BERAKHLAK, 90)},
            {"rater_nip": PEER, "relation": "peer", "scores": dict.fromkeys(BERAKHLAK, 70)}]},
        "policies": [row(NATIONAL, 1), row(AGENCY, 2)], "closed": {},
        "skps": {(STAFF, "2026-03"): SKP},
        "realisations": {(STAFF, "2026-03"): [
            {"rhk_id": "A", "indicator_id": "a1", "value": 22, "status": "approved",
             "position": 5},
            {"rhk_id": "A", "indicator_id": "a2", "value": 100, "status": "approved",
             "position": 6}]}}
    return Inputs(**{**fields, **changes})


def test_a_2022_row_names_regime_ratings_predicate_and_allowance() -> None:
    # a1 22/20 = 110, a2 100/100 = 100: achievement 105.0 -> as expected;
    # 360: superior 90 (weight 50), peer 70 (weight 25): (50*90 + 25*70) / 75 = 83.3 -> as
    # expected; as/as -> Baik -> 100%, CPNS 80% of it -> 80.0
    (found,) = compute_rows(inputs(), [(STAFF, "2026-03")])
    as_expected = {"derived": "as_expected", "override": None, "final": "as_expected"}
    assert found == {
        "nip": STAFF, "period": "2026-03", "unit": "BAPENDA-UPT1", "policy_version": "agency",
        "approved_minutes": 4200, "target_minutes": 6000, "results_pct": 105.0,
        "behaviour_score": 83.3, "score": None, "category": "Baik", "allowance_pct": 80.0,
        "state": "provisional", "regime": "2022", "predicate": "Baik",
        "objection": None, "payable": False,
        "ratings": {"results": as_expected, "behaviour": as_expected, "confirmed_by": None,
                    "acting_for": None, "override_reason": None},
        "reasons": ["SKP achievement 105.0% -> results as_expected",
                    "360 score 83.3 -> behaviour as_expected",
                    "ratings not yet confirmed by the rater",
                    "results as_expected, behaviour as_expected -> predicate Baik",
                    "predicate Baik -> allowance 100%", "CPNS: 80% of the allowance",
                    "provisional: the period is open"]}


def test_a_2022_row_with_a_plan_and_nothing_else() -> None:
    # no realisation, no month figures, no 360: achievement 0.0 -> below; behaviour below
    (found,) = compute_rows(inputs(realisations={}, months={}, reviews={}),
                            [(STAFF, "2026-03")])
    assert (found["approved_minutes"], found["results_pct"], found["behaviour_score"],
            found["predicate"], found["allowance_pct"]) == (0, 0.0, None, "Sangat Kurang",
                                                            64.0)  # 80 % x 0.8


def test_a_2022_row_follows_the_override_and_the_close() -> None:
    decision = RaterDecision(BOSS, None, "above", "mentored two new staff")
    (found,) = compute_rows(inputs(decisions={(STAFF, "2026-03"): decision}, closed={
        "2026-03": 9},
        employees={STAFF: {"unit": "BAPENDA-UPT1", "structural": False,
                           "employment_type": "PNS"}}), [(STAFF, "2026-03")])
    assert (found["predicate"], found["allowance_pct"], found["state"]) == (
        "Baik", 100.0, "final")  # as expected x above = Baik
    assert found["ratings"]["behaviour"] == {"derived": "as_expected", "override": "above",
                                             "final": "above"}
    assert found["ratings"]["override_reason"] == "mentored two new staff"
    assert found["reasons"][-2:] == ["predicate Baik -> allowance 100%",
                                     "final: the period is closed"]


def test_the_same_month_elsewhere_stays_on_the_2013_regime() -> None:
    other = {STAFF: {"unit": "BKPSDM", "structural": False, "employment_type": "PNS"}}
    (found,) = compute_rows(inputs(employees=other), [(STAFF, "2026-03")])
    assert (found["policy_version"], found["category"]) == ("national", "Cukup")
    assert {"regime", "predicate", "ratings"}.isdisjoint(found)
    assert REGIME_2013_DEFAULTS == {"regime": "2013", "predicate": None, "ratings": None}
    (before,) = compute_rows(inputs(), [(STAFF, "2026-02")])
    assert before["policy_version"] == "national"


def test_a_2022_month_has_no_minutes_pace() -> None:
    running = date(2026, 3, 18)
    assert pace_of(inputs(), STAFF, "2026-03", running) is None
    assert pace_of(inputs(), STAFF, "2025-12", date(2025, 12, 10)) is None  # no policy yet
    other = {STAFF: {"unit": "BKPSDM", "structural": False, "employment_type": "PNS"}}
    found = pace_of(inputs(employees=other), STAFF, "2026-03", running)
    assert found is not None and found.category_at_pace is not None


def upheld(**ratings: Any) -> dict[str, Any]:
    return {"status": "upheld", "filed_on": date(2026, 4, 13), "decided_on": date(2026, 4, 20),
            "approved_minutes": None, "behaviour_score": None, "results_rating": None,
            "behaviour_rating": None, **ratings}


def test_an_upheld_objection_sets_the_2022_ratings() -> None:
    # derived as/as (Baik, above); the rater overrode behaviour to below (Kurang); the
    # objection decides results above and behaviour above: the matrix gives Sangat Baik,
    # 100 % x 0.8 (CPNS) = 80.0
    decision = RaterDecision(BOSS, None, "below", "late twice")
    (found,) = compute_rows(inputs(decisions={(STAFF, "2026-03"): decision}, objections={
        (STAFF, "2026-03"): upheld(results_rating="above", behaviour_rating="above")},
        closed={"2026-03": 9}), [(STAFF, "2026-03")])
    assert (found["predicate"], found["category"], found["allowance_pct"], found["objection"],
            found["payable"]) == ("Sangat Baik", "Sangat Baik", 80.0, "upheld", True)
    assert found["ratings"]["results"] == {"derived": "as_expected", "override": None,
                                           "final": "above", "objection": "above"}
    assert found["ratings"]["behaviour"] == {"derived": "as_expected", "override": "below",
                                             "final": "above", "objection": "above"}
    assert ("objection decision: results set to above; behaviour set to above"
            in found["reasons"])
    assert found["reasons"][-1] == "result set by the objection decision of 2026-04-20 (upheld)"


def test_an_upheld_objection_may_set_one_rating_only() -> None:
    # behaviour below (decided) x results as expected (derived) -> Kurang, 85 % x 0.8 = 68.0
    (found,) = compute_rows(inputs(objections={
        (STAFF, "2026-03"): upheld(behaviour_rating="below")}), [(STAFF, "2026-03")])
    assert (found["predicate"], found["allowance_pct"]) == ("Kurang", 68.0)
    assert found["ratings"]["results"] == {"derived": "as_expected", "override": None,
                                           "final": "as_expected"}  # no "objection" key
    rejected = {**upheld(), "status": "rejected"}
    (kept,) = compute_rows(inputs(objections={(STAFF, "2026-03"): rejected}),
                           [(STAFF, "2026-03")])
    assert (kept["predicate"], kept["allowance_pct"], kept["objection"]) == (
        "Baik", 80.0, "rejected")
