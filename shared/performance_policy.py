"""The PermenPANRB 6/2022 part of a policy: thresholds that rate results and behaviour, the
predicate matrix, and the allowance per predicate.

Every default is DOMAIN.md's ("Current national rules: PermenPANRB 6/2022") or a named
project choice; docs/performance-2022.md says which are unconfirmed.
"""

from typing import Literal, Self

from pydantic import BaseModel, Field, model_validator

from shared.events import Expectation
from shared.strict import STRICT_INPUT

EXPECTATIONS: tuple[Expectation, ...] = ("below", "as_expected", "above")
Regime = Literal["2013", "2022"]
"""Which rules turn the month into eligibility: Perka BKN 1/2013 score bands, or the
PermenPANRB 6/2022 ratings and predicate."""


def _default_matrix() -> dict[Expectation, dict[Expectation, str]]:
    """DOMAIN.md's table, rows = results, columns = behaviour (official annex unconfirmed)."""
    return {
        "above": {"above": "Sangat Baik", "as_expected": "Baik", "below": "Kurang"},
        "as_expected": {"above": "Baik", "as_expected": "Baik", "below": "Kurang"},
        "below": {"above": "Butuh Perbaikan", "as_expected": "Butuh Perbaikan",
                  "below": "Sangat Kurang"},
    }


def _default_allowances() -> dict[str, float]:
    """Project choice (unconfirmed): the 2013 tiers carried over predicate by predicate."""
    return {"Sangat Baik": 100.0, "Baik": 100.0, "Butuh Perbaikan": 90.0, "Kurang": 85.0,
            "Sangat Kurang": 80.0}


class Thresholds(BaseModel):
    """A figure (percent, or a 0..100 score) >= ``above_from`` is above expectation,
    >= ``as_expected_from`` as expected, below that below. Decided on the rounded figure."""

    model_config = STRICT_INPUT

    as_expected_from: float = Field(ge=0, description="Lowest figure rated as expected.")
    above_from: float = Field(ge=0, description="Lowest figure rated above expectation.")

    @model_validator(mode="after")
    def _ascending(self) -> Self:
        if self.above_from <= self.as_expected_from:
            raise ValueError("above_from must exceed as_expected_from")
        return self

    def rate(self, figure: float) -> Expectation:
        if figure >= self.above_from:
            return "above"
        if figure >= self.as_expected_from:
            return "as_expected"
        return "below"


class CurveBand(BaseModel):
    """One band of a distribution curve: at most or at least this share of a unit's staff
    may have (one of) these predicates."""

    model_config = STRICT_INPUT

    predicates: list[str] = Field(min_length=1, description="Staff predicates counted.")
    at_most_pct: float | None = Field(None, ge=0, le=100, description="Upper bound, %.")
    at_least_pct: float | None = Field(None, ge=0, le=100, description="Lower bound, %.")

    @model_validator(mode="after")
    def _one_bound(self) -> Self:
        if (self.at_most_pct is None) == (self.at_least_pct is None):
            raise ValueError("a curve band has exactly one of at_most_pct and at_least_pct")
        return self


def _band(bound: str, pct: float, *predicates: str) -> CurveBand:
    return CurveBand.model_validate({"predicates": list(predicates), f"{bound}_pct": pct})


def _default_curve() -> dict[str, list[CurveBand]]:
    """DOMAIN.md's secondary sources (kurva distribusi), by the unit's own organisational
    predicate. "Baik: ... and some Butuh Perbaikan/Kurang" names no figure: left out."""
    return {
        "Istimewa": [_band("at_most", 70, "Sangat Baik")],
        "Baik": [_band("at_most", 70, "Baik")],
        "Butuh Perbaikan": [_band("at_least", 60, "Butuh Perbaikan"),
                            _band("at_most", 10, "Sangat Baik")],
        "Kurang": [_band("at_least", 60, "Kurang"), _band("at_least", 10, "Butuh Perbaikan"),
                   _band("at_most", 10, "Sangat Baik")],
        "Sangat Kurang": [_band("at_least", 60, "Sangat Kurang"),
                          _band("at_least", 10, "Kurang", "Butuh Perbaikan"),
                          _band("at_most", 0, "Sangat Baik")],
    }


class PredicateRules(BaseModel):
    """How a 2022 policy rates a month and pays for the predicate."""

    model_config = STRICT_INPUT

    results: Thresholds = Field(
        default_factory=lambda: Thresholds(as_expected_from=100, above_from=110),
        description="On the SKP achievement: validated realisation / target x 100, the "
        "mean over the main RHKs' indicators, each capped at indicator_cap_pct.")
    behaviour: Thresholds = Field(
        default_factory=lambda: Thresholds(as_expected_from=76, above_from=91),
        description="On the 360 (BerAKHLAK) weighted score, 0..100.")
    indicator_cap_pct: float = Field(
        120, gt=0, description="Cap on one indicator's achievement before the mean, so one "
        "overshoot does not hide a shortfall elsewhere.")
    matrix: dict[Expectation, dict[Expectation, str]] = Field(
        default_factory=_default_matrix,
        description="Predicate by results rating (rows) and behaviour rating (columns).")
    allowance_pct_by_predicate: dict[str, float] = Field(
        default_factory=_default_allowances, description="Allowance percentage per predicate.")
    curve: dict[str, list[CurveBand]] = Field(
        default_factory=_default_curve,
        description="Distribution curve: bands of staff predicates by the unit's "
        "organisational predicate.")
    curve_breach: Literal["warn", "block"] = Field(
        "warn", description="Whether a unit beyond its curve only warns, or blocks the close.")

    @model_validator(mode="after")
    def _complete(self) -> Self:
        for results in EXPECTATIONS:  # keys are Expectations: no unknown row gets here
            row = self.matrix.get(results)
            if row is None or set(row) != set(EXPECTATIONS):
                raise ValueError(f"matrix: row {results} needs exactly the columns "
                                 f"{', '.join(EXPECTATIONS)}")
        named = {predicate for row in self.matrix.values() for predicate in row.values()}
        missing = sorted(named - set(self.allowance_pct_by_predicate))
        if missing:
            raise ValueError(f"allowance_pct_by_predicate: missing {', '.join(missing)}")
        if any(not 0 <= pct <= 100 for pct in self.allowance_pct_by_predicate.values()):
            raise ValueError("allowance_pct_by_predicate: percentages must be 0..100")
        banded = {p for bands in self.curve.values() for band in bands for p in band.predicates}
        unknown = sorted(banded - named)
        if unknown:
            raise ValueError(f"curve: no cell of the matrix gives {', '.join(unknown)}")
        return self

    def predicate(self, results: Expectation, behaviour: Expectation) -> str:
        return self.matrix[results][behaviour]
