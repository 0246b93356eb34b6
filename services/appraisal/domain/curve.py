"""The distribution curve (kurva distribusi, PermenPANRB 6/2022): a unit's organisational
predicate bounds how its staff predicates may spread. Which units exceed which band, and by
how many people.

A band "at most p %" of n staff allows floor(p x n / 100) people; "at least p %" needs
ceil(p x n / 100). Exact arithmetic (``Fraction``): 70 % of 10 is 7, not 7.000...1.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from shared.performance_policy import CurveBand, PredicateRules

Outcome = Literal["passed", "warned", "blocked"]


@dataclass(frozen=True)
class Breach:
    unit: str
    organisational_predicate: str
    predicates: tuple[str, ...]
    bound: Literal["at_most", "at_least"]
    limit_pct: float
    staff: int
    count: int
    limit_people: int
    by: int
    """People over an upper bound, or missing to reach a lower one."""


def limit_people(band: CurveBand, staff: int) -> int:
    if band.at_most_pct is not None:
        return math.floor(Fraction(str(band.at_most_pct)) * staff / 100)
    assert band.at_least_pct is not None  # a band has exactly one bound
    return math.ceil(Fraction(str(band.at_least_pct)) * staff / 100)


def check_unit(unit: str, organisational: str, staff_predicates: Mapping[str, int],
               rules: PredicateRules) -> list[Breach]:
    """The bands of ``organisational``'s curve that the unit's staff (predicate -> people)
    breaches; an organisational predicate with no curve has no band to breach."""
    staff = sum(staff_predicates.values())
    breaches = []
    for band in rules.curve.get(organisational, []):
        count = sum(staff_predicates.get(p, 0) for p in band.predicates)
        limit = limit_people(band, staff)
        upper = band.at_most_pct is not None
        by = count - limit if upper else limit - count
        if by > 0:
            breaches.append(Breach(
                unit, organisational, tuple(band.predicates), "at_most" if upper else "at_least",
                band.at_most_pct if upper else band.at_least_pct,  # type: ignore[arg-type]
                staff, count, limit, by))
    return breaches


def outcome(breaches: list[Breach], rules: PredicateRules) -> Outcome:
    if not breaches:
        return "passed"
    return "blocked" if rules.curve_breach == "block" else "warned"
