from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

import shared
from shared.policy import Policy, PolicyError, default_policy_path, load_policy

pytestmark = pytest.mark.unit

BERAKHLAK = default_policy_path().parent / "erk-berakhlak-2026.1.yaml"


def make(**changes: Any) -> Policy:
    return Policy.model_validate({"version": "t", "effective_from": "2026-01", **changes})


def test_default_files_ship_inside_the_package() -> None:
    # an installed wheel has no deploy/ directory: the defaults must be package data
    package = Path(shared.__file__).parent
    assert default_policy_path().is_relative_to(package)
    assert BERAKHLAK.is_relative_to(package)


def test_default_file_loads_and_matches_the_code_defaults() -> None:
    policy = load_policy(default_policy_path())
    assert policy.version == "erk-default-2026.1"
    assert policy == make(version="erk-default-2026.1")
    assert [i.name for i in policy.indicators_for(structural=False)] == [
        "integritas",
        "pelayanan",
        "komitmen",
        "disiplin",
        "kerja_sama",
    ]
    assert len(policy.indicators_for(structural=True)) == 6


def test_berakhlak_file_loads_with_seven_values() -> None:
    policy = load_policy(BERAKHLAK)
    assert policy.version == "erk-berakhlak-2026.1"
    names = [i.name for i in policy.indicators_for(structural=False)]
    assert names == [
        "berorientasi_pelayanan",
        "akuntabel",
        "kompeten",
        "harmonis",
        "loyal",
        "adaptif",
        "kolaboratif",
    ]


@pytest.mark.parametrize(
    ("score", "category"),
    [
        (100, "Sangat Baik"),
        (91, "Sangat Baik"),
        (90.9, "Baik"),
        (76, "Baik"),
        (75.9, "Cukup"),
        (61, "Cukup"),
        (60.9, "Kurang"),
        (51, "Kurang"),
        (50.9, "Buruk"),
        (0, "Buruk"),
    ],
)
def test_category_bands_at_their_boundaries(score: float, category: str) -> None:
    assert make().category_for(score) == category


def test_close_date_is_close_day_of_the_next_month() -> None:
    assert make().close_date("2026-01") == date(2026, 2, 10)
    assert make().close_date("2026-12") == date(2027, 1, 10)
    assert make(close_day=28).close_date("2026-01") == date(2026, 2, 28)
    with pytest.raises(ValueError, match="not YYYY-MM"):
        make().close_date("2026-1")


