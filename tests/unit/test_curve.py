"""The distribution curve: DOMAIN.md's bands as the default, boundaries of an upper and a
lower band (people before / of / after the limit), several breaches of one unit, and the
policy's warn-or-block, with figures computed by hand."""

import pytest
from pydantic import ValidationError

from services.appraisal.domain.curve import Breach, check_unit, limit_people, outcome
from shared.performance_policy import CurveBand, PredicateRules

RULES = PredicateRules()


def test_the_default_curve_is_domains() -> None:
    assert {org: [(b.predicates, b.at_most_pct, b.at_least_pct) for b in bands]
            for org, bands in RULES.curve.items()} == {
        "Istimewa": [(["Sangat Baik"], 70, None)],
        "Baik": [(["Baik"], 70, None)],
        "Butuh Perbaikan": [(["Butuh Perbaikan"], None, 60), (["Sangat Baik"], 10, None)],
        "Kurang": [(["Kurang"], None, 60), (["Butuh Perbaikan"], None, 10),
                   (["Sangat Baik"], 10, None)],
        "Sangat Kurang": [(["Sangat Kurang"], None, 60),
                          (["Kurang", "Butuh Perbaikan"], None, 10),
                          (["Sangat Baik"], 0, None)]}
    assert RULES.curve_breach == "warn"


@pytest.mark.parametrize(("pct", "staff", "at_most", "at_least"), [
    (70, 10, 7, 7), (70, 9, 6, 7), (60, 12, 7, 8), (10, 12, 1, 2), (0, 5, 0, 0),
    (10, 10, 1, 1), (100, 3, 3, 3), (50, 202, 101, 101)])
def test_people_allowed_and_needed(pct: float, staff: int, at_most: int, at_least: int) -> None:
    assert limit_people(CurveBand(predicates=["Baik"], at_most_pct=pct), staff) == at_most
    assert limit_people(CurveBand(predicates=["Baik"], at_least_pct=pct), staff) == at_least


@pytest.mark.parametrize(("baik", "by"), [(6, 0), (7, 0), (8, 1), (10, 3)])
def test_an_upper_band_before_of_after_its_limit(baik: int, by: int) -> None:
    # a Baik unit of 10: at most 70 % Baik = 7 people
    found = check_unit("U1", "Baik", {"Baik": baik, "Kurang": 10 - baik}, RULES)
    assert [b.by for b in found] == ([by] if by else [])


@pytest.mark.parametrize(("kurang", "by"), [(5, 1), (6, 0), (7, 0)])
def test_a_lower_band_before_of_after_its_limit(kurang: int, by: int) -> None:
    # a Butuh Perbaikan unit of 10 needs at least 60 % Butuh Perbaikan = 6 people
    found = check_unit("U1", "Butuh Perbaikan",
                       {"Butuh Perbaikan": kurang, "Baik": 10 - kurang}, RULES)
    assert [b.by for b in found] == ([by] if by else [])


def test_every_band_a_unit_breaches_with_its_figures() -> None:
    # a Kurang unit of 12: Kurang 6 (needs ceil 7.2 = 8: 2 short), Butuh Perbaikan 1 (needs
    # ceil 1.2 = 2: 1 short), Sangat Baik 2 (allows floor 1.2 = 1: 1 over), Baik 3
    staff = {"Kurang": 6, "Butuh Perbaikan": 1, "Sangat Baik": 2, "Baik": 3}
    assert check_unit("UPT-2", "Kurang", staff, RULES) == [
        Breach("UPT-2", "Kurang", ("Kurang",), "at_least", 60, 12, 6, 8, 2),
        Breach("UPT-2", "Kurang", ("Butuh Perbaikan",), "at_least", 10, 12, 1, 2, 1),
        Breach("UPT-2", "Kurang", ("Sangat Baik",), "at_most", 10, 12, 2, 1, 1)]
    # a band of two predicates counts both: 1 Kurang + 1 Butuh Perbaikan of 10 reach 10 %
    low = {"Sangat Kurang": 6, "Kurang": 1, "Butuh Perbaikan": 1, "Baik": 2}
    assert check_unit("UPT-3", "Sangat Kurang", low, RULES) == []
    assert check_unit("UPT-3", "Sangat Kurang", {**low, "Sangat Baik": 1}, RULES)[0].by == 1
    assert check_unit("UPT-4", "Unknown", staff, RULES) == []


def test_warn_or_block_is_policy() -> None:
    breach = check_unit("U", "Baik", {"Baik": 8, "Kurang": 2}, RULES)
    assert outcome([], RULES) == "passed"
    assert outcome(breach, RULES) == "warned"
    assert outcome(breach, PredicateRules(curve_breach="block")) == "blocked"


def test_a_band_has_one_bound_and_known_predicates() -> None:
    with pytest.raises(ValidationError, match="exactly one of"):
        CurveBand(predicates=["Baik"])
    with pytest.raises(ValidationError, match="exactly one of"):
        CurveBand(predicates=["Baik"], at_most_pct=10, at_least_pct=5)
    with pytest.raises(ValidationError, match="no cell of the matrix gives Istimewa"):
        PredicateRules(curve={"Baik": [CurveBand(predicates=["Istimewa"], at_most_pct=5)]})
