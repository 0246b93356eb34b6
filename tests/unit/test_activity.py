"""The write model's activity: a new report, the facts the rules see, the minutes it
counts on a day, and what a retry must repeat (the refusal word for word)."""

import uuid
from datetime import date

import pytest

from services.intake.domain import commands as c
from services.intake.domain.activity import Activity, check_retry, reported
from services.intake.domain.errors import Rejected
from services.intake.domain.facts import ActivityFacts

pytestmark = pytest.mark.unit

STAFF = "199001012015032001"
DAY = date(2026, 3, 16)
ACTIVITY_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")
EVENT_ID = uuid.UUID("00000000-0000-4000-8000-000000000002")


def report(minutes: int = 90, day: date = DAY, nip: str = STAFF) -> c.ReportActivity:
    return c.ReportActivity(activity_id=ACTIVITY_ID, nip=nip, work_date=day, minutes=minutes,
                            description="Menyusun laporan", external_ref="TX-1")


def test_a_new_report_is_pending_at_version_1() -> None:
    assert reported(report(), "esamsat", EVENT_ID) == Activity(
        ACTIVITY_ID, STAFF, DAY, 90, "esamsat", "TX-1", "pending", 1, EVENT_ID)


def test_the_rules_see_id_owner_day_and_source() -> None:
    facts = reported(report(), "esamsat", EVENT_ID).facts()
    assert facts == ActivityFacts("00000000-0000-4000-8000-000000000001", STAFF, DAY, "esamsat")


def test_an_activity_counts_on_its_own_day_only_and_not_once_rejected() -> None:
    activity = reported(report(minutes=90), "app", EVENT_ID)
    before, after = date(2026, 3, 15), date(2026, 3, 17)
    assert [activity.minutes_counted_on(d) for d in (before, DAY, after)] == [0, 90, 0]
    rejected = activity.decided("rejected", 2)
    assert [rejected.minutes_counted_on(d) for d in (before, DAY, after)] == [0, 0, 0]


DUPLICATE = Rejected("duplicate_activity",
                     "activity_id or (source, external_ref) already used by another activity",
                     "activity_id", 409)


def refusal(existing: Activity, cmd: c.ReportActivity, source: str) -> Rejected:
    with pytest.raises(Rejected) as info:
        check_retry(existing, cmd, source)
    return info.value


def test_a_retry_repeats_owner_day_minutes_and_source() -> None:
    existing = reported(report(), "app", EVENT_ID)
    check_retry(existing, report(), "app")  # the same report: a retry, no refusal
    for cmd, source in [(report(minutes=91), "app"), (report(day=date(2026, 3, 17)), "app"),
                        (report(nip="199001012015032002"), "app"), (report(), "esamsat")]:
        assert refusal(existing, cmd, source) == DUPLICATE


def test_after_a_revision_a_retry_repeats_the_original_report() -> None:
    revised = reported(report(), "app", EVENT_ID).revised(date(2026, 3, 17), 120, 3)
    check_retry(revised, report(), "app")
    assert refusal(revised, report(minutes=120, day=date(2026, 3, 17)), "app") == DUPLICATE
