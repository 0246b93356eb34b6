"""The running month's pace (pure): working days elapsed and the month-to-date target."""

from datetime import date

import pytest

from services.appraisal.domain.eligibility import Inputs
from services.appraisal.domain.pace import Pace, month_pace, pace_of, working_days
from services.appraisal.domain.scoring import Rating, behaviour, eligibility
from shared.policy import default_policy_path, load_policy

pytestmark = pytest.mark.unit

POLICY = load_policy(default_policy_path())  # 6,000 minutes a month, cap 100
NIP = "199001012015032001"


def pace(today: date, approved: int, period: str | None = None) -> Pace | None:
    return month_pace(period or f"{today:%Y-%m}", today, approved, None, POLICY)


def test_working_days_are_monday_to_friday() -> None:
    assert len(working_days("2026-03")) == 22  # starts on a Sunday, ends on a Tuesday
    assert len(working_days("2026-02")) == 20
    assert all(day.weekday() < 5 for day in working_days("2026-08"))


def test_the_1st_on_a_weekend_has_no_target_yet() -> None:
    assert date(2026, 3, 1).weekday() == 6
    assert pace(date(2026, 3, 1), 0) == Pace(0, 22, 0.0, None, None, None)


def test_the_first_monday_counts_itself() -> None:
    result = pace(date(2026, 3, 2), 250)
    assert result is not None
    assert (result.working_days_elapsed, result.working_days_total) == (1, 22)
    assert result.target_to_date == 272.7  # 6000 x 1 / 22
    assert result.pct_of_target_to_date == 91.7  # 250 / 272.73
    assert (result.score_at_pace, result.category_at_pace) == (91.7, "Sangat Baik")
    # the month's own figure still counts against the whole target
    month = eligibility(nip=NIP, period="2026-03", approved_minutes=250, reported_activities=1,
                        behaviour=None, employment_type="PNS", policy=POLICY, final=False)
    assert month.category == "Buruk"


def test_mid_month_on_a_weekend_counts_the_week_so_far() -> None:
    result = pace(date(2026, 3, 15), 2500)  # a Sunday: 10 working days behind it
    assert result is not None and result.working_days_elapsed == 10
    assert result.target_to_date == 2727.3
    assert (result.pct_of_target_to_date, result.category_at_pace) == (91.7, "Sangat Baik")


def test_the_last_day_matches_the_month_figure() -> None:
    result = pace(date(2026, 3, 31), 4800)
    assert result is not None
    assert (result.working_days_elapsed, result.target_to_date) == (22, 6000.0)
    month = eligibility(nip=NIP, period="2026-03", approved_minutes=4800, reported_activities=9,
                        behaviour=None, employment_type="PNS", policy=POLICY, final=False)
    assert (result.pct_of_target_to_date, result.score_at_pace) == (month.results_pct,
                                                                    month.score)
    assert result.category_at_pace == month.category == "Baik"


def test_ahead_of_pace_shows_uncapped_but_scores_capped() -> None:
    result = pace(date(2026, 3, 2), 600)
    assert result is not None
    assert result.pct_of_target_to_date == 220.0
    assert result.score_at_pace == POLICY.performance_cap_pct


def test_pace_weighs_the_360_like_the_month() -> None:
    ratings = [Rating("196804111993031009", "superior", {"integritas": 60, "pelayanan": 60,
                                                           "komitmen": 60, "disiplin": 60,
                                                           "kerja_sama": 60})]
    rated = behaviour(ratings, POLICY, structural=False)
    result = month_pace("2026-03", date(2026, 3, 31), 6000, rated, POLICY)
    assert result is not None
    assert result.score_at_pace == 88.0  # 70 x 100 + 30 x 60: only the superior rated
    assert result.category_at_pace == "Baik"


def test_no_pace_outside_the_running_month() -> None:
    assert pace(date(2026, 4, 1), 100, period="2026-03") is None
    assert pace(date(2026, 2, 27), 100, period="2026-03") is None


def test_pace_of_a_closed_or_unknown_month_is_none() -> None:
    employee = {"nip": NIP, "structural": False, "employment_type": "PNS"}
    policies = [{"version": POLICY.version, "effective_from": POLICY.effective_from,
                 "document": POLICY.model_dump(mode="json"), "position": 1}]
    months = {(NIP, "2026-03"): {"approved_minutes": 250}}
    inputs = Inputs({NIP: employee}, months, {}, policies, closed={})
    found = pace_of(inputs, NIP, "2026-03", date(2026, 3, 2))
    assert found is not None and found.pct_of_target_to_date == 91.7
    assert pace_of(Inputs({NIP: employee}, months, {}, policies, {"2026-03": 9}), NIP,
                   "2026-03", date(2026, 3, 2)) is None
    assert pace_of(inputs, "198001012005011001", "2026-03", date(2026, 3, 2)) is None
