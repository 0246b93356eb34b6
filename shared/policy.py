"""The allowance policy as data: a versioned document, loaded from YAML.

Defaults and their sources are in DOMAIN.md; the shipped files under ``shared/policies/``
(package data, so an installed wheel has them too; ``deploy/policies`` links there) cite
them number by number.
"""

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from importlib.resources import files
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal, Self, TypeVar

import yaml
from pydantic import (
    BaseModel,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
    model_validator,
)

from shared.attendance_policy import AttendancePolicy
from shared.events import EmploymentType, Period, Relation
from shared.performance_policy import PredicateRules, Regime
from shared.strict import STRICT_INPUT

RELATIONS: tuple[Relation, ...] = ("superior", "peer", "subordinate")
EMPLOYMENT_TYPES: tuple[EmploymentType, ...] = ("PNS", "PPPK", "CPNS")
DEFAULT_POLICY_FILE = "erk-default-2026.1.yaml"
JOB_CLASSES = 17
"""Kelas jabatan 1..17 (DOMAIN.md)."""
# Strict: a policy arrives over HTTP too, and "60" or true is no weight.
_FROZEN = STRICT_INPUT
T = TypeVar("T")


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


# Upper bounds keep every figure of a policy a plausible one (and within what JSON and the
# databases store: an unbounded integer reached the event store as a 500).
MINUTES_A_DAY = 24 * 60
MINUTES_A_MONTH = 31 * MINUTES_A_DAY
MOST_RUPIAH = 10**12


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


def _default_tpp_base() -> dict[str, list[int]]:
    """East Java TPP: class 1 = Rp 3,185,000, class 16 = Rp 43,125,000 (DOMAIN.md); the classes
    between are a project choice: a straight line between those two, rounded to Rp 1,000,
    and class 17 one step further."""
    return {"office": [3_185_000, 5_848_000, 8_510_000, 11_173_000, 13_836_000, 16_498_000,
                       19_161_000, 21_824_000, 24_486_000, 27_149_000, 29_812_000, 32_474_000,
                       35_137_000, 37_800_000, 40_462_000, 43_125_000, 45_788_000]}


class TppPolicy(BaseModel):
    """What turns an eligibility percentage and a discipline percentage into Rupiah (the TPP
    amount): base table, split, cap and tax. Amounts are whole Rupiah."""

    model_config = _FROZEN

    performance_weight: float = Field(
        60, ge=0, le=100, description="Share (%) of the base paid for performance.")
    discipline_weight: float = Field(
        40, ge=0, le=100, description="Share (%) of the base paid for discipline.")
    base: dict[str, list[Annotated[int, Field(le=MOST_RUPIAH)]]] = Field(
        default_factory=_default_tpp_base, min_length=1,
        description="Base TPP a month in Rupiah per unit type, one amount per job class 1..17.")
    unit_types: dict[str, str] = Field(
        default_factory=dict, description="Unit code -> unit type (a key of base).")
    default_unit_type: str = Field(
        "office", min_length=1, description="Unit type of a unit not in unit_types.")
    cap: int = Field(50_000_000, gt=0, le=MOST_RUPIAH,
                     description="Most paid to one employee a month, Rupiah.")
    tax_rate_pct: float = Field(
        5, ge=0, lt=100, description="Income tax (PPh 21) withheld, % of the gross amount.")

    @model_validator(mode="after")
    def _check_consistency(self) -> Self:
        if abs(self.performance_weight + self.discipline_weight - 100) > 1e-9:
            raise ValueError("tpp: performance_weight + discipline_weight must be 100, got "
                             f"{self.performance_weight + self.discipline_weight:g}")
        for unit_type, amounts in self.base.items():
            if len(amounts) != JOB_CLASSES:
                raise ValueError(f"tpp.base.{unit_type}: needs {JOB_CLASSES} amounts (job "
                                 f"classes 1..{JOB_CLASSES}), got {len(amounts)}")
            if any(amount < 0 for amount in amounts):
                raise ValueError(f"tpp.base.{unit_type}: amounts must not be negative")
        unknown = sorted({self.default_unit_type, *self.unit_types.values()} - set(self.base))
        if unknown:
            raise ValueError(f"tpp: unit type {', '.join(unknown)} has no base table")
        return self

    def unit_type(self, unit: str) -> str:
        return self.unit_types.get(unit, self.default_unit_type)

    def base_amount(self, unit: str, job_class: int) -> int:
        """The base TPP of a job class (1..17) in a unit."""
        return self.base[self.unit_type(unit)][job_class - 1]


