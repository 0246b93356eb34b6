"""The revision rule (an activity sent back for revision, amended by its owner). Pure."""

import uuid
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from services.intake.domain import commands as c
from services.intake.domain.errors import Rejected
from services.intake.domain.revision import RevisionFacts, revise_activity
from services.intake.domain.rules import ActivityFacts
from shared.auth import Principal
from shared.events import ActivityRevised
from shared.policy import default_policy_path, load_policy

pytestmark = pytest.mark.unit

POLICY = load_policy(default_policy_path())  # 1..480 a activity, 720 a day, 7 days back
TODAY = date(2026, 3, 18)
WORKED = date(2026, 3, 9)  # outside the backdating window by now: reported in time
STAFF = "199001012015032001"
BOSS = "196804111993031009"
ACTIVITY = uuid.uuid4()

STAFF_P = Principal(STAFF, "employee")
FACTS = RevisionFacts(activity=ActivityFacts(str(ACTIVITY), STAFF, WORKED, "app"),
                      status="revision_requested", minutes_that_day=300, period_closed=False,
                      new_period_closed=False, policy=POLICY)


def command(**changes: Any) -> c.ReviseActivity:
    fields: dict[str, Any] = {"activity_id": ACTIVITY, "minutes": 60,
                              "description": "Menyusun laporan, bukti terlampir",
                              "output": "Laporan"}
    return c.ReviseActivity(**{**fields, **changes})


def refused(principal: Principal, facts: RevisionFacts | None, **changes: Any) -> Rejected:
    with pytest.raises(Rejected) as info:
        revise_activity(command(**changes), principal, facts, TODAY)
    return info.value


def test_the_owner_revises_and_keeps_the_day() -> None:
    event = revise_activity(command(), STAFF_P, FACTS, TODAY)
    assert event == ActivityRevised(activity_id=ACTIVITY, nip=STAFF, work_date=WORKED,
                                    minutes=60, description="Menyusun laporan, bukti terlampir",
                                    output="Laporan")


def test_a_superior_revises_their_own_activity_too() -> None:
    own = replace(FACTS, activity=ActivityFacts(str(ACTIVITY), BOSS, WORKED, "app"))
    assert revise_activity(command(), Principal(BOSS, "superior"), own, TODAY).nip == BOSS


def test_moving_the_work_to_another_day_inside_the_window() -> None:
    day = TODAY - timedelta(days=POLICY.backdating_days)
    assert revise_activity(command(work_date=day), STAFF_P, FACTS, TODAY).work_date == day


@pytest.mark.parametrize(("principal", "code", "status"), [
    (Principal("admin", "admin"), "role_not_allowed", 403),
    (Principal("dash", "dashboard"), "role_not_allowed", 403),
    (Principal(BOSS, "superior"), "not_own_activity", 403),  # the superior may not amend it
    (Principal("esamsat", "eservice"), "not_own_source", 403),
])
def test_only_the_owner_or_its_e_service(principal: Principal, code: str, status: int) -> None:
    err = refused(principal, FACTS)
    assert (err.code, err.status) == (code, status)


def test_the_e_service_that_reported_it_may_revise() -> None:
    facts = replace(FACTS, activity=ActivityFacts(str(ACTIVITY), STAFF, WORKED, "esamsat"))
    assert revise_activity(command(), Principal("esamsat", "eservice"), facts, TODAY)
    err = refused(Principal("eoffice", "eservice"), facts)
    assert err.code == "not_own_source"


def test_unknown_activity() -> None:
    err = refused(STAFF_P, None)
    assert (err.code, err.status, err.field) == ("unknown_activity", 404, "activity_id")


@pytest.mark.parametrize("status", ["pending", "approved", "rejected"])
def test_only_an_activity_sent_back_for_revision(status: str) -> None:
    err = refused(STAFF_P, replace(FACTS, status=status))
    assert (err.code, err.status, err.field) == ("not_revision_requested", 409, "activity_id")
    assert status in err.message


def test_a_closed_period_is_not_revised() -> None:
    err = refused(STAFF_P, replace(FACTS, period_closed=True))
    assert (err.code, err.status) == ("period_closed", 409)
    err = refused(STAFF_P, replace(FACTS, new_period_closed=True), work_date=TODAY)
    assert (err.code, err.status, err.field) == ("period_closed", 409, "work_date")


def test_minute_bounds_and_the_day_total() -> None:
    err = refused(STAFF_P, FACTS, minutes=481)
    assert (err.code, err.field) == ("minutes_out_of_bounds", "minutes")
    # 300 other minutes that day: 420 more fit, 421 do not
    assert revise_activity(command(minutes=420), STAFF_P, FACTS, TODAY).minutes == 420
    err = refused(STAFF_P, FACTS, minutes=421)
    assert (err.code, err.field) == ("day_total_implausible", "minutes")


@pytest.mark.parametrize(("day", "code"), [
    (TODAY + timedelta(days=1), "work_date_in_future"),
    (TODAY - timedelta(days=POLICY.backdating_days + 1), "outside_backdating_window"),
])
def test_a_new_work_date_obeys_the_reporting_window(day: date, code: str) -> None:
    err = refused(STAFF_P, FACTS, work_date=day)
    assert (err.code, err.status, err.field) == (code, 422, "work_date")


def test_an_unchanged_day_outside_the_window_may_still_be_revised() -> None:
    assert TODAY - timedelta(days=POLICY.backdating_days) > WORKED
    assert revise_activity(command(work_date=WORKED), STAFF_P, FACTS, TODAY).work_date == WORKED
