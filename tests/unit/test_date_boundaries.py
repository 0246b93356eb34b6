"""Every date boundary of the rules, each on the day before, the day of and the day after
it, with the exact refusal: the backdating window and the future (for a report and for a
revision that moves the work), a period's end (closing it), a period's start (rating it).
The close day is in test_periods.py (is_locked, due_for_closing, a report into the month
before). The default policy: 7 days back, close day 10."""

import uuid
from datetime import date
from typing import Any

import pytest

from services.intake.domain import commands as c
from services.intake.domain import rules
from services.intake.domain.errors import Rejected
from services.intake.domain.facts import ActivityFacts, EmployeeFacts
from services.intake.domain.revision import RevisionFacts, revise_activity
from shared.auth import Principal
from shared.policy import default_policy_path, load_policy

pytestmark = pytest.mark.unit

POLICY = load_policy(default_policy_path())
TODAY = date(2026, 3, 18)  # 7 days back: 11 March is the oldest day still open
BOSS, STAFF = "196804111993031009", "199001012015032001"
STAFF_P, BOSS_P, ADMIN = (Principal(STAFF, "employee"), Principal(BOSS, "superior"),
                          Principal("admin", "admin"))
STAFF_FACTS = EmployeeFacts(STAFF, "BKPSDM", structural=False)
ACTIVITY = uuid.uuid4()
REVISABLE = RevisionFacts(activity=ActivityFacts(str(ACTIVITY), STAFF, date(2026, 3, 16), "app"),
                          status="revision_requested", minutes_that_day=0, period_closed=False,
                          new_period_closed=False, policy=POLICY)

TOO_OLD = ("outside_backdating_window", "work_date is more than 7 days ago", "work_date", 422)
IN_FUTURE = ("work_date_in_future", "work_date is in the future", "work_date", 422)
WORK_DATES = [
    (date(2026, 3, 10), TOO_OLD),  # the day before the window opens
    (date(2026, 3, 11), None),     # its first day (today - backdating_days)
    (date(2026, 3, 12), None),
    (date(2026, 3, 17), None),
    (date(2026, 3, 18), None),     # today, the window's last day
    (date(2026, 3, 19), IN_FUTURE),
]


def outcome(call: Any, *args: Any) -> tuple[str, str, str | None, int] | None:
    try:
        call(*args)
    except Rejected as refused:
        return refused.code, refused.message, refused.field, refused.status
    return None


def report(day: date) -> Any:
    cmd = c.ReportActivity(activity_id=uuid.uuid4(), nip=STAFF, work_date=day, minutes=60,
                           description="Menyusun laporan")
    return rules.report_activity(cmd, STAFF_P, STAFF_FACTS, 0, False, POLICY, TODAY)


def revise_to(day: date) -> Any:
    cmd = c.ReviseActivity(activity_id=ACTIVITY, minutes=60, work_date=day,
                           description="Menyusun laporan, bukti terlampir")
    return revise_activity(cmd, STAFF_P, REVISABLE, TODAY)


@pytest.mark.parametrize(("day", "expected"), WORK_DATES)
def test_a_report_within_the_backdating_window_and_not_in_the_future(
        day: date, expected: Any) -> None:
    assert outcome(report, day) == expected


@pytest.mark.parametrize(("day", "expected"), WORK_DATES)
def test_a_revision_moving_the_work_obeys_the_same_window(day: date, expected: Any) -> None:
    assert outcome(revise_to, day) == expected


def close_march(today: date) -> Any:
    return rules.close_period(c.ClosePeriod(period="2026-03"), ADMIN, False, today)


@pytest.mark.parametrize(("today", "expected"), [
    (date(2026, 3, 30), ("period_not_ended", "period 2026-03 has not ended yet", "period", 422)),
    (date(2026, 3, 31), ("period_not_ended", "period 2026-03 has not ended yet", "period", 422)),
    (date(2026, 4, 1), None),  # the day after its last day: ended, may be closed
])
def test_a_period_may_be_closed_from_the_day_after_its_end(today: date, expected: Any) -> None:
    assert outcome(close_march, today) == expected


def rate_april(today: date) -> Any:
    scores = dict.fromkeys((i.name for i in POLICY.indicators_for(structural=False)), 80)
    cmd = c.SubmitBehaviourReview(period="2026-04", ratee_nip=STAFF, scores=scores)
    return rules.submit_behaviour_review(cmd, BOSS_P, STAFF_FACTS, "superior", False, POLICY,
                                         today)


@pytest.mark.parametrize(("today", "expected"), [
    (date(2026, 3, 31), ("period_in_future", "period 2026-04 has not begun", "period", 422)),
    (date(2026, 4, 1), None),  # the period's first day
    (date(2026, 4, 2), None),
])
def test_a_period_may_be_rated_from_its_first_day(today: date, expected: Any) -> None:
    assert outcome(rate_april, today) == expected