def test_score_weights_model_both_pp_30_2019_pairs() -> None:
    assert make().score_weights(True) == (60, 40)
    assert make().score_weights(False) == (70, 30)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"relation_weights": {"superior": 50, "peer": 0, "subordinate": 25}}, "positive"),
        ({"relation_weights": {"superior": 50, "peer": 25}}, "relation_weights: missing"),
        ({"results_weight": 50}, r"results_weight \+ behaviour_weight must be 100, got 90"),
        ({"behaviour_weight_superior_only": 20}, "superior_only must be 100"),
        ({"employment_factor": {"PNS": 1, "PPPK": 1, "CPNS": -1}}, "employment_factor"),
        ({"min_raters": {"superior": 0, "peer": 3, "subordinate": 3}}, "at least 1"),
        ({"close_day": 29}, "close_day"),
        ({"close_day": 0}, "close_day"),
        ({"max_minutes_per_activity": 800}, "exceeds max_minutes_per_day"),
        ({"bands": [{"min_score": 0, "name": "A"}, {"min_score": 50, "name": "B"}]}, "descend"),
        ({"bands": [{"min_score": 50, "name": "A"}]}, "must start at 0"),
        ({"allowance_pct_by_category": {"Baik": 100}}, "missing Sangat Baik"),
        (
            {"indicators": [{"name": "a", "label": "A"}, {"name": "a", "label": "B"}]},
            "duplicate names a",
        ),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_validators_reject_bad_data(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        make(**changes)


def test_allowance_table_rejects_unknown_categories() -> None:
    table = dict(make().allowance_pct_by_category, Luar=50)
    with pytest.raises(ValidationError, match="unknown category Luar"):
        make(allowance_pct_by_category=table)


def test_load_policy_names_the_file_and_the_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("version: x\neffective_from: '2026-13'\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"bad\.yaml: effective_from: String should match"):
        load_policy(path)


def test_load_policy_rejects_non_mappings_and_broken_yaml(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"list\.yaml: expected a mapping"):
        load_policy(path)
    path.write_text("version: [\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"list\.yaml: not valid YAML"):
        load_policy(path)


def test_allowance_percentages_take_0_and_100_and_nothing_outside() -> None:
    table = make().allowance_pct_by_category
    assert make(allowance_pct_by_category={**table, "Buruk": 0, "Baik": 100})
    for outside in (-0.5, 100.5):
        with pytest.raises(ValidationError, match=r"percentages must be 0\.\.100"):
            make(allowance_pct_by_category={**table, "Buruk": outside})


def test_a_repeated_band_minimum_is_refused() -> None:
    bands = [{"min_score": 50, "name": "A"}, {"min_score": 50, "name": "B"},
             {"min_score": 0, "name": "C"}]
    with pytest.raises(ValidationError, match="strictly descend"):
        make(bands=bands, allowance_pct_by_category={"A": 100, "B": 90, "C": 80})


def test_minute_bounds_may_meet() -> None:
    same = make(min_minutes_per_activity=480, max_minutes_per_activity=480,
                max_minutes_per_day=480)
    assert (same.min_minutes_per_activity, same.max_minutes_per_day) == (480, 480)


def test_score_weights_must_add_up_to_100_exactly() -> None:
    with pytest.raises(ValidationError, match=r"must be 100, got 100\.5"):
        make(results_weight=60.5)
    assert make(results_weight=60.5, behaviour_weight=39.5).score_weights(True) == (60.5, 39.5)


@pytest.mark.parametrize("period", ["2026-01-01", "20x6-01", "2026-13", "2026-00", "202601"])
def test_close_date_refuses_what_is_no_period(period: str) -> None:
    with pytest.raises(ValueError, match=r"not YYYY-MM|not 01\.\.12"):
        make().close_date(period)


def test_a_month_outside_01_to_12_is_named() -> None:
    with pytest.raises(ValueError, match=r"^period '2026-13' has month 13, not 01..12$"):
        make().close_date("2026-13")


def test_load_policy_names_nested_fields_and_the_whole_policy(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("version: x\neffective_from: '2026-01'\nbands:\n- {min_score: 200, name: A}\n",
                    encoding="utf-8")
    with pytest.raises(PolicyError, match=r"p\.yaml: bands\.0\.min_score: Input should be less"):
        load_policy(path)
    path.write_text("version: x\neffective_from: '2026-01'\nresults_weight: 50\n",
                    encoding="utf-8")
    with pytest.raises(PolicyError, match=r"p\.yaml: policy: Value error, results_weight \+ "
                       r"behaviour_weight must be 100, got 90$"):
        load_policy(path)
    path.write_text("version: x\neffective_from: '2026-13'\nclose_day: 0\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"String should match .*; close_day: Input should"):
        load_policy(path)


@pytest.mark.parametrize(("field", "most"), [
    ("monthly_minute_target", 31 * 24 * 60), ("min_minutes_per_activity", 24 * 60),
    ("max_minutes_per_activity", 24 * 60), ("max_minutes_per_day", 24 * 60),
    ("backdating_days", 366)])
def test_policy_figures_stop_at_their_plausible_most(field: str, most: int) -> None:
    # the minute limits at a day's most together, so the rules min <= max <= per day hold
    limits = {"min_minutes_per_activity": 1, "max_minutes_per_activity": 24 * 60,
              "max_minutes_per_day": 24 * 60}
    assert getattr(make(**{**limits, field: most}), field) == most
    with pytest.raises(ValidationError, match="less than or equal"):
        make(**{**limits, field: most + 1})


def test_rater_counts_and_rupiah_stop_at_their_most() -> None:
    assert make(min_raters={"superior": 1000, "peer": 3, "subordinate": 3}).min_raters[
        "superior"] == 1000
    with pytest.raises(ValidationError, match="less than or equal"):
        make(min_raters={"superior": 1001, "peer": 3, "subordinate": 3})
    with pytest.raises(ValidationError, match="at least 1"):
        make(min_raters={"superior": 0, "peer": 3, "subordinate": 3})
    tpp = make().tpp
    assert type(tpp).model_validate({**tpp.model_dump(), "cap": 10**12}).cap == 10**12
    with pytest.raises(ValidationError, match="less than or equal"):
        type(tpp).model_validate({**tpp.model_dump(), "cap": 10**12 + 1})
    with pytest.raises(ValidationError, match="less than or equal"):
        type(tpp).model_validate({**tpp.model_dump(), "base": {"office": [10**12 + 1] * 17}})
