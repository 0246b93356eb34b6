"""The allowance policy as data: a versioned document, loaded from YAML.

Defaults and their sources are in DOMAIN.md; the shipped files under ``shared/policies/``
(package data, so an installed wheel has them too; ``deploy/policies`` links there) cite
them number by number.
"""

from collections.abc import Mapping
from datetime import date
from importlib.resources import files
from itertools import pairwise
from pathlib import Path
from typing import Any, Self

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator

from shared.events import EmploymentType, Period, Relation
from shared.strict import STRICT_INPUT

RELATIONS: tuple[Relation, ...] = ("superior", "peer", "subordinate")
EMPLOYMENT_TYPES: tuple[EmploymentType, ...] = ("PNS", "PPPK", "CPNS")
DEFAULT_POLICY_FILE = "erk-default-2026.1.yaml"
# Strict: a policy arrives over HTTP too, and "60" or true is no weight.
_FROZEN = STRICT_INPUT


class PolicyError(ValueError):
    """A policy file that cannot be read or fails validation; names the file and field."""


class Indicator(BaseModel):
    """One 360° behaviour indicator."""

    model_config = _FROZEN

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="Key used in review scores.")
    label: str = Field(min_length=1, description="Human label.")
    structural_only: bool = Field(False, description="Rated only for structural officials.")


class Band(BaseModel):
    """A score band: scores >= min_score (and below the next band) get this category."""

    model_config = _FROZEN

    min_score: float = Field(ge=0, le=100, description="Lowest score in the band.")
    name: str = Field(min_length=1, description="Category name, e.g. 'Baik'.")


def _default_indicators() -> list[Indicator]:
    return [
        Indicator(name="integritas", label="Integritas"),
        Indicator(name="kepemimpinan", label="Kepemimpinan", structural_only=True),
        Indicator(name="pelayanan", label="Orientasi Pelayanan"),
        Indicator(name="komitmen", label="Komitmen"),
        Indicator(name="disiplin", label="Disiplin"),
        Indicator(name="kerja_sama", label="Kerja Sama"),
    ]


def _default_relation_weights() -> dict[Relation, float]:
    return {"superior": 50.0, "peer": 25.0, "subordinate": 25.0}


def _default_min_raters() -> dict[Relation, int]:
    return {"superior": 1, "peer": 3, "subordinate": 3}


def _default_employment_factor() -> dict[EmploymentType, float]:
    return {"PNS": 1.0, "PPPK": 1.0, "CPNS": 0.8}


def _default_bands() -> list[Band]:
    names = [(91, "Sangat Baik"), (76, "Baik"), (61, "Cukup"), (51, "Kurang"), (0, "Buruk")]
    return [Band(min_score=score, name=name) for score, name in names]


class Policy(BaseModel):
    """Everything that turns minutes and 360° ratings into an allowance percentage."""

    model_config = _FROZEN

    version: str = Field(min_length=1, max_length=50, description="Policy version label.")
    effective_from: Period = Field(description="First period (YYYY-MM) the policy governs.")
    monthly_minute_target: int = Field(6000, gt=0, description="Effective minutes a month.")
    performance_cap_pct: float = Field(100, gt=0, description="Cap on the results percentage.")
    min_minutes_per_activity: int = Field(1, ge=1, description="Shortest activity, minutes.")
    max_minutes_per_activity: int = Field(480, ge=1, description="Longest activity, minutes.")
    max_minutes_per_day: int = Field(720, ge=1, description="Plausible daily total, minutes.")
    backdating_days: int = Field(7, ge=0, description="How many days back work may be reported.")
    close_day: int = Field(
        10, ge=1, le=28, description="Day of the next month on which a period locks."
    )
    results_weight: float = Field(
        60, gt=0, description="Results weight (%) when peers or subordinates rated."
    )
    behaviour_weight: float = Field(
        40, gt=0, description="Behaviour weight (%) when peers or subordinates rated."
    )
    results_weight_superior_only: float = Field(
        70, gt=0, description="Results weight (%) when only the superior rated."
    )
    behaviour_weight_superior_only: float = Field(
        30, gt=0, description="Behaviour weight (%) when only the superior rated."
    )
    relation_weights: dict[Relation, float] = Field(
        default_factory=_default_relation_weights,
        description="Weight per rater relation, renormalised over the relations that rated.",
    )
    indicators: list[Indicator] = Field(
        default_factory=_default_indicators, min_length=1, description="The indicator set."
    )
    min_raters: dict[Relation, int] = Field(
        default_factory=_default_min_raters,
        description="Raters needed before a relation's detail is shown (always counted).",
    )
    bands: list[Band] = Field(
        default_factory=_default_bands, min_length=1, description="Score bands, descending."
    )
    allowance_pct_by_category: dict[str, float] = Field(
        default_factory=lambda: {
            "Sangat Baik": 100.0,
            "Baik": 100.0,
            "Cukup": 90.0,
            "Kurang": 85.0,
            "Buruk": 80.0,
        },
        description="Allowance percentage paid per category.",
    )
    no_report_allowance_pct: float = Field(
        65, ge=0, le=100, description="Allowance percentage when nothing was reported."
    )
    employment_factor: dict[EmploymentType, float] = Field(
        default_factory=_default_employment_factor,
        description="Share of the allowance paid per employment type.",
    )

    @model_validator(mode="after")
    def _check_consistency(self) -> Self:
        _check_minutes(self)
        _check_score_weights(self)
        _check_keys("relation_weights", self.relation_weights, RELATIONS)
        _check_keys("min_raters", self.min_raters, RELATIONS)
        _check_keys("employment_factor", self.employment_factor, EMPLOYMENT_TYPES)
        _check_positive("relation_weights", self.relation_weights)
        _check_positive("employment_factor", self.employment_factor)
        if any(count < 1 for count in self.min_raters.values()):
            raise ValueError("min_raters: every count must be at least 1")
        _check_indicators(self.indicators)
        _check_bands(self.bands)
        _check_allowances(self.allowance_pct_by_category, self.bands)
        return self

    def indicators_for(self, structural: bool) -> list[Indicator]:
        """The indicators rated for an employee: all for structural officials."""
        return [i for i in self.indicators if structural or not i.structural_only]

    def category_for(self, score: float) -> str:
        """The band name for a score (pass the rounded score)."""
        for band in self.bands:
            if score >= band.min_score:
                return band.name
        raise ValueError(f"score {score} is below every band")

    def score_weights(self, peer_or_subordinate_input: bool) -> tuple[float, float]:
        """(results, behaviour) weights in percent: PP 30/2019 60/40 vs 70/30."""
        if peer_or_subordinate_input:
            return self.results_weight, self.behaviour_weight
        return self.results_weight_superior_only, self.behaviour_weight_superior_only

    def close_date(self, period: str) -> date:
        """The day a period 'YYYY-MM' locks: close_day of the following month."""
        year, month = _parse_period(period)
        if month == 12:
            return date(year + 1, 1, self.close_day)
        return date(year, month + 1, self.close_day)


