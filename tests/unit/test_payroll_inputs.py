"""What the payroll takes from an eligibility row: the performance percentage of either
regime, and whether an objection holds the payment (figures from the shipped policies)."""

from decimal import Decimal

import pytest

from services.appraisal.domain.payroll_listing import performance_pct, under_objection
from shared.policy import default_policy_path, load_policy

pytestmark = pytest.mark.unit

POLICIES = default_policy_path().parent
RULES_2013 = load_policy(default_policy_path())
RULES_2022 = load_policy(POLICIES / "erk-permenpanrb-2022-2026.1.yaml")


def row_2013(category: str) -> dict[str, object]:
    return {"regime": "2013", "category": category, "predicate": None}


def row_2022(predicate: str) -> dict[str, object]:
    return {"regime": "2022", "category": predicate, "predicate": predicate}


@pytest.mark.parametrize(("category", "activities", "pct"), [
    ("Cukup", 4, Decimal(90)), ("Buruk", 1, Decimal(80)),
    ("Baik", 0, Decimal(65))])  # nothing reported: no_report_allowance_pct, whatever the band
def test_a_2013_row_pays_its_band(category: str, activities: int, pct: Decimal) -> None:
    assert performance_pct(row_2013(category), activities, RULES_2013) == pct


@pytest.mark.parametrize(("predicate", "pct"), [
    ("Butuh Perbaikan", Decimal(90)), ("Kurang", Decimal(85)), ("Sangat Kurang", Decimal(80))])
def test_a_2022_row_pays_its_predicate(predicate: str, pct: Decimal) -> None:
    # the minutes rule is the 2013 regime's: no activities changes nothing under 2022
    assert performance_pct(row_2022(predicate), 0, RULES_2022) == pct
    assert performance_pct(row_2022(predicate), 7, RULES_2022) == pct


def test_only_a_waiting_objection_holds_the_payment() -> None:
    assert under_objection({"objection": "under_objection"})
    assert not under_objection({"objection": "upheld"})
    assert not under_objection({"objection": "rejected"})
    assert not under_objection({"objection": None})


def test_a_fractional_percentage_stays_exact() -> None:
    bands = {**RULES_2013.allowance_pct_by_category, "Cukup": 92.5}
    rules = RULES_2013.model_copy(update={"allowance_pct_by_category": bands})
    assert performance_pct(row_2013("Cukup"), 3, rules) == Decimal("92.5")