class Policy(BaseModel):
    """Everything that turns minutes and 360° ratings into an allowance percentage."""

    model_config = _FROZEN

    version: str = Field(min_length=1, max_length=50, description="Policy version label.")
    effective_from: Period = Field(description="First period (YYYY-MM) the policy governs.")
    monthly_minute_target: int = Field(6000, gt=0, le=MINUTES_A_MONTH,
                                       description="Effective minutes a month.")
    performance_cap_pct: float = Field(100, gt=0, description="Cap on the results percentage.")
    min_minutes_per_activity: int = Field(1, ge=1, le=MINUTES_A_DAY,
                                          description="Shortest activity, minutes.")
    max_minutes_per_activity: int = Field(480, ge=1, le=MINUTES_A_DAY,
                                          description="Longest activity, minutes.")
    max_minutes_per_day: int = Field(720, ge=1, le=MINUTES_A_DAY,
                                     description="Plausible daily total, minutes.")
    backdating_days: int = Field(7, ge=0, le=366,
                                 description="How many days back work may be reported.")
    close_day: int = Field(
        10, ge=1, le=28, description="Day of the next month on which a period locks."
    )
    objection_window_days: int = Field(
        14, ge=1, le=90, description="Days from the close day (the day the result is final) "
        "within which an employee may object; PP 30/2019 art. 59: 14 days."
    )
    personal_data_retention_days: int = Field(
        3650, ge=0, le=36500, description="Days an erasure request waits before the person's "
        "data key is destroyed (UU PDP art. 15 and 44: appraisal facts needed for pay and audit "
        "are kept for the archive retention period); default 10 years, docs/privacy.md.")
    objection_window_counts: Literal["calendar", "working"] = Field(
        "calendar", description="Whether the objection window counts calendar days or working "
        "days (Monday-Friday); PP 30/2019 does not say."
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
    min_raters: dict[Relation, Annotated[int, Field(le=1000)]] = Field(
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
    attendance: AttendancePolicy = Field(
        default_factory=AttendancePolicy,
        description="Working calendars, holidays, deduction tiers, justification deadline.",
    )
    tpp: TppPolicy = Field(
        default_factory=TppPolicy, description="TPP amounts: base table, split, cap, tax.")
    regime: Regime = Field(
        "2013", description="'2013': score bands of Perka BKN 1/2013 on minutes and the 360; "
        "'2022': PermenPANRB 6/2022 ratings of SKP results and behaviour, and the predicate.")
    agencies: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list,
        description="Agencies this policy governs, as unit-code prefixes (unit 'A' or 'A-...'"
        " belongs to agency 'A'); empty: every unit no agency policy governs.")
    predicate: PredicateRules | None = Field(
        None, description="The 2022 rules (thresholds, matrix, allowance per predicate); "
        "DOMAIN.md's defaults when a 2022 policy leaves it out.")

    @model_serializer(mode="wrap")
    def _without_unset_regime_fields(self, handler: SerializerFunctionWrapHandler) -> (
        dict[str, Any]
    ):
        """A 2013 policy for every unit dumps exactly as before regimes existed, so a
        document published then compares (and hashes) the same."""
        dumped: dict[str, Any] = handler(self)
        for name, unset in (("regime", "2013"), ("agencies", []), ("predicate", None)):
            if dumped.get(name) == unset:
                del dumped[name]
        return dumped

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

    @property
    def rules_2022(self) -> PredicateRules:
        """The 2022 rules this policy states, or DOMAIN.md's defaults."""
        return self.predicate or PredicateRules()

    def governs_unit(self, unit: str) -> bool:
        """Whether one of ``agencies`` is ``unit`` or a prefix of it ending at a '-'."""
        return any(unit == agency or unit.startswith(agency + "-") for agency in self.agencies)

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


def for_unit(items: Sequence[T], unit: str | None, policy_of: Callable[[T], "Policy"]) -> (
    list[T]
):
    """The items (policies, or rows holding one) that may govern ``unit``: those of its
    agency when it has any (an agency policy wins over a national one), else the national
    ones (no ``agencies``). With no unit (a period's close day): the national ones."""
    own = [i for i in items if unit is not None and policy_of(i).governs_unit(unit)]
    return own or [i for i in items if not policy_of(i).agencies]


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