def _parse_period(period: str) -> tuple[int, int]:
    parts = period.split("-")
    if len(parts) != 2 or not all(p.isdigit() for p in parts) or len(parts[1]) != 2:
        raise ValueError(f"period {period!r} is not YYYY-MM")
    year, month = int(parts[0]), int(parts[1])
    if not 1 <= month <= 12:
        raise ValueError(f"period {period!r} has month {parts[1]}, not 01..12")
    return year, month


def _check_minutes(policy: Policy) -> None:
    if policy.min_minutes_per_activity > policy.max_minutes_per_activity:
        raise ValueError("min_minutes_per_activity exceeds max_minutes_per_activity")
    if policy.max_minutes_per_activity > policy.max_minutes_per_day:
        raise ValueError("max_minutes_per_activity exceeds max_minutes_per_day")


def _check_score_weights(policy: Policy) -> None:
    pairs = {
        "results_weight + behaviour_weight": policy.score_weights(True),
        "results_weight_superior_only + behaviour_weight_superior_only": policy.score_weights(
            False
        ),
    }
    for label, (results, behaviour) in pairs.items():
        if abs(results + behaviour - 100) > 1e-9:
            raise ValueError(f"{label} must be 100, got {results + behaviour:g}")


def _check_keys(field: str, mapping: dict[Any, Any], expected: tuple[str, ...]) -> None:
    missing = [key for key in expected if key not in mapping]
    if missing:
        raise ValueError(f"{field}: missing {', '.join(missing)}")


def _check_positive(field: str, mapping: dict[Any, float]) -> None:
    bad = [str(key) for key, value in mapping.items() if value <= 0]
    if bad:
        raise ValueError(f"{field}: must be positive for {', '.join(bad)}")


def _check_indicators(indicators: list[Indicator]) -> None:
    names = [i.name for i in indicators]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"indicators: duplicate names {', '.join(duplicates)}")


def _check_bands(bands: list[Band]) -> None:
    scores = [b.min_score for b in bands]
    if any(a <= b for a, b in pairwise(scores)):
        raise ValueError(f"bands: min_score must strictly descend, got {scores}")
    if scores[-1] != 0:
        raise ValueError(f"bands: the last band must start at 0, got {scores[-1]:g}")
    names = [b.name for b in bands]
    if len(set(names)) != len(names):
        raise ValueError(f"bands: duplicate category names in {names}")


def _check_allowances(allowances: dict[str, float], bands: list[Band]) -> None:
    names = [b.name for b in bands]
    missing = [n for n in names if n not in allowances]
    if missing:
        raise ValueError(f"allowance_pct_by_category: missing {', '.join(missing)}")
    unknown = sorted(set(allowances) - set(names))
    if unknown:
        raise ValueError(f"allowance_pct_by_category: unknown category {', '.join(unknown)}")
    if any(not 0 <= pct <= 100 for pct in allowances.values()):
        raise ValueError("allowance_pct_by_category: percentages must be 0..100")


_PARSED: dict[str, Policy] = {}


def parsed_policy(version: str, document: Mapping[str, Any]) -> Policy:
    """The policy a published ``document`` holds, parsed once per process and version: a
    published version never changes (other content under a used version is refused), and
    validating a document costs more than every check that reads it."""
    policy = _PARSED.get(version)
    if policy is None:
        policy = _PARSED[version] = Policy.model_validate(document)
    return policy


def load_policy(path: Path) -> Policy:
    """Read and validate a YAML policy file; :class:`PolicyError` names the file and field."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise PolicyError(f"{path}: not valid YAML: {error}") from error
    if not isinstance(document, dict):
        raise PolicyError(f"{path}: expected a mapping of policy fields at the top level")
    try:
        return Policy.model_validate(document)
    except ValidationError as error:
        raise PolicyError(f"{path}: {_describe(error)}") from error


def _describe(error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "policy"
        problems.append(f"{where}: {item['msg']}")
    return "; ".join(problems)


def default_policy_path() -> Path:
    """The shipped default policy file, read from the installed package (``shared/policies``).

    A plain path: setuptools installs packages unzipped, so package data are files."""
    return Path(str(files("shared") / "policies" / DEFAULT_POLICY_FILE))
