"""Eligibility rows from projected figures: which policy governs a period (a closed one keeps
the policy it closed under), and one row per employee-month, figures computed by hand."""

from datetime import date
from typing import Any

import pytest

from services.appraisal.domain.eligibility import Inputs, compute_rows, parsed_policy
from services.appraisal.domain.pace import pace_of
from shared import policy as policy_module
from shared.policy import Policy

STAFF, BOSS, NOBODY = "199001012015032001", "196804111993031009", "197512312000121003"


def policy_row(version: str, effective_from: str, position: int, **changes: Any) -> dict[str, Any]:
    document = Policy(version=version, effective_from=effective_from, **changes).model_dump(
        mode="json")
    return {"version": version, "document": document, "effective_from": effective_from,
            "position": position}


ASPECTS = ["integritas", "pelayanan", "komitmen", "disiplin", "kerja_sama"]
POLICIES = [policy_row("unit-elig-a", "2026-01", 5),
            policy_row("unit-elig-b", "2026-03", 20, monthly_minute_target=5000),
            policy_row("unit-elig-c", "2026-02", 30)]


def inputs(**changes: Any) -> Inputs:
    fields: dict[str, Any] = {
        "employees": {STAFF: {"unit": "BKPSDM", "structural": False,
                              "employment_type": "CPNS"}},
        "months": {(STAFF, "2026-02"): {"approved_minutes": 4200, "activities": 5}},
        "reviews": {(STAFF, "2026-02"): [{"rater_nip": BOSS, "relation": "superior",
                                          "scores": dict.fromkeys(ASPECTS, 80)}]},
        "policies": POLICIES, "closed": {"2026-02": 25}}
    return Inputs(**{**fields, **changes})


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(policy_module, "_PARSED", {})


def test_the_governing_policy() -> None:
    closed = inputs()
    assert closed.policy_for("2025-12") is None
    # February closed at position 25: policy c (published at 30) came too late for it
    assert closed.policy_for("2026-02").version == "unit-elig-a"
    # the latest effective one, not the latest published: b (March) over c (February)
    assert closed.policy_for("2026-04").version == "unit-elig-b"
    assert inputs(closed={}).policy_for("2026-02").version == "unit-elig-c"
    later = [*POLICIES, policy_row("unit-elig-d", "2026-03", 40)]
    assert inputs(policies=later).policy_for("2026-03").version == "unit-elig-d"


def test_a_policy_version_is_parsed_once() -> None:
    row = POLICIES[1]
    parsed = parsed_policy(row["version"], row["document"])
    assert (parsed.version, parsed.monthly_minute_target) == ("unit-elig-b", 5000)
    assert parsed_policy(row["version"], row["document"]) is parsed
    assert inputs().policy_for("2026-03") is parsed


def test_each_rater_counts_and_leadership_counts_for_structural_officials() -> None:
    peers = [{"rater_nip": f"19800101000000{i}1001", "relation": "peer",
              "scores": {**dict.fromkeys(ASPECTS, 60), "kepemimpinan": 90}} for i in range(3)]
    boss = {"rater_nip": BOSS, "relation": "superior",
            "scores": {**dict.fromkeys(ASPECTS, 80), "kepemimpinan": 20}}
    employees = {STAFF: {"unit": "BKPSDM", "structural": True, "employment_type": "PNS"}}
    (row,) = compute_rows(inputs(employees=employees, reviews={(STAFF, "2026-02"): [
        boss, *peers]}), [(STAFF, "2026-02")])
    # superior (5 x 80 + 20) / 6 = 70; peers (5 x 60 + 90) / 6 = 65; 2/3 x 70 + 1/3 x 65
    assert row["behaviour_score"] == 68.3
    assert row["reasons"][1] == "360 score 68.3 (Cukup) from 1 superior, 3 peers"


def test_one_row_per_employee_month_with_a_policy() -> None:
    keys = [(STAFF, "2026-02"), (NOBODY, "2026-02"), (STAFF, "2025-12"), (STAFF, "2026-03")]
    february, march = compute_rows(inputs(), keys)
    # 4,200 of 6,000 = 70.0 %; superior alone 80: 0.7 x 70 + 0.3 x 80 = 73.0, Cukup, 90 %;
    # CPNS get 80 % of it: 72.0
    assert february == {
        "nip": STAFF, "period": "2026-02", "unit": "BKPSDM", "policy_version": "unit-elig-a",
        "approved_minutes": 4200, "target_minutes": 6000, "results_pct": 70.0,
        "behaviour_score": 80.0, "score": 73.0, "category": "Cukup", "allowance_pct": 72.0,
        "state": "final",
        "reasons": ["approved 4,200 of 6,000 minutes (70.0%)",
                    "360 score 80.0 (Baik) from 1 superior",
                    "weights 70/30 (results/behaviour) because only the superior rated",
                    "score 73.0", "category Cukup -> allowance 90%",
                    "CPNS: 80% of the allowance", "final: the period is closed"],
        "objection": None, "payable": True}
    # March: no figures at all, under policy b (target 5,000): nothing reported -> 65 % x 0.8
    assert (march["policy_version"], march["target_minutes"], march["approved_minutes"],
            march["score"], march["category"], march["allowance_pct"], march["state"]) == (
        "unit-elig-b", 5000, 0, 0.0, "Buruk", 52.0, "provisional")
    assert march["behaviour_score"] is None
    assert (march["objection"], march["payable"]) == (None, False)  # provisional: not yet


def test_pace_of_an_employee_month_from_its_figures() -> None:
    peers = [{"rater_nip": f"19800101000000{i}1001", "relation": "peer",
              "scores": dict.fromkeys([*ASPECTS, "kepemimpinan"], 90)} for i in range(3)]
    boss = {"rater_nip": BOSS, "relation": "superior",
            "scores": {**dict.fromkeys(ASPECTS, 80), "kepemimpinan": 20}}
    employees = {STAFF: {"unit": "BKPSDM", "structural": True, "employment_type": "PNS"},
                 NOBODY: {"unit": "BKPSDM", "structural": False, "employment_type": "PNS"}}
    figures = inputs(employees=employees, closed={},
                     months={(STAFF, "2026-03"): {"approved_minutes": 250, "activities": 2}},
                     reviews={(STAFF, "2026-03"): [boss, *peers]})
    monday = date(2026, 3, 2)  # 1 of March's 22 working days: 5,000 x 1 / 22 = 227.3
    found = pace_of(figures, STAFF, "2026-03", monday)
    assert found is not None
    # 250 / 227.27 = 110.0 %, capped at 100 for the score; 360: superior (5 x 80 + 20) / 6
    # = 70, peers 90, 2/3 x 70 + 1/3 x 90 = 76.67; 0.6 x 100 + 0.4 x 76.67 = 90.67 -> 90.7
    assert (found.target_to_date, found.pct_of_target_to_date, found.score_at_pace,
            found.category_at_pace) == (227.3, 110.0, 90.7, "Baik")
    # no figures at all: nothing approved yet
    nothing = pace_of(figures, NOBODY, "2026-03", monday)
    assert nothing is not None
    assert (nothing.pct_of_target_to_date, nothing.score_at_pace) == (0.0, 0.0)
    assert pace_of(inputs(), STAFF, "2026-02", date(2026, 2, 3)) is None  # closed
